"""Appending to the audit ledger, and verifying it.

How other code uses it
----------------------

Writes through the ORM to a tracked model (every registry model; other apps add theirs
with ``track(Model)``) are recorded automatically by signal handlers: create, update,
delete, and ``status_change`` when a status field changes. Who did it and why come from
the surrounding ``audit_context``::

    from jiliang.audit.services import audit_context

    with transaction.atomic(), audit_context(actor=request.user, reason="期间核查不合格"):
        standard.status = "suspended"
        standard.save()

``actor`` is a user (its pk and user name are recorded) or a string naming a system job
("cli:import"); without one the actor is "system". A status change of a measurement
standard without a reason is refused with ``ReasonRequired`` (a ``ValidationError`` on the
field ``reason``) before anything is written; so is an explicit ``revoke``. Wrap the write
and its entry in one ``transaction.atomic()`` so they commit together (``AuditContextMiddleware``
in ``jiliang.audit.middleware`` sets the actor of every request).

Explicit entries (a certificate revoked, a login, an export) use ``record``::

    record("revoke", certificate, actor=user, old={"status": "issued"}, new={"status": "revoked"}, reason="…")
    record("import", "registry.instrument", actor="cli:import", new={"file": "a.csv", "rows": 120})

and bulk loads, which bypass the signals, record one entry per row with ``record_many``
(fast: hashes are chained in memory, entries are written with COPY / executemany)::

    record_many("import", Instrument, [{"id": 17, ...}, ...], actor="cli:import")

Mass saves or deletes through the ORM can hold their entries back and append them in one
go: ``with transaction.atomic(), audit_context(actor=…, bulk=True): …``.

``verify()`` walks the chain and the live rows; ``make_checkpoint()`` exports the head;
``rebaseline(Model, reason=…)`` records fresh row digests after a migration that changed
a tracked model's columns. Queryset ``update()`` and ``bulk_create`` on tracked models
bypass the signals: the rows they change are reported by ``verify`` as changed outside
the application, so services must write through ``save()`` or call ``record`` /
``record_many`` themselves.

For the API: ``ReasonRequired`` is a Django ``ValidationError`` (``error_dict`` has the
field ``reason``); turn it into a 400 with ``rest_framework.exceptions.ValidationError(
exc.message_dict)``. ``models.LedgerImmutable`` is a ``PermissionDenied`` (403).
"""

from __future__ import annotations

import base64
import contextvars
import json
import multiprocessing
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, connections, models, transaction
from django.db.models import Max, Min
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from jiliang.core import ledger

from .models import AuditEntry, LedgerHead

SYSTEM_ACTOR = "system"
CHECKPOINT_FORMAT = "jiliang-audit-checkpoint/1"
BULK_CHUNK = 50_000
READ_BATCH = 900  # below SQLite's 999 bound parameters
ENTRY_COLUMNS = dict(zip(ledger.ENTRY_COLUMNS, (
    "sequence", "timestamp", "actor_user_id", "actor", "action", "object_type", "object_id", "natural_key",
    "old_values", "new_values", "reason", "row_digest", "previous_hash", "entry_hash",
)))
# Model → the field whose change is a ``status_change``, and whether that change needs a reason.
_tracked: dict[type[models.Model], tuple[str | None, bool]] = {}
REASON_REQUIRED_ACTIONS = {"revoke"}
ACTIONS = frozenset(AuditEntry.Action.values)
NATURAL_KEY_FIELDS = ("code", "certificate_number", "number", "credit_code", "username", "name")


class ReasonRequired(ValidationError, ValueError):
    """A write the domain only allows with a reason came without one."""

    def __init__(self, message: str):
        super().__init__({"reason": [message]})


# ---------------------------------------------------------------- context


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    reason: str | None = None
    buffer: list | None = None  # entries held back by a bulk context, appended at its end


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("jiliang_audit_context", default=AuditContext())
_UNSET: Any = object()


@contextmanager
def audit_context(*, actor: Any = _UNSET, reason: Any = _UNSET, bulk: bool = False):
    """Set who is acting and why for every entry written inside the block (nestable: an
    inner block overrides what it sets and inherits the rest).

    With ``bulk=True`` the entries of the block are held in memory and appended together
    (one lock, one multi-row insert) when the block ends without an exception: use it for
    mass saves or deletes through the ORM, *inside* the surrounding ``transaction.atomic()``
    so that the rows and their entries commit together."""
    current = _context.get()
    changes = {}
    if actor is not _UNSET:
        changes["actor"] = actor
    if reason is not _UNSET:
        changes["reason"] = reason
    owns_buffer = bulk and current.buffer is None
    if owns_buffer:
        changes["buffer"] = []
    token = _context.set(replace(current, **changes))
    try:
        yield _context.get()
        if owns_buffer and _context.get().buffer:
            _append(_context.get().buffer)
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get()


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, SYSTEM_ACTOR
    if isinstance(actor, str):
        return None, actor or SYSTEM_ACTOR
    if getattr(actor, "is_anonymous", False):
        return None, "anonymous"
    pk = getattr(actor, "pk", None)
    name = actor.get_username() if hasattr(actor, "get_username") else str(actor)
    return pk, name


# ---------------------------------------------------------------- objects and rows


def object_type_of(model_or_type) -> str:
    if isinstance(model_or_type, str):
        return model_or_type.lower()
    meta = model_or_type._meta
    return f"{meta.app_label}.{meta.model_name}"


def _model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@lru_cache(maxsize=None)
def _columns(model) -> list[str]:
    derived = set(getattr(model, "DERIVED_FIELDS", ()))  # recomputed from audited rows, not audited themselves
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in derived)


@lru_cache(maxsize=None)
def _natural_key_field(model) -> str | None:
    """The column that names a row for people (code, certificate number, …), if any."""
    names = {f.name: f for f in model._meta.concrete_fields}
    for name in NATURAL_KEY_FIELDS:
        f = names.get(name)
        if f is not None and (f.unique or name == "name"):
            return f.attname
    return None


def _natural_key(instance_or_row, model) -> str:
    name = _natural_key_field(model)
    if name is None:
        return ""
    value = instance_or_row.get(name) if isinstance(instance_or_row, Mapping) else getattr(instance_or_row, name, None)
    return "" if value in (None, "") else str(value)[:200]


def read_row(model, pk) -> dict | None:
    """The row as the database holds it (what digests are computed over)."""
    cols = _columns(model)
    values = model._base_manager.filter(pk=pk).values_list(*cols).first()
    return None if values is None else dict(zip(cols, values))


def _read_rows(model, pks: list) -> Iterator[tuple]:
    """Rows for many primary keys: one range scan when the keys are dense, else batches."""
    cols = _columns(model)
    manager = model._base_manager
    pk_name = model._meta.pk.attname
    if not pks:
        return
    ints = all(type(p) is int for p in pks)
    if ints and max(pks) - min(pks) < 2 * len(pks):
        wanted = set(pks)
        rows = manager.filter(pk__gte=min(pks), pk__lte=max(pks)).order_by().values_list(*cols).iterator(chunk_size=20_000)
        pk_pos = cols.index(pk_name)
        yield from (r for r in rows if r[pk_pos] in wanted)
        return
    for start in range(0, len(pks), READ_BATCH):
        yield from manager.filter(pk__in=pks[start:start + READ_BATCH]).order_by().values_list(*cols)


def _pk_values(model, ids: Iterable[str]) -> list:
    to_python = model._meta.pk.to_python
    out = []
    for i in ids:
        try:
            out.append(to_python(i))
        except ValidationError:
            continue
    return out


# ---------------------------------------------------------------- appending


def _check_reason(action: str, object_type: str, reason: str | None) -> None:
    if reason is not None and str(reason).strip():
        return
    if action in REASON_REQUIRED_ACTIONS:
        raise ReasonRequired(f"a {action} of {object_type} needs a reason")
    if action == AuditEntry.Action.STATUS_CHANGE:
        model = _model_of(object_type)
        if model is not None and _tracked.get(model, (None, False))[1]:
            raise ReasonRequired(f"a status change of {object_type} needs a reason")


def _lock_head(cursor) -> tuple[int, str]:
    """Lock the head row and read it: writers queue here, so there is one chain. Raw SQL,
    because it runs for every audited write."""
    table = LedgerHead._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(f'SELECT sequence, entry_hash FROM "{table}" WHERE id = 1{lock}')
    head = cursor.fetchone()
    if head is None:
        if AuditEntry.objects.exists():
            raise ledger.LedgerError("head", "the ledger head record is missing although entries exist: run `jiliang audit verify`")
        LedgerHead.objects.get_or_create(pk=1)
        cursor.execute(f'SELECT sequence, entry_hash FROM "{table}" WHERE id = 1{lock}')
        head = cursor.fetchone()
    return int(head[0]), head[1]


def _write_entries(entries: list[dict]) -> None:
    columns = list(ENTRY_COLUMNS.values())
    if connection.vendor == "sqlite":
        adapt = connection.ops.adapt_datetimefield_value
        timestamps = {id(e["timestamp"]): adapt(e["timestamp"]) for e in entries}
        rows = [tuple(timestamps[id(e["timestamp"])] if c == "timestamp" else e[c] for c in ledger.ENTRY_COLUMNS) for e in entries]
        connection.ensure_connection()
        placeholders = ", ".join("?" * len(columns))
        connection.connection.executemany(
            f'INSERT INTO "{AuditEntry._meta.db_table}" ({", ".join(columns)}) VALUES ({placeholders})', rows)
    elif connection.vendor == "postgresql" and len(entries) > 100:
        from jiliang.registry import bulk

        stamps = {id(e["timestamp"]): e["timestamp"].isoformat() for e in entries}
        values = [[stamps[id(e["timestamp"])] for e in entries] if c == "timestamp" else [e[c] for e in entries]
                  for c in ledger.ENTRY_COLUMNS]
        bulk.write_columns(AuditEntry._meta.db_table, columns, values)
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f'INSERT INTO "{AuditEntry._meta.db_table}" ({", ".join(columns)}) VALUES ({placeholders})',
                               [tuple(e[c] for c in ledger.ENTRY_COLUMNS) for e in entries])


def _append(entries: Iterable[dict], *, chunk: int = BULK_CHUNK) -> tuple[int, int]:
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
            cursor.execute(f'UPDATE "{LedgerHead._meta.db_table}" SET sequence = %s, entry_hash = %s WHERE id = 1',
                           [sequence, previous])
    return first, sequence - first + 1


def _entry(action, object_type, object_id, natural_key, old, new, reason, digest, actor, timestamp) -> dict:
    actor_id, actor_name = actor
    return {
        "timestamp": timestamp, "actor_id": actor_id, "actor": actor_name, "action": str(action),
        "object_type": object_type, "object_id": "" if object_id is None else str(object_id),
        "natural_key": natural_key or "",
        "old": None if old is None else ledger.canonical_json(old),
        "new": None if new is None else ledger.canonical_json(new),
        "reason": reason if reason is None else str(reason), "row_digest": digest,
    }


def record(action: str, obj_or_type, *, actor: Any = _UNSET, old: Any = None, new: Any = None, reason: Any = _UNSET,
           object_id: Any = None, natural_key: str | None = None, _row: Any = _UNSET, _return: bool = True) -> AuditEntry | None:
    """Append one entry. ``obj_or_type`` is a model instance (its type, id, natural key and
    the digest of its current row are taken from it), a model class or an
    ``"app_label.model"`` string. ``actor`` and ``reason`` default to the ``audit_context``.
    Returns the entry (inside a bulk context, not yet numbered)."""
    ctx = _context.get()
    actor = ctx.actor if actor is _UNSET else actor
    reason = ctx.reason if reason is _UNSET else reason
    digest = None
    if isinstance(obj_or_type, models.Model):
        model = type(obj_or_type)
        object_type = object_type_of(model)
        object_id = obj_or_type.pk if object_id is None else object_id
        natural_key = natural_key if natural_key is not None else _natural_key(obj_or_type, model)
        row = (read_row(model, obj_or_type.pk) if obj_or_type.pk is not None else None) if _row is _UNSET else _row
        if row is not None and action != AuditEntry.Action.DELETE:
            digest = ledger.row_digest(row)
    else:
        object_type = object_type_of(obj_or_type)
    if not object_type or len(object_type) > 100:
        raise ledger.LedgerError("object_type", f"must be app_label.model, got {object_type!r}")
    if action not in ACTIONS:
        raise ledger.LedgerError("action", f"must be one of {', '.join(AuditEntry.Action.values)}, got {action!r}")
    _check_reason(action, object_type, reason)
    entry = _entry(action, object_type, object_id, natural_key, old, new, reason, digest, _actor_fields(actor), timezone.now())
    if ctx.buffer is not None:
        ctx.buffer.append(entry)  # numbered when the bulk block ends
    else:
        _append([entry])
    if not _return:
        return None
    saved = AuditEntry(**{ENTRY_COLUMNS[k]: v for k, v in entry.items()})
    saved._state.adding, saved._state.db = ctx.buffer is not None, connection.alias
    return saved


def record_many(action: str, model_or_type, rows: Iterable[Mapping], *, actor: Any = _UNSET, reason: Any = _UNSET,
                read_back: bool = True, chunk: int = BULK_CHUNK) -> int:
    """Append one entry per row of a bulk write, in one transaction, all with one timestamp.

    ``rows`` are mappings of column values including the primary key. For a model with
    ``read_back`` (the default) each row is read back from the database, so the recorded
    new values and the row digest are exactly what was stored; otherwise the given values
    are recorded (and hashed as the row when they name every column). Returns the count."""
    ctx = _context.get()
    actor = _actor_fields(ctx.actor if actor is _UNSET else actor)
    reason = ctx.reason if reason is _UNSET else reason
    object_type = object_type_of(model_or_type)
    model = model_or_type if isinstance(model_or_type, type) else _model_of(object_type)
    if action not in ACTIONS:
        raise ledger.LedgerError("action", f"must be one of {', '.join(AuditEntry.Action.values)}, got {action!r}")
    _check_reason(action, object_type, reason)
    now = timezone.now()
    reason_text = reason if reason is None else str(reason)
    actor_id, actor_name = actor

    def entries() -> Iterator[dict]:
        pending: list[Mapping] = []

        def resolve(batch: list[Mapping]) -> Iterator[dict]:
            if model is None:
                for r in batch:
                    yield _one(r, r.get("id"), ledger.canonical_json(r), None)
                return
            pk_name = model._meta.pk.attname
            cols = _columns(model)
            if read_back:
                ids = [model._meta.pk.to_python(r.get(pk_name, r.get("pk"))) for r in batch]
                stored = {r[cols.index(pk_name)]: dict(zip(cols, r)) for r in _read_rows(model, ids)}
                for pk in ids:
                    row = stored.get(pk)
                    if row is None:
                        raise ledger.LedgerError("rows", f"{object_type} {pk} is not in the database")
                    yield _one(row, pk, *ledger.row_values_and_digest(row))
            else:
                for r in batch:
                    whole = all(c in r for c in cols)
                    yield _one(r, r.get(pk_name, r.get("pk")), ledger.canonical_json(r),
                               ledger.row_digest({c: r[c] for c in cols}) if whole else None)

        def _one(values, pk, new_text, digest) -> dict:
            return {
                "timestamp": now, "actor_id": actor_id, "actor": actor_name, "action": action, "object_type": object_type,
                "object_id": "" if pk is None else str(pk),
                "natural_key": _natural_key(values, model) if model is not None else "",
                "old": None, "new": new_text, "reason": reason_text, "row_digest": digest,
            }

        for r in rows:
            if isinstance(r, models.Model):
                r = {name: getattr(r, name) for name in _columns(type(r))}
            pending.append(r)
            if len(pending) >= chunk:
                yield from resolve(pending)
                pending = []
        if pending:
            yield from resolve(pending)

    _, count = _append(entries(), chunk=chunk)
    return count


def rebaseline(model: type[models.Model], *, actor: Any = _UNSET, reason: str) -> int:
    """Record the current digest of every row of ``model`` (one ``update`` entry per row).

    Row digests cover every column, so a migration that adds or drops a column of a
    tracked model makes every row differ from its digest: run ``verify`` first, migrate,
    then rebaseline with the migration named in ``reason``."""
    if not (reason or "").strip():
        raise ReasonRequired(f"a rebaseline of {object_type_of(model)} needs a reason (the migration)")
    pk = model._meta.pk.attname
    ids = model._base_manager.order_by(pk).values_list(pk, flat=True).iterator(chunk_size=BULK_CHUNK)
    return record_many(AuditEntry.Action.UPDATE, model, ({pk: i} for i in ids), actor=actor, reason=reason)


# ---------------------------------------------------------------- automatic capture


def track(model: type[models.Model], *, status_field: str | None = None, reason_required: bool = False) -> None:
    """Record every ORM create, update and delete of ``model``. A change of
    ``status_field`` is recorded as ``status_change`` and, with ``reason_required``,
    refused without a reason."""
    if status_field is None and any(f.name == "status" for f in model._meta.concrete_fields):
        status_field = "status"
    _tracked[model] = (status_field, reason_required)
    uid = f"jiliang.audit.{object_type_of(model)}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + ".pre_save")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + ".post_save")
    pre_delete.connect(_pre_delete, sender=model, dispatch_uid=uid + ".pre_delete")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + ".post_delete")


def tracked_models() -> list[type[models.Model]]:
    return list(_tracked)


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = read_row(sender, instance.pk) if instance.pk is not None else None
    instance._audit_old_row = old
    status_field, reason_required = _tracked.get(sender, (None, False))
    if old is not None and status_field and reason_required:
        attname = sender._meta.get_field(status_field).attname
        if old[attname] != getattr(instance, attname) and not (_context.get().reason or "").strip():
            raise ReasonRequired(
                f"changing the {status_field} of {object_type_of(sender)} {instance.pk} from {old[attname]!r} to "
                f"{getattr(instance, attname)!r} needs a reason (use audit_context(reason=…))")


def _post_save(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    old_row = getattr(instance, "_audit_old_row", None)
    instance._audit_old_row = None
    new_row = read_row(sender, instance.pk)
    if new_row is None:
        return
    if old_row is None:
        record(AuditEntry.Action.CREATE, instance, old=None, new=new_row, _row=new_row, _return=False)
        return
    changed = [k for k, v in new_row.items() if ledger.jsonable(v) != ledger.jsonable(old_row.get(k))]
    if not changed:
        return
    status_field = _tracked.get(sender, (None, False))[0]
    status_attname = sender._meta.get_field(status_field).attname if status_field else None
    action = AuditEntry.Action.STATUS_CHANGE if status_attname in changed else AuditEntry.Action.UPDATE
    record(action, instance, old={k: old_row[k] for k in changed}, new={k: new_row[k] for k in changed}, _row=new_row,
           _return=False)


def _pre_delete(sender, instance, **kwargs):
    # The collector loaded the instance in this transaction; reading each row again would
    # cost a query per deleted object.
    instance._audit_old_row = {name: getattr(instance, name) for name in _columns(sender)}


def _post_delete(sender, instance, **kwargs):
    old_row = getattr(instance, "_audit_old_row", None)
    record(AuditEntry.Action.DELETE, instance, old=old_row, new=None, _row=None, _return=False)


def track_default_models() -> None:
    """Called from the app config: the registry's models, and any listed in the setting
    ``JILIANG_AUDIT_APPS``."""
    from django.conf import settings

    for label in getattr(settings, "JILIANG_AUDIT_APPS", ["registry"]):
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.auto_created:
                continue
            reason = object_type_of(model) in getattr(settings, "JILIANG_AUDIT_REASON_REQUIRED", ["registry.measurementstandard"])
            track(model, reason_required=reason)


# ---------------------------------------------------------------- verifying


@dataclass
class VerifyReport:
    entries: int
    head: dict
    findings: list[ledger.Finding] = field(default_factory=list)
    rows_checked: int = 0
    unchecked_types: list[str] = field(default_factory=list)
    checkpoint: dict | None = None
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return not self.findings

    def to_json(self) -> dict:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "rows_checked": self.rows_checked,
            "head": self.head,
            "checkpoint": self.checkpoint,
            "findings": [f.to_json() for f in self.findings],
            "unchecked_types": self.unchecked_types,
            "seconds": round(self.seconds, 3),
        }


def _entry_rows(chunk_size: int, first: int | None = None, last: int | None = None):
    """Entries as tuples in ``ledger.ENTRY_COLUMNS`` order, streamed in sequence order."""
    columns = list(ENTRY_COLUMNS.values())
    queryset = AuditEntry.objects.order_by("sequence")
    if first is not None:
        queryset = queryset.filter(sequence__gte=first, sequence__lte=last)
    if connection.vendor == "sqlite":
        # The stored UTC text as it is: parsing it into a datetime only to print it back
        # would be most of the walk's time.
        queryset = queryset.annotate(timestamp_text=Cast("timestamp", models.TextField()))
        columns[1] = "timestamp_text"
    return queryset.values_list(*columns).iterator(chunk_size=chunk_size)


def _walk_range(task: tuple) -> ledger.ChainWalker:
    first, last, track, chunk_size = task
    walker = ledger.ChainWalker(previous_hash=None, previous_sequence=None, track_objects=track)
    walker.feed(_entry_rows(chunk_size, first, last))
    return walker


# What forked row checkers read: set before the fork, so the children share the parent's
# memory instead of receiving 10^6 digests through a pipe.
_shared_latest: dict[str, dict[str, str | None]] = {}
_shared_keys: dict[str, list[str]] = {}


def _check_rows_part(task: tuple) -> tuple[list[ledger.Finding], int]:
    """Compare the live rows of one model (all its tracked objects, or the slice
    ``start:stop`` of its sorted keys) with the digests their latest entries recorded."""
    object_type, start, stop = task
    latest = _shared_latest[object_type]
    if start is not None:
        latest = {k: latest[k] for k in _shared_keys[object_type][start:stop]}
    model = _model_of(object_type)
    cols = _columns(model)
    pk_pos = cols.index(model._meta.pk.attname)
    findings: list[ledger.Finding] = []
    seen = set()
    digest = ledger.row_digest
    for values in _read_rows(model, _pk_values(model, latest)):
        key = str(values[pk_pos])
        seen.add(key)
        expected = latest.get(key)
        if expected is None:
            findings.append(ledger.Finding(
                "row_restored", f"{object_type} {key}: exists although the ledger records its deletion", None, object_type, key))
        elif digest(dict(zip(cols, values))) != expected:
            findings.append(ledger.Finding(
                "row_changed", f"{object_type} {key}: row changed outside the application (digest mismatch)", None, object_type, key))
    for key, expected in latest.items():
        if expected is not None and key not in seen:
            findings.append(ledger.Finding(
                "row_deleted", f"{object_type} {key}: row deleted outside the application", None, object_type, key))
    return findings, len(seen)


PARALLEL_MIN_ENTRIES = 200_000


def _read_head() -> tuple[int, str] | None:
    return LedgerHead.objects.filter(pk=1).values_list("sequence", "entry_hash").first()


def _not_written_since(findings: list[ledger.Finding], sequence: int) -> list[ledger.Finding]:
    """Drop row findings for objects the application wrote after the walk read the chain
    (their newer entries are checked by the next verify)."""
    return [f for f in findings
            if not AuditEntry.objects.filter(object_type=f.object_type, object_id=f.object_id, sequence__gt=sequence).exists()]


def _parallel_workers(requested: int | None, entries: int) -> int:
    """Worker processes for verify: forked, so only for a large ledger in a database the
    children can open (not an in-memory one) and outside a transaction they could not see."""
    from django.conf import settings

    # One process by default: on a machine shared with the web server, forking a second
    # one did not pay off in the benchmark (benchmarks/bench_audit.py).
    wanted = requested if requested is not None else getattr(settings, "JILIANG_AUDIT_VERIFY_WORKERS", 1)
    if (wanted <= 1 or entries < PARALLEL_MIN_ENTRIES or "fork" not in multiprocessing.get_all_start_methods()
            or connection.in_atomic_block or (connection.vendor == "sqlite" and connection.is_in_memory_db())):
        return 1
    return wanted


def _map(function, tasks: list, workers: int) -> list:
    if workers <= 1 or len(tasks) <= 1:
        return [function(task) for task in tasks]
    connections.close_all()  # each child opens its own connection
    with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
        return pool.map(function, tasks, chunksize=1)


def _row_tasks(walker: ledger.ChainWalker, report: VerifyReport, workers: int) -> list[tuple]:
    tasks = []
    for object_type, latest in walker.latest.items():
        model = _model_of(object_type)
        if model is None:
            report.unchecked_types.append(object_type)
            continue
        _shared_latest[object_type] = latest
        if workers <= 1 or len(latest) < PARALLEL_MIN_ENTRIES // 4:
            tasks.append((object_type, None, None))
            continue
        _shared_keys[object_type] = sorted(latest, key=lambda k: (len(k), k))  # numeric ids in order: a range per slice
        size = -(-len(latest) // workers)
        tasks.extend((object_type, i, i + size) for i in range(0, len(latest), size))
    return tasks


def verify(*, checkpoint: Mapping | None = None, public_key_pem: bytes | None = None, check_rows: bool = True,
           chunk_size: int = 20_000, workers: int | None = None) -> VerifyReport:
    """Walk the whole chain in sequence order (streamed in chunks), compare its end with
    the recorded head, check each object's latest row digest against the live row, and
    optionally check a checkpoint. Reads only; a report with no findings means intact.

    With ``workers`` > 1 (default: the setting ``JILIANG_AUDIT_VERIFY_WORKERS``, else 1) a
    large ledger is walked as consecutive sequence ranges by forked processes, whose walks
    are joined with their boundary links checked (``ledger.merge_walks``)."""
    started = time.perf_counter()
    head_before = _read_head()
    bounds = AuditEntry.objects.aggregate(first=Min("sequence"), last=Max("sequence"))
    first, last = bounds["first"] or 1, bounds["last"] or 0
    n = _parallel_workers(workers, last - first + 1)
    step = -(-(last - first + 1) // n) if last >= first else 1
    ranges = [(lo, min(lo + step - 1, last), check_rows, chunk_size) for lo in range(first, last + 1, step)] or [(1, 0, check_rows, chunk_size)]
    walker = ledger.merge_walks(_map(_walk_range, ranges, n))
    head_after = _read_head()
    end = walker.previous_sequence or 0
    # Writers keep appending while verify runs: a chain that ends between the head seen
    # before and the head seen after is whole up to where it was read.
    if not (head_after and (head_before[0] if head_before else 0) <= end < head_after[0]):
        walker.check_head(*(head_after or (None, None)))
    report = VerifyReport(
        entries=walker.count,
        head={"sequence": walker.previous_sequence, "entry_hash": walker.previous_hash, "timestamp": walker.head_timestamp},
        findings=walker.findings,
    )
    if check_rows:
        try:
            row_findings = []
            for findings, checked in _map(_check_rows_part, _row_tasks(walker, report, n), n):
                row_findings.extend(findings)
                report.rows_checked += checked
            if row_findings and _read_head() != head_before:  # only when someone wrote meanwhile
                row_findings = _not_written_since(row_findings, end)
            report.findings.extend(row_findings)
        finally:
            _shared_latest.clear()
            _shared_keys.clear()
    if checkpoint is not None:
        report.checkpoint = _check_checkpoint(checkpoint, public_key_pem, report)
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------- checkpoints


def _signed_bytes(checkpoint: Mapping) -> bytes:
    return ledger.canonical_json({k: v for k, v in checkpoint.items() if k != "signature"}).encode("utf-8")


def _sign(payload: bytes, key_pem: bytes) -> dict:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ledger.LedgerError("key", f"not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm, value = "Ed25519", key.sign(payload)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm, value = "ECDSA-SHA256", key.sign(payload, ec.ECDSA(hashes.SHA256()))
    else:
        raise ledger.LedgerError("key", f"must be an Ed25519 or ECDSA private key, got {type(key).__name__}")
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"algorithm": algorithm, "public_key": public.decode("ascii"), "value": base64.b64encode(value).decode("ascii")}


def verify_signature(checkpoint: Mapping, public_key_pem: bytes | None = None) -> str | None:
    """None when the signature verifies (against ``public_key_pem`` if given, else the
    embedded key), else the reason it does not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    signature = checkpoint.get("signature")
    if not signature:
        return "the checkpoint is not signed"
    try:
        key = serialization.load_pem_public_key(public_key_pem or signature["public_key"].encode("ascii"))
        value = base64.b64decode(signature["value"], validate=True)
        payload = _signed_bytes(checkpoint)
        if signature.get("algorithm") == "Ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(value, payload)
        elif signature.get("algorithm") == "ECDSA-SHA256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, payload, ec.ECDSA(hashes.SHA256()))
        else:
            return f"algorithm {signature.get('algorithm')!r} does not match the key"
    except InvalidSignature:
        return "the signature does not verify (checkpoint altered, or signed with another key)"
    except (KeyError, ValueError, TypeError) as exc:
        return f"malformed signature ({exc})"
    return None


def make_checkpoint(key_pem: bytes | None = None, *, actor: Any = "cli:audit checkpoint") -> dict:
    """Append a ``checkpoint`` entry and export the head it makes (sequence, hash,
    timestamp, entry count), signed with an Ed25519 or ECDSA private key if one is given."""
    with transaction.atomic():
        head = LedgerHead.objects.filter(pk=1).values_list("sequence", "entry_hash").first() or (0, ledger.GENESIS)
        entry = record(AuditEntry.Action.CHECKPOINT, "audit.ledger", actor=actor, reason=None,
                       new={"covers_sequence": head[0], "covers_hash": head[1]})
        count = AuditEntry.objects.filter(sequence__lte=entry.sequence).count()
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "sequence": entry.sequence,
        "entry_hash": entry.entry_hash,
        "timestamp": ledger.iso_timestamp(entry.timestamp),
        "entry_count": count,
        "created_at": ledger.iso_timestamp(timezone.now()),
    }
    if key_pem:
        checkpoint["signature"] = _sign(_signed_bytes(checkpoint), key_pem)
    return checkpoint


def _check_checkpoint(checkpoint: Mapping, public_key_pem: bytes | None, report: VerifyReport) -> dict:
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ledger.LedgerError("checkpoint", f"format must be {CHECKPOINT_FORMAT!r}, got {checkpoint.get('format')!r}")
    try:
        sequence = int(checkpoint["sequence"])
        expected_hash = str(checkpoint["entry_hash"])
        expected_count = int(checkpoint["entry_count"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ledger.LedgerError("checkpoint", f"needs sequence, entry_hash and entry_count ({exc})") from None
    result = {"sequence": sequence, "entry_hash": expected_hash, "signed": "signature" in checkpoint, "contained": False}
    if "signature" in checkpoint or public_key_pem:
        problem = verify_signature(checkpoint, public_key_pem)
        result["signature_valid"] = problem is None
        if problem:
            report.findings.append(ledger.Finding("checkpoint_signature_invalid", f"checkpoint {sequence}: {problem}", sequence))
    stored = AuditEntry.objects.filter(sequence=sequence).values_list("entry_hash", flat=True).first()
    count = AuditEntry.objects.filter(sequence__lte=sequence).count()
    if stored is None:
        report.findings.append(ledger.Finding("checkpoint_mismatch", f"checkpoint {sequence}: the entry is no longer in the ledger", sequence))
    elif stored != expected_hash:
        report.findings.append(ledger.Finding(
            "checkpoint_mismatch", f"checkpoint {sequence}: the ledger's entry has another hash (history rewritten)", sequence))
    elif count != expected_count:
        report.findings.append(ledger.Finding(
            "checkpoint_mismatch", f"checkpoint {sequence}: {count} entries up to it, the checkpoint counted {expected_count}", sequence))
    else:
        result["contained"] = True
    return result


def load_checkpoint(path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ledger.LedgerError("checkpoint", f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ledger.LedgerError("checkpoint", f"{path} must hold a JSON object")
    return data
