"""The demo's CMCs: the KCDB extracts shipped in ``data/`` (real rows; their provenance is
in the files) imported by the nation, and a CMC claim of the provincial institute on one of
its capability rows — a frequency one when it holds one, so the comparison with NIM's KCDB
CMCs has points to show — linked to a published comparison it took part in and submitted
for review. Through the services; one line in ``console.demo_activity``."""

from __future__ import annotations

from pathlib import Path

from jiliang.comparisons.models import Comparison, Participant
from jiliang.policies import NATIONAL, Actor
from jiliang.registry.models import Capability

from . import services

DATA = Path(__file__).parent / "data"
# The platform's quantity names → the KCDB's (for the demo's claim; a claim states its own).
KCDB_NAMES = {"频率": "Frequency", "时间间隔": "Time scale difference", "照度": "Illuminance responsivity, tungsten source"}


def plant_cmc(cast) -> None:
    nation = Actor(NATIONAL)
    services.import_kcdb_cmcs(nation, DATA / "kcdb-cmc-physics.json")
    services.import_kcdb_comparison(nation, DATA / "kcdb-kc-ccpr-k3-2014.txt")
    staff = cast.users.get("institute")
    rows = Capability.objects.filter(standard__holder=cast.institute).select_related("quantity", "standard").order_by("id")
    capability = rows.filter(quantity__name__in=KCDB_NAMES).first() or rows.first()
    if staff is None or capability is None:
        return
    quantity = KCDB_NAMES.get(capability.quantity.name, capability.quantity.name_en or capability.quantity.name)
    u = capability.uncertainty or 0.0
    relative = capability.relative or not u
    claim = services.declare(
        staff,
        capability,
        quantity=quantity,
        instrument=capability.standard.name,
        method="",
        range_min=capability.range_min,
        range_max=capability.range_max,
        unit=capability.unit,
        a=0.0 if relative else u,
        b=(u or 1e-6) if relative else 0.0,  # the registry states a relative U as a fraction
        k=capability.k or 2.0,
    )
    support = Participant.objects.filter(institution=cast.institute, comparison__status=Comparison.Status.PUBLISHED).first()
    if support is not None:
        services.link_support(staff, claim, support)
        services.submit(staff, claim)
