"""The impact and recall page: choose a standard found out of tolerance and the period in
doubt (the page asks for the dates; it proposes the standard's last good calibration to
today), see the calibrations and instruments it touched, and issue the recall notices that
reach the affected owners' dashboards. The rules are the service's (a repeat or a recall
that touches nothing is refused with the rule named) and the standard policy's (who may
study an impact, who may recall)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiliang.policies import NATIONAL, REGION_ADMIN, STAFF, actor_for
from jiliang.registry.models import Instrument, MeasurementStandard
from jiliang.registry.policies import InstrumentPolicy, StandardPolicy

from . import services
from .models import Recall

STANDARDS, INSTRUMENTS = StandardPolicy(), InstrumentPolicy()
ROLES = (NATIONAL, REGION_ADMIN, "auditor", STAFF)
SHOWN_EVENTS = 200


def may_open_recalls(actor) -> bool:
    """Who the page is for: those who may study a standard's impact (the navigation asks this)."""
    return actor.kind in ROLES


def _standards(actor):
    """The standards whose impact the actor may study (StandardPolicy.may_study_impact, as a queryset)."""
    queryset = MeasurementStandard.objects.select_related("holder")
    if actor.kind == NATIONAL:
        return queryset
    if actor.region_scoped:
        return queryset.filter(holder__region_id__in=actor.region_ids())
    return queryset.filter(holder_id=actor.organisation_id)


def _date(raw: str | None, field: str, errors: list) -> dt.date | None:
    if not raw:
        errors.append((field, _("请填写日期")))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append((field, _("不是日期（YYYY-MM-DD）：%(value)s") % {"value": raw}))
        return None


@require_http_methods(["GET", "POST"])
def recall_page(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_open_recalls(actor):
        raise PermissionDenied(_("追溯召回由计量行政部门和建标单位使用"))
    data = request.POST if request.method == "POST" else request.GET
    today = timezone.localdate()
    errors: list[tuple[str, str]] = []
    standards = _standards(actor)
    standard = None
    raw = (data.get("standard") or "").strip()
    if raw:
        standard = standards.filter(Q(pk=int(raw)) if raw.isdigit() else Q(certificate_number=raw)).first()
        if standard is None:
            errors.append(("standard", _("没有您可以查看的该计量标准：%(value)s") % {"value": raw}))
    context = {
        "standards": standards.filter(status__in=["active", "suspended"]).order_by("holder__region__code", "name")[:2000],
        "standard": standard,
        "today": today,
        "may_recall": standard is not None and STANDARDS.may_recall(actor, standard),
        "recalls": _recalls(actor),
        "errors": errors,
        "made": _made(actor, data.get("recall")),
    }
    if standard is None:
        return render(request, "traceability/recall.html", context, status=400 if errors else 200)
    # The dates: asked for; proposed from the last good calibration to today.
    if not data.get("date_to") and not data.get("date_from"):
        proposed_from, proposed_to = services.default_window(standard, today)
        context.update(date_from=proposed_from, date_to=proposed_to, proposed=True)
        return render(request, "traceability/recall.html", context)
    date_from = _date(data.get("date_from"), "date_from", errors)
    date_to = _date(data.get("date_to"), "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(("date_from", _("起始日期不能晚于发现失准日期")))
    if date_to and date_to > today:
        errors.append(("date_to", _("发现失准日期不能在今天之后")))
    context.update(date_from=date_from, date_to=date_to)
    if errors:
        return render(request, "traceability/recall.html", context, status=400)
    if request.method == "POST":
        if not STANDARDS.may_recall(actor, standard):
            raise PermissionDenied(_("召回由监管该计量标准的计量行政部门决定"))
        try:
            recall = services.create_recall(
                standard, date_from, date_to, reason=data.get("reason", ""), actor=request.user, found_on=date_to
            )
        except services.RecallRefused as exc:
            context["refusal"] = exc
        except ValueError as exc:
            context["errors"] = [("reason", _("请说明召回原因") if "reason" in str(exc) else str(exc))]
        else:
            return redirect(f"{request.path}?recall={recall.pk}")
    found = services.impact(standard, date_from, date_to)
    context["impact"] = document = services.impact_document(found, limit=SHOWN_EVENTS)
    # Each affected instrument links to its page (and its chain) when the actor may open it.
    codes = {a["instrument"] for a in document["affected"]}
    openable = dict(INSTRUMENTS.visible(actor, Instrument.objects.filter(code__in=codes)).values_list("code", "id"))
    for row in document["affected"]:
        row["page"] = openable.get(row["instrument"])
    status = 400 if context.get("refusal") or (request.method == "POST" and context["errors"]) else 200
    return render(request, "traceability/recall.html", context, status=status)


def _made(actor, raw):
    """The recall just issued, with its notices (one the actor may see)."""
    if not (raw or "").isdigit():
        return None
    recall = next((r for r in _recalls(actor) if r.pk == int(raw)), None)
    if recall is not None:
        recall.notice_rows = list(recall.notices.select_related("owner", "region").order_by("-instruments", "owner_id")[:100])
    return recall


def _recalls(actor):
    recalls = Recall.objects.select_related("standard__holder").order_by("-created_at")
    if actor.region_scoped:
        recalls = recalls.filter(standard__holder__region_id__in=actor.region_ids())
    elif actor.kind != NATIONAL:
        recalls = recalls.filter(standard__holder_id=actor.organisation_id)
    return list(recalls[:20])
