"""Enforcement cases (jiliang.cases) on the database: a case opened from a telemetry alert
carries the alert's evidence frozen with its hash; each step and its refusals through the
services (立案 approved by another, no decision without a notice, no closure with an open
step, the transfer to the police); the policy of every role; reminders; the credit evidence;
the pages, the API, the CLI and the public penalties with personal data masked. One demo
province per module (the pure rules are tested in tests/core/test_cases_core.py)."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stdout

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.audit.models import AuditEntry
from jiliang.cases import credit_evidence, services
from jiliang.cases.demo import plant_cases
from jiliang.cases.models import Case, Evidence, Reminder
from jiliang.cases.policies import CASES, EVIDENCE, STEPS
from jiliang.cli import main as cli_main
from jiliang.console import demo_roles
from jiliang.core.identifiers import make_credit_code
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused
from jiliang.supervision.telemetry.models import Alert

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def _user(username: str, **membership):
    user = get_user_model().objects.create(username=username)  # no password: the tests sign in with force_login
    if membership:
        Membership.objects.create(user=user, **membership)
    return user


class World:
    """A county of the reference regions with an enterprise, an institute and the demo's
    roles (no generated province: the cases need only these)."""

    def __init__(self):
        county = reg.Region.objects.filter(level="county").order_by("code").first()
        city = reg.Region.objects.get(code=county.code[:4] + "00")
        province = reg.Region.objects.get(code=county.code[:2] + "0000")
        self.enterprise = reg.Organisation.objects.create(
            name="某某加油站有限公司",
            kind="enterprise",
            region=county,
            credit_code=make_credit_code("91" + county.code + "000000001"),
        )
        institute = reg.Organisation.objects.create(
            name="某市计量检定测试院",
            kind="legal_institute",
            region=city,
            credit_code=make_credit_code("12" + city.code + "000000001"),
        )
        self.users = {
            "admin": get_user_model().objects.create(username="admin", is_staff=True, is_superuser=True),
            "inspector": _user("inspector", role="region_admin", region=county),
            "county-admin": _user("county-admin", role="region_admin", region=county),
            "city-admin": _user("city-admin", role="region_admin", region=city),
            "province-admin": _user("province-admin", role="region_admin", region=province),
            "auditor": _user("auditor", role="auditor", region=province),
            "enterprise": _user("enterprise", role="enterprise_user", organisation=self.enterprise),
            "institute": _user("institute", role="institution_staff", organisation=institute),
        }
        other = reg.Region.objects.exclude(code__startswith=county.code[:2]).filter(level="province").first()
        self.elsewhere = _user("elsewhere-admin", role="region_admin", region=other)
        self.cast = demo_roles.DemoCast(province, city, county, institute, self.enterprise, self.users)
        instrument = reg.Instrument.objects.create(code="JY-0001", name="燃油加油机", owner=self.enterprise, region=county)
        alert = dict(
            instrument=instrument,
            region=county,
            owner=self.enterprise,
            rule="any.peer_drift",
            severity=Alert.Severity.HIGH,
            evidence={"drift": 0.012, "peers": 12, "messages": [{"seq": 7, "score": 4.2, "message": {"v": 10.3}}]},
        )
        Alert.objects.create(**alert)  # the demo's
        self.demo_cases = plant_cases(self.cast)
        self.alert = Alert.objects.create(**alert)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def filed_case(world, **kwargs) -> Case:
    """A clue against the enterprise, proposed by the inspector and approved by the county."""
    inspector, county = world.users["inspector"], world.users["county-admin"]
    case = services.open_case(
        inspector,
        region=world.enterprise.region,
        party=world.enterprise,
        violation=Case.Violation.UNVERIFIED,
        summary="未按规定申请强制检定",
        discovered_on=kwargs.get("discovered_on", ago(60)),
    )
    services.act(inspector, case, "propose", on=kwargs.get("proposed_on", ago(58)))
    return services.act(county, case, "approve_filing", on=kwargs.get("filed_on", ago(57)))


# -- the demo and the alert's evidence --------------------------------------------------------


def test_the_demo_plants_a_case_from_an_alert_with_its_evidence_and_a_published_penalty(world):
    from_alert, published = world.demo_cases
    assert from_alert.source == Case.Source.ALERT and from_alert.status == Case.Status.FILED
    frozen = from_alert.evidence.get(kind=Evidence.Kind.ALERT)
    assert frozen.snapshot["evidence"] == from_alert.alert.evidence and services.snapshot_intact(frozen)
    assert published.status == Case.Status.CLOSED and published.published_on is not None
    assert [s.action for s in published.steps.all()] == [
        "open", "propose", "approve_filing", "add_evidence", "notify", "waive", "decide", "execute", "rectify", "close", "publish",
    ]  # fmt: skip


def test_the_alert_evidence_is_frozen_at_opening_and_the_case_keeps_it(world):
    case = services.open_from_alert(world.users["county-admin"], world.alert, violation="tampering")
    frozen = case.evidence.get(kind=Evidence.Kind.ALERT)
    assert frozen.snapshot["evidence"]["drift"] == 0.012 and frozen.snapshot["rule"] == "any.peer_drift"
    world.alert.evidence = {"drift": 0.5}
    world.alert.save()
    frozen.refresh_from_db()
    assert frozen.snapshot["evidence"]["drift"] == 0.012 and services.snapshot_intact(frozen)
    frozen.snapshot["evidence"]["drift"] = 0.0  # a changed copy no longer matches its hash
    assert not services.snapshot_intact(frozen)
    assert "办理中的案件" in refused(services.open_from_alert, world.users["county-admin"], world.alert, violation="tampering")


# -- the steps and their refusals ------------------------------------------------------------


def test_filing_is_approved_by_another_administrator(world):
    inspector = world.users["inspector"]
    case = services.open_case(inspector, region=world.enterprise.region, party=world.enterprise, violation="other", summary="x")
    services.act(inspector, case, "propose")
    assert "第十九条" in refused(services.act, inspector, case, "approve_filing")
    case = services.act(world.users["county-admin"], case, "approve_filing")
    assert case.status == Case.Status.FILED and case.filed_on == TODAY
    assert "不能" in refused(services.act, inspector, case, "approve_filing")  # a wrong state names the state


def test_a_penalty_without_a_notice_is_refused(world):
    case = filed_case(world)
    message = refused(services.act, world.users["county-admin"], case, "decide", decision_number="N1", penalty="罚款")
    assert "第六十二条" in message
    case.refresh_from_db()
    assert case.status == Case.Status.FILED and case.decided_on is None  # nothing half written


def test_the_decision_waits_for_the_statement_window_and_a_requested_hearing(world):
    admin = world.users["county-admin"]
    case = filed_case(world)
    services.act(admin, case, "notify", on=ago(3), proposed_penalty="罚款 5 万元", hearing_offered=True)
    assert "第六十四条" in refused(services.act, admin, case, "decide", decision_number="N2", penalty="罚款")
    services.act(admin, case, "request_hearing", on=ago(2))
    assert "听证" in refused(services.act, admin, case, "decide", decision_number="N2", penalty="罚款")
    services.act(admin, case, "hold_hearing", on=ago(1))
    case = services.act(admin, case, "decide", decision_number="N2", penalty="罚款 5 万元", fine="50000")
    assert case.status == Case.Status.DECIDED


def test_closure_with_an_open_step_is_refused(world):
    admin = world.users["county-admin"]
    case = filed_case(world)
    services.act(admin, case, "notify", on=ago(20), proposed_penalty="罚款 800 元")
    services.act(admin, case, "decide", on=ago(10), decision_number="N3", penalty="罚款 800 元", fine="800", rectify_by=ago(1))
    message = refused(services.act, admin, case, "close")
    assert "尚未执行完毕" in message and "改正" in message
    services.act(admin, case, "execute", on=ago(5))
    assert "改正" in refused(services.act, admin, case, "close")
    services.act(admin, case, "rectify", on=ago(2))
    assert services.act(admin, case, "close").status == Case.Status.CLOSED


def test_transfer_to_the_police_ends_an_undecided_case(world):
    admin = world.users["county-admin"]
    case = filed_case(world)
    assert "310" in refused(services.act, admin, case, "transfer")
    case = services.act(admin, case, "transfer", transferred_to="某县公安局")
    assert case.status == Case.Status.TRANSFERRED and case.transferred_on == TODAY
    assert CASES.allowed_actions(actor_for(admin), case) == []


def test_every_step_is_on_the_audit_ledger(world):
    case = filed_case(world)
    entries = AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
    assert entries.filter(action="status_change").count() == 2  # proposed, filed
    assert AuditEntry.objects.filter(object_type="cases.step").count() >= 3


# -- the policy ------------------------------------------------------------------------------


def test_who_sees_and_works_a_case(world):
    case = filed_case(world)
    actors = {
        name: actor_for(world.users[name]) for name in ("county-admin", "province-admin", "auditor", "enterprise", "institute")
    }
    actors["elsewhere"] = actor_for(world.elsewhere)
    one = Case.objects.filter(pk=case.pk)
    assert {name: CASES.visible(a, one).exists() for name, a in actors.items()} == {
        "county-admin": True,
        "province-admin": True,
        "auditor": True,
        "enterprise": False,  # the party: not before the notice
        "institute": False,
        "elsewhere": False,
    }
    assert CASES.allowed_actions(actors["auditor"], case) == [] and not CASES.may(actors["elsewhere"], "notify", case)
    services.add_evidence(world.users["county-admin"], case, title="询问笔录", note="当事人陈述")
    services.act(world.users["county-admin"], case, "notify", proposed_penalty="警告")
    assert CASES.visible(actors["enterprise"], one).exists()
    assert not EVIDENCE.visible(actors["enterprise"], Evidence.objects.filter(case=case)).exists()
    assert list(STEPS.visible(actors["enterprise"], case.steps.all()).values_list("action", flat=True)) == [
        "open", "propose", "approve_filing", "notify",
    ]  # fmt: skip
    assert "只有案件所在地区" in refused(services.act, world.elsewhere, case, "waive")


# -- deadlines, reminders, credit ------------------------------------------------------------


def test_reminders_once_per_stage_and_the_dashboard_order(world):
    case = filed_case(world, discovered_on=ago(120), proposed_on=ago(119), filed_on=ago(118))  # decision due 28 days ago
    sent = services.send_reminders(TODAY)
    assert any(r.case_id == case.pk and r.step == "decision" and r.stage == -1 for r in sent)
    assert not any(r.case_id == case.pk for r in services.send_reminders(TODAY))  # once
    rows = services.open_cases_by_deadline(actor_for(world.users["county-admin"]), limit=None)
    dues = [d.due for _, d in rows if d is not None]
    assert dues == sorted(dues) and rows[0][1].due <= ago(28)
    assert Reminder.objects.filter(case=case).count() == 1


def test_credit_evidence_rows(world):
    found = dict(credit_evidence.evidence())
    assert set(found) == {"penalty_decision", "case_filed"}
    published = world.demo_cases[1]
    assert (world.enterprise.pk, published.decided_on, published.decision_number) in list(found["penalty_decision"])
    assert (world.enterprise.pk, published.filed_on, published.number) in list(found["case_filed"])


def test_personal_data_is_masked_on_publication():
    text = services.mask_personal("经营者张三，身份证号 110101199003074512，电话 13812345678")
    assert "110101********4512" in text and "138****5678" in text and "199003074512" not in text


# -- pages, API, CLI -------------------------------------------------------------------------


def test_pages_api_and_cli(world):
    published = world.demo_cases[1]
    client = Client()
    page = client.get("/cases/penalties/")
    assert page.status_code == 200 and published.decision_number in page.content.decode()
    assert client.get(f"/cases/{published.pk}/").status_code == 302  # sign in first
    assert client.get("/api/cases/penalties/").json()["count"] >= 1
    client.force_login(world.users["county-admin"])
    assert client.get("/cases/").status_code == 200
    detail = client.get(f"/cases/{published.pk}/").content.decode()
    assert published.number in detail and "询问笔录" in detail
    case = filed_case(world)
    answer = client.post(f"/api/cases/{case.pk}/steps/", {"action": "decide", "decision_number": "N9", "penalty": "x"})
    assert answer.status_code == 400 and "第六十二条" in str(answer.json())
    answer = client.post(
        f"/api/cases/{case.pk}/evidence/", {"title": "照片说明", "note": "铅封破损"}, content_type="application/json"
    )
    assert answer.status_code == 201 and len(answer.json()["sha256"]) == 64
    client.force_login(world.users["auditor"])
    assert client.post(f"/cases/{case.pk}/act/", {"action": "notify"}).status_code == 403
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["cases", "--as", "county-admin", "act", case.number, "notify", "--proposed-penalty", "警告"]) == 0
        assert cli_main(["cases", "list"]) == 0
    assert case.number in out.getvalue()
