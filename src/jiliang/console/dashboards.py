"""What each role's dashboard shows, read in bulk: every panel is a bounded number of
queries whatever the size of the province (counts, GROUP BYs and the first rows).

- administrator (and auditor, read-only; a superuser for the whole country): coverage of
  its region against the target with a chart by sub-region, the due and overdue counts,
  standard approvals expiring, open telemetry alerts, registrations waiting for review,
  recent comparisons;
- institution staff: its standards with their approval dates and the calibrations of their
  devices coming due, verifications assigned to it, certificates issued by month;
- enterprise user: its instruments and what is due.

The coverage ledger and the due list are the verification app's own use cases
(``jiliang.verification.services``); the dashboard only chooses the scope and draws.
Both read every mandatory instrument of the region (the due date of each follows from its
latest verification), which takes a second or more for a province of 10^5 instruments:
their figures are kept in the cache for ``PANEL_SECONDS`` (the panel says when they were
computed), and a page whose figures are not in the cache is sent at once with those
panels filled in by htmx as they are computed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang import charts
from jiliang.checks.services import unanswered_alerts
from jiliang.comparisons import visibility
from jiliang.comparisons.models import Comparison
from jiliang.credit.services import summary as credit_summary
from jiliang.messages import enumeration
from jiliang.policies import AUDITOR, NATIONAL, REGION_ADMIN, Actor
from jiliang.portal.services import open_complaints_count
from jiliang.registry import models as reg
from jiliang.registry import validity
from jiliang.supervision.telemetry.models import Alert
from jiliang.verification import coverage, scheduling
from jiliang.verification import services as verification
from jiliang.verification.coverage import mandatory_in_use
from jiliang.verification.models import Registration
from jiliang.verification.scheduling import with_due_dates

EXPIRY_DAYS = 90  # qualifications: renewed ahead (standards: the 复查 months of registry.models.reexamination_horizon)
DEVICE_DUE_DAYS = 60  # a standard's device must be recalibrated before its certificate lapses
DUE_DAYS_CHOICES = (0, 30, 60, 90)
DEFAULT_DUE_DAYS = 30
MONTHS = 12
LIST_ROWS = 10
PANEL_SECONDS = 300


def cached(key: str, compute, *, compute_missing: bool = True):
    """The cached value of ``key``; computed and kept when missing, unless told not to
    (then None: the caller sends a placeholder that htmx fills)."""
    value = cache.get(key)
    if value is None and compute_missing:
        value = compute()
        cache.set(key, value, PANEL_SECONDS)
    return value


def panel_key(name: str, *parts) -> str:
    return ":".join(["jiliang:console", name, timezone.localdate().isoformat(), *(str(p) for p in parts)])


@dataclass
class RegionScope:
    """What an administrator, auditor or national administrator oversees."""

    region: reg.Region | None  # None: the whole country
    read_only: bool = False

    @property
    def code(self) -> str | None:
        return self.region.code if self.region is not None else None

    @property
    def prefix(self) -> str:
        return self.region.descendant_codes_prefix() if self.region is not None else ""

    @property
    def child_level(self) -> str | None:
        if self.region is None:
            return reg.Region.Level.PROVINCE
        return {reg.Region.Level.PROVINCE: reg.Region.Level.CITY, reg.Region.Level.CITY: reg.Region.Level.COUNTY}.get(
            self.region.level
        )


def region_scope(actor: Actor, user) -> RegionScope | None:
    if actor.kind == NATIONAL:
        return RegionScope(None)
    if actor.kind in (REGION_ADMIN, AUDITOR):
        return RegionScope(user.membership.region, read_only=actor.kind == AUDITOR)
    return None


def parse_days(raw: str | None, default: int = DEFAULT_DUE_DAYS) -> int:
    """The due horizon in days from a query parameter; a ValueError names the field."""
    if raw in (None, ""):
        return default
    try:
        days = int(raw)
    except ValueError:
        raise ValueError("days: " + _("须为整数天数（输入值 %(got)s）") % {"got": repr(raw)}) from None
    if not 0 <= days <= 366:
        raise ValueError("days: " + _("须在 0 到 366 之间（输入值 %(got)s）") % {"got": days})
    return days


def months_back(today: dt.date, count: int = MONTHS) -> list[dt.date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    out = []
    for back in range(count - 1, -1, -1):
        y, m = divmod(today.year * 12 + today.month - 1 - back, 12)
        out.append(dt.date(y, m + 1, 1))
    return out


# ---------------------------------------------------------------------------- administrator


@dataclass
class CoveragePanel:
    """The two figures of the plans (jiliang.verification.coverage): the big one is 省级以下
    (each city and county by its own standards, the figure with the target), beside it 省域."""

    target: float
    rate: float | None  # 省级以下
    items_in_use: int
    items_covered: int
    children: list = field(default_factory=list)  # RegionCoverage of the sub-regions
    below_target: int = 0
    gaps: list = field(default_factory=list)
    gap_count: int = 0
    computed_at: dt.datetime | None = None
    provincewide_rate: float | None = None  # 省域
    definitions: dict = field(default_factory=dict)


def coverage_figures(scope: RegionScope) -> CoveragePanel:
    ledger = verification.build_ledger(region_code=scope.code)
    rows = [ledger.region(scope.code)] if scope.region is not None else [r for r in ledger.regions if r.level == "province"]
    in_use, covered = sum(r.below_province_in_use for r in rows), sum(r.below_province_covered for r in rows)
    wide_in_use, wide_covered = sum(r.items_in_use for r in rows), sum(r.items_covered for r in rows)
    children = []
    if scope.child_level is not None:
        children = [
            r for r in ledger.regions if r.level == scope.child_level and r.code.startswith(scope.prefix) and r.rollup_in_use
        ]
    return CoveragePanel(
        ledger.target,
        covered / in_use if in_use else None,
        in_use,
        covered,
        children,
        sum(1 for r in children if r.below_province_rate is not None and r.below_province_rate < ledger.target),
        ledger.gaps[:LIST_ROWS],
        len(ledger.gaps),
        timezone.now(),
        wide_covered / wide_in_use if wide_in_use else None,
        {"rate": str(coverage.PROVINCEWIDE_DEFINITION), "below_province_rate": str(coverage.BELOW_PROVINCE_DEFINITION)},
    )


def coverage_panel(scope: RegionScope, *, compute_missing: bool = True) -> dict | None:
    """The coverage figures of the scope (cached) with their chart drawn in the page's language."""
    figures = cached(panel_key("coverage", scope.code), lambda: coverage_figures(scope), compute_missing=compute_missing)
    if figures is None:
        return None
    target_pct = 100 * figures.target
    if figures.children:
        chart = charts.bar_chart(
            [r.name for r in figures.children],
            [None if r.below_province_rate is None else 100 * r.below_province_rate for r in figures.children],
            target=target_pct,
            unit="%",
            max_value=100,
            title=_("各下级地区强检项目建标覆盖率"),
        )
    elif figures.rate is not None:
        chart = charts.bar_chart(
            [scope.region.name if scope.region else _("全国")],
            [100 * figures.rate],
            target=target_pct,
            unit="%",
            max_value=100,
            title=_("强检项目建标覆盖率"),
        )
    else:
        chart = ""
    return {"figures": figures, "chart": chart}


def expiring_standards(today: dt.date, *, prefix: str | None = None, holder_id: int | None = None):
    """Active standards due for their re-examination (复查) application: the certificate lapses
    within JILIANG_STANDARD_REEXAMINATION_MONTHS (6 months, 计量标准考核办法 第十六条; JJF 1033-2023),
    or has lapsed while the standard is still listed as active: (count, first rows)."""
    qs = reg.MeasurementStandard.objects.filter(
        status=reg.MeasurementStandard.Status.ACTIVE, valid_until__lte=reg.reexamination_horizon(today)
    )
    if prefix is not None:
        qs = qs.filter(holder__region__code__startswith=prefix)
    if holder_id is not None:
        qs = qs.filter(holder_id=holder_id)
    rows = list(qs.select_related("holder").order_by("valid_until", "id")[:LIST_ROWS])
    count = len(rows) if len(rows) < LIST_ROWS else qs.count()
    return count, rows


def open_alerts(prefix: str, limit: int = 5):

    qs = Alert.objects.filter(region__code__startswith=prefix, status__in=[Alert.Status.NEW, Alert.Status.TAKEN])
    rows = list(qs.select_related("instrument", "region").order_by("-created_at", "-id")[:limit])
    by_severity = dict(qs.values_list("severity").annotate(n=Count("id")).order_by())
    return {"count": sum(by_severity.values()), "high": by_severity.get(Alert.Severity.HIGH, 0), "rows": rows}


def open_complaints(actor: Actor) -> int | None:
    """Open complaints in the actor's queue."""
    return open_complaints_count(actor)


def recent_comparisons(user, limit: int = 5):

    qs = visibility.comparisons(visibility.Viewer.of(user), Comparison.objects.select_related("pilot"))
    return list(qs.order_by("-id")[:limit])


def due_summary(*, days: int, region_code: str | None = None, owner_id: int | None = None, limit: int = LIST_ROWS):
    return verification.due_list(days=days, region_code=region_code, owner_id=owner_id, limit=limit)


def region_due(scope: RegionScope, days: int, *, compute_missing: bool = True):
    """The due summary of an administrator's region (cached: a province's takes seconds)."""

    def compute():
        summary = due_summary(days=days, region_code=scope.code)
        summary.computed_at = timezone.now()
        return summary

    return cached(panel_key("due", scope.code, days), compute, compute_missing=compute_missing)


DUE_KINDS = ("all", "overdue", "due", "replacement")


def due_rows(
    *, days: int, region_code: str | None = None, owner_id: int | None = None, kind: str = "all", limit: int = 200
) -> dict:
    """The due list page: counts by kind and by region, and the ``limit`` most urgent
    instruments of one kind (overdue first). A region's due dates are cached like the
    dashboard's; an owner's few are read each time."""
    if kind not in DUE_KINDS:
        raise ValueError(
            "kind: " + _("须为 %(options)s 之一（输入值 %(got)s）") % {"options": enumeration(DUE_KINDS), "got": repr(kind)}
        )
    as_of = timezone.localdate()

    def compute():
        return scheduling.due_arrays(as_of, days, region_code, owner_id)

    arrays = compute() if owner_id is not None else cached(panel_key("due-arrays", region_code, days), compute)
    overdue = arrays.overdue
    replacement = arrays.replacement & ~overdue
    due = ~overdue & ~replacement
    kinds = np.where(overdue, "overdue", np.where(replacement, "replacement", "due"))
    mask = np.ones(arrays.ids.size, dtype=bool) if kind == "all" else kinds == kind
    picked = np.flatnonzero(mask)
    picked = picked[np.argsort(arrays.days_left[picked], kind="stable")][:limit]
    ids = arrays.ids[picked].tolist()
    details = {
        row["id"]: row
        for row in reg.Instrument.objects.filter(id__in=ids).values(
            "id", "code", "name", "catalog_item__code", "owner__name", "region__name"
        )
    }
    # One reverse for every row (a page lists hundreds): the URL with the id put in.
    url = reverse("registry:instrument", args=[999_999_999]).replace("999999999", "{}")
    rows = []
    for k in picked.tolist():
        left = int(arrays.days_left[k])
        rows.append(
            {
                **details[int(arrays.ids[k])],
                "url": url.format(int(arrays.ids[k])),
                "due_on": str(arrays.due_on[k]),
                "days_left": left,
                "days_late": max(0, -left),
                "kind": str(kinds[k]),
            }
        )
    regions = {
        rid: (code, name)
        for rid, code, name in reg.Region.objects.filter(id__in=np.unique(arrays.region_ids).tolist()).values_list(
            "id", "code", "name"
        )
    }
    by_region = []
    if arrays.ids.size:
        uniq, inverse = np.unique(arrays.region_ids, return_inverse=True)
        counts = [
            np.bincount(inverse, weights=flag, minlength=uniq.size).astype(np.int64) for flag in (overdue, due, replacement)
        ]
        by_region = sorted(
            (
                {
                    "code": regions[rid][0],
                    "name": regions[rid][1],
                    "overdue": int(counts[0][k]),
                    "due": int(counts[1][k]),
                    "replacement": int(counts[2][k]),
                }
                for k, rid in enumerate(uniq.tolist())
            ),
            key=lambda r: r["code"],
        )
    return {
        "as_of": as_of,
        "days": days,
        "overdue": int(overdue.sum()),
        "due": int(due.sum()),
        "replacement": int(replacement.sum()),
        "matching": int(mask.sum()),
        "rows": rows,
        "by_region": by_region,
    }


def administrator_context(actor: Actor, user, scope: RegionScope, days: int, *, lazy: bool = True) -> dict:
    """Everything but the two heavy panels is read now; those come from the cache, or, when
    ``lazy`` and not cached, are left None for htmx to fetch."""
    today = timezone.localdate()
    expiring_count, expiring = expiring_standards(today, prefix=scope.prefix)
    pending = Registration.objects.filter(status=Registration.Status.SUBMITTED)
    if scope.prefix:
        pending = pending.filter(region__code__startswith=scope.prefix)
    return {
        "scope": scope,
        "today": today,
        "coverage": coverage_panel(scope, compute_missing=not lazy),
        "due": region_due(scope, days, compute_missing=not lazy),
        "days": days,
        "expiring_count": expiring_count,
        "expiring": expiring,
        "reexamination_months": settings.JILIANG_STANDARD_REEXAMINATION_MONTHS,
        "alerts": open_alerts(scope.prefix),
        "pending_registrations": pending.count(),
        "open_complaints": open_complaints(actor),
        "comparisons": recent_comparisons(user),
        "check_alerts": unanswered_alerts(actor),
        "case_rows": case_rows(actor, today),
        "credit_grades": credit_summary(actor, "region"),
    }


def case_rows(actor: Actor, today: dt.date, limit: int = 8) -> list[dict]:
    """The open enforcement cases of the administrator's region, nearest deadline first."""
    from jiliang.cases.views import open_case_rows

    return open_case_rows(actor, today, limit)


# ---------------------------------------------------------------------------- institution


def standards_panel(organisation_id: int, today: dt.date) -> dict:
    """The institution's standards and, for each, when its devices' calibrations run out."""
    latest = reg.CalibrationEvent.objects.filter(instrument=OuterRef("pk")).order_by("-performed_on", "-id").values("id")[:1]
    devices = list(
        reg.Instrument.objects.filter(standard__holder_id=organisation_id)
        .annotate(latest_event=Subquery(latest))
        .values("id", "code", "name", "standard_id", "standard__name", "latest_event")
    )
    # A calibration states no validity: how long it counts is the one rule (registry.validity.good_until).
    until_of = validity.good_until([d["latest_event"] for d in devices if d["latest_event"] is not None])
    for device in devices:
        device["calibrated_until"] = until_of.get(device.pop("latest_event"))
    horizon = today + dt.timedelta(days=DEVICE_DUE_DAYS)
    per_standard: dict[int, dict] = {}
    due_devices = []
    for device in devices:
        entry = per_standard.setdefault(device["standard_id"], {"devices": 0, "earliest": None})
        entry["devices"] += 1
        until = device["calibrated_until"]
        if until is not None and (entry["earliest"] is None or until < entry["earliest"]):
            entry["earliest"] = until
        if until is None or until <= horizon:
            device["overdue"] = until is None or until < today
            due_devices.append(device)
    due_devices.sort(key=lambda d: (d["calibrated_until"] or dt.date.min, d["code"]))
    standards = list(
        reg.MeasurementStandard.objects.filter(holder_id=organisation_id).select_related("field").order_by("valid_until", "id")
    )
    for standard in standards:
        entry = per_standard.get(standard.id, {"devices": 0, "earliest": None})
        standard.device_count = entry["devices"]
        standard.devices_until = entry["earliest"]
        standard.approval_expiring = standard.valid_until <= reg.reexamination_horizon(today)
        standard.devices_due = entry["earliest"] is not None and entry["earliest"] <= horizon
    return {
        "standards": standards,
        "due_devices": due_devices[:15],
        "due_device_count": len(due_devices),
        "device_due_days": DEVICE_DUE_DAYS,
    }


def certificates_by_month(organisation_id: int, today: dt.date) -> dict:
    """Verification and calibration certificates the institution issued, by month (each
    calibration event carries its certificate number), with the chart."""
    months = months_back(today)
    ends = [*months[1:], today + dt.timedelta(days=1)]
    kinds = reg.CalibrationEvent.Kind.values
    # One pass with a filtered count per (month, kind): plain date comparisons, where a
    # month truncation is a Python function called per row on SQLite.
    # Cached like the heavy panels: a large institute signs tens of thousands a year.
    counted = cached(
        panel_key("certificates", organisation_id),
        lambda: reg.CalibrationEvent.objects.filter(
            performer_id=organisation_id, performed_on__gte=months[0], performed_on__lte=today
        ).aggregate(
            **{
                f"n_{k}_{i}": Count("id", filter=Q(kind=kind, performed_on__gte=start, performed_on__lt=end))
                for k, kind in enumerate(kinds)
                for i, (start, end) in enumerate(zip(months, ends))
            }
        ),
    )
    counts = {kind: [counted[f"n_{k}_{i}"] for i in range(len(months))] for k, kind in enumerate(kinds)}
    labels = {reg.CalibrationEvent.Kind.VERIFICATION: _("检定证书"), reg.CalibrationEvent.Kind.CALIBRATION: _("校准证书")}
    series = {str(labels.get(kind, kind)): values for kind, values in counts.items()}
    return {
        "total": sum(sum(v) for v in counts.values()),
        "chart": charts.month_chart([m.strftime("%Y-%m") for m in months], series, title=_("近 12 个月出具的证书"), unit=""),
    }


def assigned_verifications(organisation_id: int, limit: int = LIST_ROWS) -> dict:
    """Registered instruments the administration assigned to this institution, most urgent first."""
    qs = with_due_dates(
        reg.Instrument.objects.filter(
            registration__assigned_institution_id=organisation_id, registration__status=Registration.Status.APPROVED
        )
    )
    rows = list(qs.select_related("owner", "catalog_item").order_by("due_on", "id")[:limit])
    return {"count": qs.count() if len(rows) == limit else len(rows), "rows": rows}


def institution_context(actor: Actor, user) -> dict:
    today = timezone.localdate()
    organisation = reg.Organisation.objects.select_related("region").get(pk=actor.organisation_id)
    qualifications = list(
        reg.Qualification.objects.filter(
            person__organisation_id=organisation.pk,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=EXPIRY_DAYS),
        )
        .select_related("person")
        .order_by("valid_until", "id")[:LIST_ROWS]
    )
    return {
        "organisation": organisation,
        "today": today,
        **standards_panel(organisation.pk, today),
        "certificates": certificates_by_month(organisation.pk, today),
        "assigned": assigned_verifications(organisation.pk),
        "qualifications": qualifications,
        "expiry_days": EXPIRY_DAYS,
        "comparisons": recent_comparisons(user),
        "check_alerts": unanswered_alerts(actor),
    }


# ---------------------------------------------------------------------------- enterprise


def enterprise_context(actor: Actor, user, days: int) -> dict:
    today = timezone.localdate()
    organisation = reg.Organisation.objects.select_related("region").get(pk=actor.organisation_id)
    own = reg.Instrument.objects.filter(owner_id=organisation.pk)
    by_status = dict(own.values_list("status").annotate(n=Count("id")).order_by())
    status_rows = [(label, by_status.get(value, 0), value) for value, label in reg.Instrument.Status.choices]
    registrations = dict(
        Registration.objects.filter(owner_id=organisation.pk).values_list("status").annotate(n=Count("id")).order_by()
    )
    instruments = list(own.select_related("catalog_item", "region").order_by("code")[:20])
    return {
        "organisation": organisation,
        "today": today,
        "instrument_count": sum(by_status.values()),
        "status_rows": status_rows,
        "mandatory_count": mandatory_in_use(own).count(),
        "instruments": instruments,
        "registration_rows": [(label, registrations.get(value, 0)) for value, label in Registration.Status.choices],
        "due": due_summary(days=days, owner_id=organisation.pk, limit=20),
        "days": days,
        "recall_notices": recall_notices(organisation.pk),
    }


def recall_notices(owner_id: int, limit: int = 10) -> list:
    """The recall notices addressed to the owner (traceability.create_recall), newest first,
    with the instruments to have re-verified or re-calibrated."""
    from jiliang.traceability.models import RecallNotice

    notices = list(
        RecallNotice.objects.filter(owner_id=owner_id)
        .select_related("recall__standard")
        .order_by("-recall__created_at", "-id")[:limit]
    )
    for notice in notices:
        notice.instrument_codes = list(notice.items.order_by("instrument_id").values_list("instrument__code", flat=True)[:20])
    return notices
