"""The pages: the bureau's overview by region and sector, a unit's own page (its points and
meters, the GB 17167 check, its months and alerts, its reviews), a review with its
checklist, and the exports (XLSX overview, XLSX and PDF review report). Every decision is
the policy's (energy.policies); every write a service's."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiliang.core import energy_metering as em
from jiliang.policies import PUBLIC, actor_for
from jiliang.supervision.telemetry.models import Alert

from . import exports, services
from .models import EnergyMeter, EnergyType, KeyUnit, Level, Review, UnitMonth
from .policies import PARTS, REVIEWS, UNITS, own_unit_id
from .rules import RULE_LABELS


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


@_pages
def review_page(request, pk: int):
    actor = _actor(request)
    review = _review(actor, pk)
    return render(
        request, "energy/review.html", exports.review_context(review) | {"actions": REVIEWS.allowed_actions(actor, review)}
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
