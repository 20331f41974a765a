"""Use cases of the building plan: draft a plan, take the gaps' proposals, move entries
through their states, read the progress against the plan and the standards that need an
upgrade (升级换代). Each write is one transaction; each refusal names the field and the rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.policies import as_actor
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from . import gaps
from .models import BuildingPlan, PlanEntry
from .policies import ENTRIES, PLANS


def _refuse(field: str, message: str, *, forbidden: bool = False):
    raise Refused([(field, message)], forbidden=forbidden)


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


@transaction.atomic
def create_plan(who, region: reg.Region, *, title: str, first_year: int, last_year: int) -> BuildingPlan:
    actor = as_actor(who)
    if not PLANS.may_create(actor, region):
        _refuse("region", gettext("建设规划由本地区计量行政部门编制"), forbidden=True)
    if not str(title or "").strip():
        _refuse("title", gettext("须填写规划名称"))
    if first_year > last_year:
        _refuse("last_year", gettext("截止年度不能早于起始年度"))
    return BuildingPlan.objects.create(
        region=region, title=title.strip(), first_year=first_year, last_year=last_year, created_by=_user(who)
    )


@transaction.atomic
def propose_from_gaps(who, plan: BuildingPlan, *, as_of: dt.date | None = None, limit: int = 50) -> list[PlanEntry]:
    """One proposed entry (新建) per catalogue item that a registered gap source reports in
    the plan's region and no live entry of the plan already names; heaviest gaps first."""
    actor = as_actor(who)
    if not PLANS.writable(actor, plan) or plan.status == BuildingPlan.Status.CLOSED:
        _refuse("plan", gettext("只有本地区计量行政部门可修改未结束的建设规划"), forbidden=True)
    found = gaps.collect(plan.region.code, as_of or timezone.localdate())
    taken = set(plan.entries.exclude(status=PlanEntry.Status.DROPPED).values_list("catalog_items__code", flat=True).distinct())
    by_item: dict[str, list[gaps.Gap]] = {}
    for g in found:
        if g.item_code and g.item_code not in taken:
            by_item.setdefault(g.item_code, []).append(g)
    items = {i.code: i for i in reg.CatalogItem.objects.filter(code__in=by_item).select_related("field")}
    made = []
    ranked = sorted(by_item.items(), key=lambda kv: -sum(g.instruments for g in kv[1]))
    for code, group in ranked[:limit]:
        item = items.get(code)
        if item is None:
            continue
        entry = PlanEntry.objects.create(
            plan=plan,
            action=PlanEntry.Action.BUILD,
            name=gettext("%(item)s 检定装置") % {"item": item.name},
            field=item.field,
            level=_level_of(plan.region),
            gap_source=",".join(sorted({g.source for g in group})),
            gap_instruments=sum(g.instruments for g in group),
            target_date=dt.date(plan.last_year, 12, 31),
            note=gettext("空白地区：%(regions)s") % {"regions": "、".join(sorted({g.region_code for g in group}))[:250]},
        )
        entry.catalog_items.add(item)
        made.append(entry)
    return made


def _level_of(region: reg.Region) -> str:
    return {"province": "province", "city": "city", "county": "county"}[region.level]


@transaction.atomic
def add_entry(
    who,
    plan: BuildingPlan,
    *,
    action: str,
    name: str,
    target_date: dt.date,
    holder: reg.Organisation | None = None,
    standard: reg.MeasurementStandard | None = None,
    catalog_items=(),
    level: str = "",
    note: str = "",
) -> PlanEntry:
    actor = as_actor(who)
    if not PLANS.writable(actor, plan) or plan.status == BuildingPlan.Status.CLOSED:
        _refuse("plan", gettext("只有本地区计量行政部门可修改未结束的建设规划"), forbidden=True)
    if action not in PlanEntry.Action.values:
        _refuse("action", gettext("类型须为新建、升级换代或撤销之一"))
    if action in (PlanEntry.Action.UPGRADE, PlanEntry.Action.RETIRE) and standard is None:
        _refuse("standard", gettext("升级换代或撤销须指明现有计量标准"))
    if not str(name or "").strip():
        _refuse("name", gettext("须填写计量标准名称"))
    if not plan.first_year <= target_date.year <= plan.last_year:
        _refuse("target_date", gettext("计划完成日期须在规划期内（%(a)s—%(b)s年）") % {"a": plan.first_year, "b": plan.last_year})
    entry = PlanEntry.objects.create(
        plan=plan,
        action=action,
        name=name.strip(),
        target_date=target_date,
        holder=holder,
        standard=standard,
        level=level,
        note=note,
        field=standard.field if standard is not None else None,
    )
    if catalog_items:
        entry.catalog_items.set(catalog_items)
    return entry


@transaction.atomic
def act_on_plan(who, plan: BuildingPlan, action: str, *, on: dt.date | None = None) -> BuildingPlan:
    actor = as_actor(who)
    if action not in PLANS.transitions:
        _refuse("action", gettext("未知操作：%(action)s") % {"action": action})
    if not PLANS.may(actor, action, plan):
        _refuse("status", gettext("当前状态或角色不允许此操作"), forbidden=not PLANS.writable(actor, plan))
    plan.status = PLANS.transitions[action][1]
    if action == "approve":
        plan.approved_on = on or timezone.localdate()
    plan.save()
    return plan


@transaction.atomic
def act_on_entry(
    who, entry: PlanEntry, action: str, *, on: dt.date | None = None, standard: reg.MeasurementStandard | None = None
) -> PlanEntry:
    actor = as_actor(who)
    if action not in ENTRIES.transitions:
        _refuse("action", gettext("未知操作：%(action)s") % {"action": action})
    if not ENTRIES.may(actor, action, entry):
        _refuse("status", gettext("当前状态或角色不允许此操作"), forbidden=not ENTRIES.writable(actor, entry))
    entry.status = ENTRIES.transitions[action][1]
    if action == "complete":
        entry.completed_on = on or timezone.localdate()
        if standard is not None:
            entry.standard = standard
    entry.save()
    return entry


# -- progress ----------------------------------------------------------------------------

ON_TIME, LATE, OVERDUE, OPEN, DROPPED = "on_time", "late", "overdue", "open", "dropped"


def standing(entry: PlanEntry, today: dt.date | None = None) -> str:
    """Where an entry stands against the plan: built on time, late, overdue, open, dropped."""
    today = today or timezone.localdate()
    if entry.status == PlanEntry.Status.DROPPED:
        return DROPPED
    if entry.status == PlanEntry.Status.DONE:
        return ON_TIME if entry.completed_on and entry.completed_on <= entry.target_date else LATE
    return OVERDUE if today > entry.target_date else OPEN


def progress(plan: BuildingPlan, today: dt.date | None = None) -> dict[str, int]:
    """Counts of the entries by standing, in one query (the CASE of ``standing`` in SQL)."""
    today = today or timezone.localdate()
    S = PlanEntry.Status
    entries = plan.entries.all()
    done = Q(status=S.DONE)
    return {
        ON_TIME: entries.filter(done, completed_on__lte=F("target_date")).count(),
        LATE: entries.filter(done, completed_on__gt=F("target_date")).count(),
        OVERDUE: entries.exclude(status__in=(S.DONE, S.DROPPED)).filter(target_date__lt=today).count(),
        OPEN: entries.exclude(status__in=(S.DONE, S.DROPPED)).filter(target_date__gte=today).count(),
        DROPPED: entries.filter(status=S.DROPPED).count(),
    }


# -- upgrade needs ----------------------------------------------------------------------


@dataclass(frozen=True)
class UpgradeNeed:
    standard_id: int
    certificate_number: str
    name: str
    reason: str  # "service_life" | "capability"
    detail: str


def upgrade_needs(region_code: str, today: dt.date | None = None) -> list[UpgradeNeed]:
    """Active public standards held in the region's subtree that need an upgrade (升级换代):

    - equipment past its service life: a device of the standard (an instrument pointing at
      it) whose installation plus its service life (its own, else its catalogue item's
      最长使用期限) lies before today;
    - capability no longer covering the instruments in use: for an item the standard lists,
      mandatory instruments in use in the region whose range reaches beyond every capability
      the standard states (the highest range_max, same unit), so the standard cannot verify them.
    """
    from jiliang.verification.coverage import mandatory_in_use

    today = today or timezone.localdate()
    prefix = region_code[:2] if region_code.endswith("0000") else region_code[:4] if region_code.endswith("00") else region_code
    S = reg.MeasurementStandard
    standards = S.objects.filter(tier=S.Tier.PUBLIC, status=S.Status.ACTIVE, holder__region__code__startswith=prefix)
    out: list[UpgradeNeed] = []
    devices = (
        reg.Instrument.objects.filter(standard__in=standards, installed_on__isnull=False)
        .exclude(status=reg.Instrument.Status.SCRAPPED)
        .values_list(
            "standard_id",
            "standard__certificate_number",
            "standard__name",
            "code",
            "installed_on",
            "service_life_years",
            "catalog_item__service_life_years",
        )
    )
    for std_id, number, name, code, installed, own_life, item_life in devices:
        life = own_life or item_life
        if life and _add_years(installed, life) < today:
            out.append(UpgradeNeed(std_id, number, name, "service_life", f"{code}: {installed.isoformat()} + {life} a"))
    reach = {
        (row["standard_id"], row["unit"]): row["top"]
        for row in reg.Capability.objects.filter(standard__in=standards)
        .values("standard_id", "unit")
        .annotate(top=Max("range_max"))
    }
    listed = reg.MeasurementStandard.catalog_items.through.objects.filter(measurementstandard__in=standards).values_list(
        "measurementstandard_id", "catalogitem_id", "measurementstandard__certificate_number", "measurementstandard__name"
    )
    region_ids = list(reg.Region.objects.filter(code__startswith=prefix).values_list("id", flat=True))
    beyond = {
        (row["catalog_item_id"], row["unit"]): row["top"]
        for row in mandatory_in_use()
        .filter(region_id__in=region_ids, range_max__isnull=False)
        .values("catalog_item_id", "unit")
        .annotate(top=Max("range_max"), low=Min("range_min"))
    }
    for std_id, item_id, number, name in listed:
        for (item, unit), top in beyond.items():
            if item != item_id:
                continue
            can = reach.get((std_id, unit))
            if can is not None and top > can:
                out.append(UpgradeNeed(std_id, number, name, "capability", f"{unit}: {top:g} > {can:g}"))
    out.sort(key=lambda u: (u.certificate_number, u.reason, u.detail))
    return out


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
