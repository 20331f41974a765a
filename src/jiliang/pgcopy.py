"""PostgreSQL binary COPY payloads built column-wise with NumPy.

Formatting rows as COPY text in Python costs a string join per row and a conversion per
value; the binary format is fixed-width for numbers, dates and booleans, so whole columns
can be laid into one byte buffer with array indexing. The payload follows the server's
documented layout (the "Binary Format" section of the COPY reference page): an 11-byte
signature, flags and header-extension words, then per row a 16-bit field count and per
field a 32-bit length (-1 for NULL) followed by the value in network byte order, and a
16-bit -1 trailer.

``encode(columns, types)`` takes each column as a NumPy array or a Python list (``None``
for NULL) and the column's PostgreSQL type name; ``SUPPORTED`` lists the types it writes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH = np.datetime64("2000-01-01", "D")
PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us")

_FIXED = {
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "real": ">f4",
    "double precision": ">f8",
    "boolean": "?",
    "date": ">i4",
    "timestamp with time zone": ">i8",
    "timestamp without time zone": ">i8",
}
_VARIABLE = {"text", "character varying", "jsonb", "json", "uuid", "bytea"}
SUPPORTED = frozenset(_FIXED) | _VARIABLE


class UnsupportedType(ValueError):
    pass


def _nulls(values) -> np.ndarray | None:
    """Mask of NULLs in a list (None), or None when there are none."""
    if isinstance(values, np.ndarray):
        if values.dtype == object:
            mask = np.equal(values, None)
            return mask if mask.any() else None
        if np.issubdtype(values.dtype, np.datetime64):
            mask = np.isnat(values)
            return mask if mask.any() else None
        return None
    if None not in values:
        return None
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def _fixed_column(values, pg_type: str, nulls: np.ndarray | None) -> np.ndarray:
    """The column as an array of the type's wire dtype (NULL rows hold a placeholder)."""
    if pg_type.startswith("timestamp") and not isinstance(values, np.ndarray):
        # NumPy takes naive datetimes only: aware ones are brought to UTC first.
        values = [v.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(v, dt.datetime) and v.tzinfo else v for v in values]
    if nulls is not None:
        fill = {"date": PG_EPOCH}.get(pg_type, PG_EPOCH_US if pg_type.startswith("timestamp") else 0)
        values = np.where(nulls, fill, values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object))
    if pg_type == "date":
        return (np.asarray(values, dtype="datetime64[D]") - PG_EPOCH).astype(">i4")
    if pg_type.startswith("timestamp"):
        return (np.asarray(values, dtype="datetime64[us]") - PG_EPOCH_US).astype(">i8")
    return np.asarray(values).astype(_FIXED[pg_type])


def _bytes_column(values, nulls: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(byte lengths, concatenated bytes) of a bytea column: its wire form is the bytes themselves."""
    if nulls is not None:
        values = [b"" if v is None else v for v in values]
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    data = np.frombuffer(b"".join(values), dtype=np.uint8)
    return (np.where(nulls, 0, lengths) if nulls is not None else lengths), data


def _text_column(values, pg_type: str, nulls: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(byte lengths, concatenated UTF-8 bytes) of a text-like column; NULL rows have length 0."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if pg_type == "bytea":
        return _bytes_column(values, nulls)
    if nulls is not None:
        values = ["" if v is None else v for v in values]
    try:
        joined = "".join(values)
    except TypeError:  # not all strings: JSON columns take JSON text, others their str()
        as_text = json.dumps if pg_type in ("json", "jsonb") else str
        values = [v if type(v) is str else as_text(v) for v in values]
        joined = "".join(values)
    payload = joined.encode()
    if len(payload) == len(joined):  # ASCII: characters are bytes
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    else:
        encoded = [v.encode() for v in values]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    data = np.frombuffer(payload, dtype=np.uint8)
    if nulls is not None:
        lengths = np.where(nulls, 0, lengths)
    if pg_type == "jsonb":  # the jsonb wire format is a version byte (1) before the text
        present = np.ones(lengths.size, dtype=bool) if nulls is None else ~nulls
        version_at = (np.cumsum(lengths) - lengths + np.cumsum(present) - present)[present]
        with_version = np.empty(data.size + version_at.size, dtype=np.uint8)
        keep = np.ones(with_version.size, dtype=bool)
        keep[version_at] = False
        with_version[version_at] = 1
        with_version[keep] = data
        data, lengths = with_version, lengths + present
    return lengths, data


@dataclass
class _Column:
    """One column on the wire: per-row byte lengths (-1 for NULL) and the bytes of the
    non-NULL values; ``values`` is set when every row has the same width and no NULL, so
    the column can be a field of a fixed-width record."""

    lengths: np.ndarray | int
    data: np.ndarray  # flat uint8
    values: np.ndarray | None = None

    @property
    def constant(self) -> bool:
        return isinstance(self.lengths, int)


def _column(values, pg_type: str) -> _Column:
    nulls = _nulls(values)
    if nulls is not None and nulls.all():
        return _Column(-1, np.empty(0, dtype=np.uint8))
    if pg_type in _FIXED:
        array = _fixed_column(values, pg_type, nulls)
        width = array.dtype.itemsize
        if nulls is None:
            return _Column(width, array.view(np.uint8).ravel(), array)
        return _Column(np.where(nulls, -1, width), array[~nulls].view(np.uint8).ravel())
    if pg_type not in _VARIABLE:
        raise UnsupportedType(pg_type)
    lengths, data = _text_column(values, pg_type, nulls)
    if nulls is None and lengths.size and (lengths == lengths[0]).all():
        width = int(lengths[0])  # e.g. zero-padded codes: a fixed-width field after all
        return _Column(width, data, data.view(f"S{width}") if width else None)
    return _Column(np.where(nulls, -1, lengths) if nulls is not None else lengths, data)


def encode(columns: Sequence, types: Sequence[str]) -> bytes:
    """One whole COPY ... (FORMAT BINARY) payload for rows given column by column."""
    return SIGNATURE + encode_rows(columns, types) + TRAILER


def encode_rows(columns: Sequence, types: Sequence[str]) -> bytes:
    """The rows alone, for a payload sent in pieces between SIGNATURE and TRAILER."""
    if len(columns) != len(types):
        raise ValueError(f"{len(columns)} columns but {len(types)} types")
    n = len(columns[0])
    if any(len(c) != n for c in columns):
        raise ValueError(f"columns differ in length: {[len(c) for c in columns]}")
    encoded = [_column(values, pg_type) for values, pg_type in zip(columns, types)]
    if all(c.constant for c in encoded):
        body = _fixed_records(encoded, n)
    else:
        body = _scattered_records(encoded, n)
    return body


def _fixed_records(encoded: list[_Column], n: int) -> bytes:
    """Every row has the same layout: one NumPy record per row, written out in one go."""
    fields = [("count", ">i2")]
    for i, column in enumerate(encoded):
        fields.append((f"length{i}", ">i4"))
        if column.values is not None:
            fields.append((f"value{i}", column.values.dtype))
    records = np.empty(n, dtype=np.dtype(fields))
    records["count"] = len(encoded)
    for i, column in enumerate(encoded):
        records[f"length{i}"] = column.lengths
        if column.values is not None:
            records[f"value{i}"] = column.values
    return records.tobytes()


def _scattered_records(encoded: list[_Column], n: int) -> bytes:
    """Rows of different widths: each field's bytes placed at its computed offsets."""
    lengths = [np.full(n, c.lengths, dtype=np.int64) if c.constant else c.lengths for c in encoded]
    sizes = [np.maximum(length, 0) for length in lengths]
    row_sizes = 2 + sum(4 + size for size in sizes)
    row_starts = np.cumsum(row_sizes) - row_sizes
    buffer = np.empty(int(row_sizes.sum()), dtype=np.uint8)
    buffer[row_starts[:, None] + np.arange(2)] = np.frombuffer(np.array(len(encoded), dtype=">i2").tobytes(), dtype=np.uint8)
    cursor = row_starts + 2
    for column, length, size in zip(encoded, lengths, sizes):
        buffer[cursor[:, None] + np.arange(4)] = length.astype(">i4").view(np.uint8).reshape(n, 4)
        at = cursor + 4
        if column.data.size:
            starts_in_data = np.cumsum(size) - size
            buffer[np.repeat(at - starts_in_data, size) + np.arange(column.data.size)] = column.data
        cursor = at + size
    return buffer.tobytes()
