"""Credit records on the database: collection from the providers, set-based grading held to
the pure rules, the history, a rule-set version from a date, objection and repair, the policy."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.core.errors import InputError
from jiliang.credit import rules, services
from jiliang.credit.grades import current_grades
from jiliang.credit.models import CreditGrade, Evidence, Objection, Repair
from jiliang.credit.policies import CREDIT
from jiliang.policies import actor_for
from jiliang.registry import models as reg

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db

KINDS = ["prepack_pass", "prepack_fail", "complaint_substantiated", "penalty_decision", "inspection_clean", "commitment_kept"]
CODES = ["91000000000000001X", "91000000000000002X", "91000000000000003X", "91000000000000004X"]


class World:
    def __init__(self):
        User = get_user_model()
        self.province = reg.Region.objects.create(code="990000", name="测试省", level="province")
        self.county = reg.Region.objects.create(
            code="990101",
            name="测试县",
            level="county",
            parent=reg.Region.objects.create(code="990100", name="测试市", level="city", parent=self.province),
        )
        self.elsewhere = reg.Region.objects.create(code="980000", name="他省", level="province")
        self.orgs = [
            reg.Organisation.objects.create(name=f"企业{i}", credit_code=CODES[i], kind="enterprise", region=self.county)
            for i in range(3)
        ]
        self.stranger = reg.Organisation.objects.create(
            name="外省企业", credit_code=CODES[3], kind="enterprise", region=self.elsewhere
        )

        def user(name, **membership):
            u = User.objects.create_user(name, password="pw")
            Membership.objects.create(user=u, **membership)
            return u

        self.owner = user("credit-owner", role="enterprise_user", organisation=self.orgs[0])
        self.other = user("credit-other", role="enterprise_user", organisation=self.orgs[1])
        self.admin = user("credit-admin", role="region_admin", region=self.province)
        self.auditor = user("credit-auditor", role="auditor", region=self.province)
        self.far_admin = user("credit-far", role="region_admin", region=self.elsewhere)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def _plant(orgs, today, seed=3, n=40):
    rng = random.Random(seed)
    rows = [
        Evidence(
            organisation=rng.choice(orgs),
            kind=rng.choice(KINDS),
            occurred_on=today - dt.timedelta(days=rng.randrange(0, 1300)),
            reference=f"R{i}",
        )
        for i in range(n)
    ]
    Evidence.objects.bulk_create(rows)
    return rows


def test_collect_runs_every_provider(world):
    counts = services.collect()  # every source's SQL, compiled and run (no source rows here)
    assert set(counts) >= {
        "prepack_pass",
        "prepack_fail",
        "telemetry_confirmed",
        "complaint_substantiated",
        "instrument_overdue",
        "commitment_kept",
        "commitment_broken",
    }


def test_set_based_grades_are_the_pure_rules(world):
    today = timezone.localdate()
    rows = _plant(world.orgs, today)
    rs = services.rule_set_on(today)
    written = services.grade_all(today)
    assert written == 3
    got = current_grades([o.pk for o in world.orgs] + [world.stranger.pk])
    for org in world.orgs:
        expected = rules.grade_of(rs, [(r.kind, r.occurred_on) for r in rows if r.organisation_id == org.pk], today)
        row = CreditGrade.objects.get(organisation=org, current=True)
        assert (row.grade, row.score, row.rule_version) == (expected.grade, expected.score, rs.version)
        assert got[org.pk] == expected.grade
        assert sorted(k for k, _ in row.pieces()) == sorted(k for k, n in expected.counts.items() for _ in range(n))
    assert got[world.stranger.pk] == rs.default_grade  # never graded
    assert services.grade_all(today) == 0  # nothing changed: no new history


def test_history_and_a_new_rule_version(world):
    today = timezone.localdate()
    org = world.orgs[0]
    Evidence.objects.create(organisation=org, kind="penalty_decision", occurred_on=today, reference="CF-1")
    services.grade_all(today)
    assert CreditGrade.objects.get(organisation=org, current=True).grade in ("C", "D")
    document = rules.to_document(services.shipped_rules())
    document["kinds"]["penalty_decision"]["weight"] = 0
    document["kinds"]["penalty_decision"]["cap"] = None
    with pytest.raises(services.NotAllowed):
        services.set_rules(world.auditor, document, today)
    with pytest.raises(services.CreditRefused) as past:
        services.set_rules(world.admin, document, today - dt.timedelta(days=1))
    assert past.value.code == "credit_rule_past"
    version = services.set_rules(world.admin, document, today, note="处罚不计分").version
    assert version == 2
    assert services.grade_all(today) == 1  # the graded organisation again, under the new version
    current = CreditGrade.objects.get(organisation=org, current=True)
    assert current.rule_version == 2 and current.previous in ("C", "D") and "penalty_decision:CF-1" in current.evidence
    assert CreditGrade.objects.filter(organisation=org).count() >= 2


def test_objection_and_repair(world):
    today = timezone.localdate()
    org = world.orgs[2]
    Evidence.objects.create(organisation=org, kind="prepack_fail", occurred_on=today, reference="DLBZ-9")
    Evidence.objects.create(
        organisation=org, kind="penalty_decision", occurred_on=today - dt.timedelta(days=200), reference="CF-7"
    )
    services.grade_all(today)
    before = current_grades([org.pk])[org.pk]
    with pytest.raises(services.NotAllowed):  # another organisation's user
        services.file_objection(world.other, org, "prepack_fail", "DLBZ-9", "抽样不规范")
    third = Membership.objects.create(
        user=get_user_model().objects.create_user("credit-third"), role="enterprise_user", organisation=org
    ).user
    with pytest.raises(services.CreditRefused) as missing:
        services.file_objection(third, org, "prepack_fail", "DLBZ-0", "x")
    assert missing.value.code == "credit_no_piece"
    objection = services.file_objection(third, org, "prepack_fail", "DLBZ-9", "样品非本企业生产，见附件发货单")
    with pytest.raises(services.CreditRefused) as twice:
        services.file_objection(third, org, "prepack_fail", "DLBZ-9", "again")
    assert twice.value.code == "credit_request_open"
    with pytest.raises(services.NotAllowed):
        services.decide_objection(world.far_admin, objection, True, "x")
    services.decide_objection(world.admin, objection, True, "经核实样品非该企业产品")
    assert Objection.objects.get(pk=objection.pk).status == "accepted"
    record = services.record_of(org)
    assert [p["excluded"] for p in record["pieces"] if p["piece"].reference == "DLBZ-9"] == ["objection"]
    # Repair: not for a kind the rules do not repair; a penalty after 180 days.
    Evidence.objects.create(organisation=org, kind="instrument_overdue", occurred_on=today, reference="INS-1")
    with pytest.raises(services.CreditRefused) as no_repair:
        services.request_repair(third, org, "instrument_overdue", "INS-1", "已送检")
    assert no_repair.value.code == "credit_not_repairable"
    repair = services.request_repair(third, org, "penalty_decision", "CF-7", "已履行处罚决定，已整改")
    with pytest.raises(services.CreditRefused):
        services.decide_repair(world.admin, repair, False, "")  # a decision gives its reason
    services.decide_repair(world.admin, repair, True, "符合第六条条件")
    assert Repair.objects.get(pk=repair.pk).status == "accepted"
    after = CreditGrade.objects.get(organisation=org, current=True)
    assert "CF-7" not in after.evidence and "DLBZ-9" not in after.evidence
    history = CreditGrade.objects.filter(organisation=org).order_by("id").values_list("previous", "grade")
    assert list(history) == [("", before), (before, "C"), ("C", "B")] and before == "D"  # 55 → 70 (capped C) → 97


def test_policy(world):
    org = world.orgs[0]
    owner, other, admin, auditor, far = (
        actor_for(u) for u in (world.owner, world.other, world.admin, world.auditor, world.far_admin)
    )
    rows = Evidence.objects.filter(organisation__in=world.orgs)
    assert CREDIT.sees_record(owner, org) and not CREDIT.sees_record(other, org)
    assert CREDIT.sees_record(admin, org) and CREDIT.sees_record(auditor, org) and not CREDIT.sees_record(far, org)
    assert set(CREDIT.visible(owner, rows).values_list("organisation_id", flat=True)) <= {org.pk}
    assert not CREDIT.visible(far, rows).exists()
    assert not CREDIT.visible(actor_for(None), rows).exists()  # not public
    assert CREDIT.may_request(owner, org) and not CREDIT.may_request(admin, org)
    assert CREDIT.may_decide(admin, org) and not CREDIT.may_decide(auditor, org) and not CREDIT.may_decide(owner, org)
    assert CREDIT.may_set_rules(admin) and not CREDIT.may_set_rules(auditor)
    assert CREDIT.sees_dashboard(admin) and not CREDIT.sees_dashboard(owner)


def test_pages_api_and_cli_ask_the_policy(world):
    from django.core.management import call_command
    from django.test import Client

    org = world.orgs[0]
    Evidence.objects.create(organisation=org, kind="prepack_fail", occurred_on=timezone.localdate(), reference="DLBZ-5")
    services.grade_all()
    anonymous = Client()
    assert anonymous.get("/credit/rules/").status_code == 200  # the rule set is published
    assert anonymous.get(f"/credit/organisations/{org.pk}/").status_code == 302  # to sign in
    owner, other, admin = Client(), Client(), Client()
    owner.force_login(world.owner)
    other.force_login(world.other)
    admin.force_login(world.admin)
    page = owner.get(f"/credit/organisations/{org.pk}/")
    assert page.status_code == 200 and "DLBZ-5" in page.content.decode() and "提出异议" in page.content.decode()
    assert "DLBZ-5" in owner.get("/credit/").content.decode()  # its own record
    assert other.get(f"/credit/organisations/{org.pk}/").status_code == 404  # not its record: not there for it
    home = admin.get("/credit/")
    assert home.status_code == 200 and "测试市" in home.content.decode()  # a province sees its cities
    assert owner.get(f"/api/credit/organisations/{org.pk}/").json()["evidence"][0]["reference"] == "DLBZ-5"
    assert other.get(f"/api/credit/organisations/{org.pk}/").status_code == 404
    assert owner.get("/api/credit/summary/").status_code == 403
    summary = admin.get("/api/credit/summary/?by=sector").json()
    assert sum(row["total"] for row in summary) == 3
    filed = owner.post(
        "/api/credit/objections/",
        {"organisation": org.pk, "kind": "prepack_fail", "reference": "DLBZ-5", "statement": "样品非本企业"},
    )
    assert filed.status_code == 201
    decided = admin.post(
        f"/api/credit/objections/{filed.json()['id']}/decide/",
        {"accept": True, "reason": "经核实"},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
    out = io.StringIO()
    call_command("credit", "rules", "show", stdout=out)
    assert "penalty_decision" in out.getvalue() and "A " in out.getvalue()
    with pytest.raises(InputError) as missing:  # a bad file is named, nothing changes
        call_command("credit", "rules", "set", "/nonexistent/rules.json", "--from", "2030-01-01")
    assert (missing.value.code, missing.value.file) == ("file_not_found", "/nonexistent/rules.json")
