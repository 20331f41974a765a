"""The pages: a standard's checks (plans, charts, evaluations, records, alerts, with the forms
its holder uses), the chart as SVG/PNG, and the alerts page. Every decision is the policy's
(checks.policies); every write is a service's."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiliang.core.control_chart_plot import chart_figure
from jiliang.core.control_charts import RULE_BY_CODE
from jiliang.core.errors import InputError
from jiliang.messages import render as render_error
from jiliang.policies import STAFF, actor_for
from jiliang.registry.models import MeasurementStandard
from jiliang.registry.policies import StandardPolicy

from . import services
from .models import CheckAlert, CheckPlan, CheckRecord
from .policies import CHECK_ALERTS, CHECK_PLANS, CHECK_RECORDS
from .rules import rule_label

STANDARDS = StandardPolicy()
RECORDS_SHOWN = 60
ALERTS_SHOWN = 200


def _actor(request):
    """The signed-in actor of a checks page: the public and enterprises have none (403)."""
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    if not CHECK_ALERTS.sees_alerts(actor):
        raise PermissionDenied(_("期间核查记录由建标单位和计量行政部门查看"))
    return actor


class _Login(Exception):
    pass


def _login_required(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Login:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def chart_words() -> dict:
    return {
        "centre": _("中心线"),
        "limits": _("控制限"),
        "flagged": _("失控点"),
        "baseline": _("计算控制限的点"),
    }


def signal_rows(chart, records) -> list[dict]:
    """Each flagged point with its date and the tests it failed, named with their clauses."""
    rows = []
    for index in chart.out_of_control:
        signals = chart.signals_at(index)
        rows.append(
            {
                "index": index + 1,
                "date": records[index].performed_on,
                "rules": [
                    {
                        "code": s.rule,
                        "label": rule_label(s.rule),
                        "clause": RULE_BY_CODE[s.rule].clause,
                        "chart": _("位置图") if s.chart == "location" else _("离散图"),
                    }
                    for s in signals
                ],
            }
        )
    return rows


def impact_url(actor, alert: CheckAlert) -> str | None:
    """The reverse-traceability page over the period in doubt, for those who may study it."""
    standard = alert.plan.standard
    if not STANDARDS.may_study_impact(actor, standard):
        return None
    date_from, date_to = services.impact_window(alert)
    query = urlencode({"standard": standard.pk, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()})
    return f"{reverse('traceability:recall')}?{query}"


def _standard(actor, pk: int) -> MeasurementStandard:
    standard = get_object_or_404(MeasurementStandard.objects.select_related("holder__region"), pk=pk)
    if not CHECK_PLANS.sees_standard(actor, standard):
        raise Http404
    return standard


def _plan_view(actor, plan: CheckPlan) -> dict:
    found = services.chart_of(plan)
    chart, records = found if found else (None, [])
    alerts = list(CHECK_ALERTS.visible(actor, plan.alerts.select_related("record")))
    for alert in alerts:
        alert.rule_rows = [{"label": rule_label(c), "clause": RULE_BY_CODE[c].clause} for c in alert.rules if c in RULE_BY_CODE]
        alert.impact_url = impact_url(actor, alert)
    last = (
        plan.records.filter(kind=CheckRecord.Kind.CHECK).order_by("-performed_on").values_list("performed_on", flat=True).first()
    )
    next_due = (last or plan.created_on) + dt.timedelta(days=plan.interval_days)
    return {
        "plan": plan,
        "last_check": last,
        "next_due": next_due,
        "overdue": next_due < timezone.localdate(),
        "chart": chart,
        "signals": signal_rows(chart, records) if chart else [],
        "evaluations": services.evaluations(plan),
        "records": list(CHECK_RECORDS.visible(actor, plan.records.order_by("-performed_on", "-id"))[:RECORDS_SHOWN]),
        "alerts": alerts,
    }


@_login_required
@require_http_methods(["GET", "POST"])
def standard_checks(request, pk: int):
    actor = _actor(request)
    standard = _standard(actor, pk)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not CHECK_PLANS.may_keep(actor, standard):
            raise PermissionDenied(_("核查计划由建标单位制定"))
        try:
            services.create_plan(request.user, standard, **_plan_form(request.POST))
        except InputError as exc:
            errors.append(render_error(exc))
            status = 400
        else:
            return redirect("checks:standard", pk=standard.pk)
    plans = CHECK_PLANS.visible(actor, standard.check_plans.all())
    context = {
        "standard": standard,
        "plans": [_plan_view(actor, plan) for plan in plans],
        "may_keep": CHECK_PLANS.may_keep(actor, standard),
        "chart_choices": CheckPlan.Chart.choices,
        "basis_choices": CheckPlan.Basis.choices,
        "errors": errors,
        "form": request.POST if errors else {},
        "today": timezone.localdate(),
    }
    return render(request, "checks/standard.html", context, status=status)


def _float(raw, field):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise services.CheckRefused(field, "not a number", code="number_required", got=raw) from None


def _int(raw, field):
    value = _float(raw, field)
    if value is None:
        return None
    if not value.is_integer():
        raise services.CheckRefused(field, "a whole number", code="whole_number", got=raw)
    return int(value)


def _plan_form(data) -> dict:
    return {
        "check_item": data.get("check_item", ""),
        "check_standard": data.get("check_standard", ""),
        "unit": data.get("unit", ""),
        "method": data.get("method", ""),
        "interval_days": _int(data.get("interval_days"), "interval_days") or 30,
        "chart": data.get("chart", ""),
        "subgroup_size": _int(data.get("subgroup_size"), "subgroup_size"),
        "baseline_points": _int(data.get("baseline_points"), "baseline_points"),
        "stability_basis": data.get("stability_basis") or CheckPlan.Basis.NOMINAL,
        "stability_allowed": _float(data.get("stability_allowed"), "stability_allowed"),
        "repeatability_used": _float(data.get("repeatability_used"), "repeatability_used"),
    }


def _split_values(raw: str) -> list:
    return [part for part in (raw or "").replace("，", ",").replace(";", ",").replace(" ", ",").split(",") if part]


@_login_required
@require_POST
def record(request, pk: int):
    actor = _actor(request)
    plan = get_object_or_404(CHECK_PLANS.visible(actor, CheckPlan.objects.select_related("standard__holder")), pk=pk)
    if not CHECK_PLANS.may(actor, "record", plan):
        raise PermissionDenied(_("核查记录由建标单位填写"))
    try:
        raw_date = request.POST.get("performed_on", "")
        try:
            performed_on = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise services.CheckRefused(
                "performed_on", "not a date (YYYY-MM-DD)", code="check_not_a_date", got=raw_date
            ) from None
        services.record_check(
            request.user,
            plan,
            performed_on,
            _split_values(request.POST.get("values", "")),
            performer=request.POST.get("performer", ""),
            note=request.POST.get("note", ""),
            kind=request.POST.get("kind") or CheckRecord.Kind.CHECK,
        )
    except InputError as exc:
        standard = plan.standard
        context = {
            "standard": standard,
            "plans": [_plan_view(actor, p) for p in CHECK_PLANS.visible(actor, standard.check_plans.all())],
            "may_keep": CHECK_PLANS.may_keep(actor, standard),
            "chart_choices": CheckPlan.Chart.choices,
            "basis_choices": CheckPlan.Basis.choices,
            "errors": [render_error(exc)],
            "record_form": request.POST,
            "record_plan": plan.pk,
            "form": {},
            "today": timezone.localdate(),
        }
        return render(request, "checks/standard.html", context, status=400)
    return redirect(f"{reverse('checks:standard', args=[plan.standard_id])}#plan-{plan.pk}")


@_login_required
@require_GET
def chart_image(request, pk: int, fmt: str):
    actor = _actor(request)
    plan = get_object_or_404(CHECK_PLANS.visible(actor, CheckPlan.objects.select_related("standard")), pk=pk)
    found = services.chart_of(plan)
    if found is None:
        raise Http404(_("核查记录不足两次，尚无控制图"))
    chart, records = found
    words = chart_words()
    labels = {
        **words,
        "location": ("X" if plan.chart == "x_mr" else r"$\bar{X}$") + (f" / {plan.unit}" if plan.unit else ""),
        "dispersion": {"xbar_r": "R", "xbar_s": "s", "x_mr": "MR"}[plan.chart],
    }
    image = chart_figure(
        chart,
        [r.performed_on.isoformat() for r in records],
        fmt=fmt,
        labels=labels,
        title=f"{plan.standard.name} · {plan.check_item}",
    )
    response = HttpResponse(image, content_type="image/svg+xml" if fmt == "svg" else "image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="check-plan-{plan.pk}.{fmt}"'
    return response


@_login_required
@require_GET
def alert_list(request):
    actor = _actor(request)
    alerts = list(
        CHECK_ALERTS.visible(actor, CheckAlert.objects.select_related("plan__standard__holder", "record")).order_by(
            "-raised_on", "-id"
        )[:ALERTS_SHOWN]
    )
    for alert in alerts:
        alert.rule_rows = [{"label": rule_label(c), "clause": RULE_BY_CODE[c].clause} for c in alert.rules if c in RULE_BY_CODE]
        alert.impact_url = impact_url(actor, alert)
    return render(request, "checks/alerts.html", {"alerts": alerts, "standards": _standards_of(actor)})


STANDARDS_SHOWN = 300


def _standards_of(actor):
    """The standards whose checks the actor keeps (the holder's staff: all of its standards)
    or reads (the bureau: those with check plans in its region)."""
    queryset = MeasurementStandard.objects.select_related("holder")
    if actor.kind == STAFF:
        queryset = queryset.filter(holder_id=actor.organisation_id, status__in=["active", "suspended"])
    else:
        plans = CHECK_PLANS.visible(actor, CheckPlan.objects.all())
        queryset = queryset.filter(pk__in=plans.values("standard_id"))
    return queryset.annotate(
        plans=Count("check_plans", distinct=True),
        open_alerts=Count(
            "check_plans__alerts", filter=~Q(check_plans__alerts__status=CheckAlert.Status.ANSWERED), distinct=True
        ),
    ).order_by("-open_alerts", "name")[:STANDARDS_SHOWN]


@_login_required
@require_POST
def answer(request, pk: int):
    actor = _actor(request)
    alert = get_object_or_404(CHECK_ALERTS.visible(actor, CheckAlert.objects.select_related("plan__standard")), pk=pk)
    if "answer" not in CHECK_ALERTS.allowed_actions(actor, alert):
        raise PermissionDenied(_("核查预警由建标单位处理"))
    try:
        services.answer_alert(request.user, alert, request.POST.get("answer", ""))
    except InputError as exc:
        return render(request, "checks/alerts.html", {"alerts": [], "errors": [render_error(exc)]}, status=400)
    return redirect(request.POST.get("next") if (request.POST.get("next") or "").startswith("/checks/") else "checks:alerts")
