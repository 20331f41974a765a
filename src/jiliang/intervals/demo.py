"""The demo's interval history: one family with enough verifications for a recommendation.

A generated province has one verification per instrument at most, which tells nothing about
intervals. This step plants, for one periodic catalogue item the demo enterprise uses, 40
instruments of the enterprise with about six years of verifications each: intervals from
a quarter to 1.25 times the legal period (some were verified early, a few late), each found
in tolerance with the probability of a Weibull wear-out model R(t) = exp(−(t/η)²) with
R = 0.97 at the legal period; a failed one is repaired and verified again within a month;
the last verification is a recent pass, so none of them is left overdue.
The data then allow more than the legal period at 95 %, so the report shows the
recommendation held to the legal maximum. Bulk inserts: well under a second.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from jiliang.registry import models as reg

PREFIX = "JQDEMO"
INSTRUMENTS = 40
YEARS = 6


def _item(cast) -> reg.CatalogItem | None:
    periodic = reg.CatalogItem.objects.filter(
        management_mode=reg.CatalogItem.Mode.PERIODIC,
        supervision__in=[reg.CatalogItem.Supervision.V, reg.CatalogItem.Supervision.PV],
        period_months__gte=6,
    )
    used = (
        periodic.filter(instruments__owner=cast.enterprise)
        .annotate(n=Count("instruments", filter=Q(instruments__owner=cast.enterprise)))
        .order_by("-n", "code")
        .first()
    )
    return used or periodic.filter(period_months=12).order_by("code").first() or periodic.order_by("code").first()


def plant_intervals(cast) -> None:
    if reg.Instrument.objects.filter(code__startswith=PREFIX).exists():
        return
    item = _item(cast)
    if item is None:
        return
    rng = np.random.default_rng(1139)
    period = item.period_months * 365.2425 / 12
    eta = period / math.sqrt(-math.log(0.97))
    purpose = item.purposes[0] if item.purposes else reg.Instrument.Purpose.TRADE
    today = timezone.localdate()
    instruments = reg.Instrument.objects.bulk_create(
        reg.Instrument(
            code=f"{PREFIX}{n:04d}",
            name=item.name,
            catalog_item=item,
            legal_purpose=purpose,
            owner=cast.enterprise,
            region=cast.enterprise.region,
            manufacturer="示例仪表厂",
            model="JQ-1",
            serial_number=f"JQ{n:06d}",
            status=reg.Instrument.Status.IN_USE,
            installed_on=today - dt.timedelta(days=int(YEARS * 365.25) + 30),
        )
        for n in range(INSTRUMENTS)
    )
    events = []
    for instrument in instruments:
        day = today - dt.timedelta(days=int(YEARS * 365.25) + int(rng.integers(0, 60)))
        k = 0

        def verify(on: dt.date, passed: bool, instrument=instrument) -> None:
            nonlocal k
            events.append(
                reg.CalibrationEvent(
                    instrument=instrument,
                    performer=cast.institute,
                    kind=reg.CalibrationEvent.Kind.VERIFICATION,
                    performed_on=on,
                    passed=passed,
                    valid_until=on + dt.timedelta(days=int(period)) if passed else None,
                    certificate_number=f"{PREFIX}-{instrument.code}-{k:02d}",
                )
            )
            k += 1

        verify(day, True)
        while True:
            interval = int(period * rng.uniform(0.25, 1.25))
            if day + dt.timedelta(days=interval) > today:
                break
            day += dt.timedelta(days=interval)
            passed = bool(rng.random() < math.exp(-((interval / eta) ** 2)))
            verify(day, passed)
            if not passed:  # repaired, then verified again before going back into use
                day = min(day + dt.timedelta(days=int(rng.integers(5, 30))), today)
                verify(day, True)
        if day + dt.timedelta(days=int(period)) < today + dt.timedelta(days=45):
            # Not left overdue or about due: the demo's due lists stay as they were.
            verify(max(day + dt.timedelta(days=1), today - dt.timedelta(days=int(rng.integers(0, 30)))), True)
    reg.CalibrationEvent.objects.bulk_create(events)
