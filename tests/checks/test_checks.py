"""Stability and in-service checks (jiliang.checks): plans, records and their refusals, the
policy for every role, the alert on an out-of-control point and its escalation to the
bureau, the reverse-traceability impact from the last good check, the timeline, the pages,
the API and the CLI. One demo province (with the demo's check plans) per module."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stdout

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.checks import services
from jiliang.checks.demo import OUT_OF_CONTROL, plant_checks
from jiliang.checks.models import CheckAlert, CheckPlan, CheckRecord
from jiliang.checks.policies import CHECK_ALERTS, CHECK_PLANS, CHECK_RECORDS
from jiliang.cli import main as cli_main
from jiliang.console import demo_roles
from jiliang.core.errors import InputError
from jiliang.policies import actor_for
from jiliang.registry import demo
from jiliang.registry import models as reg
from jiliang.registry.timeline import history
from jiliang.traceability import services as trace

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


class World:
    def __init__(self):
        self.cast = demo_roles.create_demo_users()
        plant_checks(self.cast)
        self.users = self.cast.users
        self.holder = self.users["institute"]
        self.ooc_plan = CheckPlan.objects.get(check_item=OUT_OF_CONTROL[1]["check_item"])
        self.standard = self.ooc_plan.standard
        # A bureau elsewhere, and staff of another institution.
        User = get_user_model()
        other_region = (
            reg.Region.objects.exclude(code__startswith=self.standard.holder.region.code[:2]).filter(level="province").first()
        )
        self.stranger_admin = User.objects.create_user("elsewhere-admin", password="pw")
        Membership.objects.create(user=self.stranger_admin, role="region_admin", region=other_region)
        other_lab = (
            reg.Organisation.objects.filter(kind=reg.Organisation.Kind.LEGAL_INSTITUTE)
            .exclude(pk=self.standard.holder_id)
            .first()
        )
        self.other_staff = User.objects.create_user("other-lab", password="pw")
        Membership.objects.create(user=self.other_staff, role="institution_staff", organisation=other_lab)
        self.fresh_standard = (
            reg.MeasurementStandard.objects.filter(holder=self.standard.holder)
            .exclude(check_plans__isnull=False)
            .order_by("id")
            .first()
        )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        trace.forget_graph()
        demo.generate(instruments=1000, seed=5, as_of=timezone.localdate())
        yield World()
    trace.forget_graph()


def _plan(world, **overrides) -> CheckPlan:
    fields = dict(
        check_item="100 g 核查点", check_standard="100 g F1 砝码", chart="x_mr", baseline_points=5, escalate_after_days=7
    )
    fields.update(overrides)
    return services.create_plan(world.holder, world.fresh_standard, **fields)


# -- the demo -----------------------------------------------------------------------------


def test_the_demo_standard_went_out_of_control_last_month_and_the_bureau_was_told(world):
    alert = CheckAlert.objects.get(plan=world.ooc_plan)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert last_month <= alert.raised_on < today.replace(day=1)
    assert "test1" in alert.rules
    assert alert.status == CheckAlert.Status.ESCALATED and alert.escalated_on is not None
    assert alert.last_good_on is not None and alert.last_good_on < alert.raised_on
    # The healthy plans have their charts in control and their evaluations.
    healthy = CheckPlan.objects.filter(standard__holder=world.standard.holder).exclude(pk=world.ooc_plan.pk)
    assert healthy.count() >= 3
    for plan in healthy:
        assert not plan.alerts.exists()
        found = services.evaluations(plan)
        assert found.repeatability is not None and found.repeatability.n == 10
        assert found.stability is not None and found.stability.method == "adjacent_years"


# -- the policy ---------------------------------------------------------------------------


def test_who_sees_what(world):
    actors = {name: actor_for(world.users[name]) for name in ("institute", "province-admin", "auditor", "enterprise")}
    actors["elsewhere"] = actor_for(world.stranger_admin)
    actors["other-lab"] = actor_for(world.other_staff)
    plans = CheckPlan.objects.filter(pk=world.ooc_plan.pk)
    alerts = CheckAlert.objects.filter(plan=world.ooc_plan)
    seen = {
        name: (CHECK_PLANS.visible(a, plans).exists(), CHECK_ALERTS.visible(a, alerts).exists()) for name, a in actors.items()
    }
    assert seen == {
        "institute": (True, True),
        "province-admin": (True, True),  # escalated: the bureau hears of it
        "auditor": (True, True),
        "enterprise": (False, False),
        "elsewhere": (False, False),
        "other-lab": (False, False),
    }
    assert CHECK_PLANS.may(actors["institute"], "record", world.ooc_plan)
    assert not CHECK_PLANS.may(actors["province-admin"], "record", world.ooc_plan)
    alert = alerts.get()
    assert CHECK_ALERTS.allowed_actions(actors["institute"], alert) == ["answer"]
    assert CHECK_ALERTS.allowed_actions(actors["province-admin"], alert) == []
    assert not CHECK_RECORDS.visible(actors["enterprise"], CheckRecord.objects.all()).exists()


def test_an_open_alert_stays_with_the_holder_until_it_is_escalated(world):
    plan = _plan(world)
    today = timezone.localdate()
    for k, value in enumerate([10.0, 10.1, 9.9, 10.05, 9.95]):
        services.record_check(world.holder, plan, today - dt.timedelta(days=30 - k), [value])
    record = services.record_check(world.holder, plan, today - dt.timedelta(days=10), [12.0])
    alert = record.alert
    assert alert.rules == ["test1"] and alert.status == CheckAlert.Status.OPEN
    assert alert.last_good_on == today - dt.timedelta(days=26)
    bureau = actor_for(world.users["province-admin"])
    assert not CHECK_ALERTS.visible(bureau, CheckAlert.objects.filter(pk=alert.pk)).exists()
    assert services.escalate_overdue(today - dt.timedelta(days=4)) == 0  # 6 days < 7
    assert services.escalate_overdue(today) == 1
    alert.refresh_from_db()
    assert alert.status == CheckAlert.Status.ESCALATED and alert.escalated_on == today
    assert CHECK_ALERTS.visible(bureau, CheckAlert.objects.filter(pk=alert.pk)).exists()
    assert services.escalate_overdue(today) == 0  # once
    # The bureau reads it but the holder answers it.
    with pytest.raises(services.NotAllowed):
        services.answer_alert(world.users["province-admin"], alert, "查看")
    services.answer_alert(world.holder, alert, "温度计受震，已送上级复校")
    alert.refresh_from_db()
    assert alert.status == CheckAlert.Status.ANSWERED
    with pytest.raises(InputError) as err:
        services.answer_alert(world.holder, alert, "再次")
    assert err.value.code == "check_alert_answered"


def test_an_answered_alert_before_escalation_never_reaches_the_bureau(world):
    plan = _plan(world, check_item="另一核查点")
    today = timezone.localdate()
    for k, value in enumerate([1.0, 1.1, 0.9, 1.05, 0.95, 3.0]):
        services.record_check(world.holder, plan, today - dt.timedelta(days=40 - k), [value])
    alert = CheckAlert.objects.get(plan=plan)
    services.answer_alert(world.holder, alert, "复测正常")
    assert services.escalate_overdue(today + dt.timedelta(days=60)) == 0
    assert not CHECK_ALERTS.visible(actor_for(world.users["province-admin"]), CheckAlert.objects.filter(pk=alert.pk)).exists()


# -- refusals -----------------------------------------------------------------------------


def test_records_are_refused_with_the_rule_named(world):
    plan = _plan(world, check_item="子组", chart="xbar_r", subgroup_size=4)
    today = timezone.localdate()
    cases = [
        (dict(performed_on=today, values=[1, 2, 3]), "values", "check_subgroup_size"),
        (dict(performed_on=today + dt.timedelta(days=1), values=[1, 2, 3, 4]), "performed_on", "check_date_future"),
        (dict(performed_on=today, values=[1, 2, "x", 4]), "values[2]", "number_required"),
        (dict(performed_on=today, values=[1, 2, float("inf"), 4]), "values[2]", "number_finite"),
        (dict(performed_on=today, values=[]), "values", "check_values_list"),
    ]
    for kwargs, field, code in cases:
        with pytest.raises(InputError) as err:
            services.record_check(world.holder, plan, kwargs["performed_on"], kwargs["values"])
        assert (err.value.field, err.value.code) == (field, code)
    services.record_check(world.holder, plan, today, [1, 2, 3, 4])
    with pytest.raises(InputError) as err:
        services.record_check(world.holder, plan, today, [1, 2, 3, 4])
    assert err.value.code == "check_date_repeat"
    assert plan.records.count() == 1
    with pytest.raises(services.NotAllowed):
        services.record_check(world.other_staff, plan, today - dt.timedelta(days=1), [1, 2, 3, 4])


def test_plans_are_refused_with_the_rule_named(world):
    with pytest.raises(InputError) as err:
        _plan(world, chart="x_mr", subgroup_size=3)
    assert err.value.code == "check_individuals_one"
    with pytest.raises(InputError) as err:
        _plan(world, chart="xbar_r", subgroup_size=30)
    assert err.value.field == "subgroup_size"
    with pytest.raises(InputError) as err:
        _plan(world, standard_mean=1.0)
    assert err.value.code == "check_standard_values_pair"
    with pytest.raises(services.NotAllowed):
        services.create_plan(world.users["province-admin"], world.fresh_standard, check_item="x", check_standard="y")
    assert not CheckPlan.objects.filter(standard=world.fresh_standard).exists()


# -- impact, timeline ---------------------------------------------------------------------


def test_the_alert_opens_the_impact_from_the_last_good_check(world):
    alert = CheckAlert.objects.get(plan=world.ooc_plan)
    assert services.impact_window(alert) == (alert.last_good_on, alert.raised_on)
    found = services.impact_of(alert, limit=5)
    assert found["from"] == alert.last_good_on.isoformat() and found["to"] == alert.raised_on.isoformat()
    assert found["events"] >= 0 and len(found["affected"]) <= 5


def test_the_timeline_shows_checks_only_to_whom_may_see_them(world):
    holder = [e for e in history(world.standard, actor_for(world.holder)) if e.kind == "check"]
    titles = " ".join(e.title for e in holder)
    assert "建立核查计划" in titles and "核查失控" in titles and "已上报监管部门" in titles
    assert all(e.url == f"/checks/standards/{world.standard.pk}/" for e in holder)
    assert not [e for e in history(world.standard, actor_for(world.users["enterprise"])) if e.kind == "check"]
    assert not [e for e in history(world.standard, actor_for(None)) if e.kind == "check"]


# -- pages ----------------------------------------------------------------------------------


def _client(user=None, lang="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        client.force_login(user)
    return client


def test_the_standard_page_shows_the_chart_signals_and_alert(world):
    url = f"/checks/standards/{world.standard.pk}/"
    page = _client(world.holder).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/checks/plans/{world.ooc_plan.pk}/chart.svg" in body
    assert "GB/T 17989.2-2020 §8 检验1" in body and "提交处理" in body and "填写核查记录" in body
    assert "/traceability/recalls/?standard=" in body
    bureau = _client(world.users["province-admin"]).get(url).content.decode()
    assert "GB/T 17989.2-2020 §8 检验1" in bureau and "提交处理" not in bureau and "填写核查记录" not in bureau
    english = _client(world.holder, "en").get(url).content.decode()
    assert "Stability and in-service checks" in english
    assert _client(world.users["enterprise"]).get(url).status_code == 403
    assert _client().get(url).status_code == 302
    # The holder's and the bureau's dashboards both show the alert waiting for an answer.
    for user in (world.holder, world.users["province-admin"]):
        dashboard = _client(user).get("/dashboard/").content.decode()
        assert (
            'id="check-alerts-panel"' in dashboard
            and f"/checks/standards/{world.standard.pk}/#plan-{world.ooc_plan.pk}" in dashboard
        )
    svg = _client(world.holder).get(f"/checks/plans/{world.ooc_plan.pk}/chart.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = _client(world.users["auditor"]).get(f"/checks/plans/{world.ooc_plan.pk}/chart.png?download=1")
    assert png.content.startswith(b"\x89PNG") and "attachment" in png["Content-Disposition"]
    assert _client(world.stranger_admin).get(f"/checks/plans/{world.ooc_plan.pk}/chart.svg").status_code == 404


def test_recording_through_the_page_raises_the_alert_and_answering_closes_it(world):
    plan = _plan(world, check_item="页面核查点")
    today = timezone.localdate()
    client = _client(world.holder)
    for k, value in enumerate(["5.0", "5.1", "4.9", "5.05", "4.95"]):
        response = client.post(
            f"/checks/plans/{plan.pk}/records/",
            {"performed_on": (today - dt.timedelta(days=20 - k)).isoformat(), "values": value},
        )
        assert response.status_code == 302
    bad = client.post(f"/checks/plans/{plan.pk}/records/", {"performed_on": "2026-13-01", "values": "5"})
    assert bad.status_code == 400 and "不是日期" in bad.content.decode()
    client.post(f"/checks/plans/{plan.pk}/records/", {"performed_on": today.isoformat(), "values": "7.5"})
    alert = CheckAlert.objects.get(plan=plan)
    alerts_page = client.get("/checks/alerts/").content.decode()
    assert f'id="alert-{alert.pk}"' in alerts_page
    assert _client(world.users["province-admin"]).post(f"/checks/alerts/{alert.pk}/answer/", {"answer": "x"}).status_code == 404
    assert client.post(f"/checks/alerts/{alert.pk}/answer/", {"answer": "核查标准复测正常"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == CheckAlert.Status.ANSWERED
    assert (
        _client(world.users["province-admin"])
        .post(f"/checks/plans/{plan.pk}/records/", {"performed_on": today.isoformat(), "values": "5"})
        .status_code
        == 403
    )


# -- API ------------------------------------------------------------------------------------


def test_api_plan_record_chart_evaluations_alerts(world):
    client = _client(world.holder)
    made = client.post(
        "/api/checks/plans/",
        {
            "standard": world.fresh_standard.pk,
            "check_item": "API 核查点",
            "check_standard": "核查件",
            "chart": "xbar_r",
            "subgroup_size": 2,
            "baseline_points": 4,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    today = timezone.localdate()
    for k, pair in enumerate([[1.0, 1.2], [1.1, 0.9], [1.0, 1.1], [0.95, 1.05]]):
        r = client.post(
            f"/api/checks/plans/{pk}/records/",
            {"performed_on": (today - dt.timedelta(days=9 - k)).isoformat(), "values": pair},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    wrong = client.post(
        f"/api/checks/plans/{pk}/records/", {"performed_on": today.isoformat(), "values": [1.0]}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "values" in wrong.json()
    client.post(
        f"/api/checks/plans/{pk}/records/",
        {"performed_on": today.isoformat(), "values": [2.5, 2.6]},
        content_type="application/json",
    )
    chart = client.get(f"/api/checks/plans/{pk}/chart/").json()
    assert chart["baseline"] == 4 and chart["kind"] == "xbar_r"
    assert any(s["rule"] == "test1" and s["index"] == 4 and s["clause"] == "GB/T 17989.2-2020 §8 检验1" for s in chart["signals"])
    alerts = client.get("/api/checks/alerts/?status=open").json()["results"]
    assert [a["plan"] for a in alerts] == [pk]
    evaluation = _client(world.users["province-admin"]).get(f"/api/checks/plans/{world.ooc_plan.pk}/evaluations/").json()
    assert evaluation["repeatability"]["n"] == 10 and evaluation["stability"]["clause"].startswith("JJF 1033-2023")
    impact = _client(world.users["province-admin"]).get(
        f"/api/checks/alerts/{CheckAlert.objects.get(plan=world.ooc_plan).pk}/impact/"
    )
    assert impact.status_code == 200 and impact.json()["recall_page"].startswith("/traceability/recalls/")
    assert _client(world.users["enterprise"]).get(f"/api/checks/plans/{pk}/").status_code == 404
    assert (
        _client(world.users["province-admin"])
        .post(
            f"/api/checks/plans/{pk}/records/",
            {"performed_on": today.isoformat(), "values": [1, 1]},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    assert Client().get("/api/checks/plans/").status_code in (401, 403)


# -- CLI ------------------------------------------------------------------------------------


def _cli(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli_main(["checks", *argv])
    return code, out.getvalue()


def test_cli_records_a_check_and_reads_the_chart(world, tmp_path, capsys):
    plan = _plan(world, check_item="CLI 核查点")
    today = timezone.localdate()
    for k, value in enumerate(["3.0", "3.1", "2.9", "3.05", "2.95"]):
        code, out = _cli(
            "--user", "institute", "record", str(plan.pk), value, "--date", (today - dt.timedelta(days=9 - k)).isoformat()
        )
        assert code == 0 and out.startswith("record ")
    code, out = _cli("--user", "institute", "record", str(plan.pk), "4.5", "--date", today.isoformat())
    assert code == 0 and "OUT OF CONTROL" in out and "GB/T 17989.2-2020 §8 检验1" in out
    svg = tmp_path / "chart.svg"
    code, out = _cli("--user", "province-admin", "chart", str(plan.pk), "--out", str(svg))
    assert code == 0 and "test1" in out and svg.read_bytes().lstrip().startswith(b"<?xml")
    code, out = _cli("--user", "enterprise", "chart", str(plan.pk))
    assert code == 2 and "no check plan" in capsys.readouterr().err
    code, _ = _cli(
        "--user", "province-admin", "record", str(plan.pk), "3.0", "--date", (today - dt.timedelta(days=1)).isoformat()
    )
    assert code == 2
    assert plan.records.count() == 6
    code, out = _cli(
        "--user", "institute", "record", str(plan.pk), "3.0", "3.1", "--date", (today - dt.timedelta(days=20)).isoformat()
    )
    assert code == 2 and "values" in capsys.readouterr().err
