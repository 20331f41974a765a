"""The checks' entries in a standard's history (registry.timeline): each plan made, each
check out of control, each alert's escalation and answer. Only what the actor may see:
nothing for the public; the bureau sees the points and the alerts escalated to it."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from jiliang.core.control_charts import RULE_BY_CODE
from jiliang.policies import Actor
from jiliang.registry.timeline import Entry

from .models import CheckAlert, CheckPlan
from .policies import CHECK_ALERTS, CHECK_PLANS
from .rules import rule_label


def check_entries(standard, actor: Actor) -> Iterable[Entry]:
    if not CHECK_PLANS.sees_standard(actor, standard):
        return
    url = reverse("checks:standard", args=[standard.pk])
    for plan in CHECK_PLANS.visible(actor, CheckPlan.objects.filter(standard=standard)):
        yield Entry(
            on=plan.created_on,
            kind="check",
            title=_("建立核查计划：%(item)s") % {"item": plan.check_item},
            detail=plan.get_chart_display(),
            url=url,
        )
    alerts = CheckAlert.objects.filter(plan__standard=standard).select_related("plan", "record")
    for alert in alerts:
        # The point itself is on the chart every reader of the records sees.
        rules = "；".join(f"{rule_label(code)}（{RULE_BY_CODE[code].clause}）" for code in alert.rules if code in RULE_BY_CODE)
        yield Entry(
            on=alert.raised_on,
            kind="check",
            title=_("核查失控：%(item)s") % {"item": alert.plan.check_item},
            detail=rules,
            url=url,
        )
    for alert in CHECK_ALERTS.visible(actor, alerts):
        if alert.escalated_on:
            yield Entry(
                on=alert.escalated_on,
                kind="check",
                title=_("核查预警逾期未处理，已上报监管部门"),
                detail=alert.plan.check_item,
                url=url,
            )
        if alert.answered_on:
            yield Entry(
                on=alert.answered_on,
                kind="check",
                title=_("核查预警已处理：%(item)s") % {"item": alert.plan.check_item},
                detail=alert.answer,
                url=url,
            )
