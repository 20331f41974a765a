"""Use cases of the telemetry app, one transaction each: register a device (issuing its
key), route an alert to its region's administrator, and the alert workflow — take, record
findings, close or open a case — with the credit signal each outcome feeds to the owner."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from jiliang.registry.models import Instrument, Region

from .models import Alert, CreditSignal, Device, new_device_key
from .pipeline import CREDIT_WEIGHTS


class WorkflowError(ValueError):
    """An alert action not allowed in the alert's state; names the field and the reason."""

    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(f"{field}: {reason}")


KIND_OF_CATALOG = {"A02": "sale", "A01": "trip", "A05": "session", "A11": "reading", "A12": "reading", "A13": "reading", "A07": "scale"}


@transaction.atomic
def register_device(instrument: Instrument, *, code: str | None = None, protocol: str = Device.Protocol.MQTT,
                    kind: str | None = None, **facts) -> Device:
    """Register a smart instrument's telemetry end and issue its key (``device.key``, hex,
    to be loaded into the device once)."""
    if kind is None:
        catalog = instrument.catalog_item.code if instrument.catalog_item_id else ""
        kind = KIND_OF_CATALOG.get(catalog)
        if kind is None:
            raise WorkflowError("kind", f"instrument {instrument.code} has no telemetry kind for catalog item {catalog or '(none)'}")
    return Device.objects.create(instrument=instrument, code=code or f"D{instrument.pk:09d}", protocol=protocol, kind=kind, **facts)


@transaction.atomic
def rotate_key(device: Device) -> str:
    device.key = new_device_key()
    device.save(update_fields=["key"])
    return device.key


def region_prefix(code: str) -> str:
    """GB/T 2260 code → the prefix its sub-regions share: 330000 → 33, 330100 → 3301."""
    trimmed = code
    while trimmed.endswith("00") and len(trimmed) > 2:
        trimmed = trimmed[:-2]
    return trimmed


def alerts_in_region(region: Region):
    """Alerts routed to ``region``'s administrator: its own and those of its sub-regions."""
    return Alert.objects.filter(region__code__startswith=region_prefix(region.code))


def administrators_for(alert: Alert):
    """The administrators an alert goes to: those of the nearest region (county, then city,
    then province) that has any. Empty if the accounts app has none."""
    try:
        from jiliang.accounts.models import Membership
    except ImportError:
        return []
    code = alert.region.code
    candidates = [code[:n].ljust(6, "0") for n in (6, 4, 2)]
    for candidate in dict.fromkeys(candidates):
        users = [m.user for m in Membership.objects.filter(role="region_admin", region__code=candidate).select_related("user")]
        if users:
            return users
    return []


def _lock(alert_id: int) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert_id)


@transaction.atomic
def take(alert_id: int, user) -> Alert:
    alert = _lock(alert_id)
    if alert.status != Alert.Status.NEW:
        raise WorkflowError("status", f"only a new alert can be taken; this one is {alert.status}")
    alert.status, alert.assignee = Alert.Status.TAKEN, user
    alert.save(update_fields=["status", "assignee", "updated_at"])
    return alert


@transaction.atomic
def close(alert_id: int, user, *, findings: str, confirmed: bool) -> Alert:
    """Close after the visit: ``confirmed`` when the inspector found the instrument at
    fault (the owner's credit takes the weight of a confirmed alert), else dismissed."""
    return _finish(alert_id, user, findings, Alert.Status.CLOSED, "confirmed" if confirmed else "dismissed")


@transaction.atomic
def open_case(alert_id: int, user, *, findings: str) -> Alert:
    """Escalate to a case (立案) for enforcement."""
    return _finish(alert_id, user, findings, Alert.Status.CASE, "case")


def _finish(alert_id, user, findings, status, outcome) -> Alert:
    alert = _lock(alert_id)
    if alert.status != Alert.Status.TAKEN:
        raise WorkflowError("status", f"take the alert before closing it; it is {alert.status}")
    if alert.assignee_id != getattr(user, "pk", None):
        raise WorkflowError("assignee", "only the inspector who took the alert can close it")
    if not findings.strip():
        raise WorkflowError("findings", "record what the visit found")
    alert.status, alert.findings, alert.closed_at = status, findings.strip(), timezone.now()
    alert.save(update_fields=["status", "findings", "closed_at", "updated_at"])
    CreditSignal.objects.create(owner_id=alert.owner_id, alert=alert, outcome=outcome, weight=CREDIT_WEIGHTS[outcome])
    return alert


def credit_summary(owner_id: int, since: dt.datetime | None = None) -> dict:
    """Counts and summed weight of the owner's alert outcomes (for the credit grade)."""
    from django.db.models import Count, Sum

    qs = CreditSignal.objects.filter(owner_id=owner_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = qs.values("outcome").annotate(n=Count("id"), weight=Sum("weight"))
    counts = {r["outcome"]: r["n"] for r in rows}
    return {"counts": counts, "score": round(sum(r["weight"] for r in rows), 6)}
