"""A small province with two institutions, an enterprise and a user for every role.

Regions (GB/T 2260): 浙江省 330000 ⊃ 杭州市 330100 ⊃ 西湖区 330106, 滨江区 330108, 余杭区 330110.
Institution A and enterprise E are in 西湖区, institution B in 滨江区; nothing is in 余杭区,
whose administrator therefore supervises none of these rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.test import APIClient

from jiliang.accounts.models import ApiToken, Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models
from tests.catalog import FUEL_DISPENSER

ROLES = ("anonymous", "province_admin", "other_county_admin", "staff_a", "staff_b", "enterprise", "auditor")


@dataclass
class World:
    regions: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[role]}")
        return client


def make_organisation(name, kind, region, serial):
    return models.Organisation.objects.create(
        name=name, credit_code=make_credit_code(f"12{region.code}{serial:09d}"), kind=kind, region=region, address=f"{name}地址"
    )


def make_user(world: World, role_name: str, **membership):
    user = get_user_model().objects.create_user(role_name, password=None)  # tokens only: no slow hashing
    if membership:
        Membership.objects.create(user=user, **membership)
    world.users[role_name] = user
    world.tokens[role_name] = ApiToken.issue(user, "tests")[1]
    return user


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at its end; each
    test runs in a savepoint inside it (pytest-django), so tests do not see each
    other's writes."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            world = build_world()
            yield world
            transaction.set_rollback(True)


def build_world() -> World:
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
    w = World()
    region = {code: models.Region.objects.get(code=code) for code in ("330000", "330100", "330106", "330108", "330110")}
    w.regions = region
    Kind = models.Organisation.Kind
    bureau = make_organisation("浙江省市场监督管理局", Kind.ADMINISTRATION, region["330000"], 1)
    org_a = make_organisation("西湖区计量检定所", Kind.LEGAL_INSTITUTE, region["330106"], 2)
    org_b = make_organisation("滨江区计量检定所", Kind.LEGAL_INSTITUTE, region["330108"], 3)
    org_e = make_organisation("西湖加油站", Kind.ENTERPRISE, region["330106"], 4)
    w.orgs = {"bureau": bureau, "a": org_a, "b": org_b, "e": org_e}

    make_user(w, "province_admin", role=Membership.Role.REGION_ADMIN, region=region["330000"])
    make_user(w, "other_county_admin", role=Membership.Role.REGION_ADMIN, region=region["330110"])
    make_user(w, "staff_a", role=Membership.Role.INSTITUTION_STAFF, organisation=org_a, is_verifier=True)
    make_user(w, "staff_b", role=Membership.Role.INSTITUTION_STAFF, organisation=org_b, is_verifier=True)
    make_user(w, "enterprise", role=Membership.Role.ENTERPRISE_USER, organisation=org_e)
    make_user(w, "auditor", role=Membership.Role.AUDITOR, region=region["330000"])

    item = models.CatalogItem.objects.get(code=FUEL_DISPENSER)  # fuel dispenser
    volume, mechanics = item.quantity, item.field
    # City-level (Hangzhou's highest): the provincial bureau assesses it (计量法实施细则 第八条).
    common = dict(field=mechanics, issuing_department=bureau, valid_from=dt.date(2024, 1, 1), tier="public", level="city")
    std_a_public = models.MeasurementStandard.objects.create(
        name="A 公开标准", holder=org_a, certificate_number="[2024]西量标第1号", **common
    )
    std_a_private = models.MeasurementStandard.objects.create(
        name="A 内部标准", holder=org_a, certificate_number="[2024]西量标第2号", published=False, **common
    )
    std_b_private = models.MeasurementStandard.objects.create(
        name="B 内部标准", holder=org_b, certificate_number="[2024]滨量标第1号", published=False, **common
    )
    capability = models.Capability.objects.create(
        standard=std_a_private, quantity=volume, range_min=5, range_max=200, unit="L", uncertainty=0.025, k=2, relative=True
    )
    primary = models.PrimaryStandard.objects.create(
        code="GJJZ-T-001",
        name="容量基准",
        quantity=volume,
        range_min=0.001,
        range_max=2000,
        unit="L",
        uncertainty=2e-5,
        k=2,
        holder=org_a,
    )
    material = models.ReferenceMaterial.objects.create(
        number="GBW(E)130001", name="乙醇溶液", level="secondary", producer=org_a, expires_on=dt.date(2030, 1, 1)
    )
    certified = models.CertifiedValue.objects.create(
        material=material, component="乙醇", value=0.8, unit="mg/mL", uncertainty=0.01, k=2
    )

    person_a = models.Person.objects.create(name="甲检定员", organisation=org_a)
    person_a_spare = models.Person.objects.create(name="甲备用", organisation=org_a)
    person_b = models.Person.objects.create(name="乙检定员", organisation=org_b)
    person_e = models.Person.objects.create(name="加油站计量员", organisation=org_e)
    quali = dict(kind="verifier", catalog_item=item, valid_from=dt.date(2023, 1, 1), valid_until=dt.date(2028, 1, 1))
    qual_a = models.Qualification.objects.create(person=person_a, certificate_number="Q-A-1", **quali)
    qual_b = models.Qualification.objects.create(person=person_b, certificate_number="Q-B-1", **quali)

    # Both institutes hold their designation for the item in their county (计量法 第二十条).
    from jiliang.authorisation import services as authorisation

    for number, org, county in (("（浙）法计（2020）01号", org_a, "330106"), ("（浙）法计（2020）02号", org_b, "330108")):
        authorisation.grant(
            None,
            number=number,
            institution=org,
            issuing_authority=bureau,
            form="established",
            valid_from=dt.date(2020, 1, 1),
            valid_until=dt.date(2030, 12, 31),
            items=[item],
            regions=[region[county]],
            reason="依法设置",
        )

    inst_e = models.Instrument.objects.create(
        code="E-0001", name="燃油加油机", catalog_item=item, legal_purpose="trade", owner=org_e, region=region["330106"]
    )
    inst_a = models.Instrument.objects.create(
        code="A-DEV-1", name="标准金属量器", owner=org_a, region=region["330106"], standard=std_a_private
    )
    inst_b = models.Instrument.objects.create(
        code="B-DEV-1", name="标准金属量器", owner=org_b, region=region["330108"], standard=std_b_private
    )
    event = dict(
        kind="verification",
        passed=True,
        performed_on=dt.date(2025, 3, 1),
        valid_until=dt.date(2026, 2, 28),
        specification=item.regulation,
    )
    event_a = models.CalibrationEvent.objects.create(
        instrument=inst_e, performer=org_a, person=person_a, certificate_number="A-2025-0001", **event
    )
    models.EventStandard.objects.create(event=event_a, standard=std_a_private)
    event_b = models.CalibrationEvent.objects.create(
        instrument=inst_b, performer=org_b, person=person_b, certificate_number="B-2025-0001", **event
    )

    approval = models.TypeApproval.objects.create(
        number="2019C00001-33",
        catalog_item=item,
        manufacturer="正星科技",
        model="JS-1",
        name=item.name,
        authority="浙江省市场监督管理局",
        approved_on=dt.date(2019, 5, 1),
    )
    w.rows = {
        "item": item,
        "type_approval": approval,
        "volume": volume,
        "mechanics": mechanics,
        "primary": primary,
        "std_a_public": std_a_public,
        "std_a_private": std_a_private,
        "std_b_private": std_b_private,
        "capability": capability,
        "material": material,
        "certified": certified,
        "person_a": person_a,
        "person_a_spare": person_a_spare,
        "person_b": person_b,
        "person_e": person_e,
        "qual_a": qual_a,
        "qual_b": qual_b,
        "inst_e": inst_e,
        "inst_a": inst_a,
        "inst_b": inst_b,
        "event_a": event_a,
        "event_b": event_b,
    }
    return w
