"""The use cases of stability and in-service checks, one transaction each.

Each takes the actor, asks the policy, checks the rules and writes; a refusal is a
``CheckRefused`` naming the field and the rule (an ``InputError`` with a catalogue code, so
pages, API and CLI say it in the user's language).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiliang.audit.services import record as audit_record
from jiliang.core import control_charts as cc
from jiliang.core.errors import InputError
from jiliang.policies import as_actor

from .models import CheckAlert, CheckPlan, CheckRecord
from .policies import CHECK_ALERTS, CHECK_PLANS

MAX_VALUES = 200  # one record holds a subgroup (≤ 25) or a repeatability test (n ≥ 10)
CHART_POINTS = 500  # the chart reads the latest points of a plan, bounded


class CheckRefused(InputError):
    """A refused write: ``field``, the English ``reason``, and a catalogue ``code``."""


class NotAllowed(PermissionError):
    pass


def escalation_days() -> int:
    """Days an alert waits for the holder before the bureau hears of it (a plan may set its own)."""
    return getattr(settings, "JILIANG_CHECK_ALERT_ESCALATION_DAYS", 14)


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


def _audit(action: str, obj, who, new: dict) -> None:
    user = _user(who)
    plain = {k: (v.value if isinstance(v, Enum) else v) for k, v in new.items()}
    audit_record(action, obj, actor=user if user is not None else "system", new=plain)


# -- plans ---------------------------------------------------------------------------------


PLAN_FIELDS = (
    "check_item",
    "check_standard",
    "unit",
    "method",
    "interval_days",
    "chart",
    "subgroup_size",
    "baseline_points",
    "standard_mean",
    "standard_sigma",
    "stability_basis",
    "stability_allowed",
    "repeatability_used",
    "escalate_after_days",
)


def _validate_plan(data: dict) -> None:
    chart = data.get("chart") or cc.X_MR
    if chart not in cc.CHART_KINDS:
        raise CheckRefused(
            "chart", f"one of {', '.join(cc.CHART_KINDS)}", code="one_of", options=", ".join(cc.CHART_KINDS), got=chart
        )
    size = data.get("subgroup_size") or (1 if chart == cc.X_MR else 5)
    if chart == cc.X_MR and size != 1:
        raise CheckRefused("subgroup_size", "an individuals chart (X–MR) takes one value per check", code="check_individuals_one")
    if chart != cc.X_MR:
        cc.factors(size)  # 2…25 (GB/T 17989.2 表 2)
    data["chart"], data["subgroup_size"] = chart, size
    for name in ("check_item", "check_standard"):
        if not str(data.get(name) or "").strip():
            raise CheckRefused(name, "is required", code="required")
    if (data.get("standard_mean") is None) != (data.get("standard_sigma") is None):
        raise CheckRefused("standard_sigma", "standard values need both μ0 and σ0", code="check_standard_values_pair")
    if data.get("standard_sigma") is not None and not data["standard_sigma"] > 0:
        raise CheckRefused("standard_sigma", "must be positive", code="must_be_positive", got=data["standard_sigma"])
    baseline = data.get("baseline_points") or 20
    if baseline < 2:
        raise CheckRefused("baseline_points", "at least 2 points", code="integer_at_least", minimum=2, got=baseline)
    data["baseline_points"] = baseline
    if data.get("escalate_after_days") is None:
        data["escalate_after_days"] = escalation_days()


@transaction.atomic
def create_plan(who, standard, **fields) -> CheckPlan:
    actor = as_actor(who)
    if not CHECK_PLANS.may_keep(actor, standard):
        raise NotAllowed("check plans are kept by the standard's holder")
    data = {k: v for k, v in fields.items() if k in PLAN_FIELDS}
    _validate_plan(data)
    plan = CheckPlan.objects.create(standard=standard, created_on=timezone.localdate(), created_by=_user(who), **data)
    _audit("create", plan, who, {"standard": standard.pk, "check_item": plan.check_item, "chart": plan.chart})
    return plan


# -- records -------------------------------------------------------------------------------


def _numbers(values) -> list[float]:
    if not isinstance(values, (list, tuple)) or not values:
        raise CheckRefused("values", "a list of numbers", code="check_values_list")
    if len(values) > MAX_VALUES:
        raise CheckRefused("values", f"at most {MAX_VALUES} values", code="number_too_large", limit=MAX_VALUES)
    out = []
    for i, v in enumerate(values):
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise CheckRefused(f"values[{i}]", "not a number", code="number_required", got=v) from None
        if not math.isfinite(number):
            raise CheckRefused(f"values[{i}]", "not a finite number", code="number_finite", got=v)
        out.append(number)
    return out


@transaction.atomic
def record_check(
    who,
    plan: CheckPlan,
    performed_on: dt.date,
    values,
    *,
    performer: str = "",
    note: str = "",
    kind: str = CheckRecord.Kind.CHECK,
) -> CheckRecord:
    """Record one check (a subgroup of the plan's size) or a repeatability test (n ≥ 2), then
    run the chart: a check whose point a test for special causes flags raises an alert."""
    actor = as_actor(who)
    if not CHECK_PLANS.may(actor, "record", plan):
        raise NotAllowed("checks are recorded by the standard's holder")
    if kind not in CheckRecord.Kind.values:
        raise CheckRefused("kind", "check or repeatability", code="one_of", options="check, repeatability", got=kind)
    numbers = _numbers(values)
    if kind == CheckRecord.Kind.CHECK and len(numbers) != plan.subgroup_size:
        raise CheckRefused(
            "values",
            f"the plan's chart takes {plan.subgroup_size} values a check (got {len(numbers)})",
            code="check_subgroup_size",
            size=plan.subgroup_size,
            got=len(numbers),
        )
    if kind == CheckRecord.Kind.REPEATABILITY and len(numbers) < 2:
        raise CheckRefused(
            "values", "a repeatability test needs at least 2 values", code="integer_at_least", minimum=2, got=len(numbers)
        )
    today = timezone.localdate()
    if performed_on > today:
        raise CheckRefused(
            "performed_on", f"a check cannot be dated after today ({today})", code="check_date_future", today=today
        )
    user = _user(who)
    # Who checked: as given, else the signed-in user who records it.
    performer = (performer or "").strip() or (user.get_full_name() or user.username if user is not None else "")
    if not performer:
        raise CheckRefused("performer", "is required", code="required")
    try:
        with transaction.atomic():
            record = CheckRecord.objects.create(
                plan=plan,
                kind=kind,
                performed_on=performed_on,
                values=numbers,
                performer=performer[:60],
                note=note,
                recorded_by=user,
            )
    except IntegrityError:
        raise CheckRefused(
            "performed_on",
            f"the plan already has a record of this kind on {performed_on}",
            code="check_date_repeat",
            date=performed_on,
        ) from None
    _audit("create", record, who, {"plan": plan.pk, "kind": kind, "performed_on": performed_on.isoformat(), "values": numbers})
    if kind == CheckRecord.Kind.CHECK:
        _raise_alert(plan, record)
    return record


def _raise_alert(plan: CheckPlan, record: CheckRecord) -> CheckAlert | None:
    """An alert when the new record's point is flagged (a late-entered earlier check is
    judged as its own point too)."""
    found = chart_of(plan)
    if found is None:
        return None
    chart, records = found
    index = next((i for i, r in enumerate(records) if r.pk == record.pk), None)
    if index is None:
        return None
    rules = sorted({s.rule for s in chart.signals_at(index)})
    if not rules:
        return None
    flagged = set(chart.out_of_control)
    last_good = next((records[i].performed_on for i in range(index - 1, -1, -1) if i not in flagged), None)
    alert = CheckAlert.objects.create(
        plan=plan, record=record, rules=rules, raised_on=record.performed_on, last_good_on=last_good
    )
    _audit("create", alert, None, {"plan": plan.pk, "record": record.pk, "rules": rules})
    return alert


# -- alerts --------------------------------------------------------------------------------


@transaction.atomic
def answer_alert(who, alert: CheckAlert, answer: str) -> CheckAlert:
    actor = as_actor(who)
    if not CHECK_ALERTS.may_view(actor, alert):
        raise NotAllowed("not an alert you can see")
    if not CHECK_ALERTS.in_state_for("answer", alert):
        raise CheckRefused(
            "status",
            f"the alert was already answered on {alert.answered_on}",
            code="check_alert_answered",
            date=alert.answered_on,
        )
    if not CHECK_ALERTS.may_transition(actor, "answer", alert):
        raise NotAllowed("the standard's holder answers its alerts")
    if not (answer or "").strip():
        raise CheckRefused("answer", "say what was found and done", code="required")
    alert.status = CheckAlert.Status.ANSWERED
    alert.answer = answer.strip()
    alert.answered_on = timezone.localdate()
    alert.answered_by = _user(who)
    alert.save(update_fields=["status", "answer", "answered_on", "answered_by"])
    _audit("status_change", alert, who, {"status": "answered", "answer": alert.answer})
    return alert


@transaction.atomic
def escalate_overdue(today: dt.date | None = None) -> int:
    """Alerts still open past their plan's days go to the supervising bureau. Returns how many."""
    today = today or timezone.localdate()
    due = [
        alert.pk
        for alert in CheckAlert.objects.filter(status=CheckAlert.Status.OPEN)
        .select_related("plan")
        .only("raised_on", "plan__escalate_after_days")
        if alert.raised_on + dt.timedelta(days=alert.plan.escalate_after_days) <= today
    ]
    if due:
        CheckAlert.objects.filter(pk__in=due).update(status=CheckAlert.Status.ESCALATED, escalated_on=today)
        for alert in CheckAlert.objects.filter(pk__in=due):
            _audit("status_change", alert, None, {"status": "escalated", "escalated_on": today.isoformat()})
    return len(due)


def impact_window(alert: CheckAlert) -> tuple[dt.date, dt.date]:
    """The period in doubt: from the last check in control (else the plan's start) to the alert."""
    start = alert.last_good_on or alert.plan.created_on
    return min(start, alert.raised_on), alert.raised_on


def impact_of(alert: CheckAlert, limit: int = 100) -> dict:
    """The reverse-traceability impact of the standard over the period in doubt: every
    calibration and verification resting on it (traceability.services.impact)."""
    from jiliang.traceability import services as traceability

    date_from, date_to = impact_window(alert)
    found = traceability.impact(alert.plan.standard, date_from, date_to)
    return traceability.impact_document(found, limit=limit)


# -- the chart and the evaluations ---------------------------------------------------------


def chart_of(plan: CheckPlan) -> tuple[cc.Chart, list[CheckRecord]] | None:
    """The plan's chart over its checks (the latest CHART_POINTS), or None before two checks."""
    records = list(plan.records.filter(kind=CheckRecord.Kind.CHECK).order_by("-performed_on", "-id")[:CHART_POINTS])[::-1]
    if len(records) < 2:
        return None
    options: dict = {}
    if plan.standard_mean is not None and plan.standard_sigma is not None:
        options.update(mean=plan.standard_mean, sigma=plan.standard_sigma)
    else:
        options["baseline"] = min(plan.baseline_points, len(records))
    chart = cc.build_chart(plan.chart, [r.values for r in records], **options)
    return chart, records


@dataclass
class Evaluations:
    repeatability: cc.Repeatability | None
    repeatability_on: dt.date | None
    stability: cc.Stability | None


def evaluations(plan: CheckPlan) -> Evaluations:
    """JJF 1033-2023's repeatability (the latest test) and stability (from the check means)."""
    latest = plan.records.filter(kind=CheckRecord.Kind.REPEATABILITY).order_by("-performed_on").first()
    repeat = cc.repeatability(latest.values, plan.repeatability_used) if latest and len(latest.values) >= 2 else None
    groups = list(plan.records.filter(kind=CheckRecord.Kind.CHECK).order_by("performed_on").values_list("performed_on", "values"))
    stab = (
        cc.stability([(day, sum(v) / len(v)) for day, v in groups], plan.stability_allowed, basis=plan.stability_basis)
        if groups
        else None
    )
    return Evaluations(repeat, latest.performed_on if latest else None, stab)


def unanswered_alerts(actor, limit: int = 5) -> list[CheckAlert]:
    """The actor's alerts waiting for an answer, oldest first (the dashboards' panel): the
    holder's open and escalated ones; for the bureau, those escalated to it."""
    queryset = CHECK_ALERTS.visible(actor, CheckAlert.objects.select_related("plan__standard"))
    waiting = queryset.exclude(status=CheckAlert.Status.ANSWERED).order_by("raised_on", "id")
    return list(waiting[:limit])
