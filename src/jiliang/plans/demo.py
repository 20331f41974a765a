"""The demo's building plan: the city's plan for the period, its entries proposed from the
coverage ledger's gaps, then moved to several states (planned, under way, done on time,
done late, dropped) so the progress and the indicators pages have something to show.
Hooked into the demo by one call (``console.demo_activity``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiliang.registry import models as reg

from . import services
from .models import PlanEntry

STATES = ("late", "on_time", "dropped", "in_progress", "proposed", "planned", "planned")


def plant_plans(cast) -> None:
    admin = cast.users.get("city-admin") or cast.users.get("province-admin")
    today = timezone.localdate()
    plan = services.create_plan(
        admin, cast.city, title=f"{cast.city.name}社会公用计量标准建设规划", first_year=today.year - 1, last_year=today.year + 3
    )
    entries = services.propose_from_gaps(admin, plan, as_of=today, limit=6)
    institute = reg.Organisation.objects.filter(region__code__startswith=cast.city.code[:4], kind="legal_institute").first()
    standard = reg.MeasurementStandard.objects.filter(tier="public", holder__region__code__startswith=cast.city.code[:4]).first()
    if standard is not None:
        entries.append(
            services.add_entry(
                admin,
                plan,
                action=PlanEntry.Action.UPGRADE,
                name=f"{standard.name}（升级换代）",
                standard=standard,
                holder=standard.holder,
                target_date=dt.date(today.year, 6, 30),
            )
        )
    for k, entry in enumerate(entries):
        if institute is not None and entry.holder_id is None:
            entry.holder = institute
            entry.save(update_fields=["holder"])
        state = STATES[k % len(STATES)]
        if state == "dropped":
            services.act_on_entry(admin, entry, "drop")
        elif state != "proposed":
            services.act_on_entry(admin, entry, "plan")
        if state == "in_progress":
            services.act_on_entry(admin, entry, "start")
        elif state in ("on_time", "late"):
            # Due last September: one done before, one after.
            entry.target_date = dt.date(today.year - 1, 9, 30)
            entry.save(update_fields=["target_date"])
            done_on = dt.date(today.year - 1, 9, 1) if state == "on_time" else dt.date(today.year - 1, 11, 15)
            services.act_on_entry(admin, entry, "complete", on=done_on)
    services.act_on_plan(admin, plan, "approve", on=today)
