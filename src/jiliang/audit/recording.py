"""Explicit entries: ``record`` (one), ``record_many`` (one per row of a bulk write) and
``rebaseline`` (fresh digests after a migration)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone

from jiliang.core import ledger

from . import tracked
from .chain import BULK_CHUNK, ENTRY_COLUMNS, append
from .context import UNSET, actor_fields, current_context, resolve
from .models import AuditEntry
from .rows import columns, model_of, natural_key, object_type_of, read_row, read_rows

REASON_REQUIRED_ACTIONS = {"revoke"}
ACTIONS = frozenset(AuditEntry.Action.values)


class ReasonRequired(ValidationError, ValueError):
    """A write the domain only allows with a reason came without one."""

    def __init__(self, message: str):
        super().__init__({"reason": [message]})


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ledger.LedgerError("action", f"must be one of {', '.join(AuditEntry.Action.values)}, got {action!r}")


def check_reason(action: str, object_type: str, reason: str | None) -> None:
    if reason is not None and str(reason).strip():
        return
    if action in REASON_REQUIRED_ACTIONS:
        raise ReasonRequired(f"a {action} of {object_type} needs a reason")
    if action == AuditEntry.Action.STATUS_CHANGE:
        model = model_of(object_type)
        if model is not None and tracked.reason_required(model):
            raise ReasonRequired(f"a status change of {object_type} needs a reason")


def entry(
    action, object_type, object_id, natural_key_, old, new, reason, digest, actor, timestamp, *, new_text: str | None = None
) -> dict:
    """An entry to append: ``actor`` is (user id, name); ``new_text`` is ``new`` already as canonical JSON."""
    actor_id, actor_name = actor
    if new_text is None and new is not None:
        new_text = ledger.canonical_json(new)
    return {
        "timestamp": timestamp,
        "actor_id": actor_id,
        "actor": actor_name,
        "action": str(action),
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "natural_key": natural_key_ or "",
        "old": None if old is None else ledger.canonical_json(old),
        "new": new_text,
        "reason": reason if reason is None else str(reason),
        "row_digest": digest,
    }


def record(
    action: str,
    obj_or_type,
    *,
    actor: Any = UNSET,
    old: Any = None,
    new: Any = None,
    reason: Any = UNSET,
    object_id: Any = None,
    natural_key: str | None = None,
    _row: Any = UNSET,
    _return: bool = True,
) -> AuditEntry | None:
    """Append one entry. ``obj_or_type`` is a model instance (its type, id, natural key and
    the digest of its current row are taken from it), a model class or an
    ``"app_label.model"`` string. ``actor`` and ``reason`` default to the ``audit_context``.
    Returns the entry (inside a bulk context, not yet numbered)."""
    ctx = current_context()
    actor, reason = resolve(actor, reason)
    digest = None
    if isinstance(obj_or_type, models.Model):
        model = type(obj_or_type)
        object_type = object_type_of(model)
        object_id = obj_or_type.pk if object_id is None else object_id
        natural_key = natural_key if natural_key is not None else _natural(obj_or_type, model)
        row = (read_row(model, obj_or_type.pk) if obj_or_type.pk is not None else None) if _row is UNSET else _row
        if row is not None and action != AuditEntry.Action.DELETE:
            digest = ledger.row_digest(row)
    else:
        object_type = object_type_of(obj_or_type)
    if not object_type or len(object_type) > 100:
        raise ledger.LedgerError("object_type", f"must be app_label.model, got {object_type!r}")
    check_action(action)
    check_reason(action, object_type, reason)
    made = entry(action, object_type, object_id, natural_key, old, new, reason, digest, actor_fields(actor), timezone.now())
    if ctx.buffer is not None:
        ctx.buffer.append(made)  # numbered when the bulk block ends
    else:
        append([made])
    if not _return:
        return None
    saved = AuditEntry(**{ENTRY_COLUMNS[k]: v for k, v in made.items()})
    saved._state.adding, saved._state.db = ctx.buffer is not None, connection.alias
    return saved


def _natural(instance, model) -> str:
    return natural_key(instance, model)


def record_many(
    action: str,
    model_or_type,
    rows: Iterable[Mapping],
    *,
    actor: Any = UNSET,
    reason: Any = UNSET,
    read_back: bool = True,
    chunk: int = BULK_CHUNK,
) -> int:
    """Append one entry per row of a bulk write, in one transaction, all with one timestamp.

    ``rows`` are mappings of column values including the primary key. For a model with
    ``read_back`` (the default) each row is read back from the database, so the recorded
    new values and the row digest are exactly what was stored; otherwise the given values
    are recorded (and hashed as the row when they name every column). Returns the count.
    (A write of many thousand rows is cheaper as a batch: ``record_batches``.)"""
    actor, reason = resolve(actor, reason)
    actor = actor_fields(actor)
    object_type = object_type_of(model_or_type)
    model = model_or_type if isinstance(model_or_type, type) else model_of(object_type)
    check_action(action)
    check_reason(action, object_type, reason)
    now = timezone.now()
    reason_text = reason if reason is None else str(reason)
    actor_id, actor_name = actor

    def one(values, pk, new_text, digest) -> dict:
        return {
            "timestamp": now,
            "actor_id": actor_id,
            "actor": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": "" if pk is None else str(pk),
            "natural_key": natural_key(values, model) if model is not None else "",
            "old": None,
            "new": new_text,
            "reason": reason_text,
            "row_digest": digest,
        }

    def resolve_batch(batch: list[Mapping]) -> Iterator[dict]:
        if model is None:
            for r in batch:
                yield one(r, r.get("id"), ledger.canonical_json(r), None)
            return
        pk_name = model._meta.pk.attname
        cols = columns(model)
        if read_back:
            ids = [model._meta.pk.to_python(r.get(pk_name, r.get("pk"))) for r in batch]
            stored = {r[cols.index(pk_name)]: dict(zip(cols, r)) for r in read_rows(model, ids)}
            for pk in ids:
                row = stored.get(pk)
                if row is None:
                    raise ledger.LedgerError("rows", f"{object_type} {pk} is not in the database")
                yield one(row, pk, *ledger.row_values_and_digest(row))
        else:
            for r in batch:
                whole = all(c in r for c in cols)
                yield one(
                    r,
                    r.get(pk_name, r.get("pk")),
                    ledger.canonical_json(r),
                    ledger.row_digest({c: r[c] for c in cols}) if whole else None,
                )

    def entries() -> Iterator[dict]:
        pending: list[Mapping] = []
        for r in rows:
            if isinstance(r, models.Model):
                r = {name: getattr(r, name) for name in columns(type(r))}
            pending.append(r)
            if len(pending) >= chunk:
                yield from resolve_batch(pending)
                pending = []
        if pending:
            yield from resolve_batch(pending)

    _, count = append(entries(), chunk=chunk)
    return count


def rebaseline(model: type[models.Model], *, actor: Any = UNSET, reason: str) -> int:
    """Record the current digest of every row of ``model`` (one ``update`` entry per row).

    Row digests cover every column, so a migration that adds or drops a column of a
    tracked model makes every row differ from its digest: run ``verify`` first, migrate,
    then rebaseline with the migration named in ``reason``."""
    if not (reason or "").strip():
        raise ReasonRequired(f"a rebaseline of {object_type_of(model)} needs a reason (the migration)")
    pk = model._meta.pk.attname
    ids = model._base_manager.order_by(pk).values_list(pk, flat=True).iterator(chunk_size=BULK_CHUNK)
    return record_many(AuditEntry.Action.UPDATE, model, ({pk: i} for i in ids), actor=actor, reason=reason)
