"""The ledger as a change feed: where it ends, and whether records of given types changed
after a point. What a cache of the registry (the traceability snapshot) asks to know when
to rebuild, without reading the ledger's table itself."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import AuditEntry

# Entries that bring rows into being: new rows arrive with new ids, which a reader of the
# feed sees by itself; every other entry (an update, a delete, a status change…) is an edit.
CREATIONS = (AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT)


def head() -> int:
    """The sequence of the last entry (0 for an empty ledger)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(sequence), 0) FROM "{AuditEntry._meta.db_table}"')
        return int(cursor.fetchone()[0])


def edited_since(sequence: int, object_types: Iterable[str]) -> bool:
    """Whether records of ``object_types`` ("app_label.model") were edited or deleted after
    entry ``sequence`` (every write through the application is on the ledger)."""
    return (
        AuditEntry.objects.filter(sequence__gt=sequence, object_type__in=list(object_types))
        .exclude(action__in=CREATIONS)
        .exists()
    )
