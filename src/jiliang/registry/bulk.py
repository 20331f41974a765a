"""Set-based writes for the bulk paths (generator, large imports): PostgreSQL COPY, SQLite
executemany on the raw connection. Callers pass whole columns; no ORM object per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Append rows to a table inside the current transaction; returns the row count."""
    count = 0
    if connection.vendor == "postgresql":
        column_list = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
                buffer = []
                for row in rows:
                    buffer.append("\t".join([_copy_text(v) for v in row]))
                    count += 1
                    if len(buffer) >= 20_000:
                        copy.write("\n".join(buffer) + "\n")
                        buffer.clear()
                if buffer:
                    copy.write("\n".join(buffer) + "\n")
        return count
    placeholders = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(columns))
    column_list = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({column_list}) VALUES ({placeholders})'
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        rows = list(rows) if not isinstance(rows, list) else rows
        connection.connection.executemany(sql, rows)
        return len(rows)
    with connection.cursor() as cursor:
        rows = list(rows)
        cursor.executemany(sql, rows)
        return len(rows)


def reset_sequences(*model_classes) -> None:
    """After writing explicit ids, move PostgreSQL sequences past them."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def next_id(model_class) -> int:
    from django.db.models import Max

    return (model_class.objects.aggregate(m=Max("id"))["m"] or 0) + 1
