"""The demo's key energy users: the demo enterprise (a key energy user and emitter) and a
second unit of its city, each with metering points and meters at the three levels of
GB 17167-2006 (boundary → workshops → main equipment), online meters reporting hourly
through the signed telemetry pipeline for last month, with faults planted (a lost
afternoon, a frozen register, a jump, an unmetered branch), the month closed with its
alerts, and one completed energy metering review with a finding rectified. Everything but
the readings goes through the services; the readings through the ingest pipeline.
Hooked into the demo by one call (``console.demo_activity``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from jiliang.core import energy_metering as em
from jiliang.registry import models as reg

from . import services
from .models import KeyUnit, Level, Review, UnitMonth

INTERVAL_S = 3600.0  # the demo's meters report hourly (the checks scale their limits to it)

# (key, name, level, energy type, parent key, size, class, mean hourly energy)
TREE = (
    ("E0", "总进线（10 kV）", Level.ENTRY, "electricity", None, None, "0.5S", 0.0),
    ("E1", "一车间", Level.SECONDARY, "electricity", "E0", 800.0, "1.0", 420.0),
    ("E2", "二车间", Level.SECONDARY, "electricity", "E0", 600.0, "1.0", 310.0),
    ("E11", "1# 空压机", Level.EQUIPMENT, "electricity", "E1", 250.0, "1.0", 0.0),
    ("E12", "注塑机组", Level.EQUIPMENT, "electricity", "E1", 300.0, "1.0", 0.0),
    ("E21", "冷却塔风机", Level.EQUIPMENT, "electricity", "E2", 160.0, "2.0", 0.0),
    ("G0", "天然气进气总管", Level.ENTRY, "gas", None, None, "2.0", 0.0),
    ("G1", "1# 燃气锅炉", Level.EQUIPMENT, "gas", "G0", 150.0, "2.0", 95.0),
    ("W0", "自来水总表", Level.ENTRY, "water", None, None, "2.5", 12.0),
)
SMALL_TREE = TREE[:3]


def _month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _instrument(unit_org, key: str, name: str, klass: str, n: int) -> reg.Instrument:
    return reg.Instrument.objects.create(
        code=f"NY{unit_org.pk:06d}{n:03d}",
        name=f"能源计量器具 {name}",
        owner=unit_org,
        region=unit_org.region,
        accuracy=f"{klass}级",
        status=reg.Instrument.Status.IN_USE,
        model=key,
    )


def _verify(instrument, performer, today: dt.date, late: bool) -> None:
    performed = today - dt.timedelta(days=400 if late else 120)
    reg.CalibrationEvent.objects.create(
        instrument=instrument,
        performer=performer,
        kind=reg.CalibrationEvent.Kind.VERIFICATION,
        performed_on=performed,
        valid_until=performed + dt.timedelta(days=365),
        passed=True,
        certificate_number=f"JD-NY-{instrument.code}",
    )


def _series(rng, hours: int, mean: float) -> np.ndarray:
    """Hourly energy of a working plant: a day shape and noise."""
    hour = np.arange(hours) % 24
    shape = 0.6 + 0.4 * np.sin((hour - 6) / 24 * 2 * np.pi).clip(0)
    return mean * shape * rng.uniform(0.9, 1.1, hours)


def plant_unit(cast, organisation, admin, tree, *, faults: bool, seed: int) -> KeyUnit:
    from jiliang.supervision.telemetry import protocol
    from jiliang.supervision.telemetry import services as telemetry
    from jiliang.supervision.telemetry.pipeline import Pipeline

    today = timezone.localdate()
    unit = services.register_unit(
        admin,
        organisation,
        sector="C29 橡胶和塑料制品业",
        key_energy_user=True,
        key_emitter=faults,
        annual_tce=12_000.0,
        electricity_category="II",
        output_unit="t",
    )
    site = services.add_site(admin, unit, "主厂区", organisation.address)
    points, meters = {}, {}
    for n, (key, name, level, energy, parent, size, klass, _mean) in enumerate(tree):
        points[key] = services.add_point(
            admin,
            unit,
            name=name,
            level=level,
            energy_type=energy,
            parent=points.get(parent),
            size=size,
            site=site,
            emission_source={"electricity": "净购入电力", "gas": "天然气燃烧"}.get(energy, ""),
        )
        instrument = _instrument(organisation, key, name, klass, n)
        _verify(instrument, cast.institute, today, late=faults and key == "E21")
        device = telemetry.register_device(instrument, kind="reading", expected_interval_s=INTERVAL_S)
        meters[key] = services.add_meter(admin, points[key], instrument, device=device)
    # Hourly energy per leaf, sums up the tree (parents read what their children do, plus
    # 2 % losses; with faults the boundary also feeds an unmetered branch: +9 %).
    month = _month()
    start, end = services.month_bounds(month)
    hours = int((end - start).total_seconds() // INTERVAL_S) + 1
    rng = np.random.default_rng(seed)
    flows: dict[str, np.ndarray] = {}
    for key, _name, _level, _energy, _parent, _size, _klass, mean in tree:
        if mean:
            flows[key] = _series(rng, hours - 1, mean)
    children = {}
    for key, _name, _level, _energy, parent, *_ in tree:
        if parent:
            children.setdefault(parent, []).append(key)
    for key in ("E11", "E12"):  # equipment under workshop 1 take part of its energy
        if key in {k for k, *_ in tree}:
            flows[key] = flows["E1"] * (0.3 if key == "E11" else 0.45)
    if "E21" in {k for k, *_ in tree}:
        flows["E21"] = flows["E2"] * 0.25
    flows["E0"] = (flows["E1"] + flows["E2"]) * (1.02 + (0.09 if faults else 0.0))
    if "G0" in {k for k, *_ in tree}:
        flows["G0"] = flows["G1"] * 1.01
    registers = {}
    for key, flow in flows.items():
        registers[key] = 10_000.0 + np.concatenate([[0.0], np.cumsum(flow)])
    if faults:
        registers["E12"][200:207] = np.nan  # an afternoon lost (7 hours)
        registers["E2"][400:430] = registers["E2"][400]  # frozen for 30 hours...
        registers["E2"][430:] += registers["E2"][400] - registers["E2"][430]  # ...then moving on from there
        registers["G1"][600:] += 95.0 * 40  # a jump of 40 hours' gas in one hour
    messages = []
    t0 = start.timestamp()
    for key, register in registers.items():
        device = meters[key].device
        for i, value in enumerate(register):
            if np.isnan(value):
                continue
            body = {
                "d": device.code,
                "seq": i + 1,
                "ts": t0 + i * INTERVAL_S,
                "kind": "reading",
                "register": round(float(value), 3),
            }
            messages.append(protocol.encode(body, device.key))
    received = timezone.now().timestamp()
    pipeline = Pipeline()
    for k in range(0, len(messages), 5000):
        pipeline.handle([(m, received) for m in messages[k : k + 5000]])
    # Five earlier months like this one (the history the intensity check reads): the same
    # energy per tonne within a few per cent. With faults, this month's output fell by a
    # fifth while the energy did not.
    entry = {key for key, _n, level, *_ in tree if level == Level.ENTRY}
    tce = sum(float(flows[k].sum()) * em.FACTORS[energy]["kgce"] / 1000 for k, _n, _l, energy, *_ in tree if k in entry)
    for back in range(5, 0, -1):
        earlier = (month - dt.timedelta(days=28 * back)).replace(day=1)
        share = 1.0 + 0.03 * np.sin(back)
        UnitMonth(
            unit=unit,
            month=earlier,
            tce=tce * share,
            u_tce=0.003 * tce,
            co2_t=4.4 * tce * share,
            u_co2_t=0.013 * tce,
            output=2_000.0,
        ).save()
    services.close_month(admin, unit, month, output=1_600.0 if faults else 2_000.0)
    return unit


def plant_review(cast, unit: KeyUnit, admin) -> Review:
    from .rules import ENERGY_CHECKLIST

    today = timezone.localdate()
    started = today - dt.timedelta(days=40)
    review = services.open_review(admin, unit, started_on=started, reviewers="省计量院能源计量审查组")
    items = {code: "yes" for code, _label, _source in ENERGY_CHECKLIST}
    items["6.3"] = {"verdict": "no", "note": "冷却塔风机电能表超过检定有效期仍在使用。"}
    services.record_checklist(admin, review, items)
    # Due today: the unit's answer (dated 20 days ago) is filed within the period.
    services.require_rectification(admin, review, today)
    enterprise_user = cast.users.get("enterprise")
    for finding in review.findings.all():
        services.rectify(
            enterprise_user, finding, "已送省计量院检定，取得检定证书并更新器具档案。", started + dt.timedelta(days=20)
        )
    review.refresh_from_db()
    return services.decide(
        admin, review, Review.Result.RECTIFIED, summary="整改后符合 JJF 1356-2012 要求。", on=started + dt.timedelta(days=25)
    )


def plant_energy(cast) -> None:
    admin = cast.users["city-admin"]
    unit = plant_unit(cast, cast.enterprise, admin, TREE, faults=True, seed=2201)
    other = (
        reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ENTERPRISE, region__code__startswith=cast.city.code[:4])
        .exclude(pk=cast.enterprise.pk)
        .order_by("id")
        .first()
    )
    if other is not None:
        plant_unit(cast, other, admin, SMALL_TREE, faults=False, seed=2202)
    plant_review(cast, unit, admin)
