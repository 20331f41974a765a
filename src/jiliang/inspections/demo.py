"""The demo's random inspections: the 检查对象名录库 of a region (the enterprises using
fuel dispensers as fuel stations, the others as users of instruments under mandatory
verification), its 执法检查人员名录库 (the given officers, one tied to a target), a draw
published and performed, its campaign in progress with one inspection signed by two
officers and published. Everything goes through the services. Hooked into the demo by one
call (``console.demo_activity``) and into the browser tests' province."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone, translation

from jiliang.registry import models as reg

from . import checklists, services
from .models import ConflictTie, Inspection, Inspector, TargetKind

NAMES = ("张明", "李华", "王芳", "赵磊", "陈静")  # officers whose account has no full name


@dataclass
class Planted:
    draw: object
    campaign: object
    published: Inspection | None
    assigned: list  # inspections still to do, each with the first officer assigned


def _chinese(label) -> str:
    """The records' own words are Chinese, whatever language the demo runs in."""
    with translation.override("zh-hans"):
        return str(label)


def _targets(region, admin) -> str:
    """List the region's targets; fuel stations are the campaign's kind when there are a few."""
    services.sync_targets(admin, region)
    return "fuel_station" if services.population(region, "fuel_station").count() >= 3 else "instrument_user"


def plant(region, admin, officers: list, today: dt.date | None = None, sample: dict | None = None) -> Planted:
    """``officers``: users of the region's administration put on the officers' list (the
    first is the one whose list of the day has work); ``admin`` publishes and draws."""
    today = today or timezone.localdate()
    kind = _targets(region, admin)
    inspectors = []
    for n, user in enumerate(officers):
        inspector = Inspector.objects.filter(user=user).first() or services.register_inspector(
            admin,
            region,
            user.get_full_name() or NAMES[n % len(NAMES)],
            f"{region.code}-{n + 1:04d}",
            today + dt.timedelta(days=3 * 365),
            list(TargetKind.values),
            user=user,
        )
        inspectors.append(inspector)
    population = list(services.population(region, kind).order_by("organisation_id").values_list("organisation_id", flat=True))
    if len(inspectors) > 2 and population:
        # The third officer's spouse runs a target: he is never drawn for it (回避).
        services.declare_tie(
            admin, inspectors[2], reg.Organisation.objects.get(pk=population[0]), ConflictTie.Kind.RELATIVE, note="配偶经营"
        )
    # Counts per class (a small demo county has few targets); D is drawn whole when small.
    sample = sample or {"A": 1, "B": 3, "C": 3, "D": 5}
    draw = services.publish_draw(
        admin,
        region,
        kind,
        f"{today.year} 年{region.name}{_chinese(TargetKind(kind).label)}计量双随机抽查",
        today,
        sample,
    )
    campaign = services.create_campaign(
        admin, region, kind, f"{today.year} 年{region.name}计量专项检查", today, today + dt.timedelta(days=60), draw=draw
    )
    draw = services.perform_draw(admin, draw, external_value=f"{today.isoformat()} 福利彩票 3D 开奖号码 4 1 7")
    first = inspectors[0]
    mine = [i for i in campaign.inspections.order_by("pk") if i.inspectors.filter(pk=first.pk).exists()]
    published = None
    done = next((i for i in campaign.inspections.order_by("pk") if i.inspectors.count() >= 2), None)
    if done is not None:
        officers_of = list(done.inspectors.all())
        answers = {
            item.code: {"verdict": "pass", "measurement": "0.05" if item.unit else ""} for item in checklists.checklist(kind)
        }
        services.record_checklist(officers_of[0].user, done, answers, summary="现场检查未发现计量违法行为。")
        for inspector in officers_of:
            services.sign(inspector.user, done)
        published = services.publish_results(admin, done)
    assigned = [i for i in mine if published is None or i.pk != published.pk]
    return Planted(draw=draw, campaign=campaign, published=published, assigned=assigned)
