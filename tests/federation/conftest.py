"""Two provinces and a centre in one database: Beijing (11) and Zhejiang (33), built by hand
once for the package (rolled back at its end; each test runs in a savepoint inside it).

Zhejiang's provincial institute holds a public standard S_B whose device rests on a primary
standard; it verified the device of Beijing's public standard S_A (a cross-province link);
S_A verified a working instrument W in Beijing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jiliang.certificates import keys
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg
from jiliang.registry.reference_data import install_reference_data

from ..conftest import rolled_back

DAY = dt.date(2026, 3, 2)


@dataclass
class World:
    beijing: reg.Organisation
    zhejiang: reg.Organisation
    centre: reg.Organisation
    standard_b: reg.MeasurementStandard
    standard_a: reg.MeasurementStandard
    device_b_event: reg.CalibrationEvent
    device_a_event: reg.CalibrationEvent  # performed in Zhejiang, recorded in Beijing
    working: reg.Instrument
    working_event: reg.CalibrationEvent


def _region(code, name, level, parent=None):
    return reg.Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def build_world() -> World:
    install_reference_data()
    keys.init_authority()
    bj = _region("110000", "北京市", "province")
    bj_city = _region("110100", "市辖区", "city", bj)
    bj_county = _region("110105", "朝阳区", "county", bj_city)
    zj = reg.Region.objects.get(code="330000")
    org = reg.Organisation.objects.create
    beijing = org(
        name="北京市计量检测科学研究院", kind="legal_institute", region=bj, credit_code=make_credit_code("12110000000000001")
    )
    bj_admin = org(
        name="北京市市场监督管理局", kind="administration", region=bj, credit_code=make_credit_code("11110000000000001")
    )
    zhejiang = org(
        name="浙江省计量科学研究院", kind="legal_institute", region=zj, credit_code=make_credit_code("12330000000000001")
    )
    zj_admin = org(
        name="浙江省市场监督管理局", kind="administration", region=zj, credit_code=make_credit_code("11330000000000009")
    )
    centre = org(name="国家计量数据中心", kind="legal_institute", region=bj, credit_code=make_credit_code("12100000000000001"))
    user = org(name="朝阳燃气有限公司", kind="enterprise", region=bj_county, credit_code=make_credit_code("91110105000000001"))
    field = reg.MetrologyField.objects.get(code="mechanics")
    quantity = reg.Quantity.objects.filter(field=field).first()
    primary = reg.PrimaryStandard.objects.create(
        code="GJJZ-M-001",
        name="千克基准",
        quantity=quantity,
        range_min=1,
        range_max=1,
        unit="kg",
        uncertainty=1e-8,
        holder=centre,
    )
    std = reg.MeasurementStandard.objects.create
    standard_b = std(
        name="E1等级砝码标准装置",
        tier="public",
        level="province",
        holder=zhejiang,
        field=field,
        certificate_number="[2024]浙量标证字第001号",
        issuing_department=zj_admin,
        valid_from=dt.date(2024, 1, 1),
    )
    reg.Capability.objects.create(
        standard=standard_b, quantity=quantity, range_min=0.001, range_max=20, unit="kg", accuracy_class="E1"
    )
    standard_a = std(
        name="E2等级砝码标准装置",
        tier="public",
        level="province",
        holder=beijing,
        field=field,
        certificate_number="[2024]京量标证字第007号",
        issuing_department=bj_admin,
        valid_from=dt.date(2024, 1, 1),
    )
    inst = reg.Instrument.objects.create
    device_b = inst(code="ZJ-DEV-1", name="E1等级砝码", owner=zhejiang, region=zj, standard=standard_b)
    device_a = inst(code="BJ-DEV-1", name="E2等级砝码", owner=beijing, region=bj, standard=standard_a)
    working = inst(code="BJ-W-1", name="电子天平", owner=user, region=bj_county)
    event = reg.CalibrationEvent.objects.create
    device_b_event = event(
        instrument=device_b,
        performer=zhejiang,
        primary_standard=primary,
        kind="calibration",
        performed_on=DAY - dt.timedelta(days=60),
        certificate_number="ZJ-2026-0001",
        uncertainty=0.01,
    )
    # Done in Zhejiang for Beijing: recorded in Beijing's registry, rooted in the other province.
    device_a_event = event(
        instrument=device_a,
        performer=zhejiang,
        kind="verification",
        passed=True,
        performed_on=DAY - dt.timedelta(days=30),
        valid_until=DAY + dt.timedelta(days=335),
        certificate_number="ZJ-2026-0002",
        external_source="浙江省计量科学研究院",
    )
    reg.EventStandard.objects.create(event=device_a_event, standard=standard_b)
    working_event = event(
        instrument=working,
        performer=beijing,
        kind="verification",
        passed=True,
        performed_on=DAY,
        valid_until=DAY + dt.timedelta(days=365),
        certificate_number="BJ-2026-0001",
    )
    reg.EventStandard.objects.create(event=working_event, standard=standard_a)
    return World(beijing, zhejiang, centre, standard_b, standard_a, device_b_event, device_a_event, working, working_event)


@pytest.fixture(scope="package")  # built once; each test runs in a savepoint inside it
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield build_world()
