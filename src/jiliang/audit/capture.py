"""Automatic capture: every ORM create, update and delete of a tracked model is an entry."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from jiliang.core import ledger

from . import tracked
from .context import current_context
from .models import AuditEntry
from .recording import ReasonRequired, record
from .rows import columns, object_type_of, read_row


def track(model: type[models.Model], *, status_field: str | None = None, reason_required: bool = False) -> None:
    """Record every ORM create, update and delete of ``model``. A change of
    ``status_field`` is recorded as ``status_change`` and, with ``reason_required``,
    refused without a reason."""
    if status_field is None and any(f.name == "status" for f in model._meta.concrete_fields):
        status_field = "status"
    tracked.TRACKED[model] = (status_field, reason_required)
    uid = f"jiliang.audit.{object_type_of(model)}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + ".pre_save")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + ".post_save")
    pre_delete.connect(_pre_delete, sender=model, dispatch_uid=uid + ".pre_delete")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + ".post_delete")


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = read_row(sender, instance.pk) if instance.pk is not None else None
    instance._audit_old_row = old
    status_field, reason_required = tracked.TRACKED.get(sender, (None, False))
    if old is not None and status_field and reason_required:
        attname = sender._meta.get_field(status_field).attname
        if old[attname] != getattr(instance, attname) and not (current_context().reason or "").strip():
            raise ReasonRequired(
                f"changing the {status_field} of {object_type_of(sender)} {instance.pk} from {old[attname]!r} to "
                f"{getattr(instance, attname)!r} needs a reason (use audit_context(reason=…))"
            )


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
    status_field = tracked.status_field(sender)
    status_attname = sender._meta.get_field(status_field).attname if status_field else None
    action = AuditEntry.Action.STATUS_CHANGE if status_attname in changed else AuditEntry.Action.UPDATE
    record(
        action, instance, old={k: old_row[k] for k in changed}, new={k: new_row[k] for k in changed}, _row=new_row, _return=False
    )


def _pre_delete(sender, instance, **kwargs):
    # The collector loaded the instance in this transaction; reading each row again would
    # cost a query per deleted object.
    instance._audit_old_row = {name: getattr(instance, name) for name in columns(sender)}


def _post_delete(sender, instance, **kwargs):
    old_row = getattr(instance, "_audit_old_row", None)
    record(AuditEntry.Action.DELETE, instance, old=old_row, new=None, _row=None, _return=False)


def track_default_models() -> None:
    """Called from the app config: the models of the apps listed in the setting
    ``JILIANG_AUDIT_APPS`` (by label: the ledger knows no app of its own accord)."""
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
