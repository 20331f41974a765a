"""Institutions' capability and supervision (jiliang.institutions, issue 21 §3–4) on a small
province built by hand where each answer is known:

- a city legal metrology institute authorised for two catalogue items A and B; it holds a
  valid standard for A only;
- A has two qualified people (a 二级 and a 一级 注册计量师 registered with it, each with a
  passed 项目考核 for A); B has one (the 二级); a third person's old 检定员证 for B has
  lapsed and a fourth is registered with another institution — neither counts, by the
  certificate signing rule itself;
- so the gap is B (one qualified person, no standard), the evaluation's E2 and E3 are 1/2.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.authorisation.models import Authorisation, AuthorisedArea, AuthorisedItem
from jiliang.core.identifiers import make_credit_code
from jiliang.institutions import credit_evidence, services
from jiliang.institutions.models import SupervisionVisit
from jiliang.institutions.policies import INSTITUTIONS
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, qualification_reasons

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


def _org(name, kind, region, n):
    first17 = f"12{region.code}{n:09d}"[:17]
    return reg.Organisation.objects.create(name=name, credit_code=make_credit_code(first17), kind=kind, region=region)


class World:
    def __init__(self):
        today = timezone.localdate()
        self.today = today
        county = reg.Region.objects.filter(level="county").order_by("code").first()
        city = reg.Region.objects.get(code=county.code[:4] + "00")
        province = reg.Region.objects.get(code=county.code[:2] + "0000")
        self.city, self.province = city, province
        province_admin = _org("省市场监管局", "administration", province, 1)
        city_admin = _org("市市场监管局", "administration", city, 2)
        self.institute = _org("市计量院", "legal_institute", city, 3)
        self.other = _org("县计量所", "legal_institute", county, 4)
        self.lab = _org("某校准实验室", "laboratory", city, 5)
        items = list(reg.CatalogItem.objects.order_by("code")[:2])
        self.a, self.b = items
        auth = Authorisation.objects.create(
            number="（测）法计（2020）0001号",
            institution=self.institute,
            issuing_authority=city_admin,
            form=Authorisation.Form.ESTABLISHED,
            valid_from=today - dt.timedelta(days=2000),
            valid_until=today + dt.timedelta(days=1000),
        )
        for item in items:
            AuthorisedItem.objects.create(authorisation=auth, catalog_item=item, added_on=auth.valid_from)
        AuthorisedArea.objects.create(authorisation=auth, region=city, added_on=auth.valid_from)
        quantity = reg.Quantity.objects.order_by("pk").first()
        std = reg.MeasurementStandard.objects.create(
            name="A 检定装置",
            tier="public",
            level="city",
            holder=self.institute,
            field=quantity.field,
            certificate_number="[2024]测量标证字第00001号",
            issuing_department=province_admin,
            valid_from=today - dt.timedelta(days=300),
        )
        std.catalog_items.set([self.a])

        since, until = today - dt.timedelta(days=400), today + dt.timedelta(days=1000)

        def person(name, org):
            return reg.Person.objects.create(name=name, organisation=org)

        def q(p, kind, number, item=None, org=None, start=since, end=until):
            reg.Qualification.objects.create(
                person=p,
                kind=kind,
                certificate_number=number,
                catalog_item=item,
                organisation=org,
                valid_from=start,
                valid_until=end,
            )

        self.zhang = person("张二级", self.institute)
        q(self.zhang, "metrologist_2", "Z1", org=self.institute)
        q(self.zhang, "item_assessment", "X1A", item=self.a)
        q(self.zhang, "item_assessment", "X1B", item=self.b)
        self.li = person("李一级", self.institute)
        q(self.li, "metrologist_1", "Z2", org=self.institute, start=today.replace(month=1, day=1))
        q(self.li, "item_assessment", "X2A", item=self.a)
        self.wang = person("王旧证", self.institute)
        q(self.wang, "verifier", "J3B", item=self.b, start=today - dt.timedelta(days=2000), end=today - dt.timedelta(days=10))
        self.zhao = person("赵外单位", self.other)
        q(self.zhao, "metrologist_2", "Z4", org=self.other, start=dt.date(today.year - 1, 3, 1))
        q(self.zhao, "item_assessment", "X4A", item=self.a)

        User = get_user_model()
        self.users = {}
        for name, role, scope in (
            ("city-admin", "region_admin", {"region": city}),
            ("auditor", "auditor", {"region": province}),
            ("staff", "institution_staff", {"organisation": self.institute}),
            ("other-staff", "institution_staff", {"organisation": self.other}),
            ("lab-staff", "institution_staff", {"organisation": self.lab}),
            ("public", None, None),
        ):
            user = User.objects.create(username=f"inst-{name}")
            if role:
                Membership.objects.create(user=user, role=role, **scope)
            self.users[name] = user
        elsewhere = reg.Region.objects.filter(level="province").exclude(code=province.code).order_by("code").first()
        self.users["stranger"] = User.objects.create(username="inst-stranger")
        Membership.objects.create(user=self.users["stranger"], role="region_admin", region=elsewhere)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def test_items_standards_and_qualified_people_by_the_signing_rule(world):
    rows = {row.item.pk: row for row in services.item_rows(world.institute, world.today)}
    assert set(rows) == {world.a.pk, world.b.pk}
    assert {p.name for p in rows[world.a.pk].people} == {"张二级", "李一级"}
    assert [p.name for p in rows[world.b.pk].people] == ["张二级"]
    assert not rows[world.a.pk].no_standard and rows[world.b.pk].no_standard
    assert not rows[world.a.pk].few_people and rows[world.b.pk].few_people
    # The same answer as the signing check gives, person by person (one rule, one place).
    for row in rows.values():
        for p in reg.Person.objects.filter(organisation=world.institute):
            assert (p in row.people) == (qualification_reasons(p, row.item, world.today, world.institute) == [])


def test_evaluation_scores_each_item_from_the_figures(world):
    p = services.profile(world.institute, world.today)
    scored = {item["code"]: item for item in p.scored}
    assert scored["E1"]["score"] == 0 and scored["E1"]["detail"] == "0/2"  # no declaration yet
    assert scored["E2"]["score"] == 12.5 and scored["E2"]["detail"] == "1/2"
    assert scored["E3"]["score"] == 12.5 and scored["E3"]["detail"] == "1/2"
    assert scored["E4"]["score"] is None and scored["E5"]["score"] is None  # no comparison, no DCC
    assert scored["E6"]["score"] == 10 and scored["E7"]["score"] == 10
    # (0 + 12.5 + 12.5 + 10 + 10) over the 80 points that apply.
    assert p.score == 56.2 and p.result == "improve"
    assert [row.item.pk for row in p.gaps] == [world.b.pk]


def test_declarations_missing_current_and_expired(world):
    staff = world.users["staff"]
    services.declare(staff, world.institute, kind="impartiality", signed_by="院长", text="独立公正")
    services.declare(
        staff, world.institute, kind="integrity", signed_by="院长", text="诚信", declared_on=world.today - dt.timedelta(days=400)
    )
    states = {d.kind: d.state for d in services.declaration_states(world.institute, world.today)}
    assert states == {"impartiality": "current", "integrity": "expired"}
    assert {d.kind: d.state for d in services.declaration_states(world.other, world.today)} == {
        "impartiality": "missing",
        "integrity": "missing",
    }
    scored = {i["code"]: i for i in services.profile(world.institute, world.today).scored}
    assert scored["E1"]["score"] == 5
    # Only the institution's own staff declare; not its supervisor, not another institution.
    for who in ("city-admin", "other-staff"):
        with pytest.raises(Refused) as refused:
            services.declare(world.users[who], world.institute, kind="integrity", signed_by="x", text="y")
        assert refused.value.forbidden
    with pytest.raises(Refused) as refused:
        services.declare(staff, world.institute, kind="integrity", signed_by="", text="y")
    assert refused.value.reasons[0][0] == "signed_by"


def test_visit_with_a_finding_reaches_the_credit_record_when_closed(world):
    admin = world.users["city-admin"]
    visit = services.record_visit(
        admin,
        world.institute,
        visited_on=world.today - dt.timedelta(days=3),
        inspectors="王检查",
        scope="人员",
        findings=[
            {"clause": "E3", "description": "B 项仅一人", "severity": "major", "rectify_by": world.today + dt.timedelta(days=30)}
        ],
    )
    kind, rows = credit_evidence.evidence()[0]
    assert kind == "institution_visit_finding" and not rows.filter(organisation_id=world.institute.pk).exists()
    services.close_visit(admin, visit)
    finding = visit.findings.get()
    assert list(rows.filter(organisation_id=world.institute.pk)) == [
        (world.institute.pk, visit.visited_on, f"JD-{visit.pk}-{finding.pk}")
    ]
    scored = {i["code"]: i for i in services.profile(world.institute, world.today).scored}
    assert scored["E7"]["score"] == 5  # an open major finding: −5
    with pytest.raises(Refused) as refused:
        services.add_finding(admin, visit, clause="E2", description="x", severity="minor", rectify_by=world.today)
    assert refused.value.reasons[0][0] == "status"
    services.mark_rectified(admin, finding)
    assert {i["code"]: i for i in services.profile(world.institute, world.today).scored}["E7"]["score"] == 10


def test_visit_refusals_all_or_nothing(world):
    before = SupervisionVisit.objects.count()
    admin = world.users["city-admin"]
    bad = {"clause": "E9", "description": "x", "severity": "minor", "rectify_by": world.today + dt.timedelta(days=5)}
    with pytest.raises(Refused) as refused:
        services.record_visit(admin, world.institute, visited_on=world.today, inspectors="a", scope="b", findings=[bad])
    assert refused.value.reasons[0][0] == "clause"
    for who in ("stranger", "auditor", "staff"):
        with pytest.raises(Refused) as refused:
            services.record_visit(world.users[who], world.institute, visited_on=world.today, inspectors="a", scope="b")
        assert refused.value.forbidden and "第三条" in str(refused.value)
    with pytest.raises(Refused) as refused:
        services.record_visit(admin, world.lab, visited_on=world.today, inspectors="a", scope="b")
    assert "第二十条" in str(refused.value)
    assert SupervisionVisit.objects.count() == before


def test_who_sees_which_institution(world):
    def seen(name):
        return set(services.institutions(world.users[name]).values_list("name", flat=True))

    assert {"市计量院", "县计量所"} <= seen("city-admin") and "某校准实验室" not in seen("city-admin")
    assert seen("staff") == {"市计量院"}
    assert seen("public") == set() and seen("stranger") & {"市计量院", "县计量所"} == set()
    assert INSTITUTIONS.sees_own(actor_for(world.users["staff"]))
    assert not INSTITUTIONS.sees_own(actor_for(world.users["lab-staff"]))  # a laboratory is not an institution


def test_metrologists_counts_and_target_share(world):
    today = world.today
    report = services.metrologists(world.city, today)
    # 赵 is registered with the county institute, a county of this city; 王's lapsed 检定员证
    # is no registration.
    assert {row.person.name for row in report["rows"]} == {"张二级", "李一级", "赵外单位"}
    firsts = {
        "张二级": today - dt.timedelta(days=400),
        "李一级": today.replace(month=1, day=1),
        "赵外单位": dt.date(today.year - 1, 3, 1),
    }
    assert report["this_year"] == sum(1 for d in firsts.values() if d.year == today.year)
    assert report["last_year"] == sum(1 for d in firsts.values() if d.year == today.year - 1)
    zhang = next(row for row in report["rows"] if row.person.name == "张二级")
    assert zhang.level == "二级注册计量师" and [q.catalog_item.code for q in zhang.items] == sorted([world.a.code, world.b.code])
    t = services.metrologists(world.province, today)["target"]
    assert t["national"] == 15000 and t["confirmed"] is False
    assert t["share"] == pytest.approx(1 / 31) and t["target"] == pytest.approx(15000 / 31, abs=0.1)
    # A city's share: its province's times its part of those registered before the period
    # (none of the city's were, so its share is 0 unless the province had others).
    assert 0 <= t["share"] and t["per_year"] == pytest.approx(t["target"] / 5, abs=0.1)


def test_pages_and_api_follow_the_policy(world):
    client = Client()
    client.force_login(world.users["city-admin"])
    page = client.get(f"/institutions/{world.institute.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="institution-gaps"' in body and f'data-item="{world.b.code}"' in body and 'id="visit-form"' in body
    assert client.get("/institutions/people/").status_code == 200
    api = client.get(f"/api/institutions/{world.institute.pk}/profile/")
    assert api.status_code == 200 and [r["few_people"] for r in api.json()["items"]] == [False, True]
    answer = client.post(
        f"/api/institutions/{world.institute.pk}/visits/",
        {"visited_on": "2999-01-01", "inspectors": "a", "scope": "b"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "visited_on" in answer.json()

    staff = Client()
    staff.force_login(world.users["staff"])
    own = staff.get(f"/institutions/{world.institute.pk}/").content.decode()
    assert 'id="declaration-form"' in own and 'id="visit-form"' not in own
    assert staff.get(f"/institutions/{world.other.pk}/").status_code == 404
    assert staff.get("/institutions/").status_code == 403
    assert staff.post(f"/api/institutions/{world.institute.pk}/evaluations/", {}).status_code == 403

    public = Client()
    public.force_login(world.users["public"])
    assert public.get(f"/institutions/{world.institute.pk}/").status_code == 403
    listed = public.get("/api/institutions/").json()
    assert (listed["results"] if isinstance(listed, dict) else listed) == []
    assert Client().get("/institutions/").status_code == 302  # sign in first


def test_api_writes_ask_the_policies(world):
    admin, staff, auditor = Client(), Client(), Client()
    admin.force_login(world.users["city-admin"])
    staff.force_login(world.users["staff"])
    auditor.force_login(world.users["auditor"])
    pk = world.institute.pk
    visit = admin.post(
        f"/api/institutions/{pk}/visits/",
        {
            "visited_on": str(world.today),
            "inspectors": "王检查",
            "scope": "计量标准",
            "findings": [{"clause": "E2", "description": "B 无标准", "severity": "minor", "rectify_by": "2099-01-01"}],
        },
        content_type="application/json",
    )
    assert visit.status_code == 201 and visit.json()["findings"][0]["clause"] == "E2"
    visit_id = visit.json()["id"]
    assert auditor.post(f"/api/institutions/visits/{visit_id}/close/", {}, content_type="application/json").status_code == 403
    closed = admin.post(f"/api/institutions/visits/{visit_id}/close/", {}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = admin.post(f"/api/institutions/visits/{visit_id}/close/", {}, content_type="application/json")
    assert again.status_code == 400 and "status" in again.json()
    declared = staff.post(
        f"/api/institutions/{pk}/declarations/",
        {"kind": "integrity", "signed_by": "院长", "text": "诚信经营"},
        content_type="application/json",
    )
    assert declared.status_code == 201 and declared.json()["valid_until"] > str(world.today)
    assert (
        admin.post(f"/api/institutions/{pk}/declarations/", {"kind": "integrity", "signed_by": "x", "text": "y"}).status_code
        == 403
    )
    evaluated = admin.post(f"/api/institutions/{pk}/evaluations/", {"note": "年度"}, content_type="application/json")
    assert evaluated.status_code == 201 and [i["code"] for i in evaluated.json()["items"]][:3] == ["E1", "E2", "E3"]
    assert auditor.post(f"/api/institutions/{pk}/evaluations/", {}).status_code == 403
    # What each sees of the rows: the auditor the region's, the staff their own only.
    assert {v["id"] for v in auditor.get("/api/institutions/visits/").json()["results"]} >= {visit_id}
    other = Client()
    other.force_login(world.users["other-staff"])
    assert visit_id not in {v["id"] for v in other.get("/api/institutions/visits/").json()["results"]}
    assert other.get(f"/api/institutions/{pk}/profile/").status_code == 404
    assert auditor.get(f"/api/institutions/metrologists/{world.city.code}/").json()["this_year"] >= 1
    assert other.get(f"/api/institutions/metrologists/{world.city.code}/").status_code == 403


def test_cli_evaluate_and_metrologists(world, capsys):
    import orjson
    from django.core.management import call_command

    call_command("institutions", "evaluate", str(world.institute.pk))
    doc = orjson.loads(capsys.readouterr().out)
    assert [(i["item"], i["few_people"]) for i in doc["items"]] == [(world.a.code, False), (world.b.code, True)]
    assert doc["result"] in ("good", "conforming", "improve") and 0 <= doc["score"] <= 100
    call_command("institutions", "--user", "inst-city-admin", "metrologists", world.city.code)
    assert orjson.loads(capsys.readouterr().out)["current"] == 3
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="outside"):
        call_command("institutions", "--user", "inst-stranger", "metrologists", world.city.code)
