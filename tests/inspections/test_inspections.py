"""Inspections (jiliang.inspections): the conflict-of-interest exclusion (回避) in the plan and
the draw, a draw published then performed and re-verified from its PLAN.json, a campaign's
inspection recorded, signed by two officers, its findings ordered rectified and its results
published, the credit evidence, and the `jiliang draw verify` command. One small world per
module."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.audit.services import record as audit_record
from jiliang.cli import main as cli_main
from jiliang.core import draws as core
from jiliang.core.identifiers import make_credit_code
from jiliang.inspections import credit_evidence, services
from jiliang.inspections.models import ConflictTie, Inspection, Inspector, RectificationOrder, Target
from jiliang.registry import models as reg

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


class World:
    def __init__(self):
        R = reg.Region
        self.province, _ = R.objects.get_or_create(code="650000", defaults={"name": "新疆", "level": "province"})
        self.city, _ = R.objects.get_or_create(
            code="650100", defaults={"name": "乌鲁木齐", "level": "city", "parent": self.province}
        )
        self.orgs = [
            reg.Organisation.objects.create(
                name=f"加油站 {i}", credit_code=make_credit_code(f"91650100MA{i:07d}"), kind="enterprise", region=self.city
            )
            for i in range(12)
        ]
        for org in self.orgs:
            Target.objects.create(organisation=org, kind="fuel_station")
        User = get_user_model()
        self.admin = User.objects.create_user("xj-admin", password="pw")
        Membership.objects.create(user=self.admin, role="region_admin", region=self.city)
        self.officers = []
        for n in range(4):
            user = User.objects.create_user(f"xj-officer-{n}", password="pw")
            Membership.objects.create(user=user, role="region_admin", region=self.city)
            self.officers.append(
                Inspector.objects.create(
                    user=user,
                    name=f"执法员{n}",
                    certificate_number=f"XJ-{n}",
                    certificate_valid_until=timezone.localdate() + dt.timedelta(days=365),
                    region=self.city,
                    kinds=["fuel_station"],
                )
            )
        # Officer 0 is tied to every station but the last two; officer 1 used to work at
        # station 0 long ago (no longer excluded) and at station 1 recently (excluded).
        today = timezone.localdate()
        for org in self.orgs[:10]:
            ConflictTie.objects.create(inspector=self.officers[0], organisation=org, kind="relative")
        ConflictTie.objects.create(
            inspector=self.officers[1],
            organisation=self.orgs[0],
            kind="former_employment",
            ended_on=today - dt.timedelta(days=365 * 5),
        )
        ConflictTie.objects.create(
            inspector=self.officers[1],
            organisation=self.orgs[1],
            kind="former_employment",
            ended_on=today - dt.timedelta(days=100),
        )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def test_conflicted_officers_are_excluded_in_the_plan_and_never_drawn(world):
    today = timezone.localdate()
    barred = services.excluded_targets([o.pk for o in world.officers], today)
    ids = [o.pk for o in world.orgs]
    assert barred[world.officers[0].pk] == set(ids[:10])
    assert barred[world.officers[1].pk] == {ids[1]}  # the old employment has lapsed (3 years)
    assert services.is_tied(world.officers[1], ids[1]) and not services.is_tied(world.officers[1], ids[0])
    draw = services.publish_draw(world.admin, world.city, "fuel_station", "全部抽取", today, sample={"B": "1"}, per_target=2)
    excluded = {row["id"]: set(row["excluded"]) for row in draw.plan["inspectors"]}
    assert excluded[world.officers[0].pk] == set(ids[:10])
    with pytest.raises(services.InspectionRefused) as refused:  # the ledger's head was known at publication
        services.perform_draw(world.admin, draw)
    assert refused.value.code == "draw_no_public_value"
    audit_record("other", "inspections.test", actor="test")  # a ledger entry after the publication
    draw = services.perform_draw(world.admin, draw)
    assert len(draw.result) == 12
    for row in draw.result:
        for officer in row["inspectors"]:
            assert row["target"] not in excluded[officer]
    # Every run of any seed keeps the rule (the property, over a few seeds).
    for seed in ("00" * 32, "ff" * 32, "1a" * 32):
        for row in core.draw(draw.plan, seed, "ledger:1:x"):
            assert all(row.target not in excluded[o] for o in row.inspectors)


def test_a_draw_is_committed_then_performed_and_verifies_from_its_file(world, tmp_path):
    today = timezone.localdate()
    draw = services.publish_draw(world.admin, world.city, "fuel_station", "2026 加油站专项", today, sample={"B": 3})
    public = draw.document()
    assert public["seed"] is None and public["result"] is None
    assert draw.commitment == core.commitment(core.plan_hash(draw.plan), draw.seed)
    campaign = services.create_campaign(
        world.admin, world.city, "fuel_station", "加油站计量专项检查", today, today + dt.timedelta(days=30), draw=draw
    )
    with pytest.raises(services.InspectionRefused) as refused:
        services.perform_draw(world.officers[0].user.__class__.objects.create_user("nobody"), draw)
    assert refused.value.code == "inspection_not_supervisor"
    draw = services.perform_draw(world.admin, draw, external_value="2026-12-07 双色球 03 07 12 19 25 31+08")
    assert draw.public_value.endswith(";external:2026-12-07 双色球 03 07 12 19 25 31+08")
    assert len(draw.result) == 3 and campaign.inspections.count() == 3
    path = tmp_path / "PLAN.json"
    path.write_text(json.dumps(draw.document(), ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["draw", "verify", str(path)]) == 0
    assert out.getvalue().strip() == "match"
    forged = draw.document()
    forged["plan"]["population"][0]["grade"] = "D"
    path.write_text(json.dumps(forged), encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["draw", "verify", str(path)]) == 1
    assert "commitment" in out.getvalue()


def test_an_inspection_is_recorded_signed_by_two_ordered_and_published(world):
    today = timezone.localdate()
    campaign = services.create_campaign(world.admin, world.city, "fuel_station", "手工专项", today, today)
    inspection = Inspection.objects.create(
        campaign=campaign, organisation=world.orgs[11], kind="fuel_station", grade="B", scheduled_on=today
    )
    a, b = world.officers[2], world.officers[3]
    inspection.inspectors.set([a, b])
    answers = {
        "verified": {"verdict": "pass"},
        "seals": {"verdict": "fail", "note": "1 号机编码器铅封断开"},
        "software": {"verdict": "pass"},
        "delivery_error": {"verdict": "pass", "measurement": "-0.12"},
    }
    with pytest.raises(services.InspectionRefused) as refused:
        services.record_checklist(world.admin, inspection, answers)
    assert refused.value.code == "inspection_not_assigned"
    with pytest.raises(services.InspectionRefused) as refused:
        services.record_checklist(a.user, inspection, {**answers, "delivery_error": {"verdict": "pass", "measurement": "x"}})
    assert refused.value.field == "items.delivery_error.measurement"
    services.record_checklist(a.user, inspection, answers)
    with pytest.raises(services.InspectionRefused) as refused:
        services.sign(a.user, inspection)
    assert refused.value.code == "inspection_items_missing" and "units" in refused.value.params["items"]
    services.record_checklist(a.user, inspection, {**answers, "units": {"verdict": "na"}})
    services.sign(a.user, inspection)
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.ASSIGNED  # one signature is not enough (第四十二条)
    with pytest.raises(services.InspectionRefused):
        services.sign(a.user, inspection)
    services.sign(b.user, inspection)
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.COMPLETED and inspection.outcome == "findings"
    assert inspection.publish_by > today
    finding = inspection.findings.get()
    assert finding.item == "seals" and finding.severity == "major" and finding.organisation == world.orgs[11]
    order = finding.order
    assert order.deadline > today and order.working_days == 10
    services.follow_up(world.admin, order, True, "已重新加封并检定合格")
    assert RectificationOrder.objects.get(pk=order.pk).status == "rectified"
    services.publish_results(world.admin, inspection)
    assert Inspection.objects.get(pk=inspection.pk).published_on == today
    kinds = dict(credit_evidence.evidence())
    rows = list(kinds["inspection_finding"].filter(organisation_id=world.orgs[11].pk))
    assert rows == [(world.orgs[11].pk, today, f"JC-{campaign.pk}-{inspection.pk}-{finding.pk}")]
    # The finding is the source of an enforcement case: the inspected organisation is the party.
    from jiliang.cases import services as cases

    case = cases.open_from_finding(world.admin, finding, violation="unverified")
    assert (case.source, case.finding, case.party, case.region) == ("finding", finding, world.orgs[11], world.orgs[11].region)
    with pytest.raises(cases.Refused, match="该检查发现已有办理中的案件"):
        cases.open_from_finding(world.admin, finding, violation="unverified")


def test_a_tie_declared_on_the_command_line_excludes_the_officer(world):
    officer, station = world.officers[3], world.orgs[5]
    assert not services.is_tied(officer, station.pk)
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli_main(
            ["inspections", "--user", "xj-admin", "tie", officer.certificate_number, station.credit_code, "shareholding"]
        )
    assert code == 0 and station.name in out.getvalue()
    assert services.is_tied(officer, station.pk)
    with redirect_stdout(io.StringIO()):  # a write names the administrator acting (--user)
        assert cli_main(["inspections", "tie", officer.certificate_number, station.credit_code, "relative"]) == 2


def test_site_photos_reach_the_regions_administration_only(world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 90, 200)).save(buffer, format="PNG")
    today = timezone.localdate()
    campaign = services.create_campaign(world.admin, world.city, "optician", "眼镜店专项", today, today)
    inspection = Inspection.objects.create(campaign=campaign, organisation=world.orgs[10], kind="optician", scheduled_on=today)
    inspection.inspectors.set([world.officers[2], world.officers[3]])
    answers = {"verified": {"verdict": "pass"}, "units": {"verdict": "pass"}}
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        services.record_checklist(
            world.officers[2].user, inspection, answers, photos=[SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")]
        )
        for officer in world.officers[2:]:
            services.sign(officer.user, inspection)
        services.publish_results(world.admin, inspection)
        url = f"/inspections/{inspection.pk}/photos/{inspection.photos.get().pk}/"
        public = Client()
        assert public.get(f"/inspections/{inspection.pk}/").status_code == 200  # the result is public
        assert url not in public.get(f"/inspections/{inspection.pk}/").content.decode()
        public.force_login(get_user_model().objects.create_user("xj-citizen"))
        assert public.get(url).status_code == 404
        bureau = Client()
        bureau.force_login(world.admin)
        assert url in bureau.get(f"/inspections/{inspection.pk}/").content.decode()
        assert bureau.get(url).status_code == 200
