"""Bulk loads of registry tables: indexes and keys set aside while loading, sequences moved
past explicit ids. The column writers themselves are ``jiliang.bulk`` (re-exported here)."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from jiliang.bulk import PIECE_ROWS, PipelinedWriter, write_columns  # noqa: F401  (the bulk paths' writers)


@contextmanager
def bulk_load(*tables: str):
    """Prepare tables for a bulk load and restore them after, inside the caller's transaction.

    Secondary (non-unique) indexes are dropped and built again at the end: one sort per
    index instead of a random B-tree insert per row. On PostgreSQL the foreign keys are
    dropped too and added back, so each is validated by one set-based scan instead of a
    trigger per row, and so are the unique constraints no foreign key depends on (the
    primary keys stay: ids arrive in order, and other tables' keys point at them); the DDL
    is transactional, so a failed validation or a duplicate rolls the whole load back. On
    SQLite the page cache is enlarged for the load."""
    vendor = connection.vendor
    uniques = []
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # Deferred checks of rows written earlier in this transaction must run before the DDL.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Index builds at the end sort in memory rather than in temporary files.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                # The fourth column: the key points into another loaded table and an index of its
                # own table (rebuilt before the check) leads with its column, so the check can
                # merge two ordered index scans instead of hashing millions of referenced rows.
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
                "c.confrelid::regclass::text = ANY(%s) AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid "
                "AND i.indkey[0] = c.conkey[1]) FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
                [list(tables), list(tables)],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
                [list(tables)],
            )
            uniques = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [list(tables)],
            )
            indexes = cursor.fetchall()
            for table, name, *_ in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for table, name, _ in uniques:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        else:
            constraints = []
            placeholders = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({placeholders}) "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                list(tables),
            )
            indexes = cursor.fetchall()
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for table, name, definition in uniques:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition, merge in constraints:
            if merge:  # a key into another loaded table: millions of rows on both sides
                cursor.execute("SELECT current_setting('enable_hashjoin'), set_config('enable_hashjoin', 'off', true)")
                hashjoin = cursor.fetchone()[0]
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            if merge:
                cursor.execute("SELECT set_config('enable_hashjoin', %s, true)", [hashjoin])
        if vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("PRAGMA cache_size = -2000")


def reset_sequences(*model_classes) -> None:
    """After writing explicit ids, move PostgreSQL sequences past them."""
    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def next_id(model_class) -> int:
    return (model_class.objects.aggregate(m=Max("id"))["m"] or 0) + 1
