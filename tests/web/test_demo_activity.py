"""`jiliang demo`'s users and records (issue 23): a user for every role tied to a real
organisation, listed on the demo's sign-in page only; every capability with records made
through its services (certificate authority and DCCs, telemetry alerts, a comparison in
each state, prepack inspections, reference materials, a recall, complaints); telemetry's
landing page and the alerts in the navigation; the impact and recall page with its
refusals and the notice on the affected enterprise's dashboard.

One small province per module (``generate`` + ``demo_roles`` + ``demo_activity``), rolled back at the end."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from jiliang import policies
from jiliang.accounts.demo_logins import DEMO_GROUP, DEMO_PASSWORD, ROLES, demo_logins, print_logins
from jiliang.accounts.models import Membership
from jiliang.registry import models as reg

pytestmark = pytest.mark.django_db

SUPERVISORS = {"admin", "province-admin", "city-admin", "county-admin", "inspector", "auditor"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.core.cache import cache
    from django.db import transaction
    from django.test import override_settings
    from django.utils import timezone

    from jiliang.accounts.roles import clear_region_cache
    from jiliang.console import demo_activity, demo_roles
    from jiliang.registry import demo as generator

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            cache.clear()
            clear_region_cache()
            report = generator.generate(instruments=1000, seed=2035, as_of=timezone.localdate())
            cast = demo_roles.create_demo_users()
            demo_activity.fill_activity(cast, report.defects.out_of_tolerance_standard)
            yield cast, report
            transaction.set_rollback(True)
        cache.clear()
        clear_region_cache()


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _text(response) -> str:
    return response.content.decode()


def test_a_user_for_every_role_tied_to_the_province(demo):
    cast, _report = demo
    users = cast.users
    assert set(users) == {spec.username for spec in ROLES}
    kinds = {name: policies.actor_for(get_user_model().objects.get(pk=u.pk)).kind for name, u in users.items()}
    assert set(kinds.values()) == set(policies.ROLE_KINDS) - {policies.ANONYMOUS}
    levels = {name: u.membership.region.level for name, u in users.items() if kinds[name] == policies.REGION_ADMIN}
    assert levels == {"province-admin": "province", "city-admin": "city", "county-admin": "county", "inspector": "county"}
    assert users["institute"].membership.organisation.kind == reg.Organisation.Kind.LEGAL_INSTITUTE
    assert users["enterprise"].membership.organisation == cast.enterprise
    assert cast.enterprise.region == cast.county and cast.enterprise.kind == reg.Organisation.Kind.ENTERPRISE
    for user in users.values():
        assert get_user_model().objects.get(pk=user.pk).check_password(DEMO_PASSWORD)


def test_the_logins_table_names_role_login_password_and_what_to_try(demo):
    from rich.console import Console

    console = Console(file=io.StringIO(), width=220)
    with translation.override("zh-hans"):  # the terminal's table is in the UI's first language
        print_logins(demo_logins(), console)
    out = console.file.getvalue()
    for spec in ROLES:
        assert re.search(rf"│ {re.escape(spec.username)}\s+│ {DEMO_PASSWORD}", out), spec.username
    assert "浙江省市场监督管理局" in out and demo[0].enterprise.name in out and "签发数字证书" in out


def test_the_demo_sign_in_page_lists_its_logins_and_only_while_it_is_a_demo(demo):
    page = _text(_client().get("/accounts/login/"))
    assert 'id="demo-logins"' in page
    for spec in ROLES:
        assert f'<td class="mono">{spec.username}</td>' in page
    Group.objects.filter(name=DEMO_GROUP).delete()  # the marker gone (rolled back after the test)
    page = _text(_client().get("/accounts/login/"))
    assert 'id="demo-logins"' not in page and DEMO_PASSWORD not in page


def test_the_certificate_authority_and_institution_keys_are_initialised(demo):
    from jiliang.certificates import keys
    from jiliang.certificates.models import Certificate, SigningKey

    cast, _report = demo
    keys.active_authority()  # no "none initialised"
    assert SigningKey.objects.filter(organisation=cast.institute, status="active").exists()
    cert = Certificate.objects.filter(event__performer=cast.institute).first()
    assert cert is not None and _client().get(f"/certificates/{cert.number}/").status_code == 200


def test_every_capability_has_records(demo):
    from jiliang.comparisons.models import Comparison
    from jiliang.portal.models import Complaint
    from jiliang.supervision.prepack.models import Inspection
    from jiliang.supervision.telemetry.models import Alert, Reading
    from jiliang.traceability.models import Recall

    cast, _report = demo
    assert set(Comparison.objects.values_list("status", flat=True)) == set(Comparison.Status.values)
    assert Reading.objects.count() > 100
    alerts = Alert.objects.filter(region=cast.county)
    assert alerts.count() >= 3 and {"new", "closed"} <= set(alerts.values_list("status", flat=True))
    assert Inspection.objects.filter(status="published").exists() and Inspection.objects.count() == 2
    assert reg.ReferenceMaterial.objects.filter(certified_values__isnull=False).distinct().count() >= 5
    recall = Recall.objects.get()
    assert recall.affected_instruments > 0 and recall.notices.exists()
    assert set(Complaint.objects.values_list("status", flat=True)) == {"open", "handled"}
    # Two enforcement cases: one from a telemetry alert with its frozen evidence, one published.
    from jiliang.cases.models import Case

    assert Case.objects.filter(source="alert", evidence__kind="alert").exists()
    assert Case.objects.filter(published_on__isnull=False).exists()
    # 双随机: a performed draw whose campaign is in progress, one result published.
    from jiliang.inspections.models import Campaign, Draw
    from jiliang.inspections.models import Inspection as FieldInspection

    draw = Draw.objects.get()
    assert draw.status == "performed" and Campaign.objects.get(draw=draw).status == "open"
    assert set(FieldInspection.objects.values_list("status", flat=True)) == {"assigned", "published"}
    # Standard reference data and CMCs (issue 25): CODATA v1 published and v2 under review, the KCDB extracts.
    from jiliang.cmc.models import Claim, KcdbCmc, KcdbComparison
    from jiliang.refdata.models import DatasetVersion

    assert list(DatasetVersion.objects.order_by("number").values_list("status", flat=True)) == ["approved", "submitted"]
    assert KcdbCmc.objects.count() == 5 and KcdbComparison.objects.filter(code="CCPR-K3.2014").exists()
    assert Claim.objects.filter(capability__standard__holder=cast.institute).exists()


@pytest.mark.parametrize("username", [None, *[spec.username for spec in ROLES]])
def test_telemetry_has_a_landing_page_for_every_role(demo, username):
    cast, _report = demo
    client = _client(cast.users[username] if username else None)
    response = client.get("/telemetry/")
    assert response.status_code == 200
    page = _text(response)
    nav = page.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    if username in SUPERVISORS:
        assert 'id="alerts-panel"' in page and 'href="/telemetry/alerts/"' in nav
        assert client.get("/telemetry/alerts/").status_code == 200
    else:
        assert 'id="alerts-panel"' not in page and 'href="/telemetry/alerts/"' not in nav
    assert ('id="own-devices"' in page) == (
        username in ("institute", "enterprise", "assessor")
    )  # the assessor is an institute's staff
    if username == "enterprise":
        assert "本单位没有接入" not in page  # the demo enterprise's smart instruments report


def _planted(report):
    standard = reg.MeasurementStandard.objects.get(certificate_number=report.defects.out_of_tolerance_standard)
    return standard, dt.date.fromisoformat(report.defects.out_of_tolerance_found_on)


def test_the_recall_page_asks_for_the_dates_and_proposes_the_last_good_calibration(demo):
    cast, report = demo
    standard, _found = _planted(report)
    admin = _client(cast.users["province-admin"])
    page = _text(admin.get(f"/traceability/recalls/?standard={standard.pk}"))
    proposed = re.search(r'name="date_from" value="([0-9-]+)"', page).group(1)
    today = re.search(r'name="date_to" value="([0-9-]+)"', page).group(1)
    last_good = (
        reg.CalibrationEvent.objects.filter(
            instrument__standard=standard, passed=True, performed_on__lt=dt.date.fromisoformat(today)
        )
        .order_by("-performed_on")
        .first()
    )
    assert dt.date.fromisoformat(proposed) < dt.date.fromisoformat(today) - dt.timedelta(days=1)  # not yesterday–today
    assert last_good is None or dt.date.fromisoformat(proposed) <= last_good.performed_on
    assert 'id="impact"' not in page  # nothing is studied before the dates are confirmed


def test_recall_from_the_page_reaches_the_enterprise_and_is_not_repeated(demo):
    from jiliang.traceability.models import Recall, RecallNotice

    cast, report = demo
    standard, found = _planted(report)
    admin = _client(cast.users["province-admin"])
    start = (found - dt.timedelta(days=400)).isoformat()
    query = {"standard": standard.pk, "date_from": start, "date_to": found.isoformat()}
    page = _text(admin.get("/traceability/recalls/", query))
    assert 'id="impact"' in page and 'id="recall-form"' in page
    made = admin.post("/traceability/recalls/", {**query, "reason": "期间核查发现示值超差"})
    assert made.status_code == 302
    recall = Recall.objects.get(standard=standard)
    assert recall.window_from.isoformat() == start and recall.affected_instruments > 0
    assert "recall-made" in _text(admin.get(made["Location"]))
    # The affected owner's enterprise user sees the notice on the dashboard.
    notice = RecallNotice.objects.filter(recall=recall, owner__kind="enterprise").order_by("-instruments").first()
    user = get_user_model().objects.create_user("recalled-owner", password=None)
    Membership.objects.create(user=user, role="enterprise_user", organisation=notice.owner)
    dashboard = _text(_client(user).get("/dashboard/"))
    assert 'id="recall-notices"' in dashboard and standard.certificate_number in dashboard
    code = notice.items.values_list("instrument__code", flat=True).first()
    assert code in dashboard
    # The same standard and period again: refused, the rule named; nothing written.
    again = admin.post("/traceability/recalls/", {**query, "reason": "再次召回"})
    assert again.status_code == 400 and "recall.repeat" in _text(again)
    # A period in which the standard touched nothing: refused.
    empty = {"standard": standard.pk, "date_from": "2001-01-01", "date_to": "2001-01-02", "reason": "误报"}
    nothing = admin.post("/traceability/recalls/", empty)
    assert nothing.status_code == 400 and "recall.no_effect" in _text(nothing)
    assert Recall.objects.filter(standard=standard).count() == 1
    # Who may not recall: an auditor studies the impact but issues nothing; an enterprise has no page.
    auditor = _client(cast.users["auditor"])
    assert 'id="recall-form"' not in _text(auditor.get("/traceability/recalls/", query))
    assert auditor.post("/traceability/recalls/", {**query, "reason": "x"}).status_code == 403
    assert _client(cast.users["enterprise"]).get("/traceability/recalls/").status_code == 403


def test_the_demo_has_assessment_files_in_every_state(demo):
    """Issue 18 item 7: applications waiting, evaluations in progress with findings, a signed
    certificate, certificates about to expire reminded, and the assessor's assignments."""
    from jiliang.assessment.models import Application, Finding, Reminder, StandardCertificate

    cast, _report = demo
    states = set(Application.objects.values_list("status", flat=True))
    assert {"submitted", "evaluating", "rectification", "evaluated", "approved", "refused", "returned", "draft"} <= states
    assert Finding.objects.filter(status="open").exists() and StandardCertificate.objects.exists()
    assert Reminder.objects.exists()
    assessor = _client(cast.users["assessor"])
    assert 'id="assignments"' in _text(assessor.get("/assessment/"))
    bureau = _client(cast.users["province-admin"])
    assert 'id="queue"' in _text(bureau.get("/assessment/"))


def test_the_demo_province_has_credit_grades(demo):
    """Issue 19: the demo's evidence is collected and graded; the enterprise's objection waits."""
    from jiliang.credit.grades import current_grades
    from jiliang.credit.models import CreditGrade, Objection

    cast, _report = demo
    assert CreditGrade.objects.filter(current=True).exists()
    assert current_grades([cast.enterprise.pk])[cast.enterprise.pk] in ("A", "B", "C", "D")
    assert Objection.objects.filter(organisation=cast.enterprise, status="open").exists()
    page = _client(cast.users["county-admin"]).get(f"/credit/organisations/{cast.enterprise.pk}/")
    assert page.status_code == 200 and "异议成立" in _text(page)  # the administrator's decision form


def test_the_demo_has_a_building_plan_in_several_states(demo):
    from jiliang.plans.models import BuildingPlan
    from jiliang.plans.services import progress

    plan = BuildingPlan.objects.get()
    assert plan.status == "approved" and plan.entries.filter(gap_source="coverage").exists()
    counts = progress(plan)
    assert counts["on_time"] >= 1 and counts["late"] >= 1 and counts["dropped"] >= 1, counts
