"""Unmet needs as gaps of the building plan (jiliang.plans wires this as a gap source).

A need is unmet when, at its last matching, no provider's capability fitted it (and, for
mandatory verification, none authorised for it): what the region lacks is a standard, not
a cheaper or quicker offer. Needs still open or waiting count; withdrawn and served ones
do not.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Count, Sum
from django.utils.translation import gettext

from .models import Need


class UnmetNeed(NamedTuple):
    # A CatalogItem id (int) when the needs name a mandatory-verification item, else the
    # quantity as "quantity:<id>" (a calibration need names no catalogue item).
    key: int | str
    count: int  # the number of unmet needs
    description: str


def unmet_needs(region_prefix: str) -> list[UnmetNeed]:
    """The unmet needs of the regions whose GB/T 2260 code starts with ``region_prefix``,
    grouped by catalogue item (or quantity), most needs first."""
    rows = (
        Need.objects.filter(
            region__code__startswith=region_prefix,
            capable=0,
            status__in=(Need.Status.OPEN, Need.Status.REQUESTED),
        )
        .values("catalog_item_id", "catalog_item__name", "quantity_id", "quantity__name", "unit")
        .annotate(n=Count("id"), instruments=Sum("instrument_count"))
        .order_by("-n", "catalog_item_id", "quantity_id", "unit")
    )
    found: dict[int | str, list] = {}
    for row in rows:
        key = row["catalog_item_id"] if row["catalog_item_id"] is not None else f"quantity:{row['quantity_id']}"
        name = row["catalog_item__name"] or f"{row['quantity__name']} ({row['unit']})"
        entry = found.setdefault(key, [0, 0, name])
        entry[0] += row["n"]
        entry[1] += row["instruments"] or 0
    return [
        UnmetNeed(
            key,
            n,
            gettext("%(name)s：%(n)s 条需求（%(instruments)s 台件）无机构能力满足")
            % {"name": name, "n": n, "instruments": instruments},
        )
        for key, (n, instruments, name) in sorted(found.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
    ]


def plan_gaps(region_code: str, as_of) -> list:
    """The building plan's gap source (registered with jiliang.plans.gaps in this app's
    ready()): the unmet needs of the region's subtree, per region and catalogue item (or
    quantity, for a calibration need), weighted by the instruments waiting on them."""
    from jiliang.plans.gaps import Gap
    from jiliang.registry.models import Region

    region = Region.objects.filter(code=region_code).first()
    if region is None:
        return []
    rows = (
        Need.objects.filter(
            region__code__startswith=region.descendant_codes_prefix(),
            capable=0,
            status__in=(Need.Status.OPEN, Need.Status.REQUESTED),
        )
        .values("region__code", "catalog_item__code", "catalog_item__name", "quantity__name")
        .annotate(n=Count("id"), instruments=Sum("instrument_count"))
        .order_by("region__code", "catalog_item__code", "quantity__name")
    )
    return [
        Gap(
            "matching",
            row["region__code"],
            row["catalog_item__code"] or "",
            row["catalog_item__name"] or row["quantity__name"] or "",
            row["instruments"] or row["n"],
            gettext("%(count)d 项供需对接需求无人能满足") % {"count": row["n"]},
        )
        for row in rows
    ]
