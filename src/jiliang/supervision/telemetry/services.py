"""Use cases of the telemetry app, one transaction each: register a device (issuing its
key), route an alert to its region's administrator, the alert workflow — take, record
findings, close or open a case — with the credit signal each outcome feeds to the owner,
and the periodic sweep of the rules that judge the absence of messages or the registry
rather than a message (silence, service life)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang.accounts.models import Membership
from jiliang.core.detectors import fleet, utility
from jiliang.registry.models import Instrument, Region

from .models import Alert, CreditSignal, Device, new_device_key
from .pipeline import CREDIT_WEIGHTS, create_alerts


class WorkflowError(ValueError):
    """An alert action not allowed in the alert's state; names the field and the reason."""

    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(f"{field}: {reason}")


KIND_OF_CATALOG = {
    "48-08.1": "sale",
    "48-04.1": "trip",
    "48-14.1": "session",
    "48-10.1a": "reading",
    "48-11.1a": "reading",
    "48-13.1a": "reading",
    "48-05.1": "scale",
}


@transaction.atomic
def register_device(
    instrument: Instrument, *, code: str | None = None, protocol: str = Device.Protocol.MQTT, kind: str | None = None, **facts
) -> Device:
    """Register a smart instrument's telemetry end and issue its key (``device.key``, hex,
    to be loaded into the device once)."""
    if kind is None:
        catalog = instrument.catalog_item.code if instrument.catalog_item_id else ""
        kind = KIND_OF_CATALOG.get(catalog)
        if kind is None:
            raise WorkflowError(
                "kind",
                _("计量器具 %(instrument)s 的目录项 %(catalog)s 没有对应的远程监测类型")
                % {"instrument": instrument.code, "catalog": catalog or _("（无）")},
            )
    return Device.objects.create(
        instrument=instrument, code=code or f"D{instrument.pk:09d}", protocol=protocol, kind=kind, **facts
    )


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
    then province) that has any."""
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
        raise WorkflowError("status", _("只有待处理的预警可以受理，此预警%(status)s") % {"status": alert.get_status_display()})
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
        raise WorkflowError("status", _("请先受理预警再办结，此预警%(status)s") % {"status": alert.get_status_display()})
    if alert.assignee_id != getattr(user, "pk", None):
        raise WorkflowError("assignee", _("只有受理该预警的检查人员可以办结"))
    if not findings.strip():
        raise WorkflowError("findings", _("请填写现场检查情况"))
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


SILENCE_FACTOR = 3.0


@transaction.atomic
def sweep(now: dt.datetime | None = None) -> dict:
    """Run the periodic rules over all active devices and open an alert for each device
    newly breaking one (an open alert of the same rule is left as it is):

    - ``any.silence``: no message for more than 3 expected reporting intervals (a device
      never heard from counts from its registration);
    - ``utility.past_service_life``: the instrument's catalog item has a service life
      (water 6, gas 10, electricity 8 years in the reference catalog) and it was installed
      longer ago than that.

    The worker runs this every ``--sweep-interval`` seconds; ``jiliang ingest --sweep`` once.
    Returns the number of alerts opened per rule."""
    import numpy as np

    now = now or timezone.now()
    rows = list(
        Device.objects.filter(active=True).values_list(
            "id",
            "last_seen",
            "registered_at",
            "expected_interval_s",
            "instrument_id",
            "instrument__region_id",
            "instrument__owner_id",
            "instrument__installed_on",
            "instrument__catalog_item__service_life_years",
        )
    )
    if not rows:
        return {}
    last = np.array([(r[1] or r[2]).timestamp() for r in rows])
    silent = fleet.silence(last, np.array([r[3] for r in rows]), now.timestamp(), factor=SILENCE_FACTOR)
    drafts = [
        (
            rows[i],
            silent,
            float(silent.score[i]),
            {"last_seen": rows[i][1].isoformat() if rows[i][1] else None, "expected_interval_s": rows[i][3]},
        )
        for i in silent.indices
    ]
    aged = [r for r in rows if r[7] is not None and r[8]]
    if aged:
        life = utility.past_service_life([r[7].toordinal() for r in aged], now.date().toordinal(), [r[8] for r in aged])
        drafts += [
            (aged[j], life, float(life.score[j]), {"installed_on": aged[j][7].isoformat(), "service_life_years": aged[j][8]})
            for j in life.indices
        ]
    if not drafts:
        return {}
    open_keys = set(
        Alert.objects.filter(
            device_id__in=[d[0][0] for d in drafts], status__in=[Alert.Status.NEW, Alert.Status.TAKEN]
        ).values_list("device_id", "rule")
    )
    new = [
        Alert(
            instrument_id=row[4],
            device_id=row[0],
            region_id=row[5],
            owner_id=row[6],
            rule=detection.rule,
            severity=detection.severity,
            message_ts=row[1],
            evidence={
                "rule": detection.rule,
                "limit": detection.limit,
                "swept_at": now.isoformat(),
                "score": round(score, 3) if np.isfinite(score) else None,
                **facts,
            },
        )
        for row, detection, score, facts in drafts
        if (row[0], detection.rule) not in open_keys
    ]
    if new:
        create_alerts(new)
    counts: dict[str, int] = {}
    for a in new:
        counts[a.rule] = counts.get(a.rule, 0) + 1
    return counts
