"""Energy and carbon metering (jiliang.energy): the demo's key energy users through the
services and the ingest pipeline, the alerts their planted faults raise, the month's
figures, the review's lifecycle and refusals, the policy per role, the pages and exports,
and the credit evidence. One demo province (with the energy demo) per module."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation

from jiliang.accounts.models import Membership
from jiliang.audit.models import AuditEntry
from jiliang.console.demo_roles import DemoCast
from jiliang.core.identifiers import make_credit_code
from jiliang.energy import credit_evidence, services
from jiliang.energy.demo import plant_energy
from jiliang.energy.models import KeyUnit, Review, UnitMonth
from jiliang.energy.policies import FINDINGS, REVIEWS, UNITS
from jiliang.energy.rules import ENERGY_CHECKLIST
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused
from jiliang.supervision.telemetry.models import Alert

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


def _organisation(name: str, kind: str, region, n: int) -> reg.Organisation:
    first17 = f"91{region.code}{n:09d}"[:17]
    return reg.Organisation.objects.create(name=name, credit_code=make_credit_code(first17), kind=kind, region=region)


class World:
    """A small cast by hand (the demo's regions are reference data): a county enterprise
    that is the key unit, a second enterprise of the city, the institute that verifies
    their meters, the city's administrator, the province's auditor, a stranger bureau."""

    def __init__(self):
        county = reg.Region.objects.filter(level="county").order_by("code").first()
        city = reg.Region.objects.get(code=county.code[:4] + "00")
        province = reg.Region.objects.get(code=county.code[:2] + "0000")
        enterprise = _organisation("演示橡塑制品有限公司", "enterprise", county, 1)
        _organisation("演示第二制品厂", "enterprise", city, 2)
        institute = _organisation("省计量院", "legal_institute", province, 3)
        User = get_user_model()
        users = {}
        for name, role, scope in (
            ("city-admin", "region_admin", {"region": city}),
            ("auditor", "auditor", {"region": province}),
            ("enterprise", "enterprise_user", {"organisation": enterprise}),
            ("institute", "institution_staff", {"organisation": institute}),
        ):
            users[name] = User.objects.create(username=f"energy-{name}")
            Membership.objects.create(user=users[name], role=role, **scope)
        self.cast = DemoCast(province, city, county, institute, enterprise, users)
        plant_energy(self.cast)
        self.users = users
        self.unit = KeyUnit.objects.get(organisation=enterprise)
        self.review = self.unit.reviews.get()
        other_region = reg.Region.objects.exclude(code__startswith=province.code[:2]).filter(level="province").first()
        self.stranger = User.objects.create(username="energy-elsewhere")
        Membership.objects.create(user=self.stranger, role="region_admin", region=other_region)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def test_planted_faults_raise_alerts_through_the_alert_workflow(world):
    month = world.unit.months.order_by("-month").first()
    rules = {(a.instrument.model, a.rule) for a in Alert.objects.filter(owner=world.cast.enterprise, rule__startswith="energy.")}
    assert ("E12", "energy.gap") in rules
    assert ("E2", "energy.stuck") in rules
    assert ("G1", "energy.jump") in rules
    assert ("E0", "energy.balance") in rules  # 9 % unmetered branch off the boundary
    assert ("E0", "energy.intensity") in rules  # output fell, energy did not
    assert len(rules) == 5, rules  # the planted faults and nothing else
    assert month.quality["counts"]["energy.gap"] == 1
    # Alerts go to the bureau of the unit's region, and repeat closes raise none again.
    again = services.close_month(world.users["city-admin"], world.unit, month.month, output=month.output)
    assert again.quality["alerts_raised"] == 0


def test_month_figures_with_uncertainty(world):
    month = world.unit.months.order_by("-month").first()
    assert month.tce > 0 and 0 < month.u_tce < 0.01 * month.tce
    assert month.co2_t > 0 and month.u_co2_t > 0
    assert set(month.by_type) == {"electricity", "gas", "water"}
    rows = services.region_totals(UnitMonth.objects.filter(month=month.month))
    assert sum(r["units"] for r in rows) == 2


def test_configuration_finds_the_late_meter(world):
    result = services.configuration(world.unit)
    late = [g for g in result.gaps if g.code == "on_time_rate"]
    assert late and late[0].detail["meters"] == [world.unit.points.get(name="冷却塔风机").meters.get().instrument.code]


def test_review_completed_and_counts_as_credit_evidence(world):
    review = world.review
    assert review.status == Review.Status.CLOSED and review.result == Review.Result.RECTIFIED
    kind, rows = credit_evidence.evidence()[0]
    assert kind == "energy_review"
    assert list(rows) == [(world.cast.enterprise.pk, review.decided_on, review.number)]


def test_review_refusals_name_the_rule(world):
    admin = world.users["city-admin"]
    review = services.open_review(admin, world.unit)
    with pytest.raises(Refused) as refused:
        services.record_checklist(admin, review, {"6.1": {"verdict": "no"}})
    assert "JJF 1356" in str(refused.value)
    with pytest.raises(Refused):
        services.decide(admin, review, Review.Result.PASSED)  # items not recorded
    with pytest.raises(Refused) as refused:
        services.open_review(world.users["enterprise"], world.unit)
    assert refused.value.forbidden
    with pytest.raises(Refused):
        services.open_review(world.stranger, world.unit)


def test_policy_per_role(world):
    unit, review = world.unit, world.review
    enterprise = actor_for(world.users["enterprise"])
    assert UNITS.may_view(enterprise, unit) and UNITS.sees_own(enterprise) and not UNITS.sees_overview(enterprise)
    assert not REVIEWS.may(enterprise, "decide", review)
    auditor = actor_for(world.users["auditor"])
    assert UNITS.may_view(auditor, unit) and not UNITS.supervises(auditor, unit)
    assert UNITS.supervises(actor_for(world.users["city-admin"]), unit)
    assert not UNITS.may_view(actor_for(world.stranger), unit)
    assert UNITS.visible(actor_for(world.users["institute"]), KeyUnit.objects.all()).count() == 0


def test_pages_and_exports(world):
    client = Client()
    client.force_login(world.users["enterprise"])
    assert client.get("/energy/mine/").status_code == 200
    page = client.get(f"/energy/units/{world.unit.pk}/")
    assert page.status_code == 200 and "总进线" in page.content.decode()
    assert client.get("/energy/").status_code == 403
    pdf = client.get(f"/energy/reviews/{world.review.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    client.force_login(world.users["auditor"])
    overview = client.get("/energy/")
    assert overview.status_code == 200 and world.unit.sector in overview.content.decode()
    xlsx = client.get(f"/energy/reviews/{world.review.pk}/report.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert world.review.number in [c.value for row in book.active.iter_rows() for c in row]
    client.force_login(world.stranger)
    assert client.get(f"/energy/units/{world.unit.pk}/").status_code == 404
    anonymous = Client().get(f"/energy/units/{world.unit.pk}/")
    assert anonymous.status_code == 302


def test_command_line(world):
    import json
    from contextlib import redirect_stdout

    from jiliang.cli import main as cli_main

    out = io.StringIO()
    with redirect_stdout(out):
        cli_main(["energy", "--user", "energy-auditor", "check", str(world.unit.pk)])
    found = json.loads(out.getvalue())
    assert [g["code"] for g in found["gaps"]] == ["on_time_rate"]

    def run(*args):
        out = io.StringIO()
        with redirect_stdout(out):
            cli_main(["energy", *args])
        return json.loads(out.getvalue())

    opened = run("--user", "energy-city-admin", "review-open", str(world.unit.pk))
    items = [f"{code}=yes" for code, _label, _source in ENERGY_CHECKLIST if code != "5.2"] + ["5.2=no:计量人员未经培训"]
    recorded = run("--user", "energy-city-admin", "review-record", str(opened["id"]), *items)
    assert [f["item"] for f in recorded["findings"]] == ["5.2"]
    run("--user", "energy-city-admin", "review-decide", str(opened["id"]), "failed", "--summary", "不合格")
    kinds = credit_evidence.evidence()[0][1]
    assert opened["number"] in [reference for _org, _day, reference in kinds]


def test_api_reads_through_the_policy(world):
    client = Client()
    client.force_login(world.users["auditor"])
    units = client.get("/api/energy/units/").json()
    rows = units["results"] if isinstance(units, dict) else units
    assert world.unit.pk in [u["id"] for u in rows]
    gaps = client.get(f"/api/energy/units/{world.unit.pk}/configuration/").json()["gaps"]
    assert [g["code"] for g in gaps] == ["on_time_rate"]
    months = client.get(f"/api/energy/units/{world.unit.pk}/months/").json()
    assert len(months["results"] if isinstance(months, dict) else months) == 6
    review = client.get(f"/api/energy/reviews/{world.review.pk}/").json()
    assert review["result"] == "rectified" and review["findings"][0]["item"] == "6.3"
    client.force_login(world.stranger)
    assert client.get(f"/api/energy/units/{world.unit.pk}/").status_code == 404


def test_carbon_review_lists_the_emission_sources_and_their_meters(world):
    from jiliang.energy.exports import review_context, review_pdf

    review = services.open_review(world.users["city-admin"], world.unit, kind=Review.Kind.CARBON)
    sources = {r["source"]: r for r in review_context(review)["sources"]}
    assert set(sources) == {"净购入电力", "天然气燃烧"}
    # The boundary electricity meter is class 0.5S: 0.5 / √3 = 0.289 %.
    assert sources["净购入电力"]["u_rel"] == pytest.approx(0.5 / 3**0.5)
    assert sources["天然气燃烧"]["amount"] > 0
    assert review_pdf(review)[:4] == b"%PDF"
    second = KeyUnit.objects.exclude(pk=world.unit.pk).get()
    with pytest.raises(Refused):  # not a key emitter
        services.open_review(world.users["city-admin"], second, kind=Review.Kind.CARBON)


def test_api_runs_a_review_and_refuses_in_the_readers_language(world):
    from django.conf import settings

    from jiliang.assessment.services import working_days_after

    admin, unit_user = Client(), Client()
    admin.force_login(world.users["city-admin"])
    unit_user.force_login(world.users["enterprise"])
    base = "/api/energy/reviews"
    assert unit_user.post(f"/api/energy/units/{world.unit.pk}/reviews/", {}, "application/json").status_code == 403
    opened = admin.post(f"/api/energy/units/{world.unit.pk}/reviews/", {"reviewers": "王审查"}, "application/json")
    assert opened.status_code == 201
    pk = opened.json()["id"]
    bad = admin.post(
        f"{base}/{pk}/checklist/", {"items": {"6.3": {"verdict": "no"}}}, "application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert (
        bad.status_code == 400 and "JJF 1356-2012" in bad.json()["checklist"][0] and "facts found" in bad.json()["checklist"][0]
    )
    items = {code: {"verdict": "yes"} for code, _label, _source in ENERGY_CHECKLIST}
    items["6.3"] = {"verdict": "no", "note": "电能表超期未检"}
    recorded = admin.post(f"{base}/{pk}/checklist/", {"items": items}, "application/json").json()
    [finding] = recorded["findings"]
    notice = admin.post(f"{base}/{pk}/rectification/", {}, "application/json").json()
    from django.utils import timezone

    due = working_days_after(timezone.localdate(), settings.JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS)
    assert notice["status"] == "rectifying" and notice["rectification_due"] == due.isoformat()
    early = admin.post(f"{base}/{pk}/decision/", {"result": "rectified"}, "application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert early.status_code == 400 and early.json()["result"] == ["整改后合格须每个不符合项都已整改"]
    outsider = Client()
    outsider.force_login(world.users["institute"])
    answer = {"rectification": "已送检"}
    assert outsider.post(f"/api/energy/findings/{finding['id']}/rectification/", answer, "application/json").status_code == 404
    assert admin.post(f"/api/energy/findings/{finding['id']}/rectification/", answer, "application/json").status_code == 403
    answered = unit_user.post(f"/api/energy/findings/{finding['id']}/rectification/", answer, "application/json")
    assert answered.status_code == 200 and answered.json()["rectified_on"]
    closed = admin.post(f"{base}/{pk}/decision/", {"result": "rectified", "summary": "整改到位"}, "application/json").json()
    assert closed["status"] == "closed" and closed["findings"][0]["accepted"]


def test_review_page_records_an_item_with_htmx_and_says_refusals(world):
    admin = Client()
    admin.force_login(world.users["city-admin"])
    bad_date = admin.post(
        f"/energy/units/{world.unit.pk}/reviews/", {"started_on": "7.12."}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "dates are written YYYY-MM-DD" in bad_date.content.decode()  # back on the unit's page, nothing opened
    review = services.open_review(world.users["city-admin"], world.unit)
    url = f"/energy/reviews/{review.pk}/items/6.3/"
    refused = admin.post(url, {"verdict-6.3": "no", "note-6.3": ""}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200 and "不符合时须写明不符合事实" in refused.content.decode()
    saved = admin.post(url, {"verdict-6.3": "no", "note-6.3": "超期未检", "verdict-4.1": "no"}, HTTP_HX_REQUEST="true")
    text = saved.content.decode()
    assert 'data-verdict="no"' in text and 'id="review-findings" hx-swap-oob="true"' in text and "超期未检" in text
    unit_user = Client()
    unit_user.force_login(world.users["enterprise"])
    review.refresh_from_db()
    assert "4.1" not in review.checklist  # only the item whose button was pressed
    everything = {f"verdict-{code}": "yes" for code, _label, _source in ENERGY_CHECKLIST} | {"verdict-5.1": "no"}
    admin.post(f"/energy/reviews/{review.pk}/items/", everything)
    review.refresh_from_db()
    assert set(review.checklist) == {"6.3"}  # all or nothing: 5.1 lacks its facts
    admin.post(f"/energy/reviews/{review.pk}/items/", everything | {"note-5.1": "无专人管理"})
    review.refresh_from_db()
    # 6.3 turned to conforming: its finding is withdrawn; 5.1's stands.
    assert len(review.checklist) == len(ENERGY_CHECKLIST) and [f.item for f in review.findings.all()] == ["5.1"]
    assert unit_user.post(url, {"verdict-6.3": "yes"}).status_code == 403  # the review is the bureau's
    assert unit_user.get(f"/energy/reviews/{review.pk}/").content.decode().count('class="review-item"') == 0


def _open_with_finding(world, item: str, started_on=None) -> Review:
    admin = world.users["city-admin"]
    review = services.open_review(admin, world.unit, started_on=started_on)
    items = {code: "yes" for code, _label, _source in ENERGY_CHECKLIST}
    items[item] = {"verdict": "no", "note": "计量器具台账不全"}
    return services.record_checklist(admin, review, items)


def test_an_item_turned_back_to_conforming_withdraws_its_finding_on_the_record(world):
    admin = world.users["city-admin"]
    review = _open_with_finding(world, "7.1")
    [finding] = review.findings.all()
    services.record_checklist(admin, review, {"7.1": {"verdict": "no", "note": "原始记录缺三个月"}})
    finding.refresh_from_db()
    assert finding.description == "原始记录缺三个月"  # the facts rewritten, the same finding
    services.record_checklist(admin, review, {"7.1": "yes"})
    assert not review.findings.exists() and review.checklist["7.1"]["verdict"] == "yes"
    entry = AuditEntry.objects.filter(object_type="energy.reviewfinding", object_id=str(finding.pk), action="delete").get()
    assert "7.1" in entry.reason and "撤回" in entry.reason and "原始记录缺三个月" in entry.old_values
    with pytest.raises(Refused):  # no finding left: nothing to rectify
        services.require_rectification(admin, review)


def test_rectification_after_the_deadline_is_refused_naming_the_rule(world):
    today = timezone.localdate()
    admin, unit_user = world.users["city-admin"], world.users["enterprise"]
    review = _open_with_finding(world, "6.3", started_on=today - dt.timedelta(days=20))
    services.require_rectification(admin, review, today)
    [finding] = review.findings.all()
    with pytest.raises(Refused) as late_date:  # dated after the deadline, though filed in time
        services.rectify(unit_user, finding, "已送检", on=today + dt.timedelta(days=1))
    assert str(late_date.value).startswith("rectified_on")
    Review.objects.filter(pk=review.pk).update(rectification_due=today - dt.timedelta(days=1))
    finding.refresh_from_db()
    assert not FINDINGS.may_rectify(actor_for(unit_user), finding)  # the page offers no form
    with translation.override("en"), pytest.raises(Refused) as late:
        services.rectify(unit_user, finding, "已送检", on=today - dt.timedelta(days=2))
    text = str(late.value)
    assert "deadline" in text and "Article 18" in text and not late.value.forbidden
    finding.refresh_from_db()
    assert finding.rectified_on is None and not finding.rectification


def _pdf_text(pdf: bytes) -> bytes:
    from ..certificates.helpers import pdf_streams

    # The CJK font writes each character as two bytes: ASCII shows as \000 + the letter.
    return b"".join(data for _head, data in pdf_streams(pdf)).replace(b"\\000", b"")


def test_review_report_follows_the_readers_language(world):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(world.users["auditor"])
    base = f"/energy/reviews/{world.review.pk}/report"
    for language, title, verdict in (
        ("en", b"Energy metering review report", "conforms"),
        ("zh-hans", None, "符合"),
    ):
        pdf = client.get(f"{base}.pdf", HTTP_ACCEPT_LANGUAGE=language).content
        assert pdf[:4] == b"%PDF"
        text = _pdf_text(pdf)
        if title:
            assert title in text and b"Nonconformities and rectification" in text
        else:
            assert b"Energy metering" not in text
        book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx", HTTP_ACCEPT_LANGUAGE=language).content))
        cells = {c.value for row in book.active.iter_rows() for c in row}
        assert verdict in cells and ("Review number" in cells) == (language == "en")
