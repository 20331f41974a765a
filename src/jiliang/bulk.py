"""Set-based writes for the bulk paths (the generator, large imports, the audit ledger's
batches): PostgreSQL binary COPY (text COPY for column types the binary encoder does not
write), SQLite executemany on the raw connection. Callers pass whole columns (lists or
NumPy arrays); no ORM object per row. No app's models: every app may write with it."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from django.db import connection

from jiliang import pgcopy

_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_escape(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(char, escaped)
    return text


def _copy_column(values) -> list[str]:
    """One column as COPY text values, converting the whole column at once where it can."""
    if isinstance(values, np.ndarray):
        if np.issubdtype(values.dtype, np.datetime64) and np.isnat(values).any():  # NaT is NULL
            return np.where(np.isnat(values), "\\N", values.astype(str)).tolist()
        return values.astype(str).tolist()
    values = list(values)
    if values and all(type(v) is str for v in values):
        joined = "\x00".join(values)
        if not any(char in joined for char in _COPY_SPECIAL):
            return values
    if all(v is not None and type(v) in (int, float, bool) for v in values):
        return list(map(str, values))
    return [_copy_escape(v) for v in values]


def _python_column(values):
    if not isinstance(values, np.ndarray):
        return values
    if np.issubdtype(values.dtype, np.datetime64):  # ISO text, as Django stores dates in SQLite; NaT is NULL
        text = values.astype(str).astype(object)
        text[np.isnat(values)] = None
        return text.tolist()
    return values.tolist()


def _column_types(table: str, columns: Sequence[str]) -> list[str]:
    """PostgreSQL type names of the table's columns, in the order given."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            [f'"{table}"'],
        )
        known = dict(cursor.fetchall())
    return [known[c] for c in columns]


def write_columns(table: str, columns: Sequence[str], values: Sequence[Sequence]) -> int:
    """Append rows, given column by column, inside the current transaction; returns the count."""
    count = _check(table, columns, values)
    if count == 0:
        return 0
    if connection.vendor == "postgresql":
        types = _column_types(table, columns)
        if all(t in pgcopy.SUPPORTED for t in types):
            connection.ensure_connection()
            _copy_binary(connection.connection, table, columns, values, types)
        else:
            _copy_text(table, columns, values)
        return count
    python_columns = [_python_column(v) for v in values]
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    sql = f'INSERT INTO "{table}" ({_column_list(columns)}) VALUES ({", ".join([placeholder] * len(columns))})'
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        connection.connection.executemany(sql, zip(*python_columns))
    else:
        with connection.cursor() as cursor:
            cursor.executemany(sql, list(zip(*python_columns)))
    return count


def _check(table: str, columns: Sequence[str], values: Sequence[Sequence]) -> int:
    if len(columns) != len(values):
        raise ValueError(f"{table}: {len(columns)} column names but {len(values)} columns of values")
    return len(values[0]) if values else 0


def _column_list(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


PIECE_ROWS = 50_000  # rows encoded at a time: bounds the encoder's temporary arrays


def _encoded(values: Sequence[Sequence], types: Sequence[str]):
    """The rows' binary COPY payload, piece by piece."""
    count = len(values[0])
    for start in range(0, count, PIECE_ROWS):
        yield pgcopy.encode_rows([c[start : start + PIECE_ROWS] for c in values], types)


def _copy_binary(raw_connection, table: str, columns: Sequence[str], values: Sequence[Sequence], types: Sequence[str]) -> None:
    _send(raw_connection, table, columns, _encoded(values, types))


def _send(raw_connection, table: str, columns: Sequence[str], pieces) -> None:
    """One binary COPY of encoded pieces on the driver's connection (callable from a worker thread)."""
    with raw_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table}" ({_column_list(columns)}) FROM STDIN (FORMAT BINARY)') as copy:
            copy.write(pgcopy.SIGNATURE)
            for piece in pieces:
                copy.write(piece)
            copy.write(pgcopy.TRAILER)


def _copy_text(table: str, columns: Sequence[str], values: Sequence[Sequence]) -> None:
    count = len(values[0])
    text_columns = [_copy_column(v) for v in values]
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({_column_list(columns)}) FROM STDIN') as copy:
            for start in range(0, count, 50_000):
                chunk = ["\t".join(row) for row in zip(*(c[start : start + 50_000] for c in text_columns))]
                copy.write("\n".join(chunk) + "\n")


class PipelinedWriter:
    """``write_columns`` whose PostgreSQL binary COPYs run on one worker thread, in the
    order given, so the server ingests one batch while the caller builds the next: the
    generator's NumPy work and the server's parsing then use both cores instead of taking
    turns. The caller's thread encodes each batch too: encoding on the worker would leave
    the server waiting for data meanwhile (the driver sends synchronously). The caller must
    not use the connection until ``wait()``; a failed COPY raises there (or at the next
    write), inside the caller's transaction, which then rolls back.
    Other databases and column types are written at once, as ``write_columns`` does."""

    def __init__(self, in_flight: int = 2):
        self.pipelined = connection.vendor == "postgresql"
        self.in_flight = in_flight  # batches queued at most: bounds the memory held
        self.pending: deque[Future] = deque()
        self.types: dict[tuple, list[str]] = {}
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="copy") if self.pipelined else None

    def write_columns(self, table: str, columns: Sequence[str], values: Sequence[Sequence]) -> int:
        key = (table, tuple(columns))
        if not self.pipelined or (key not in self.types and not self._binary(key)):
            self.wait()
            return write_columns(table, columns, values)
        count = _check(table, columns, values)
        if count:
            pieces = list(_encoded(values, self.types[key]))  # while earlier batches are sent
            while len(self.pending) >= self.in_flight:
                self.pending.popleft().result()
            self.pending.append(self.pool.submit(_send, connection.connection, table, columns, pieces))
        return count

    def _binary(self, key: tuple) -> bool:
        self.wait()
        types = _column_types(*key)
        if all(t in pgcopy.SUPPORTED for t in types):
            self.types[key] = types
            connection.ensure_connection()
            return True
        return False

    def wait(self) -> None:
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            for future in self.pending:  # after a failure: let the queued COPYs finish or fail too
                future.cancel()
            self.pending.clear()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self.pool:
                self.pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
