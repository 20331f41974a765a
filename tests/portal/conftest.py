"""A small province for the portal: standards of every status and level for the pressure
search, instruments in two cities, and a user for every role of the complaint queue.

Regions (GB/T 2260): 浙江省 330000 ⊃ 杭州市 330100 ⊃ 西湖区 330106; 宁波市 330200 ⊃ 海曙区 330203.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models


@pytest.fixture(autouse=True)
def fresh_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded photos and documents


@dataclass
class Portal:
    regions: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    standards: dict = field(default_factory=dict)
    instruments: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    quantities: dict = field(default_factory=dict)


def make_org(name, kind, region, serial):
    return models.Organisation.objects.create(
        name=name, credit_code=make_credit_code(f"12{region.code}{serial:09d}"), kind=kind, region=region, address=f"{name}地址"
    )


@pytest.fixture(scope="module")
def portal(django_db_setup, django_db_blocker) -> Portal:
    """Built once per module inside a transaction rolled back at its end; each test runs
    in a savepoint inside it (pytest-django), so tests do not see each other's writes."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield build_portal()
            transaction.set_rollback(True)


def build_portal() -> Portal:
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
    p = Portal()
    p.regions = {c: models.Region.objects.get(code=c) for c in ("330000", "330100", "330106", "330200", "330203")}
    Kind = models.Organisation.Kind
    bureau = make_org("浙江省市场监督管理局", Kind.ADMINISTRATION, p.regions["330000"], 1)
    p.orgs = {
        "bureau": bureau,
        "province": make_org("浙江省计量科学研究院", Kind.LEGAL_INSTITUTE, p.regions["330000"], 2),
        "hangzhou": make_org("杭州市计量检定测试院", Kind.LEGAL_INSTITUTE, p.regions["330100"], 3),
        "xihu": make_org("西湖区计量检定所", Kind.LEGAL_INSTITUTE, p.regions["330106"], 4),
        "ningbo": make_org("宁波市计量测试研究院", Kind.LEGAL_INSTITUTE, p.regions["330200"], 5),
        "station": make_org("西湖加油站", Kind.ENTERPRISE, p.regions["330106"], 6),
        "ningbo_station": make_org("海曙加油站", Kind.ENTERPRISE, p.regions["330203"], 7),
    }
    pressure = models.Quantity.objects.get(name="压力")  # unit kPa
    temperature = models.Quantity.objects.get(name="温度")  # unit °C
    p.quantities = {"pressure": pressure, "temperature": temperature}
    today = timezone.localdate()
    current = dict(valid_from=today - dt.timedelta(days=365))
    serial = iter(range(1, 100))

    def standard(key, holder, level, *, caps, **extra):
        fields = {"field": pressure.field, "issuing_department": bureau, "tier": "public", "level": level, **current, **extra}
        std = models.MeasurementStandard.objects.create(
            name=f"{key} 标准装置", holder=p.orgs[holder], certificate_number=f"[2025]浙量标证字第{next(serial):05d}号", **fields
        )
        for cap in caps:
            models.Capability.objects.create(standard=std, **{"quantity": pressure, "k": 2.0, **cap})
        p.standards[key] = std
        return std

    # 0–60 MPa written in kPa, U = 0.05 kPa
    standard("province_pressure", "province", "province", caps=[dict(range_min=0, range_max=60000, unit="kPa", uncertainty=0.05)])
    # 0–2.5 MPa, relative U = 0.1 %
    standard(
        "hangzhou_pressure",
        "hangzhou",
        "city",
        caps=[dict(range_min=0, range_max=2500, unit="kPa", uncertainty=0.001, relative=True)],
    )
    # 0–1 MPa written in MPa, U = 0.0002 MPa = 0.2 kPa
    standard("xihu_pressure", "xihu", "county", caps=[dict(range_min=0, range_max=1, unit="MPa", uncertainty=0.0002)])
    # 0–6 MPa, U = 0.01 kPa
    standard("ningbo_pressure", "ningbo", "city", caps=[dict(range_min=0, range_max=6000, unit="kPa", uncertainty=0.01)])
    # Better than all of the above, but not to be shown: suspended, lapsed, unpublished.
    best = [dict(range_min=0, range_max=100000, unit="kPa", uncertainty=0.001)]
    standard("suspended", "xihu", "county", caps=best, status=models.MeasurementStandard.Status.SUSPENDED)
    standard(
        "lapsed",
        "hangzhou",
        "city",
        caps=best,
        valid_from=today - dt.timedelta(days=4 * 365 + 2),
        valid_until=today - dt.timedelta(days=1),
    )
    standard("unpublished", "province", "province", caps=best, published=False)
    standard("future", "province", "province", caps=best, valid_from=today + dt.timedelta(days=10))
    # −40 … 300 °C, U = 0.05 °C
    standard(
        "hangzhou_temperature",
        "hangzhou",
        "city",
        field=temperature.field,
        caps=[dict(quantity=temperature, range_min=-40, range_max=300, unit="°C", uncertainty=0.05)],
    )

    def instrument(code, owner, region):
        return models.Instrument.objects.create(code=code, name="燃油加油机", owner=p.orgs[owner], region=p.regions[region])

    p.instruments = {
        "xihu": instrument("JYJ-330106-0001", "station", "330106"),
        "ningbo": instrument("JYJ-330203-0001", "ningbo_station", "330203"),
    }

    User = get_user_model()

    def user(name, **membership):
        u = User.objects.create_user(name, password=None)  # tests sign in with force_login: no hashing
        if membership:
            Membership.objects.create(user=u, **membership)
        p.users[name] = u
        return u

    user("hangzhou_admin", role=Membership.Role.REGION_ADMIN, region=p.regions["330100"])
    user("ningbo_admin", role=Membership.Role.REGION_ADMIN, region=p.regions["330200"])
    user("province_auditor", role=Membership.Role.AUDITOR, region=p.regions["330000"])
    user("station_user", role=Membership.Role.ENTERPRISE_USER, organisation=p.orgs["station"])
    user("citizen")  # signed in, no role
    p.users["national"] = User.objects.create_superuser("national", password=None)
    return p
