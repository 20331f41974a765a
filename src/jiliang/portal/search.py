"""Capability search: who can calibrate or verify what, among the published standards.

Like the BIPM KCDB's CMC search, a request names a quantity, optionally a measurand value
(with its unit), the largest expanded uncertainty acceptable and a region. The filter is
one SQL query: the few distinct units in which the quantity's capabilities are written are
read first, the requested value and uncertainty are converted into each of them with pint,
and the conditions become an OR over (unit, bounds) pairs, so the database does the
comparisons with its indexes and paging stays in SQL.

Uncertainty comparisons:
- absolute request U (in the value's unit) vs an absolute capability U_c: U_c ≤ U after
  conversion of U into the capability's unit;
- absolute request vs a relative capability u_c: u_c · |x| ≤ U, which needs the value x;
- relative request u vs a relative capability: u_c ≤ u;
- relative request vs an absolute capability: U_c ≤ u · |x|, which needs x.
A capability stated only by an accuracy class or MPE has no uncertainty to compare and is
left out when an uncertainty is requested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from jiliang.registry.models import Capability, MeasurementStandard, Quantity, Region

from . import units

# Conversions through pint carry ~1e-16 relative error: 1 L may become 1.0000000000000002 dm³.
# A bound that equals the request must still match.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class CapabilityQuery:
    quantity: Quantity | None = None
    value: float | None = None
    unit: str = ""  # of value and of an absolute uncertainty; default: the quantity's unit
    uncertainty: float | None = None
    relative: bool = False  # uncertainty is a fraction (the form takes per cent)
    region: Region | None = None
    tier: str = ""


def published_standards(today: dt.date | None = None) -> Q:
    """Standards the public may see and rely on today: published, active and in their term.
    Suspended, cancelled or lapsed standards never appear, whatever their flag says."""
    today = today or timezone.localdate()
    return Q(
        standard__published=True,
        standard__status=MeasurementStandard.Status.ACTIVE,
        standard__valid_from__lte=today,
        standard__valid_until__gte=today,
    )


def ancestor_codes(region: Region) -> list[str]:
    """The codes of the regions above ``region`` (city, province): at most two lookups."""
    codes, parent_id = [], region.parent_id
    while parent_id is not None:
        parent = Region.objects.only("code", "parent_id").get(pk=parent_id)
        codes.append(parent.code)
        parent_id = parent.parent_id
    return codes


def _widen(x: float) -> tuple[float, float]:
    d = abs(x) * TOLERANCE
    return x - d, x + d


def search(query: CapabilityQuery, today: dt.date | None = None) -> QuerySet[Capability]:
    qs = Capability.objects.filter(published_standards(today))
    if query.quantity is not None:
        qs = qs.filter(quantity=query.quantity)
    if query.tier:
        qs = qs.filter(standard__tier=query.tier)

    user_unit = query.unit or (query.quantity.unit if query.quantity is not None else "")
    cap_units = None
    if query.value is not None or (query.uncertainty is not None and (not query.relative or query.value is not None)):
        # The units the quantity's capabilities are written in: a handful, from the quantity index.
        cap_units = sorted(set(qs.values_list("unit", flat=True).distinct()))
        cap_units = [u for u in cap_units if units.convertible(user_unit, u)]

    if query.value is not None:
        in_range = Q(pk__in=[])
        for u in cap_units:
            lo, hi = _widen(units.convert(query.value, user_unit, u))
            in_range |= Q(unit=u, range_min__lte=hi, range_max__gte=lo)
        qs = qs.filter(in_range)

    if query.uncertainty is not None:
        qs = qs.filter(_uncertainty_condition(query, user_unit, cap_units or []))

    if query.region is not None:
        prefix = query.region.descendant_codes_prefix()
        above = ancestor_codes(query.region)
        code = "standard__holder__region__code"
        qs = qs.filter(Q(**{f"{code}__startswith": prefix}) | Q(**{f"{code}__in": above}))
        # Nearest first: the region itself, then inside it, then the levels above (city before province).
        qs = qs.annotate(
            proximity=Case(
                When(**{code: query.region.code}, then=Value(0)),
                When(**{f"{code}__startswith": prefix}, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        ).order_by("proximity", f"-{code}", "quantity__name", "standard__certificate_number", "id")
    else:
        qs = qs.order_by("quantity__name", "standard__holder__region__code", "standard__certificate_number", "id")
    return qs.select_related("quantity", "standard", "standard__holder", "standard__holder__region")


def _uncertainty_condition(query: CapabilityQuery, user_unit: str, cap_units: list[str]) -> Q:
    stated = Q(uncertainty__isnull=False)
    x = query.value
    if query.relative:
        wanted = query.uncertainty
        cond = Q(relative=True, uncertainty__lte=wanted * (1 + TOLERANCE))
        if x:  # absolute capabilities compare only at a value
            for u in cap_units:
                limit = abs(units.convert_difference(wanted * abs(x), user_unit, u))
                cond |= Q(relative=False, unit=u, uncertainty__lte=limit * (1 + TOLERANCE))
        return stated & cond
    cond = Q(pk__in=[])
    for u in cap_units:
        limit = abs(units.convert_difference(query.uncertainty, user_unit, u))
        cond |= Q(relative=False, unit=u, uncertainty__lte=limit * (1 + TOLERANCE))
    if x:
        cond |= Q(relative=True, uncertainty__lte=query.uncertainty / abs(x) * (1 + TOLERANCE))
    return stated & cond
