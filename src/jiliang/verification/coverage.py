"""The coverage ledger (强检项目建标台账) read from the registry.

For every region (province, city, county) and catalog item: the mandatory instruments in
use there, and two figures (``jiliang.core.coverage``), each printed with its definition:

- 省域覆盖率 (``rate``): covered by a public standard held anywhere in the region (for the
  province: anywhere in the province) or, where the configurable rule
  ``JILIANG_COVERAGE_FALLBACK`` allows, by a standard of the level above;
- 省级以下覆盖率 (``below_province_rate``): each city and county covered by its own public
  standards only, summed over the cities and counties of the region. This is the figure the
  plans set a target for (计量发展规划（2021—2035年）, 国发〔2021〕37号; ``JILIANG_COVERAGE_TARGET``).

A standard covers only the catalog items it lists (``catalog_items``): a standard listing
no item covers none (a provincial quantity standard used to count for every item of its
quantity, which lifted the province to 100 %). One GROUP BY over the instruments, then
array code; the small tables (regions, standards, catalog) are read whole. Nothing is
cached, so the ledger moves with the data. Past dates count the instruments installed by
then and the standards in force then (status history and certificate dates); instruments'
own status history is not kept, so their present status is used.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiliang.core import coverage as core
from jiliang.registry import models as reg

from . import fitness
from .models import CoverageSnapshot

LEVEL_INDEX = {"province": core.PROVINCE, "city": core.CITY, "county": core.COUNTY}
DEFAULT_FALLBACK = {"county": ["city"], "city": ["province"]}

# The definitions printed beside each figure (page, XLSX, API).
PROVINCEWIDE_DEFINITION = _(
    "省域覆盖率：本地区在用的强检项目中，有本地区内任一有效社会公用计量标准覆盖（按设置也可由上级地区的标准服务）的项目所占比例；"
    "一项计量标准只覆盖它所列的强检项目。"
)
BELOW_PROVINCE_DEFINITION = _(
    "省级以下覆盖率：各市、县在用的强检项目中，由该市、县自有的有效社会公用计量标准覆盖的项目所占比例（不计上级或其他地区的标准），"
    "按市、县合计；计量发展规划（2021—2035年）设定的目标针对此项。"
)


def target() -> float:
    return float(getattr(settings, "JILIANG_COVERAGE_TARGET", 0.90))


def fallback_rule() -> dict[int, tuple[int, ...]]:
    """The ancestor levels allowed to serve each level, from settings (by level name)."""
    rule = getattr(settings, "JILIANG_COVERAGE_FALLBACK", DEFAULT_FALLBACK)
    out = {}
    for lvl, ups in rule.items():
        if lvl not in LEVEL_INDEX or any(u not in LEVEL_INDEX for u in ups):
            raise ValueError(f"JILIANG_COVERAGE_FALLBACK: levels are province, city, county; got {lvl!r}: {ups!r}")
        out[LEVEL_INDEX[lvl]] = tuple(LEVEL_INDEX[u] for u in ups)
    return out


def mandatory_in_use(queryset=None):
    """Working instruments under mandatory verification that are in use (standard devices excluded)."""
    qs = reg.Instrument.objects.all() if queryset is None else queryset
    return qs.filter(catalog_item__isnull=False, standard__isnull=True, status=reg.Instrument.Status.IN_USE).exclude(
        legal_purpose=reg.Instrument.Purpose.NONE
    )


@dataclass
class RegionCoverage:
    code: str
    name: str
    level: str
    items_in_use: int
    items_covered: int
    instruments: int
    rollup_in_use: int
    rollup_covered: int
    below_province_in_use: int = 0  # own in-use items over the cities and counties of the subtree
    below_province_covered: int = 0

    @property
    def rate(self) -> float | None:
        """省域: items in use covered anywhere in the region (or from above, as the rule allows)."""
        return self.items_covered / self.items_in_use if self.items_in_use else None

    @property
    def below_province_rate(self) -> float | None:
        """省级以下: items in use in each city and county covered by its own standards."""
        return self.below_province_covered / self.below_province_in_use if self.below_province_in_use else None

    @property
    def rollup_rate(self) -> float | None:
        return self.rollup_covered / self.rollup_in_use if self.rollup_in_use else None

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "instruments": self.instruments,
            "items_in_use": self.items_in_use,
            "items_covered": self.items_covered,
            "rate": _round(self.rate),
            "rollup_items_in_use": self.rollup_in_use,
            "rollup_items_covered": self.rollup_covered,
            "rollup_rate": _round(self.rollup_rate),
            "below_province_items_in_use": self.below_province_in_use,
            "below_province_items_covered": self.below_province_covered,
            "below_province_rate": _round(self.below_province_rate),
        }


@dataclass
class LedgerCell:
    region_code: str
    region_name: str
    level: str
    item_code: str
    item_name: str
    instruments: int
    covered: bool
    served_by: str  # the level of the region whose standard covers it, "" for a gap


@dataclass
class Gap:
    region_code: str
    region_name: str
    item_code: str
    item_name: str
    instruments: int
    nearest_institution: str
    nearest_region: str

    def to_json(self) -> dict:
        return {
            "region": self.region_code,
            "region_name": self.region_name,
            "item": self.item_code,
            "item_name": self.item_name,
            "instruments": self.instruments,
            "nearest_institution": self.nearest_institution or None,
            "nearest_region": self.nearest_region or None,
        }


@dataclass
class Ledger:
    as_of: dt.date
    target: float
    regions: list[RegionCoverage]
    cells: list[LedgerCell] = field(repr=False)
    gaps: list[Gap]

    def region(self, code: str) -> RegionCoverage:
        for r in self.regions:
            if r.code == code:
                return r
        raise KeyError(f"region {code} is not in the ledger")

    def to_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "target": self.target,
            "definitions": {"rate": str(PROVINCEWIDE_DEFINITION), "below_province_rate": str(BELOW_PROVINCE_DEFINITION)},
            "regions": [r.to_json() for r in self.regions],
            "gaps": [g.to_json() for g in self.gaps],
        }


def _round(x):
    return None if x is None else round(float(x), 4)


def _region_tree():
    rows = list(reg.Region.objects.order_by("code").values_list("id", "code", "name", "level", "parent_id"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    index = {rid: k for k, rid in enumerate(ids.tolist())}
    parent = np.array([index.get(r[4], -1) for r in rows], dtype=np.int64)
    level = np.array([LEVEL_INDEX[r[3]] for r in rows], dtype=np.int64)
    return rows, index, parent, level


def _covering_pairs(standard_ids: list[int]) -> list[tuple[int, int]]:
    """(standard id, item id) for each active standard and each catalog item it lists. A
    standard covers only what it lists: one listing no item covers none."""
    if not standard_ids:
        return []
    return sorted(
        reg.MeasurementStandard.catalog_items.through.objects.filter(measurementstandard_id__in=standard_ids).values_list(
            "measurementstandard_id", "catalogitem_id"
        )
    )


def build_ledger(as_of: dt.date | None = None, region_code: str | None = None) -> Ledger:
    """The ledger on a date (default today), for every region or one region's subtree."""
    today = timezone.localdate()
    as_of = as_of or today
    rows, index, parent, level = _region_tree()
    if region_code is not None and not any(r[1] == region_code for r in rows):
        raise ValueError("region: " + gettext("没有代码为 %(code)s 的区划") % {"code": region_code})
    items = list(reg.CatalogItem.objects.order_by("code").values_list("id", "code", "name", "quantity_id"))
    item_index = {it[0]: k for k, it in enumerate(items)}

    instruments = mandatory_in_use()
    if as_of < today:
        instruments = instruments.filter(Q(installed_on__lte=as_of) | Q(installed_on__isnull=True))
    prefix = None
    if region_code is not None:
        prefix = {core.PROVINCE: 2, core.CITY: 4, core.COUNTY: 6}[level[[r[1] for r in rows].index(region_code)]]
        # By region id (the (region, catalog_item) index), not a join filtered on the code.
        instruments = instruments.filter(region_id__in=[r[0] for r in rows if r[1].startswith(region_code[:prefix])])
    grouped = np.array(
        list(instruments.values_list("region_id", "catalog_item_id").annotate(n=Count("id")).order_by()), dtype=np.int64
    ).reshape(-1, 3)
    counts = np.zeros((len(rows), len(items)), dtype=np.int64)
    if grouped.size:
        r_idx = np.array([index[r] for r in grouped[:, 0].tolist()], dtype=np.int64)
        i_idx = np.array([item_index[i] for i in grouped[:, 1].tolist()], dtype=np.int64)
        np.add.at(counts, (r_idx, i_idx), grouped[:, 2])

    active = fitness.active_public_standards(as_of, today)
    holders = {
        s: (region_id, name, code)
        for s, region_id, name, code in reg.MeasurementStandard.objects.filter(id__in=active).values_list(
            "id", "holder__region_id", "holder__name", "holder__region__code"
        )
    }
    holds = np.zeros_like(counts, dtype=bool)
    servers_by_item: dict[int, list[tuple[str, str]]] = {}
    for std_id, item_id in _covering_pairs(active):
        region_id, name, code = holders[std_id]
        holds[index[region_id], item_index[item_id]] = True
        servers_by_item.setdefault(item_id, []).append((code, name))

    result = core.compute_coverage(parent, level, counts, holds, fallback_rule())

    keep = np.ones(len(rows), dtype=bool)
    if prefix is not None:
        keep = np.array([r[1].startswith(region_code[:prefix]) for r in rows])
    regions, cells, gaps = [], [], []
    for k in np.flatnonzero(keep).tolist():
        _, code, name, lvl, _ = rows[k]
        regions.append(
            RegionCoverage(
                code,
                name,
                lvl,
                int(result.items_in_use[k]),
                int(result.items_covered[k]),
                int(result.instruments[k].sum()),
                int(result.rollup_in_use[k]),
                int(result.rollup_covered[k]),
                int(result.below_province_in_use[k]),
                int(result.below_province_covered[k]),
            )
        )
    rk, ik = np.nonzero(result.in_use & keep[:, None])
    for k, j in zip(rk.tolist(), ik.tolist()):
        served = int(result.served_by[k, j])
        _, code, name, lvl, _ = rows[k]
        cells.append(
            LedgerCell(
                code,
                name,
                lvl,
                items[j][1],
                items[j][2],
                int(result.instruments[k, j]),
                served != core.NOT_SERVED,
                core.LEVEL_NAMES[served] if served != core.NOT_SERVED else "",
            )
        )
        if served == core.NOT_SERVED:
            near_code, near_name = _nearest(code, servers_by_item.get(items[j][0], []))
            gaps.append(Gap(code, name, items[j][1], items[j][2], int(result.instruments[k, j]), near_name, near_code))
    gaps.sort(key=lambda g: (-g.instruments, g.region_code, g.item_code))
    return Ledger(as_of, target(), regions, cells, gaps)


def _nearest(region_code: str, servers: list[tuple[str, str]]) -> tuple[str, str]:
    """The institution whose region shares the longest GB/T 2260 prefix (same city before
    same province), preferring the city or province seat on a tie."""
    best, best_key = ("", ""), None
    for code, name in servers:
        shared = next((n for n in (6, 4, 2) if code[:n] == region_code[:n]), 0)
        key = (shared, code.endswith("00"), code.endswith("0000"), name)
        if best_key is None or key > best_key:
            best, best_key = (code, name), key
    return best


# -- history ---------------------------------------------------------------------------


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@transaction.atomic
def take_snapshot(month: dt.date | None = None) -> int:
    """Store every region's coverage at the end of a month (or today, for the current month)."""
    today = timezone.localdate()
    month = (month or today).replace(day=1)
    as_of = min(month_end(month), today)
    ledger = build_ledger(as_of)
    region_ids = dict(reg.Region.objects.values_list("code", "id"))
    CoverageSnapshot.objects.filter(month=month).delete()
    CoverageSnapshot.objects.bulk_create(
        [
            CoverageSnapshot(
                month=month,
                region_id=region_ids[r.code],
                items_in_use=r.items_in_use,
                items_covered=r.items_covered,
                instruments=r.instruments,
                rollup_in_use=r.rollup_in_use,
                rollup_covered=r.rollup_covered,
                below_province_in_use=r.below_province_in_use,
                below_province_covered=r.below_province_covered,
            )
            for r in ledger.regions
        ]
    )
    return len(ledger.regions)


def history(region_code: str, months: int = 12, as_of: dt.date | None = None) -> list[dict]:
    """The rolled-up coverage rate of a region by month, oldest first: from the snapshot
    where one was taken, else computed from the registry as it stood at the month's end."""
    today = as_of or timezone.localdate()
    first = today.replace(day=1)
    wanted = []
    for back in range(months - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        wanted.append(dt.date(y, m + 1, 1))
    stored = {s.month: s for s in CoverageSnapshot.objects.filter(region__code=region_code, month__in=wanted)}
    out = []
    for month in wanted:
        snap = stored.get(month)
        if snap is not None:
            out.append(_month_row(month, snap, "snapshot"))
            continue
        # A month that has ended, computed, is kept for the rest of the day (a ledger of a
        # 10⁵-instrument province takes a quarter of a second; twelve of them, seconds).
        ended = month_end(month) < today
        key = f"coverage:history:{region_code}:{month.isoformat()}:{today.isoformat()}"
        row = cache.get(key) if ended else None
        if row is None:
            ledger = build_ledger(min(month_end(month), today), region_code=region_code)
            row = _month_row(month, ledger.region(region_code), "computed")
            if ended:
                cache.set(key, row, HISTORY_CACHE_SECONDS)
        out.append(row)
    return out


HISTORY_CACHE_SECONDS = 24 * 3600


def _month_row(month: dt.date, r, source: str) -> dict:
    return {
        "month": month.isoformat()[:7],
        "rollup_items_in_use": r.rollup_in_use,
        "rollup_items_covered": r.rollup_covered,
        "rollup_rate": _round(r.rollup_covered / r.rollup_in_use) if r.rollup_in_use else None,
        "rate": _round(r.rate),
        "below_province_rate": _round(r.below_province_rate),
        "source": source,
    }


# -- export and chart ------------------------------------------------------------------


def export_xlsx(ledger: Ledger, target_file=None) -> bytes | None:
    """Write the ledger as a workbook (sheets 覆盖率, 台账, 空白); bytes when no target."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("覆盖率 coverage")
    sheet.append(
        [
            "区划代码 code",
            "名称 name",
            "级别 level",
            "强检器具 instruments",
            "在用项目 items in use",
            "已建标 covered",
            f"省域覆盖率 province-wide rate — {PROVINCEWIDE_DEFINITION}",
            "含下级在用 rollup in use",
            "含下级已建标 rollup covered",
            "含下级覆盖率 rollup rate",
            "省级以下在用 below-province in use",
            "省级以下自有标准覆盖 below-province covered",
            f"省级以下覆盖率 below-province rate (目标 target {ledger.target:.0%}) — {BELOW_PROVINCE_DEFINITION}",
        ]
    )
    for r in ledger.regions:
        sheet.append(
            [
                r.code,
                r.name,
                r.level,
                r.instruments,
                r.items_in_use,
                r.items_covered,
                _round(r.rate),
                r.rollup_in_use,
                r.rollup_covered,
                _round(r.rollup_rate),
                r.below_province_in_use,
                r.below_province_covered,
                _round(r.below_province_rate),
            ]
        )
    sheet = book.create_sheet("台账 ledger")
    sheet.append(
        [
            "区划代码 code",
            "名称 name",
            "级别 level",
            "目录编号 item",
            "器具名称 item name",
            "器具数 instruments",
            "已建标 covered",
            "服务层级 served by",
        ]
    )
    for c in ledger.cells:
        sheet.append(
            [
                c.region_code,
                c.region_name,
                c.level,
                c.item_code,
                c.item_name,
                c.instruments,
                "是" if c.covered else "否",
                c.served_by,
            ]
        )
    sheet = book.create_sheet("空白 gaps")
    sheet.append(
        [
            "区划代码 code",
            "名称 name",
            "目录编号 item",
            "器具名称 item name",
            "受影响器具 instruments",
            "最近可服务机构 nearest institution",
            "所在区划 its region",
        ]
    )
    for g in ledger.gaps:
        sheet.append(
            [g.region_code, g.region_name, g.item_code, g.item_name, g.instruments, g.nearest_institution, g.nearest_region]
        )
    if target_file is None:
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    book.save(target_file)
    return None


def coverage_chart(ledger: Ledger, fmt: str = "svg", level: str | None = None) -> bytes:
    """Bars of the rolled-up coverage rate of the regions at one level (default: cities, or
    the counties when the ledger covers one city), with the target line."""
    from jiliang.core.plotting import figure_class

    Figure = figure_class()

    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt: must be svg or png, got {fmt!r}")
    if level is None:
        level = "city" if sum(r.level == "city" and r.rollup_in_use > 0 for r in ledger.regions) > 1 else "county"
    shown = [r for r in ledger.regions if r.level == level and r.rollup_in_use]
    fig = Figure(figsize=(max(6, 0.6 * len(shown) + 2), 4.5))
    ax = fig.add_subplot()
    rates = [100 * r.rollup_rate for r in shown]
    colours = ["#2a7d2e" if rate >= 100 * ledger.target else "#c0392b" for rate in rates]
    ax.bar(range(len(shown)), rates, color=colours)
    ax.axhline(100 * ledger.target, color="#333", linestyle="--", linewidth=1, label=f"target {100 * ledger.target:.0f} %")
    ax.set_xticks(range(len(shown)), [r.code for r in shown], rotation=60, fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("coverage (%)")
    ax.set_title(f"Coverage of mandatory items by {level}, {ledger.as_of}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()
