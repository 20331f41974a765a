"""The use cases of energy and carbon metering, one transaction each.

Each takes the actor, asks the policy (jiliang.energy.policies), checks the rule and
writes through ``save()`` (the models are tracked: every write reaches the audit ledger).
A refusal is a ``Refused`` naming the field and the rule, in the reader's language.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.audit.services import audit_context
from jiliang.core import energy_metering as em
from jiliang.core import energy_quality as eq
from jiliang.policies import as_actor
from jiliang.registry.services import Refused
from jiliang.supervision.telemetry.models import Alert, Reading

from .models import EnergyMeter, KeyUnit, Level, MeteringPoint, Review, ReviewFinding, Site, UnitMonth
from .policies import FINDINGS, REVIEWS, UNITS
from .rules import CHECKLISTS, VERDICTS


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


def _refuse(field: str, message: str, *, forbidden: bool = False):
    raise Refused([(field, message)], forbidden=forbidden)


def quality_limits() -> dict:
    """The data-quality limits (jiliang.core.energy_quality defaults; a bureau may set
    JILIANG_ENERGY_QUALITY in settings)."""
    limits = {
        "gap_seconds": eq.GAP_SLOTS * 900,
        "stuck_seconds": eq.STUCK_SLOTS * 900,
        "jump_factor": eq.JUMP_FACTOR,
        "balance_losses": eq.BALANCE_LOSSES,
        "intensity_rise": eq.INTENSITY_RISE,
    }
    limits.update(getattr(settings, "JILIANG_ENERGY_QUALITY", {}))
    return limits


# -- the register ----------------------------------------------------------------------------


@transaction.atomic
def register_unit(who, organisation, *, sector: str, listed_on: dt.date | None = None, **fields) -> KeyUnit:
    actor = as_actor(who)
    if not UNITS.may_register(actor, organisation):
        _refuse(
            "organisation",
            gettext("重点用能单位名单由所在地区的计量行政部门登记（《能源计量监督管理办法》第十七条）"),
            forbidden=True,
        )
    if not str(sector or "").strip():
        _refuse("sector", gettext("须填写行业（GB/T 4754）"))
    if KeyUnit.objects.filter(organisation=organisation).exists():
        _refuse("organisation", gettext("该单位已在重点用能（排放）单位名单中"))
    allowed = {"key_energy_user", "key_emitter", "annual_tce", "electricity_category", "output_unit"}
    unit = KeyUnit(organisation=organisation, sector=sector.strip(), listed_on=listed_on or timezone.localdate())
    for name, value in fields.items():
        if name in allowed:
            setattr(unit, name, value)
    if unit.electricity_category not in KeyUnit.ElectricityCategory.values:
        _refuse("electricity_category", gettext("电能计量装置类别须为 I–V 类之一（GB 17167-2006 表4）"))
    unit.save()
    return unit


def _keeps(actor, unit: KeyUnit) -> None:
    if not UNITS.may_keep_meters(actor, unit):
        _refuse("unit", gettext("能源计量器具台账由用能单位及其所在地区的计量行政部门维护"), forbidden=True)


@transaction.atomic
def add_site(who, unit: KeyUnit, name: str, address: str = "") -> Site:
    _keeps(as_actor(who), unit)
    if not name.strip():
        _refuse("name", gettext("必填"))
    site = Site(unit=unit, name=name.strip(), address=address)
    site.save()
    return site


@transaction.atomic
def add_point(
    who, unit: KeyUnit, *, name: str, level: str, energy_type: str, parent=None, size=None, site=None, emission_source=""
) -> MeteringPoint:
    _keeps(as_actor(who), unit)
    if level not in Level.values:
        _refuse("level", gettext("计量级别须为进出用能单位、次级用能单位或主要用能设备（GB 17167-2006 4.2）"))
    if energy_type not in em.ENERGY_TYPES:
        _refuse("energy_type", gettext("能源种类须为电力、天然气、煤炭、油品、热力或水之一"))
    if parent is not None:
        if parent.unit_id != unit.pk:
            _refuse("parent", gettext("上级计量点须属于同一单位"))
        if Level.values.index(parent.level) >= Level.values.index(level):
            _refuse("parent", gettext("上级计量点的级别须高于本计量点（进出 → 次级 → 设备）"))
        if parent.energy_type != energy_type:
            _refuse("parent", gettext("上级计量点须计量同一能源种类（总分表平衡）"))
    elif level != Level.ENTRY:
        _refuse("parent", gettext("次级用能单位和主要用能设备须指明上级计量点"))
    if size is not None and not (isinstance(size, (int, float)) and math.isfinite(size) and size >= 0):
        _refuse("size", gettext("能耗量或功率须为非负数"))
    point = MeteringPoint(
        unit=unit,
        name=name.strip(),
        level=level,
        energy_type=energy_type,
        parent=parent,
        size=size,
        site=site,
        emission_source=emission_source,
    )
    point.save()
    return point


@transaction.atomic
def add_meter(who, point: MeteringPoint, instrument, *, accuracy_class: str | None = None, device=None) -> EnergyMeter:
    unit = point.unit
    _keeps(as_actor(who), unit)
    if instrument.owner_id != unit.organisation_id:
        _refuse("instrument", gettext("能源计量器具须是该用能单位在计量器具台账中的器具"))
    if EnergyMeter.objects.filter(instrument=instrument).exists():
        _refuse("instrument", gettext("该计量器具已配置在其他计量点"))
    accuracy = (accuracy_class or instrument.accuracy or "").strip()
    if em.class_rank(accuracy) is None:
        _refuse("accuracy_class", gettext("须写明准确度等级（如 0.5S、1.0 级），用于 GB 17167-2006 表4 的核查"))
    if device is not None and device.instrument_id != instrument.pk:
        _refuse("device", gettext("在线监测设备须属于该计量器具"))
    meter = EnergyMeter(point=point, instrument=instrument, device=device, accuracy_class=accuracy)
    meter.save()
    return meter


# -- the GB 17167 configuration check ---------------------------------------------------------


def configuration(unit: KeyUnit, as_of: dt.date | None = None) -> em.ConfigurationResult:
    """The unit's meters against GB 17167-2006 on ``as_of``: equipping rate per level and
    type (表3), boundary classes (表4), verified or calibrated on time."""
    as_of = as_of or timezone.localdate()
    points = [
        em.Point(pk, level, energy, em.is_main(level, energy, size))
        for pk, level, energy, size in unit.points.values_list("id", "level", "energy_type", "size")
    ]
    rows = EnergyMeter.objects.filter(point__unit=unit).values_list(
        "instrument__code", "point_id", "accuracy_class", "instrument__status", "instrument__verified_until"
    )
    meters = [
        em.Meter(code, point, accuracy, status == "in_use", until is not None and until >= as_of)
        for code, point, accuracy, status, until in rows
    ]
    return em.check_configuration(points, meters, electricity_category=unit.electricity_category)


# -- a month of readings ----------------------------------------------------------------------


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    start = dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=days)


def _registers(meters: list[EnergyMeter], month: dt.date) -> dict[float, tuple[list[EnergyMeter], np.ndarray]]:
    """The month's register readings of ``meters`` on each device's own grid, grouped by
    reporting interval: interval → (meters, array meters × slots, NaN where none arrived)."""
    start, end = month_bounds(month)
    online = [m for m in meters if m.device_id is not None]
    by_device = {m.device_id: m for m in online}
    groups: dict[float, list[EnergyMeter]] = defaultdict(list)
    for m in online:
        groups[m.device.expected_interval_s].append(m)
    arrays = {}
    for interval, group in groups.items():
        slots = int((end - start).total_seconds() // interval) + 1
        array = np.full((len(group), slots), np.nan)
        row = {m.device_id: i for i, m in enumerate(group)}
        readings = Reading.objects.filter(device_id__in=list(row), ts__gte=start, ts__lte=end, kind="reading").values_list(
            "device_id", "ts", "values"
        )
        for device_id, ts, values in readings.iterator(chunk_size=5000):
            slot = int(round((ts - start).total_seconds() / interval))
            if 0 <= slot < slots and device_id in by_device:
                array[row[device_id], slot] = float(values.get("register", math.nan))
        arrays[interval] = (group, array)
    return arrays


def _raise_alerts(unit: KeyUnit, month: dt.date, found: list[tuple[EnergyMeter, str, str, float, float]]) -> int:
    """Each finding becomes an alert of the telemetry workflow (routed to the bureau of the
    unit's region), unless the same rule is already open on the meter for the month."""
    from jiliang.supervision.telemetry.pipeline import create_alerts

    key = month.strftime("%Y-%m")
    open_ = set(
        Alert.objects.filter(
            owner_id=unit.organisation_id, rule__startswith="energy.", status__in=[Alert.Status.NEW, Alert.Status.TAKEN]
        ).values_list("instrument_id", "rule", "evidence__month")
    )
    fresh = []
    for meter, rule, severity, score, limit in found:
        if (meter.instrument_id, rule, key) in open_:
            continue
        fresh.append(
            Alert(
                instrument_id=meter.instrument_id,
                device_id=meter.device_id,
                region_id=meter.instrument.region_id,
                owner_id=unit.organisation_id,
                rule=rule,
                severity=severity,
                evidence={"rule": rule, "month": key, "score": _finite(score), "limit": _finite(limit), "unit": unit.pk},
            )
        )
    if fresh:
        create_alerts(fresh)
    return len(fresh)


def _finite(x):
    return float(x) if x is not None and math.isfinite(x) else None


@transaction.atomic
def close_month(who, unit: KeyUnit, month: dt.date, *, output: float | None = None) -> UnitMonth:
    """Close the unit's month: data-quality checks on every online meter's readings, the
    balance of each metered point against its sub-points, energy per unit of output against
    the unit's earlier months; alerts for what they find; the month's energy and CO₂ from the
    boundary meters with the uncertainty their classes give."""
    actor = as_actor(who)
    if who != "system" and not UNITS.supervises(actor, unit):
        _refuse("unit", gettext("月度能耗由所在地区的计量行政部门核算"), forbidden=True)
    month = month.replace(day=1)
    limits = quality_limits()
    meters = list(EnergyMeter.objects.filter(point__unit=unit).select_related("point", "device", "instrument"))
    energy: dict[int, float] = {}
    found = []
    counts = defaultdict(int)
    for interval, (group, array) in _registers(meters, month).items():
        checks = eq.check_month(
            array,
            gap_slots=max(1, round(limits["gap_seconds"] / interval)),
            stuck_slots=max(2, round(limits["stuck_seconds"] / interval)),
            jump_factor=limits["jump_factor"],
        )
        for detection in checks.detections:
            for i in detection.indices:
                found.append((group[i], detection.rule, detection.severity, detection.score[i], detection.limit))
                counts[detection.rule] += 1
        for m, e in zip(group, checks.energy):
            if math.isfinite(e):
                energy[m.pk] = float(e)
    # Balance: each point's meters against the meters of its secondary units. The secondary
    # units are the unit's accounting units (次级用能单位, GB 17167-2006 3.3) and together take
    # all of what the boundary brings in; main equipment is only the largest consumers of a
    # workshop (表2 limits), so it is not balanced against the workshop.
    by_point = defaultdict(list)
    for m in meters:
        by_point[m.point_id].append(m)
    parents, parent_class, child_energy, child_class, child_parent = [], [], [], [], []
    for point_id, ms in by_point.items():
        children = [c for c in meters if c.point.parent_id == point_id and c.point.level == Level.SECONDARY]
        if not children or not all(m.pk in energy for m in ms + children):
            continue
        row = len(parents)
        parents.append(ms[0])
        parent_class.append((sum(energy[m.pk] for m in ms), em.class_percent(ms[0].accuracy_class)))
        for c in children:
            child_energy.append(energy[c.pk])
            child_class.append(em.class_percent(c.accuracy_class))
            child_parent.append(row)
    if parents:
        balance = eq.balance(
            [e for e, _ in parent_class],
            [c for _, c in parent_class],
            child_energy,
            child_class,
            child_parent,
            losses=limits["balance_losses"],
        )
        for i in balance.indices:
            found.append((parents[i], balance.rule, balance.severity, balance.score[i], balance.limit))
            counts[balance.rule] += 1
    readings = [
        em.Reading(m.instrument.code, m.point.energy_type, energy[m.pk], em.class_percent(m.accuracy_class))
        for m in meters
        if m.point.level == Level.ENTRY and m.pk in energy
    ]
    figures = em.monthly_figures(readings)
    history = list(unit.months.filter(month__lt=month, output__gt=0).order_by("-month").values_list("tce", "output")[:12])
    intensity = None
    if output and history and figures.tce.value > 0:
        e = [[h[0] for h in reversed(history)] + [figures.tce.value]]
        q = [[h[1] for h in reversed(history)] + [output]]
        check = eq.intensity(e, q, rise=limits["intensity_rise"])
        intensity = {"change": _finite(check.score[0]), "baseline": _finite(check.extra["baseline"][0])}
        entry = next((m for m in meters if m.point.level == Level.ENTRY), None)
        if check.flags[0] and entry is not None:
            found.append((entry, check.rule, check.severity, check.score[0], check.limit))
            counts[check.rule] += 1
    raised = _raise_alerts(unit, month, found)
    record, _created = UnitMonth.objects.get_or_create(
        unit=unit,
        month=month,
        defaults={"tce": 0.0, "u_tce": 0.0, "co2_t": 0.0, "u_co2_t": 0.0},
    )
    record.tce, record.u_tce = figures.tce.value, figures.tce.u
    record.co2_t, record.u_co2_t = figures.co2.value, figures.co2.u
    record.by_type = figures.by_type
    record.output = output
    record.quality = {
        "counts": dict(counts),
        "alerts_raised": raised,
        "meters_online": sum(1 for m in meters if m.device_id),
        "meters_with_energy": len(energy),
        "intensity": intensity,
        "k": figures.tce.k,
        "findings": [
            {"meter": m.instrument.code, "rule": rule, "score": _finite(score)} for m, rule, _s, score, _l in found[:200]
        ],
    }
    record.save()
    return record


def region_totals(months) -> list[dict]:
    """Per region (the unit's own) and sector: the units' months summed, standard
    uncertainties combined as independent (jiliang.core.energy_metering.combined)."""
    groups = defaultdict(list)
    for m in months.select_related("unit__organisation__region"):
        region = m.unit.organisation.region
        groups[(region.code, region.name, m.unit.sector)].append(m)
    rows = []
    for (code, name, sector), items in sorted(groups.items()):
        tce = em.combined([em.Figure(i.tce, i.u_tce, 0, 0, []) for i in items])
        co2 = em.combined([em.Figure(i.co2_t, i.u_co2_t, 0, 0, []) for i in items])
        rows.append(
            {
                "region_code": code,
                "region": name,
                "sector": sector,
                "units": len(items),
                "tce": tce[0],
                "u_tce": tce[1],
                "co2_t": co2[0],
                "u_co2_t": co2[1],
            }
        )
    return rows


# -- reviews -----------------------------------------------------------------------------------


def _number(kind: str, started_on: dt.date) -> str:
    prefix = "NJ" if kind == Review.Kind.ENERGY else "TJ"
    n = Review.objects.filter(number__startswith=f"{prefix}-{started_on.year}-").count() + 1
    return f"{prefix}-{started_on.year}-{n:04d}"


@transaction.atomic
def open_review(
    who, unit: KeyUnit, *, kind: str = Review.Kind.ENERGY, started_on: dt.date | None = None, reviewers: str = ""
) -> Review:
    actor = as_actor(who)
    if not REVIEWS.may_open(actor, unit):
        _refuse("unit", gettext("能源计量审查由所在地区的计量行政部门组织（《能源计量监督管理办法》第十七条）"), forbidden=True)
    if kind not in Review.Kind.values:
        _refuse("kind", gettext("审查类型须为能源计量审查或碳计量审查"))
    if kind == Review.Kind.CARBON and not unit.key_emitter:
        _refuse("kind", gettext("碳计量审查（试点）的对象是重点排放单位"))
    started_on = started_on or timezone.localdate()
    result = configuration(unit, started_on)
    review = Review(
        unit=unit,
        kind=kind,
        number=_number(kind, started_on),
        started_on=started_on,
        reviewers=reviewers,
        opened_by=_user(who),
        configuration=configuration_json(result),
    )
    review.save()
    return review


def configuration_json(result: em.ConfigurationResult) -> dict:
    return {
        "rates": [r.__dict__ for r in result.rates],
        "on_time": result.on_time,
        "gaps": [{"code": g.code, "level": g.level, "energy_type": g.energy_type, **g.detail} for g in result.gaps],
    }


def _may(who, action: str, review: Review) -> None:
    if not REVIEWS.may(as_actor(who), action, review):
        if not REVIEWS.in_state_for(action, review):
            _refuse("status", gettext("审查当前状态（%(status)s）不允许此操作") % {"status": review.get_status_display()})
        _refuse("review", gettext("审查由所在地区的计量行政部门进行"), forbidden=True)


@transaction.atomic
def record_checklist(who, review: Review, items: dict) -> Review:
    """Record verdicts (yes / no / na, with a note) for items of the review's checklist; an
    item answered "no" must come with a finding (the nonconformity is written as a finding).

    An item turned back to conforming or not applicable withdraws its finding: the finding
    is deleted (this happens only while the review is open, before any rectification
    notice, so the unit has not answered it) and the audit ledger keeps the deleted row
    with the reason. A "no" recorded again with another note rewrites the finding's facts."""
    _may(who, "record", review)
    known = {code for code, _label, _source in CHECKLISTS[review.kind]}
    checklist = dict(review.checklist)
    for code, entry in items.items():
        if code not in known:
            _refuse("checklist", gettext("审查项目 %(item)s 不在审查规范的项目中") % {"item": code})
        verdict, note = (entry, "") if isinstance(entry, str) else (entry.get("verdict"), entry.get("note", ""))
        if verdict not in VERDICTS:
            _refuse("checklist", gettext("审查项目 %(item)s 的结论须为符合、不符合或不适用") % {"item": code})
        if verdict == "no" and not str(note).strip():
            _refuse("checklist", gettext("审查项目 %(item)s 不符合时须写明不符合事实（JJF 1356-2012 第9章）") % {"item": code})
        previous = checklist.get(code, {}).get("verdict")
        checklist[code] = {"verdict": verdict, "note": note}
        findings = review.findings.filter(item=code)
        if verdict == "no":
            finding = findings.first()
            if finding is None:
                ReviewFinding(review=review, item=code, description=note).save()
            elif finding.description != note:
                finding.description = note
                finding.save()
        else:
            # The ledger's reason is a record, kept in the record's language (Chinese).
            with audit_context(reason=f"审查项目 {code} 由「{previous or '不符合'}」改判为「{verdict}」，撤回不符合项"):
                for finding in findings:
                    finding.delete()
    review.checklist = checklist
    review.save()
    return review


def rectification_due(working_days: int | None = None, *, issued_on: dt.date | None = None) -> dt.date:
    """The deadline of a rectification notice issued on ``issued_on`` (today): ``working_days``
    working days on (jiliang.core.workdays, the State Council's holiday notices). 132号令
    第十八条 says only 责令限期改正, JJF 1356-2012 第9章 leaves the period to the bureau: the
    default is configuration (JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS)."""
    from jiliang.assessment.services import working_days_after

    days = settings.JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS if working_days is None else working_days
    return working_days_after(issued_on or timezone.localdate(), days)


@transaction.atomic
def require_rectification(who, review: Review, due: dt.date | None = None, *, working_days: int | None = None) -> Review:
    """Ask the unit to rectify the findings by ``due``, or within ``working_days`` working days
    of today (the configured period when neither is given)."""
    _may(who, "require_rectification", review)
    if not review.findings.exists():
        _refuse("review", gettext("没有不符合项，无需整改"))
    if due is None:
        if working_days is not None and not (isinstance(working_days, int) and 1 <= working_days <= 250):
            _refuse("working_days", gettext("整改期限须为 1 至 250 个工作日"))
        due = rectification_due(working_days)
    if due <= review.started_on:
        _refuse("rectification_due", gettext("整改期限须晚于审查日期"))
    review.status, review.rectification_due = Review.Status.RECTIFYING, due
    review.save()
    return review


@transaction.atomic
def rectify(who, finding: ReviewFinding, text: str, on: dt.date | None = None) -> ReviewFinding:
    """The unit's answer to a finding, on ``on`` (today), within the notice's period."""
    review = finding.review
    actor = as_actor(who)
    if not FINDINGS.may_rectify(actor, finding):
        if FINDINGS.is_unit(actor, finding) and review.status == Review.Status.RECTIFYING and FINDINGS.past_due(review):
            _refuse("rectified_on", _late_answer(review))
        _refuse("finding", gettext("不符合项的整改由被审查单位在整改期内填报"), forbidden=True)
    if not text.strip():
        _refuse("rectification", gettext("须写明整改情况"))
    on = on or timezone.localdate()
    if on > timezone.localdate():
        _refuse("rectified_on", gettext("整改日期不能晚于今天"))
    if FINDINGS.past_due(review, on):
        _refuse("rectified_on", _late_answer(review))
    finding.rectification, finding.rectified_on = text.strip(), on
    finding.save()
    return finding


def _late_answer(review: Review) -> str:
    return gettext(
        "整改期限（%(due)s）已过，不再受理整改答复：逾期未改正的由审查部门依法处理（《能源计量监督管理办法》第十八条）"
    ) % {"due": review.rectification_due.isoformat() if review.rectification_due else ""}


@transaction.atomic
def decide(who, review: Review, result: str, *, summary: str = "", on: dt.date | None = None, accept: bool = True) -> Review:
    """The review's result: passed (no nonconformity), rectified (every finding rectified and
    accepted), or failed. A failed review, and one that needed rectification, count against
    the unit's credit (jiliang.energy.credit_evidence)."""
    _may(who, "decide", review)
    if result not in Review.Result.values:
        _refuse("result", gettext("审查结论须为合格、整改后合格或不合格"))
    findings = list(review.findings.all())
    unanswered = len(CHECKLISTS[review.kind]) - len(review.checklist)
    if unanswered > 0 and result != Review.Result.FAILED:
        _refuse("checklist", gettext("还有 %(n)s 个审查项目未记录结论") % {"n": unanswered})
    if result == Review.Result.PASSED and findings:
        _refuse("result", gettext("有不符合项的审查不能直接判为合格"))
    if result == Review.Result.RECTIFIED:
        if not findings or any(f.rectified_on is None for f in findings):
            _refuse("result", gettext("整改后合格须每个不符合项都已整改"))
        for f in findings:
            if accept and not f.accepted:
                f.accepted = True
                f.save()
    review.result, review.summary = result, summary
    review.decided_on = on or timezone.localdate()
    review.status = Review.Status.CLOSED
    review.save()
    return review
