"""The indicators the plans name, computed from the data, per region and year.

Each indicator is a definition (what is counted, printed on the page and in every export),
its source clause, and a *family*: one query over one kind of record (instruments,
calibration events, complaints …) whose rows are what the figure counts. The figure and
the drill-down list read the same ``rows`` query, the figure grouped by region, the list
filtered to one region's subtree: one query definition for both.

Set-based: one ``GROUP BY region`` per family and year (several indicators of a family are
filtered counts of the same scan), then a roll-up over the region tree in Python (hundreds
of regions: the 2-4-6 digit GB/T 2260 codes give each region its city and province). The
coverage figures are the coverage ledger's own (jiliang.verification.coverage), not
recomputed here.

Which figures are current only: whether an instrument is registered and verified on time
is its present state (the registry keeps no history of it), so those two have no figure for
a past year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiliang.policies import region_tree
from jiliang.registry import models as reg

RATE, COUNT, MEAN_DAYS = "rate", "count", "mean_days"


def year_end(year: int, today: dt.date | None = None) -> dt.date:
    """The day a year's state is read on: 31 December, or today for the running year."""
    today = today or timezone.localdate()
    return min(dt.date(year, 12, 31), today)


def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _moment_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


# -- families: the rows each group of figures counts ------------------------------------


@dataclass(frozen=True)
class Family:
    key: str
    region: str  # the path from a row to its region's id
    rows: Callable[[int, dt.date], QuerySet]  # (year, as_of) -> the rows of the year
    current_only: bool = False  # the rows are the present state: no figure for a past year


def _instruments(year: int, as_of: dt.date) -> QuerySet:
    from jiliang.verification.coverage import mandatory_in_use

    return mandatory_in_use()


def _events(year: int, as_of: dt.date) -> QuerySet:
    start, end = _year_range(year)
    return reg.CalibrationEvent.objects.filter(performed_on__gte=start, performed_on__lte=end)


def _public_standards(year: int, as_of: dt.date) -> QuerySet:
    from jiliang.verification.fitness import active_public_standards

    return reg.MeasurementStandard.objects.filter(id__in=active_public_standards(as_of))


def _primary_standards(year: int, as_of: dt.date) -> QuerySet:
    return reg.PrimaryStandard.objects.all()


def _comparisons(year: int, as_of: dt.date) -> QuerySet:
    from jiliang.comparisons.models import Comparison

    start, end = _moment_range(year)
    organised = Q(created_at__gte=start, created_at__lt=end) & ~Q(status=Comparison.Status.DRAFT)
    return Comparison.objects.filter(organised | Q(published_at__gte=start, published_at__lt=end))


def _registrations(year: int, as_of: dt.date) -> QuerySet:
    start, end = _year_range(year)
    return reg.Qualification.objects.filter(kind__in=reg.Qualification.REGISTRATIONS, valid_from__gte=start, valid_from__lte=end)


def _complaints(year: int, as_of: dt.date) -> QuerySet:
    from jiliang.portal.models import Complaint

    start, end = _moment_range(year)
    return Complaint.objects.filter(filed_at__gte=start, filed_at__lt=end)


def _inspections(year: int, as_of: dt.date) -> QuerySet:
    from jiliang.inspections.models import Inspection

    start, end = _year_range(year)
    done = (Inspection.Status.COMPLETED, Inspection.Status.PUBLISHED)
    return Inspection.objects.filter(status__in=done, completed_on__gte=start, completed_on__lte=end)


FAMILIES = {
    f.key: f
    for f in (
        Family("instruments", "region_id", _instruments, current_only=True),
        Family("events", "region_id", _events),
        Family("public_standards", "holder__region_id", _public_standards),
        Family("primary_standards", "holder__region_id", _primary_standards),
        Family("comparisons", "administrator_region_id", _comparisons),
        Family("registrations", "organisation__region_id", _registrations),
        Family("complaints", "region_id", _complaints),
        Family("inspections", "organisation__region_id", _inspections),
    )
}


# -- the indicators ---------------------------------------------------------------------


def coverage_target(region_code: str, year: int) -> float | None:
    from jiliang.verification.coverage import target

    return target()


# The national goal for new registered metrologists and a region's share of it. The issue
# names "1.5万" from 计量发展规划（2021—2035年）; its wording was not found in the stored
# texts (confirmed: false). A deployment sets its share, e.g.
# JILIANG_METROLOGIST_TARGET = {"total": 15000, "first_year": 2021, "last_year": 2025, "shares": {"33": 0.05}}
DEFAULT_METROLOGIST_TARGET = {"total": 15000, "first_year": 2021, "last_year": 2025, "shares": {}}


def metrologist_target(region_code: str, year: int) -> float | None:
    """The region's yearly share of the national goal: total × share ÷ years of the period;
    the share is looked up by the region's full code, then its province's two digits."""
    rule = getattr(settings, "JILIANG_METROLOGIST_TARGET", DEFAULT_METROLOGIST_TARGET)
    if not rule["first_year"] <= year <= rule["last_year"]:
        return None
    share = rule["shares"].get(region_code)
    if share is None and region_code.endswith("0000"):
        share = rule["shares"].get(region_code[:2])
    if share is None:
        return None
    return rule["total"] * share / (rule["last_year"] - rule["first_year"] + 1)


@dataclass(frozen=True)
class Indicator:
    key: str
    name: Promise
    definition: Promise
    source: str
    unit: str
    kind: str  # RATE (part / rows), COUNT (the part's rows), MEAN_DAYS, or "coverage"
    family: str  # a key of FAMILIES, or "coverage"
    part: Q | None = None  # the rows counted (COUNT) or the numerator (RATE); None: every row
    target: Callable[[str, int], float | None] | None = None
    duration: tuple[str, str] | None = None  # MEAN_DAYS: (start, end) fields of a row
    columns: tuple[str, ...] = field(default=())  # the drill-down list's columns

    @property
    def current_only(self) -> bool:
        return self.family != "coverage" and FAMILIES[self.family].current_only


def _registered() -> Q:
    return Q(registration__status="approved")


def _on_time() -> Q:
    # Verified on time: the latest verification's validity reaches the reading date (today:
    # the family is the present state). Instrument.verified_until is kept by the events.
    return Q(verified_until__gte=timezone.localdate())


# Sources: the plan (计量发展规划（2021—2035年）, 国发〔2021〕37号) was found in the stored
# texts (its notice and background); the clauses of 计量法, JJF 1117-2010, 市场监管总局令第20号
# and 国办发〔2015〕58号 named below are cited from memory (confirmed: false), as is the
# national "1.5万" metrologist goal (from the issue text). Each source is printed with its
# figure, so a reader can check it.
INDICATORS: list[Indicator] = [
    Indicator(
        "coverage_provincewide",
        _("强检项目建标覆盖率（省域）"),
        _(
            "本地区在用强检项目中，由本地区内（含下级）有效社会公用计量标准覆盖的项目所占比例，按强检项目建标台账计算；"
            "按设置也可由上级地区的标准服务。"
        ),
        "计量发展规划（2021—2035年）（国发〔2021〕37号）；按平台强检项目建标台账计算",
        "%",
        "coverage",
        "coverage",
    ),
    Indicator(
        "coverage_below_province",
        _("强检项目建标覆盖率（省级以下）"),
        _("各市、县在用强检项目中，由该市、县自有有效社会公用计量标准覆盖的项目所占比例，按市、县合计；目标线为规划目标。"),
        "计量发展规划（2021—2035年）（国发〔2021〕37号）：省级以下社会公用计量标准对强制检定项目的覆盖率",
        "%",
        "coverage",
        "coverage",
        target=coverage_target,
    ),
    Indicator(
        "public_standards",
        _("社会公用计量标准（项）"),
        _("年末（本年至今日）考核证书有效、状态有效的社会公用计量标准数，按建标单位所在地区计；分级别、分领域见明细。"),
        "《计量法》第六条；JJF 1033-2023 计量标准考核规范",
        "",
        COUNT,
        "public_standards",
        columns=("certificate_number", "name", "level", "field__name", "holder__name", "valid_until"),
    ),
    Indicator(
        "primary_standards",
        _("计量基准（项）"),
        _("登记在册的国家计量基准数，按保存单位所在地区计（基准不按年度变化）。"),
        "《计量法》第五条；《计量基准管理办法》",
        "",
        COUNT,
        "primary_standards",
        columns=("code", "name", "quantity__name", "holder__name"),
    ),
    Indicator(
        "comparisons_organised",
        _("组织计量比对（次）"),
        _("本年创建并已发布方案（非草案）的计量比对数，按组织地区计。"),
        "计量发展规划（2021—2035年）；JJF 1117-2010 计量比对",
        "",
        COUNT,
        "comparisons",
        columns=("code", "title", "kind", "status", "created_at", "published_at"),
    ),
    Indicator(
        "comparisons_published",
        _("公布计量比对结果（次）"),
        _("本年公布结果的计量比对数，按组织地区计。"),
        "JJF 1117-2010 计量比对 第8章（比对报告与结果公布）",
        "",
        COUNT,
        "comparisons",
        columns=("code", "title", "kind", "status", "created_at", "published_at"),
    ),
    Indicator(
        "metrologists_added",
        _("新增注册计量师（人）"),
        _(
            "本年注册（注册证有效期起于本年）的一级、二级注册计量师注册证数（人次），按注册单位所在地区计；目标线为本地区承担的全国目标份额（按年平均）。"
        ),
        "计量发展规划（2021—2035年）全国新增注册计量师 1.5 万人目标（出自议题原文，条文未核实）；注册计量师职业资格制度规定（人社部规〔2019〕1号）第十四条",
        "",
        COUNT,
        "registrations",
        target=metrologist_target,
        columns=("person__name", "kind", "certificate_number", "organisation__name", "valid_from", "valid_until"),
    ),
    Indicator(
        "dcc_share",
        _("数字证书（DCC）出具率"),
        _("本年检定、校准记录中出具了数字证书（DCC）的比例，按器具所在地区计。"),
        "计量发展规划（2021—2035年）：推进计量数字化转型；JJF 1069-2012 证书要求",
        "%",
        RATE,
        "events",
        part=Q(digital_certificate__isnull=False),
        columns=("certificate_number", "kind", "performed_on", "instrument__code", "performer__name"),
    ),
    Indicator(
        "mandatory_registered",
        _("强检器具备案率"),
        _("在用强制检定计量器具中已备案（备案已批准）的比例，按器具所在地区计；现状数，无历年数。"),
        "《计量法》第九条；《实施强制管理的计量器具目录》（市场监管总局公告2019年第48号）",
        "%",
        RATE,
        "instruments",
        part=_registered(),
        columns=("code", "name", "catalog_item__name", "owner__name", "verified_until"),
    ),
    Indicator(
        "mandatory_on_time",
        _("强检器具按期检定率"),
        _("在用强制检定计量器具中检定有效期覆盖今日（未超期）的比例，按器具所在地区计；现状数，无历年数。"),
        "《计量法》第九条；《计量法实施细则》第十一条",
        "%",
        RATE,
        "instruments",
        part=_on_time(),
        columns=("code", "name", "catalog_item__name", "owner__name", "verified_until"),
    ),
    Indicator(
        "complaints_days",
        _("投诉平均处理时长（天）"),
        _("本年受理且已处理的计量投诉，从受理到处理完毕的平均天数，按器具所在地区计。"),
        "《市场监督管理投诉举报处理暂行办法》（市场监管总局令第20号）",
        "",
        MEAN_DAYS,
        "complaints",
        part=Q(status="handled", handled_at__isnull=False),
        duration=("filed_at", "handled_at"),
        columns=("reference", "status", "filed_at", "handled_at", "instrument__code"),
    ),
    Indicator(
        "inspections_findings",
        _("现场检查发现问题率"),
        _("本年完成的双随机现场检查中发现问题的比例，按检查对象所在地区计。"),
        "国办发〔2015〕58号（双随机、一公开）；国市监信发〔2022〕6号",
        "%",
        RATE,
        "inspections",
        part=Q(outcome="findings"),
        columns=("organisation__name", "kind", "completed_on", "outcome", "status"),
    ),
]
BY_KEY = {i.key: i for i in INDICATORS}


def part_of(indicator: Indicator, year: int) -> Q | None:
    """The indicator's part of its family's rows in a year (the comparisons' two parts
    depend on the year; the others do not)."""
    if indicator.key == "comparisons_organised":
        from jiliang.comparisons.models import Comparison

        start, end = _moment_range(year)
        return Q(created_at__gte=start, created_at__lt=end) & ~Q(status=Comparison.Status.DRAFT)
    if indicator.key == "comparisons_published":
        start, end = _moment_range(year)
        return Q(published_at__gte=start, published_at__lt=end)
    return indicator.part


def rows(indicator: Indicator, year: int, *, part: bool = False, today: dt.date | None = None) -> QuerySet:
    """The rows behind a figure (the family's rows of the year; ``part``: the numerator's)."""
    qs = FAMILIES[indicator.family].rows(year, year_end(year, today))
    q = part_of(indicator, year)
    if (part or indicator.kind in (COUNT, MEAN_DAYS)) and q is not None:
        qs = qs.filter(q)
    return qs


def region_filter(indicator: Indicator, region_ids: list[int]) -> Q:
    return Q(**{f"{FAMILIES[indicator.family].region}__in": region_ids})


# -- computing ----------------------------------------------------------------------------


@dataclass
class Figure:
    value: float | None
    numerator: float = 0
    denominator: float = 0

    def to_json(self) -> dict:
        return {
            "value": None if self.value is None else round(float(self.value), 4),
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


EMPTY = Figure(None)


def _ancestors(code: str, known: set[str]) -> list[str]:
    """The region itself, its city and its province (GB/T 2260: 2-4-6 digits)."""
    out = [code]
    for parent in (code[:4] + "00", code[:2] + "0000"):
        if parent != code and parent in known and parent not in out:
            out.append(parent)
    return out


def _rollup(grouped: list[tuple[int | None, dict]]) -> dict[str, dict]:
    """Per region id sums → per region code, each added to its city and province."""
    tree = region_tree()
    known = {code for code, _lvl in tree.values()}
    out: dict[str, dict] = {}
    for region_id, sums in grouped:
        if region_id not in tree:
            continue
        for code in _ancestors(tree[region_id][0], known):
            acc = out.setdefault(code, {})
            for k, v in sums.items():
                acc[k] = acc.get(k, 0) + (v or 0)
    return out


def _family_sums(family: Family, members: list[Indicator], year: int, today: dt.date) -> dict[str, dict]:
    """One GROUP BY region over the family's rows: the row count and each member's part."""
    aggregates: dict = {"n": Count("pk")}
    for ind in members:
        q = part_of(ind, year)
        if ind.kind == MEAN_DAYS and ind.duration is not None:
            start, end = ind.duration
            span = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
            aggregates[f"{ind.key}__span"] = Sum(span, filter=q)
        if q is not None:
            aggregates[ind.key] = Count("pk", filter=q)
    qs = family.rows(year, year_end(year, today)).values(family.region).annotate(**aggregates).order_by()
    grouped = []
    for row in qs:
        region_id = row.pop(family.region)
        for k, v in list(row.items()):
            if isinstance(v, dt.timedelta):
                row[k] = v.total_seconds() / 86400
        grouped.append((region_id, row))
    return _rollup(grouped)


def _figure(ind: Indicator, sums: dict) -> Figure:
    n = sums.get("n", 0)
    part = sums.get(ind.key, n)
    if ind.kind == COUNT:
        return Figure(part, part, n)
    if ind.kind == RATE:
        return Figure(part / n if n else None, part, n)
    if ind.kind == MEAN_DAYS:
        span = sums.get(f"{ind.key}__span", 0) or 0
        return Figure(span / part if part else None, span, part)
    raise ValueError(f"kind: {ind.kind!r}")


def _coverage(year: int, scope: str | None, today: dt.date) -> dict[str, dict[str, Figure]]:
    from jiliang.verification.coverage import build_ledger

    ledger = build_ledger(year_end(year, today), region_code=scope)
    out: dict[str, dict[str, Figure]] = {}
    for r in ledger.regions:
        out[r.code] = {
            "coverage_provincewide": Figure(r.rate, r.items_covered, r.items_in_use),
            "coverage_below_province": Figure(r.below_province_rate, r.below_province_covered, r.below_province_in_use),
        }
    return out


@dataclass
class Table:
    """Figures by year → region code → indicator key."""

    years: list[int]
    scope: str | None  # the region whose subtree was computed; None: every region
    figures: dict[int, dict[str, dict[str, Figure]]]

    def get(self, year: int, code: str, key: str) -> Figure:
        return self.figures.get(year, {}).get(code, {}).get(key, EMPTY)


def compute(years: list[int], scope: str | None = None, *, today: dt.date | None = None) -> Table:
    """Every indicator for each year, for every region (or one region's subtree)."""
    today = today or timezone.localdate()
    by_family: dict[str, list[Indicator]] = {}
    for ind in INDICATORS:
        by_family.setdefault(ind.family, []).append(ind)
    prefix = "" if scope is None else _prefix(scope)
    codes = sorted(c for c, _lvl in region_tree().values() if c.startswith(prefix))
    figures: dict[int, dict[str, dict[str, Figure]]] = {}
    for year in years:
        per_code: dict[str, dict[str, Figure]] = {}
        for key, members in by_family.items():
            if key == "coverage":
                for code, figs in _coverage(year, scope, today).items():
                    per_code.setdefault(code, {}).update(figs)
                continue
            family = FAMILIES[key]
            if family.current_only and year != today.year:
                continue
            found = _family_sums(family, members, year, today)
            for code in codes:  # a region without rows counts 0 (a rate over none has no value)
                sums = found.get(code, {})
                per_code.setdefault(code, {}).update({ind.key: _figure(ind, sums) for ind in members})
        figures[year] = per_code
    return Table(sorted(years), scope, figures)


def _prefix(code: str) -> str:
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def standards_breakdown(year: int, region_ids: list[int] | None, today: dt.date | None = None) -> list[dict]:
    """Public standards by level and field (领域) for a region's subtree: one GROUP BY."""
    qs = _public_standards(year, year_end(year, today))
    if region_ids is not None:
        qs = qs.filter(holder__region_id__in=region_ids)
    levels = dict(reg.MeasurementStandard.Level.choices)
    rows = list(qs.values("level", "field__code", "field__name").annotate(n=Count("pk")).order_by("field__code", "level"))
    for row in rows:
        row["level_label"] = str(levels.get(row["level"], "")) or "—"
    return rows


def per_region_loop(years: list[int], scope: str, *, today: dt.date | None = None) -> Table:
    """The same figures, one region at a time (the benchmark's baseline: what a report
    written region by region does; here so that it and ``compute`` share every definition)."""
    from jiliang.verification.coverage import build_ledger

    today = today or timezone.localdate()
    codes = sorted(c for c, _lvl in region_tree().values() if c.startswith(_prefix(scope)))
    ids_by_code = {c: i for i, (c, _lvl) in region_tree().items()}
    figures: dict[int, dict[str, dict[str, Figure]]] = {}
    for year in years:
        per_code: dict[str, dict[str, Figure]] = {}
        for code in codes:
            ids = [ids_by_code[c] for c in codes if c.startswith(_prefix(code))]
            figs: dict[str, Figure] = {}
            ledger_region = build_ledger(year_end(year, today), region_code=code).region(code)
            figs["coverage_provincewide"] = Figure(ledger_region.rate)
            figs["coverage_below_province"] = Figure(ledger_region.below_province_rate)
            for ind in INDICATORS:
                if ind.family == "coverage" or (ind.current_only and year != today.year):
                    continue
                family = FAMILIES[ind.family]
                base = family.rows(year, year_end(year, today)).filter(region_filter(ind, ids))
                agg: dict = {"n": Count("pk")}
                q = part_of(ind, year)
                if q is not None:
                    agg[ind.key] = Count("pk", filter=q)
                if ind.kind == MEAN_DAYS and ind.duration is not None:
                    span = ExpressionWrapper(F(ind.duration[1]) - F(ind.duration[0]), output_field=DurationField())
                    agg[f"{ind.key}__span"] = Sum(span, filter=q)
                sums = base.aggregate(**agg)
                sums = {k: (v.total_seconds() / 86400 if isinstance(v, dt.timedelta) else v) for k, v in sums.items()}
                figs[ind.key] = _figure(ind, sums)
            per_code[code] = figs
        figures[year] = per_code
    return Table(sorted(years), scope, figures)


# -- kept figures ---------------------------------------------------------------------------


def _codes_in(scope: str | None) -> list[str]:
    prefix = "" if scope is None else _prefix(scope)
    return sorted(c for c, _lvl in region_tree().values() if c.startswith(prefix))


def store(table: Table, today: dt.date | None = None) -> int:
    """Keep a table's figures (replacing those of the same years and regions)."""
    from django.db import transaction

    from .models import IndicatorFigure

    today = today or timezone.localdate()
    ids = {code: pk for pk, (code, _lvl) in region_tree().items()}
    rows = [
        IndicatorFigure(
            year=year,
            region_id=ids[code],
            key=key,
            value=f.value,
            numerator=f.numerator,
            denominator=f.denominator,
            computed_on=today,
        )
        for year, per_code in table.figures.items()
        for code, figs in per_code.items()
        if code in ids
        for key, f in figs.items()
    ]
    with transaction.atomic():
        IndicatorFigure.objects.filter(
            year__in=list(table.figures), region_id__in=[ids[c] for c in _codes_in(table.scope) if c in ids]
        ).delete()
        IndicatorFigure.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def kept(years: list[int], scope: str | None, *, today: dt.date | None = None) -> Table | None:
    """The kept figures of the years for the scope's regions, when every year has them and
    the running year's were computed today; else None."""
    from .models import IndicatorFigure

    today = today or timezone.localdate()
    tree = region_tree()
    codes = set(_codes_in(scope))
    ids = [pk for pk, (code, _lvl) in tree.items() if code in codes]
    rows = IndicatorFigure.objects.filter(year__in=years, region_id__in=ids).values_list(
        "year", "region_id", "key", "value", "numerator", "denominator", "computed_on"
    )
    figures: dict[int, dict[str, dict[str, Figure]]] = {}
    for year, region_id, key, value, num, den, computed_on in rows:
        if year == today.year and computed_on != today:
            return None
        figures.setdefault(year, {}).setdefault(tree[region_id][0], {})[key] = Figure(value, num, den)
    if any(len(figures.get(y, {})) < len(codes) for y in years):
        return None
    return Table(sorted(years), scope, figures)


def figures(years: list[int], scope: str | None = None, *, today: dt.date | None = None) -> Table:
    """The page's figures: kept ones when fresh, else computed and kept."""
    table = kept(years, scope, today=today)
    if table is None:
        table = compute(years, scope, today=today)
        store(table, today)
    return table
