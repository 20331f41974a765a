"""Numbering, chaining and writing entries under the head lock: the one way onto the chain."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from jiliang import bulk
from jiliang.core import ledger

from .models import AuditEntry, LedgerHead

BULK_CHUNK = 50_000
ENTRY_COLUMNS = dict(
    zip(
        ledger.ENTRY_COLUMNS,
        (
            "sequence",
            "timestamp",
            "actor_user_id",
            "actor",
            "action",
            "object_type",
            "object_id",
            "natural_key",
            "old_values",
            "new_values",
            "reason",
            "row_digest",
            "previous_hash",
            "entry_hash",
        ),
    )
)


def _lock_head(cursor) -> tuple[int, str]:
    """Lock the head row and read it: writers queue here, so there is one chain. Raw SQL,
    because it runs for every audited write."""
    table = LedgerHead._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(f'SELECT sequence, entry_hash FROM "{table}" WHERE id = 1{lock}')
    head = cursor.fetchone()
    if head is None:
        if AuditEntry.objects.exists():
            raise ledger.LedgerError(
                "head", "the ledger head record is missing although entries exist: run `jiliang audit verify`"
            )
        LedgerHead.objects.get_or_create(pk=1)
        cursor.execute(f'SELECT sequence, entry_hash FROM "{table}" WHERE id = 1{lock}')
        head = cursor.fetchone()
    return int(head[0]), head[1]


def _write_entries(entries: list[dict]) -> None:
    columns = list(ENTRY_COLUMNS.values())
    if connection.vendor == "sqlite":
        adapt = connection.ops.adapt_datetimefield_value
        timestamps = {id(e["timestamp"]): adapt(e["timestamp"]) for e in entries}
        rows = [
            tuple(timestamps[id(e["timestamp"])] if c == "timestamp" else e[c] for c in ledger.ENTRY_COLUMNS) for e in entries
        ]
        connection.ensure_connection()
        placeholders = ", ".join("?" * len(columns))
        connection.connection.executemany(
            f'INSERT INTO "{AuditEntry._meta.db_table}" ({", ".join(columns)}) VALUES ({placeholders})', rows
        )
    elif connection.vendor == "postgresql" and len(entries) > 100:
        stamps = {id(e["timestamp"]): e["timestamp"].isoformat() for e in entries}
        values = [
            [stamps[id(e["timestamp"])] for e in entries] if c == "timestamp" else [e[c] for e in entries]
            for c in ledger.ENTRY_COLUMNS
        ]
        bulk.write_columns(AuditEntry._meta.db_table, columns, values)
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f'INSERT INTO "{AuditEntry._meta.db_table}" ({", ".join(columns)}) VALUES ({placeholders})',
                [tuple(e[c] for c in ledger.ENTRY_COLUMNS) for e in entries],
            )


def append(entries: Iterable[dict], *, chunk: int = BULK_CHUNK) -> tuple[int, int]:
    """Number, chain and write entries (dicts keyed by ``ledger.ENTRY_COLUMNS`` minus the
    hashes and sequence) under the head lock; returns (first sequence, count)."""
    # Inside a caller's transaction no savepoint: a failed append must fail the write.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        sequence, previous = _lock_head(cursor)
        first = sequence + 1
        batch: list[dict] = []

        def flush():
            nonlocal previous
            ledger.chain(batch, previous)
            previous = batch[-1]["entry_hash"]
            _write_entries(batch)
            batch.clear()

        for entry in entries:
            sequence += 1
            entry["sequence"] = sequence
            batch.append(entry)
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        if sequence >= first:
            cursor.execute(
                f'UPDATE "{LedgerHead._meta.db_table}" SET sequence = %s, entry_hash = %s WHERE id = 1', [sequence, previous]
            )
    return first, sequence - first + 1
