"""A small province for comparisons: a pilot and three laboratories, each with a standard,
a staff user for each, the provincial administrator and auditor, and another province's administrator.

Regions: 浙江省 330000 ⊃ 杭州市 330100 ⊃ 上城区 330102, and 宁波市 330200; 北京市 110000.
The pilot (P) is the provincial institute; A in Hangzhou, B in Ningbo, C in Shangcheng.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded photos and documents


@dataclass
class World:
    regions: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    standards: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    quantity: reg.Quantity | None = None

    def client(self, who: str) -> APIClient:
        client = APIClient()
        if who != "anonymous":
            client.force_login(self.users[who])
        return client


def _region(code, name, level, parent=None):
    region, _ = reg.Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})
    return region


def build_world() -> World:
    w = World()
    zj = _region("330000", "浙江省", "province")
    hz = _region("330100", "杭州市", "city", zj)
    w.regions = {
        "330000": zj,
        "330100": hz,
        "330102": _region("330102", "上城区", "county", hz),
        "330200": _region("330200", "宁波市", "city", zj),
        "110000": _region("110000", "北京市", "province"),
    }
    mass_field = reg.MetrologyField.objects.create(code="mass-cmp", name="质量", name_en="mass")
    w.quantity = reg.Quantity.objects.create(name="质量（比对）", name_en="mass", field=mass_field, unit="g")
    bureau = _org("浙江省市场监督管理局", "administration", zj, "11")
    for key, name, region in (
        ("P", "浙江省计量科学研究院", "330000"),
        ("A", "杭州市计量检定测试院", "330100"),
        ("B", "宁波市计量测试研究院", "330200"),
        ("C", "上城区计量检定所", "330102"),
    ):
        org = _org(name, "legal_institute", w.regions[region], "12")
        w.orgs[key] = org
        w.standards[key] = reg.MeasurementStandard.objects.create(
            name=f"{name} E2等级砝码标准装置",
            tier="public",
            level="province",
            holder=org,
            field=mass_field,
            certificate_number=f"[2024]浙量标证字第{next(_serial):05d}号",
            issuing_department=bureau,
            valid_from=dt.date(2024, 1, 1),
            valid_until=dt.date(2028, 1, 1),
        )
    User = get_user_model()
    for key in ("P", "A", "B", "C"):
        user = User.objects.create_user(f"staff_{key.lower()}", password=None)
        Membership.objects.create(user=user, role="institution_staff", organisation=w.orgs[key])
        w.users[f"staff_{key.lower()}"] = user
    for who, role, region in (
        ("admin", "region_admin", "330000"),
        ("beijing_admin", "region_admin", "110000"),
        ("auditor", "auditor", "330000"),
    ):
        user = User.objects.create_user(who, password=None)
        Membership.objects.create(user=user, role=role, region=w.regions[region])
        w.users[who] = user
    w.users["public"] = User.objects.create_user("public", password=None)
    return w


def _org(name, kind, region, prefix):
    return reg.Organisation.objects.create(
        name=name, kind=kind, region=region, credit_code=make_credit_code(f"{prefix}{region.code}{next(_serial):09d}")
    )


@pytest.fixture
def world(db):
    return build_world()


def deadline(days=10):
    return timezone.now() + dt.timedelta(days=days)


# One kilogram, values in g. B's value and u are the strings the seal tests search for:
# no other row's value, u or reference value starts with "1000.00007" or contains 3.47e-5 in
# any spelling (Python's "3.47e-05"; orjson, which renders the API, writes "0.0000347").
RESULTS = {
    "P": (1000.000052, 0.000020, 50),
    "A": (1000.000069, 0.000030, 20),
    "B": (1000.0000731, 0.0000347, 12),
    "C": (1000.000250, 0.000030, 20),  # an outlier: |En| > 1
}
B_MARKERS = ("1000.00007", "3.47e-05", "3.47e-5", "0.0000347", "budget-of-b")


def setup_comparison(w: World, *, submit=("P", "A", "B", "C"), close=False, results=None):
    """An open comparison (pilot P; P, A, B, C take part) with the given results submitted."""
    from jiliang.comparisons import services

    pilot = w.users["staff_p"]
    c = services.create_comparison(
        w.users["admin"],
        code=f"CCM.M-ZJ-{next(_serial)}",
        title="1 kg 砝码质量比对",
        kind="regional",
        pilot=w.orgs["P"],
        administrator_region=w.regions["330000"],
        submission_deadline=deadline(),
    )
    m = services.add_measurand(pilot, c, name="1 kg", quantity=w.quantity, unit="g", nominal_value=1000.0)
    for key in ("P", "A", "B", "C"):
        services.add_participant(pilot, c, institution=w.orgs[key], standard=w.standards[key], label=f"LAB-{key}")
    services.open_submissions(pilot, c)
    for key in submit:
        value, u, dof = (results or RESULTS)[key]
        upload = SimpleUploadedFile("budget.txt", f"budget-of-{key.lower()} file".encode()) if key == "B" else None
        services.submit(
            w.users[f"staff_{key.lower()}"],
            c,
            measurand=m,
            value=value,
            u=u,
            dof=dof,
            budget=[{"name": f"budget-of-{key.lower()}", "u": u}],
            budget_file=upload,
        )
    if close:
        services.close_submissions(pilot, c)
    c.refresh_from_db()
    return c, m
