"""Supply–demand matching through its services, policies and pages on a small world built
by hand: an enterprise in a county posts needs; a legal institute of the city (authorised
for the catalogue item in the province), a laboratory of the province with a better
capability but no authorisation, and a provider with no published terms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.authorisation import services as authorisation
from jiliang.core.identifiers import make_credit_code
from jiliang.matching import gaps, services
from jiliang.matching.models import Message, Need
from jiliang.matching.policies import MESSAGES, NEEDS, REQUESTS
from jiliang.policies import PolicyRefusal, actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


def _org(name, kind, region, n):
    return reg.Organisation.objects.create(
        name=name, credit_code=make_credit_code(f"91{region.code}{n:09d}"[:17]), kind=kind, region=region
    )


def _standard(holder, field, quantity, issuer, u, n):
    today = timezone.localdate()
    standard = reg.MeasurementStandard.objects.create(
        name=f"{holder.name} 压力标准 {n}",
        tier="public",
        level="city",
        holder=holder,
        field=field,
        certificate_number=f"[2026]浙量标证字第{9000 + n}号",
        issuing_department=issuer,
        valid_from=today - dt.timedelta(days=100),
        valid_until=today + dt.timedelta(days=900),
    )
    reg.Capability.objects.create(standard=standard, quantity=quantity, range_min=0, range_max=60, unit="MPa", uncertainty=u, k=2)
    return standard


class World:
    def __init__(self):
        today = timezone.localdate()
        self.county = reg.Region.objects.filter(level="county").order_by("code").first()
        self.city = reg.Region.objects.get(code=self.county.code[:4] + "00")
        self.province = reg.Region.objects.get(code=self.county.code[:2] + "0000")
        field = reg.MetrologyField.objects.order_by("pk").first()
        self.quantity = reg.Quantity.objects.create(name="匹配测试压力", field=field, unit="MPa")
        self.item = reg.CatalogItem.objects.create(
            code="MT-0001",
            name="匹配测试压力表",
            field=field,
            quantity=self.quantity,
            management_mode="periodic",
            period_months=12,
        )
        self.bureau = _org("省市场监管局", "administration", self.province, 1)
        self.enterprise = _org("匹配测试企业", "enterprise", self.county, 2)
        self.institute = _org("市计量所", "legal_institute", self.city, 3)
        self.lab = _org("某校准实验室", "laboratory", self.province, 4)
        self.silent = _org("未发布承诺的计量所", "legal_institute", self.city, 5)
        _standard(self.institute, field, self.quantity, self.bureau, 0.02, 1)
        _standard(self.lab, field, self.quantity, self.bureau, 0.004, 2)
        _standard(self.silent, field, self.quantity, self.bureau, 0.001, 3)
        authorisation.grant(
            None,
            number="MT-AUTH-1",
            institution=self.institute,
            issuing_authority=self.bureau,
            form="established",
            valid_from=today - dt.timedelta(days=10),
            valid_until=today + dt.timedelta(days=1000),
            items=[self.item],
            regions=[self.province],
            reason="test",
        )
        User = get_user_model()
        self.users = {}
        for name, role, scope in (
            ("enterprise", "enterprise_user", {"organisation": self.enterprise}),
            ("institute", "institution_staff", {"organisation": self.institute}),
            ("lab", "institution_staff", {"organisation": self.lab}),
            ("city-admin", "region_admin", {"region": self.city}),
        ):
            self.users[name] = User.objects.create(username=f"mt-{name}")
            Membership.objects.create(user=self.users[name], role=role, **scope)
        other = reg.Region.objects.filter(level="province").exclude(pk=self.province.pk).first()
        self.users["elsewhere"] = User.objects.create(username="mt-elsewhere")
        Membership.objects.create(user=self.users["elsewhere"], role="region_admin", region=other)
        services.publish_terms(self.users["institute"], self.institute.pk, quantity_id=None, turnaround_days=7, fee=200)
        services.publish_terms(self.users["lab"], self.lab.pk, quantity_id=self.quantity.pk, turnaround_days=20, fee=150)
        self.deadline = (today + dt.timedelta(days=30)).isoformat()

    def need(self, **over):
        data = {
            "title": "压力表校准",
            "quantity": self.quantity.pk,
            "range_min": 0,
            "range_max": 40,
            "requirement": 0,
            "requirement_value": 0.05,
            "instrument_count": 4,
            "region": self.county.code,
            "deadline": self.deadline,
        }
        data.update(over)
        return services.post_need(self.users["enterprise"], data)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def test_offers_are_ranked_with_every_factor_explained(world):
    need = world.need()
    offers = services.offers_for(need)
    assert [o["provider"] for o in offers] == [world.institute, world.lab]  # the silent one published no terms
    top = offers[0]
    assert [f["name"] for f in top["factors"]] == ["capability", "distance", "turnaround", "fee"]
    assert "2.5" in top["factors"][0]["why"]  # 0.05 / 0.02
    assert "600.00" in offers[1]["factors"][3]["why"]  # 150 × 4
    assert top["factors"][3]["score"] == 75  # 600 / 800
    assert need.capable == 2


def test_mandatory_verification_goes_to_the_authorised_institute_only(world):
    # MPE 0.1 MPa: TUR 5 at the institute, 25 at the laboratory, which is not authorised.
    need = world.need(requirement=2, requirement_value=0.1, mandatory="on", catalog_item=world.item.code)
    offers = services.offers_for(need)
    assert [o["provider"] for o in offers] == [world.institute]
    assert "TUR" in offers[0]["factors"][0]["why"] and "JJF 1094" in offers[0]["factors"][0]["why"]
    with pytest.raises(Refused) as refused:
        services.pick(world.users["enterprise"], need, world.lab.pk)
    assert "JJF 1094" in str(refused.value)


def test_bad_needs_are_refused_by_field(world):
    cases = [
        ({"range_min": 50, "range_max": 10}, "range_max"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"deadline": "soon"}, "deadline"),
        ({"requirement_value": "-1"}, "requirement_value"),
        ({"mandatory": "on"}, "catalog_item"),
        ({"region": "999999"}, "region"),
        ({"quantity": "x"}, "quantity"),
    ]
    before = Need.objects.count()
    for over, field in cases:
        with pytest.raises(Refused) as refused:
            world.need(**over)
        assert refused.value.reasons[0][0] == field
    assert Need.objects.count() == before
    with pytest.raises(PolicyRefusal):
        services.post_need(world.users["city-admin"], {})


def test_pick_answer_and_complete_with_the_certificate(world):
    need = world.need(title="送检到证书")
    request = services.pick(world.users["enterprise"], need, world.institute.pk)
    assert request.fit["factors"][0]["name"] == "capability"
    assert Need.objects.get(pk=need.pk).status == "requested"
    inbox = services.unread(actor_for(world.users["institute"]))
    assert [(m.kind, m.need_id) for m in inbox][:1] == [("sent", need.pk)]
    with pytest.raises(PolicyRefusal):
        services.answer(world.users["lab"], request, "accept")  # not addressed to it
    services.answer(world.users["institute"], request, "accept")
    assert Need.objects.get(pk=need.pk).status == "accepted"
    instrument = reg.Instrument.objects.create(code="MT-GAUGE-1", name="压力表", owner=world.enterprise, region=world.county)
    event = reg.CalibrationEvent.objects.create(
        instrument=instrument,
        performer=world.lab,
        kind="calibration",
        performed_on=timezone.localdate(),
        certificate_number="MT-CERT-LAB",
        region=world.county,
    )
    with pytest.raises(Refused) as refused:
        services.answer(world.users["institute"], request, "complete", certificate=event.certificate_number)
    assert refused.value.reasons[0][0] == "certificate"  # not the institute's certificate
    event.pk, event.performer, event.certificate_number = None, world.institute, "MT-CERT-1"
    event.save()
    done = services.answer(world.users["institute"], request, "complete", certificate="MT-CERT-1")
    assert done.status == "completed" and done.event.certificate_number == "MT-CERT-1"
    assert Need.objects.get(pk=need.pk).status == "completed"
    kinds = set(Message.objects.filter(recipient=world.enterprise, need=need).values_list("kind", flat=True))
    assert kinds == {"accepted", "completed"}


def test_unmet_needs_roll_up_as_gaps(world):
    world.need(title="超高准确度", requirement_value=0.0001)
    world.need(
        title="强检无授权", requirement=2, requirement_value=0.0004, mandatory="on", catalog_item=world.item.code
    )  # TUR ≥ 3 needs U ≤ 0.000133: nobody
    summary = services.match_open_needs()
    assert summary["unmet"] >= 2
    found = gaps.unmet_needs(world.province.code[:2])
    by_key = {g.key: g for g in found}
    assert by_key[world.item.pk].count == 1 and "匹配测试压力表" in by_key[world.item.pk].description
    assert by_key[f"quantity:{world.quantity.pk}"].count == 1
    assert gaps.unmet_needs("99") == []
    # The building plan asks every registered gap source: the unmet needs are among its gaps.
    from jiliang.plans.gaps import collect

    planned = [g for g in collect(world.province.code, timezone.localdate()) if g.source == "matching"]
    assert {g.item_code for g in planned} == {world.item.code, ""}
    assert all(g.region_code.startswith(world.province.code[:2]) for g in planned)


def test_policies_per_role(world):
    need = world.need(title="看得见谁")
    enterprise, institute, lab = (actor_for(world.users[n]) for n in ("enterprise", "institute", "lab"))
    admin, elsewhere = actor_for(world.users["city-admin"]), actor_for(world.users["elsewhere"])
    for actor, sees in ((enterprise, True), (institute, True), (lab, True), (admin, True), (elsewhere, False)):
        assert NEEDS.may_view(actor, need) is sees
    assert NEEDS.may(enterprise, "pick", need) and not NEEDS.may(institute, "pick", need)
    request = services.pick(world.users["enterprise"], need, world.lab.pk)
    assert REQUESTS.allowed_actions(actor_for(world.users["lab"]), request) == ["accept", "decline"]
    assert REQUESTS.allowed_actions(enterprise, request) == ["withdraw"]
    assert REQUESTS.allowed_actions(institute, request) == []
    assert not REQUESTS.may_view(institute, request) and not REQUESTS.may_view(elsewhere, request)
    # No longer open: the institute of the province no longer sees it; the addressed lab does.
    assert not NEEDS.may_view(institute, Need.objects.get(pk=need.pk)) and NEEDS.may_view(lab, need)
    assert MESSAGES.visible(admin, Message.objects.all()).count() == 0


def test_pages(world):
    need = world.need(title="页面需求")
    client = Client()
    client.force_login(world.users["enterprise"])
    page = client.get(f"/matching/needs/{need.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="offer"') == 2 and "JJF 1094" in html
    response = client.post(f"/matching/needs/{need.pk}/pick/", {"provider": world.institute.pk})
    assert response.status_code == 302 and "/matching/requests/" in response["Location"]
    staff = Client()
    staff.force_login(world.users["institute"])
    home = staff.get("/matching/").content.decode()
    assert need.number in home and 'id="addressed-requests"' in home
    # The inbox the dashboards include (the browser test opens the dashboard itself).
    from django.template import Context, Template
    from django.test import RequestFactory

    seen = RequestFactory().get("/dashboard/")
    seen.user = world.users["institute"]
    inbox = Template("{% load matching %}{% matching_inbox %}").render(Context({"request": seen}))
    assert 'id="matching-inbox"' in inbox and need.number in inbox
    stranger = Client()
    stranger.force_login(world.users["elsewhere"])
    assert stranger.get(f"/matching/needs/{need.pk}/").status_code == 404
    assert Client().get("/matching/").status_code == 302  # sign in first


def test_the_bulk_authorisation_check_agrees_with_the_rule_in_words(world):
    from jiliang.authorisation import rules

    today = timezone.localdate()
    elsewhere = reg.Region.objects.filter(level="county").exclude(code__startswith=world.province.code[:2]).first()
    work = []
    for org in (world.institute, world.lab, world.silent):
        for region in (world.county, elsewhere):
            for item in (world.item, None):
                work.append(
                    (
                        org.pk,
                        org.name,
                        org.kind,
                        item.pk if item else 0,
                        item.code if item else "-",
                        0.0,
                        40.0,
                        "MPa",
                        region.code,
                        world.enterprise.pk,
                    )
                )
    in_words = [reason is None for reason in rules.work_refusals(work, today)]
    columns = list(zip(*work))
    bulk = rules.work_allowed(
        columns[0], columns[2], columns[3], columns[5], columns[6], [int(c) for c in columns[8]], columns[9], today
    )
    assert bulk.tolist() == in_words
    assert sum(in_words) == 1  # the institute, for the item, in its province


def test_the_demo_step_plants_a_sent_request_and_an_unmet_need(world):
    from jiliang.console.demo_roles import DemoCast
    from jiliang.matching.demo import plant_matching

    cast = DemoCast(
        world.province, world.city, world.county, world.institute, world.enterprise, {"enterprise": world.users["enterprise"]}
    )
    fitting, unmet = plant_matching(cast)
    assert fitting.requests.get().status == "sent"
    assert Need.objects.get(pk=unmet.pk).capable == 0
