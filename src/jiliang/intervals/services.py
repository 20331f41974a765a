"""Interval reports per instrument family, from the platform's own verification history.

A family is a catalogue item (实施强制管理的计量器具目录 item), optionally narrowed to one
type approval (型式批准编号) where its instruments carry one. Its history is the
verifications (检定) of its instruments that the actor may read (``policies.REPORTS``): the
verdict of a verification is the instrument's as-found state (合格 = found in tolerance).
The core (``jiliang.core.intervals``) turns that into observed reliability per interval
bin, the RP-1 A3 interval test at the assigned interval and the S2 maximum-likelihood fits;
this module loads the rows in bulk, applies the legal maximum and shapes the answers.

The legal maximum (one rule, one place: ``cap_to_legal_maximum``): for an item under
periodic mandatory verification, the catalogue's 最长检定周期 (the governing JJG's 检定周期)
is a ceiling — an instrument may be given a shorter period, never a longer one (计量法
第九条; 计量法实施细则 第十一条 按检定周期检定; the same rule the registry enforces on an
instrument's own period, registry.services CATALOG-PERIOD-MAX). A recommendation from the
data is therefore never above it; when the data would allow more, the report says so and
shows the legal maximum as the recommendation. For items not under periodic verification
(calibrated instruments, first-verification-only items) the interval is the user's to set
(JJF 1139-2005 适用范围 "在用计量器具校准时间间隔确认的参考"), and no ceiling applies.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from jiliang.core import intervals as core
from jiliang.core.errors import InputError
from jiliang.policies import Actor
from jiliang.registry.models import CalibrationEvent, CatalogItem, Instrument
from jiliang.registry.services import Refused

from .policies import REPORTS

DAYS_PER_MONTH = 365.2425 / 12  # the Gregorian mean month: periods are set in months
MAX_EVENTS = 200_000  # bounded work per report: the newest verifications of the family
MIN_OBSERVATIONS = 20  # fewer pairs give no meaningful fit (RP-1 asks for "sufficient data")
BINS = 8
CACHE_SECONDS = 300  # a report is recomputed at most every five minutes per scope
LEGAL_MAXIMUM_RULE = "INTERVAL-LEGAL-MAX"
TARGET_RANGE = (0.5, 0.999)


def parse_target(raw) -> float:
    """The reliability target typed into a form, query string or option: a fraction in
    [0.5, 0.999] (or a percentage 50–99.9); anything else a refusal naming the field."""
    if raw in (None, ""):
        return core.DEFAULT_TARGET
    try:
        value = float(str(raw).strip().rstrip("%"))
    except ValueError:
        raise Refused([("target", _("可靠性目标须为数字，例如 0.95"))]) from None
    if value > 1:
        value /= 100.0
    low, high = TARGET_RANGE
    if not (math.isfinite(value) and low <= value <= high):
        raise Refused([("target", _("可靠性目标须在 0.5 到 0.999 之间（输入值 %(got)s）") % {"got": raw})])
    return value


def parse_approval(raw) -> str:
    """A type approval number narrowing the family ("" for the whole item)."""
    text = (raw or "").strip()
    if len(text) > 40 or "\x00" in text:
        raise Refused([("approval", _("型式批准编号不超过 40 个字符"))])
    return text


def legal_maximum_months(item: CatalogItem) -> int | None:
    """The catalogue's 最长检定周期 of an item under periodic mandatory verification."""
    if item.needs_verification and item.management_mode == CatalogItem.Mode.PERIODIC and item.period_months:
        return int(item.period_months)
    return None


def cap_to_legal_maximum(days: float, item: CatalogItem) -> tuple[float, bool]:
    """The one place the legal maximum is applied: (interval, whether it was capped).
    See the module's note for the rule and its sources."""
    months = legal_maximum_months(item)
    if months is None:
        return days, False
    ceiling = months * DAYS_PER_MONTH
    return (ceiling, True) if days > ceiling else (days, False)


def _events(actor: Actor, item: CatalogItem | None = None, approval: str = ""):
    events = CalibrationEvent.objects.filter(kind=CalibrationEvent.Kind.VERIFICATION)
    if item is not None:
        events = events.filter(instrument__catalog_item=item)
    else:
        events = events.filter(instrument__catalog_item__isnull=False)
    if approval:
        events = events.filter(instrument__type_approval_number=approval)
    return REPORTS.events(actor, events)


def families(actor: Actor, limit: int = 200) -> list[dict]:
    """The families the actor's history holds, most verifications first (one grouped query)."""
    rows = (
        _events(actor)
        .values("instrument__catalog_item")
        .annotate(events=Count("id"), passed=Count("id", filter=Q(passed=True)), instruments=Count("instrument", distinct=True))
        .order_by("-events", "instrument__catalog_item")[:limit]
    )
    rows = list(rows)
    items = CatalogItem.objects.in_bulk([r["instrument__catalog_item"] for r in rows])
    out = []
    for r in rows:
        item = items[r["instrument__catalog_item"]]
        out.append(
            {
                "item": item,
                "code": item.code,
                "name": item.name,
                "events": r["events"],
                "instruments": r["instruments"],
                "passed_fraction": r["passed"] / r["events"] if r["events"] else None,
                "legal_maximum_months": legal_maximum_months(item),
            }
        )
    return out


@dataclass
class FamilyReport:
    item: CatalogItem
    approval: str
    target: float
    observations: int = 0
    instruments: int = 0
    skipped: int = 0
    truncated: bool = False
    assigned_days: float | None = None
    legal_maximum_months: int | None = None
    bins: core.Bins | None = None
    a3: core.A3Result | None = None
    a3_left_out: int = 0
    s2: core.S2Result | None = None
    method: str = ""  # "S2", "A3" or "" (no recommendation)
    computed_days: float | None = None  # what the data give, before the legal maximum
    recommended_days: float | None = None
    capped: bool = False
    limits_days: tuple[float, float] | None = None
    approvals: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> bool:
        return self.legal_maximum_months is not None

    @staticmethod
    def months(days: float | None) -> float | None:
        return None if days is None or not math.isfinite(days) else days / DAYS_PER_MONTH

    @property
    def recommended_months(self) -> float | None:
        return self.months(self.recommended_days)

    @property
    def computed_months(self) -> float | None:
        return self.months(self.computed_days)

    @property
    def assigned_months(self) -> float | None:
        return self.months(self.assigned_days)


def history(actor: Actor, item: CatalogItem, approval: str = "") -> core.Observations:
    """The family's (interval, in tolerance) pairs in the actor's scope."""
    return core.observations(*_history(actor, item, approval)[:3])


def _history(actor: Actor, item: CatalogItem, approval: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    rows = list(
        _events(actor, item, approval)
        .order_by("-performed_on", "-id")
        .values_list("instrument_id", "performed_on", "passed")[: MAX_EVENTS + 1]
    )
    truncated = len(rows) > MAX_EVENTS
    rows = rows[:MAX_EVENTS]
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool), False
    inst, days, passed = zip(*rows, strict=True)
    day_numbers = np.array(days, dtype="datetime64[D]").astype(np.int64)
    return np.array(inst, dtype=np.int64), day_numbers, np.array(passed, dtype=bool), truncated


def _assigned_days(actor: Actor, item: CatalogItem, approval: str, obs: core.Observations) -> float | None:
    """The interval the family's instruments were assigned: the commonest own period of its
    instruments, else the catalogue's period, else the median observed interval."""
    instruments = Instrument.objects.filter(pk__in=_events(actor, item, approval).values("instrument_id"))
    own = (
        instruments.exclude(period_months__isnull=True)
        .values("period_months")
        .annotate(n=Count("id"))
        .order_by("-n", "period_months")
        .first()
    )
    if own is not None:
        return own["period_months"] * DAYS_PER_MONTH
    if item.period_months:
        return item.period_months * DAYS_PER_MONTH
    return float(np.median(obs.interval)) if obs.count else None


def report(actor: Actor, item: CatalogItem, *, approval: str = "", target: float = core.DEFAULT_TARGET) -> FamilyReport:
    """The family's interval report for the actor's scope (cached a few minutes per scope)."""
    scope = f"{actor.kind}:{actor.region_prefix}:{actor.organisation_id}"
    key = f"intervals:v1:{scope}:{item.pk}:{approval}:{target:.4f}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = compute_report(actor, item, approval=approval, target=target)
    cache.set(key, result, CACHE_SECONDS)
    return result


def compute_report(actor: Actor, item: CatalogItem, *, approval: str = "", target: float = core.DEFAULT_TARGET) -> FamilyReport:
    out = FamilyReport(item=item, approval=approval, target=target, legal_maximum_months=legal_maximum_months(item))
    out.approvals = list(
        _events(actor, item)
        .exclude(instrument__type_approval_number="")
        .values_list("instrument__type_approval_number")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    )
    inst, days, passed, out.truncated = _history(actor, item, approval)
    obs = core.observations(inst, days, passed)
    out.observations, out.instruments, out.skipped = obs.count, obs.instruments, obs.skipped
    if out.truncated:
        out.notes.append(_("只计入最新的 %(n)s 条检定记录") % {"n": MAX_EVENTS})
    out.assigned_days = _assigned_days(actor, item, approval, obs)
    if target < core.JJF1139_MINIMUM_TARGET:
        out.notes.append(_("可靠性目标低于 JJF 1139 对一般计量器具的要求（R ≥ 90%）"))
    if obs.count < MIN_OBSERVATIONS:
        out.notes.append(_("可用的检定间隔少于 %(n)s 个，不足以估计可靠性") % {"n": MIN_OBSERVATIONS})
        return out
    out.bins = core.bin_observations(obs, bins=BINS)
    if out.assigned_days:
        g, n, out.a3_left_out = core.a3_counts(obs, out.assigned_days)
        if n:
            out.a3 = core.a3_test(g, n, out.assigned_days, target)
    if out.bins.t.size >= 3:
        try:
            out.s2 = core.s2_fit(out.bins, target)
        except InputError as error:
            out.notes.append(str(error))
    best = out.s2.best if out.s2 is not None else None
    if best is not None and best.interval and best.accepted:
        out.method, out.computed_days = "S2", float(best.interval)
        out.limits_days = out.s2.limits if out.s2 is not None else None
    elif out.a3 is not None:
        out.method, out.computed_days = "A3", float(out.a3.interval)
    if out.computed_days is not None:
        out.recommended_days, out.capped = cap_to_legal_maximum(out.computed_days, item)
    return out


def _num(x, digits=4):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def report_json(r: FamilyReport) -> dict:
    """The report as plain data (API and ``jiliang intervals report --format json``)."""
    fitted = r.s2.best if r.s2 is not None else None
    return {
        "item": {"code": r.item.code, "name": r.item.name, "name_en": r.item.name_en},
        "type_approval": r.approval or None,
        "target": r.target,
        "observations": r.observations,
        "instruments": r.instruments,
        "skipped": r.skipped,
        "truncated": r.truncated,
        "assigned_interval_days": _num(r.assigned_days, 1),
        "legal_maximum_months": r.legal_maximum_months,
        "legal_maximum_rule": LEGAL_MAXIMUM_RULE if r.mandatory else None,
        "recommendation": {
            "method": r.method or None,
            "computed_days": _num(r.computed_days, 1),
            "interval_days": _num(r.recommended_days, 1),
            "interval_months": _num(r.recommended_months, 2),
            "capped_by_legal_maximum": r.capped,
            "confidence": r.s2.confidence if r.method == "S2" and r.s2 is not None else None,
            "limits_days": [_num(v, 1) for v in r.limits_days] if r.limits_days else None,
        },
        "bins": [
            {
                "from_days": _num(left, 1),
                "to_days": _num(right, 1),
                "results": int(n),
                "in_tolerance": int(g),
                "observed_reliability": _num(g / n),
                "fitted_reliability": _num(float(fitted.reliability(np.array([right]))[0])) if fitted else None,
            }
            for left, right, n, g in zip(r.bins.left, r.bins.t, r.bins.n, r.bins.g, strict=True)
        ]
        if r.bins is not None
        else [],
        "a3": None
        if r.a3 is None
        else {
            "assigned_days": _num(r.assigned_days, 1),
            "in_tolerance": r.a3.in_tolerance,
            "results": r.a3.total,
            "left_out": r.a3_left_out,
            "observed_reliability": _num(r.a3.observed),
            "rejection_confidence": _num(r.a3.rejection),
            "reliability_range": [_num(v) for v in r.a3.reliability_range],
            "interval_days": _num(r.a3.interval, 1),
            "changed": r.a3.changed,
        },
        "s2": None
        if r.s2 is None
        else {
            "best": r.s2.best.model.name,
            "models": [
                {
                    "model": f.model.name,
                    "interval_days": _num(f.interval, 1),
                    "rejection_confidence": _num(f.rejection),
                    "accepted": f.accepted,
                    "figure_of_merit": _num(f.merit, 3),
                    "parameters": [_num(v, 8) for v in f.theta],
                }
                for f in r.s2.fits
            ],
        },
        "notes": r.notes,
    }


CSV_COLUMNS = ("from_days", "to_days", "results", "in_tolerance", "observed_reliability", "fitted_reliability")


def report_csv(r: FamilyReport) -> str:
    """The bins (observed and fitted reliability per interval), one row each."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report_json(r)["bins"]:
        writer.writerow(row)
    return buffer.getvalue()
