"""The pages: the bureau's overview by region and sector, a unit's own page (its points and
meters, the GB 17167 check, its months and alerts, its reviews), a review with its
checklist, and the exports (XLSX overview, XLSX and PDF review report).

The review is worked on its page: the bureau opens it from the unit's page, records the
checklist item by item on a phone (htmx swaps the item and the findings; without script
the form posts and the page reloads), issues the rectification notice with its deadline
in working days, and closes it with a result; the unit's own users answer each finding.
Every decision is the policy's (energy.policies); every write a service's, whose refusal
is shown in the reader's language."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from jiliang.core import energy_metering as em
from jiliang.policies import PUBLIC, actor_for
from jiliang.registry.services import Refused, date_or_refused
from jiliang.supervision.telemetry.models import Alert

from . import exports, services
from .models import EnergyMeter, EnergyType, KeyUnit, Level, Review, ReviewFinding, UnitMonth
from .policies import FINDINGS, PARTS, REVIEWS, UNITS, own_unit_id
from .rules import CHECKLISTS, RULE_LABELS, VERDICTS


class _Login(Exception):
    pass


def _pages(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Login:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def _actor(request):
    """The signed-in actor of an energy page; the public has none (403)."""
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    if actor.kind == PUBLIC:
        raise PermissionDenied(_("能源计量记录由用能单位和计量行政部门查看"))
    return actor


def _overview_actor(request):
    actor = _actor(request)
    if not UNITS.sees_overview(actor):
        raise PermissionDenied(_("能源计量总览由计量行政部门查看"))
    return actor


def _unit(actor, pk: int) -> KeyUnit:
    unit = get_object_or_404(KeyUnit.objects.select_related("organisation__region"), pk=pk)
    if not UNITS.may_view(actor, unit):
        raise Http404
    return unit


def _review(actor, pk: int) -> Review:
    review = get_object_or_404(Review.objects.select_related("unit__organisation__region"), pk=pk)
    if not REVIEWS.may_view(actor, review):
        raise Http404
    return review


def _latest_months(actor):
    months = PARTS.visible(actor, UnitMonth.objects.all())
    latest = months.order_by("-month").values_list("month", flat=True).first()
    return latest, (months.filter(month=latest) if latest else months.none())


@_pages
def overview(request):
    actor = _overview_actor(request)
    units = UNITS.visible(actor, KeyUnit.objects.select_related("organisation__region"))
    latest, months = _latest_months(actor)
    return render(
        request,
        "energy/overview.html",
        {
            "units": units,
            "month": latest,
            "totals": services.region_totals(months),
            "reviews": REVIEWS.visible(actor, Review.objects.select_related("unit__organisation"))[:50],
        },
    )


@_pages
def overview_xlsx(request):
    actor = _overview_actor(request)
    latest, months = _latest_months(actor)
    response = HttpResponse(
        exports.overview_xlsx(services.region_totals(months), latest),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="energy-{latest or "none"}.xlsx"'
    return response


@_pages
def mine(request):
    actor = _actor(request)
    pk = own_unit_id(actor)
    if pk is None:
        raise PermissionDenied(_("本单位不在重点用能（排放）单位名单中"))
    return _unit_response(request, actor, pk)


LEVEL_ORDER = {level: i for i, level in enumerate(Level.values)}


@_pages
def unit_page(request, pk: int):
    return _unit_response(request, _actor(request), pk)


def _unit_response(request, actor, pk: int):
    unit = _unit(actor, pk)
    meters = {}
    for meter in EnergyMeter.objects.filter(point__unit=unit).select_related("instrument", "device"):
        meters.setdefault(meter.point_id, []).append(meter)
    points = sorted(unit.points.select_related("parent"), key=lambda p: (p.energy_type, LEVEL_ORDER[p.level], p.name))
    for point in points:
        point.meter_list = meters.get(point.pk, [])
    config = services.configuration(unit)
    levels, energies = dict(Level.choices), dict(EnergyType.choices)
    rates = [
        {**r.__dict__, "level_label": levels.get(r.level, r.level), "energy_label": energies.get(r.energy_type, r.energy_type)}
        for r in config.rates
    ]
    months = list(unit.months.all()[:12])
    for month in months:
        month.quality_rows = [(str(RULE_LABELS.get(rule, rule)), n) for rule, n in month.quality.get("counts", {}).items()]
    alerts = Alert.objects.filter(owner_id=unit.organisation_id, rule__startswith="energy.").select_related("instrument")[:50]
    for alert in alerts:
        alert.label = RULE_LABELS.get(alert.rule, alert.rule)
    return render(
        request,
        "energy/unit.html",
        {
            "unit": unit,
            "points": points,
            "config": config,
            "rates": rates,
            "config_gaps": [gap_text(g) for g in config.gaps],
            "requirements": em.requirements(),
            "months": months,
            "alerts": alerts,
            "reviews": REVIEWS.visible(actor, unit.reviews.all()),
            "supervises": UNITS.supervises(actor, unit),
            "may_open_review": REVIEWS.may_open(actor, unit),
            "review_kinds": Review.Kind.choices,
            "today": timezone.localdate(),
        },
    )


def gap_text(gap) -> str:
    """One gap of the GB 17167 check in the reader's language, naming the table."""
    level = dict(Level.choices).get(gap.level, gap.level)
    energy = dict(EnergyType.choices).get(gap.energy_type, gap.energy_type)
    d = gap.detail
    if gap.code == "equipping_rate":
        return _("%(level)s %(energy)s 计量器具配备率 %(rate)s%%，低于 GB 17167-2006 表3 要求的 %(threshold)s%%") % {
            "level": level,
            "energy": energy,
            "rate": d["rate"],
            "threshold": d["threshold"],
        }
    if gap.code == "accuracy_class":
        return _("%(meter)s 准确度等级 %(cls)s 低于 GB 17167-2006 表4 要求的 %(required)s") % {
            "meter": d["meter"],
            "cls": d["class"],
            "required": d["required"],
        }
    if gap.code == "no_class":
        return _("%(meter)s 未标明准确度等级（GB 17167-2006 表4 要求 %(required)s）") % d
    return _("在用能源计量器具按期检定/校准率 %(rate)s%%，要求 %(threshold)s%%；超期：%(meters)s") % {
        "rate": d["rate"],
        "threshold": d["threshold"],
        "meters": "、".join(d["meters"]),
    }


VERDICT_LABELS = {"yes": _lazy("符合"), "no": _lazy("不符合"), "na": _lazy("不适用")}


def _item_rows(review: Review) -> list[dict]:
    rows = []
    for code, label, source in CHECKLISTS[review.kind]:
        entry = review.checklist.get(code, {})
        rows.append(
            {
                "code": code,
                "anchor": "item-" + code.replace(".", "-"),
                "label": label,
                "source": source,
                "verdict": entry.get("verdict", ""),
                "verdict_label": VERDICT_LABELS.get(entry.get("verdict"), "—"),
                "note": entry.get("note", ""),
            }
        )
    return rows


def _findings(actor, review: Review) -> list[ReviewFinding]:
    findings = list(review.findings.all())
    for finding in findings:
        finding.review = review
        finding.may_rectify = FINDINGS.may_rectify(actor, finding)
    return findings


def _review_context(actor, review: Review) -> dict:
    return exports.review_context(review) | {
        "actions": REVIEWS.allowed_actions(actor, review),
        "items": _item_rows(review),
        "verdicts": [(v, VERDICT_LABELS[v]) for v in VERDICTS],
        "findings": _findings(actor, review),
        "results": Review.Result.choices,
        "default_working_days": settings.JILIANG_ENERGY_RECTIFICATION_WORKING_DAYS,
    }


@_pages
def review_page(request, pk: int):
    actor = _actor(request)
    review = _review(actor, pk)
    return render(request, "energy/review.html", _review_context(actor, review))


# -- the review's actions (POST) ---------------------------------------------------------------


def _acts(view):
    """A POST action: sign in first; a service's refusal is shown in the reader's language (a
    forbidden one is a 403), nothing written."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Login:
            return redirect_to_login(request.get_full_path())

    return require_POST(wrapped)


def _done(request, action, to, success: str):
    """Run ``action``; say what happened (or why not) and go to ``to``."""
    try:
        action()
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.reasons_text()) from None
        messages.error(request, exc.reasons_text())
    else:
        messages.success(request, success)
    return redirect(to)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@_acts
def review_open(request, pk: int):
    actor = _actor(request)
    unit = _unit(actor, pk)
    post = request.POST
    try:
        review = services.open_review(
            request.user,
            unit,
            kind=post.get("kind", Review.Kind.ENERGY),
            started_on=date_or_refused(post.get("started_on"), "started_on"),
            reviewers=post.get("reviewers", "").strip(),
        )
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.reasons_text()) from None
        messages.error(request, exc.reasons_text())
        return redirect("energy:unit", pk=unit.pk)
    messages.success(request, _("已开始审查 %(number)s") % {"number": review.number})
    return redirect("energy:review", pk=review.pk)


def _entry(post, code: str) -> dict:
    return {"verdict": post.get(f"verdict-{code}", ""), "note": post.get(f"note-{code}", "").strip()}


@_acts
def review_record(request, pk: int):
    """The whole checklist at once (the items given a verdict), all or nothing."""
    actor = _actor(request)
    review = _review(actor, pk)
    codes = [key.removeprefix("verdict-") for key in request.POST if key.startswith("verdict-")]
    return _done(
        request,
        lambda: services.record_checklist(request.user, review, {code: _entry(request.POST, code) for code in codes}),
        review_url(review),
        _("审查记录已保存"),
    )


@_acts
def review_item(request, pk: int, code: str):
    """One checklist item's verdict and note (htmx swaps the item and the findings); a "no"
    writes the finding (the service)."""
    actor = _actor(request)
    review = _review(actor, pk)
    entry = _entry(request.POST, code)
    error = ""
    try:
        services.record_checklist(request.user, review, {code: entry})
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.reasons_text()) from None
        error = exc.reasons_text()
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect(f"{review_url(review)}#item-{code.replace('.', '-')}")
    review.refresh_from_db()
    context = _review_context(actor, review)
    row = next((r for r in context["items"] if r["code"] == code), None)
    if row is None:  # not an item of the checklist: the service said so
        messages.error(request, error)
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    if error:
        row["verdict"], row["note"] = entry["verdict"], entry["note"]  # what was typed stays
    return render(request, "energy/_review_item.html", context | {"r": row, "error": error, "oob": True})


def review_url(review: Review) -> str:
    return reverse("energy:review", kwargs={"pk": review.pk})


@_acts
def review_rectification(request, pk: int):
    actor = _actor(request)
    review = _review(actor, pk)

    def act():
        due = date_or_refused(request.POST.get("due"), "due")
        raw = request.POST.get("working_days", "").strip()
        # A number as typed; anything else goes to the service as it is, which refuses it.
        days = (int(raw) if raw.isdigit() else raw) if due is None and raw else None
        services.require_rectification(request.user, review, due, working_days=days)

    return _done(request, act, review_url(review), _("已下达整改通知"))


@_acts
def review_decide(request, pk: int):
    actor = _actor(request)
    review = _review(actor, pk)
    post = request.POST
    return _done(
        request,
        lambda: services.decide(request.user, review, post.get("result", ""), summary=post.get("summary", "").strip()),
        review_url(review),
        _("审查已办结"),
    )


@_acts
def finding_rectify(request, pk: int):
    """The unit's answer to a finding: what it rectified."""
    actor = _actor(request)
    finding = get_object_or_404(ReviewFinding.objects.select_related("review__unit__organisation__region"), pk=pk)
    if not FINDINGS.may_view(actor, finding):
        raise Http404
    return _done(
        request,
        lambda: services.rectify(request.user, finding, request.POST.get("rectification", "")),
        f"{review_url(finding.review)}#finding-{finding.pk}",
        _("整改情况已提交"),
    )


@_pages
def review_xlsx(request, pk: int):
    review = _review(_actor(request), pk)
    response = HttpResponse(
        exports.review_xlsx(review), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{review.number}.xlsx"'
    return response


@_pages
def review_pdf(request, pk: int):
    review = _review(_actor(request), pk)
    response = HttpResponse(exports.review_pdf(review), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{review.number}.pdf"'
    return response
