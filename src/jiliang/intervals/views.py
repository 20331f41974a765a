"""The pages: the list of instrument families with verification history in the reader's
scope, and a family's interval report (observed reliability per interval bin with the
fitted curve, the A3 test, the S2 models, the recommendation beside the legal maximum).
Who may open them is the policy's (intervals.policies.REPORTS)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jiliang.core.intervals_plot import reliability_figure
from jiliang.policies import actor_for
from jiliang.registry.models import CatalogItem
from jiliang.registry.services import Refused

from . import services
from .policies import REPORTS


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
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    if not REPORTS.sees_reports(actor):
        raise PermissionDenied(_("检定/校准间隔分析由计量行政部门和检定机构查看"))
    return actor


@_pages
def families(request):
    actor = _actor(request)
    return render(request, "intervals/families.html", {"families": services.families(actor)})


def _report(request, code: str):
    actor = _actor(request)
    if "\x00" in code:
        raise Http404
    item = get_object_or_404(CatalogItem, code=code)
    error, approval, target = None, "", services.core.DEFAULT_TARGET
    try:
        approval = services.parse_approval(request.GET.get("approval"))
        target = services.parse_target(request.GET.get("target"))
    except Refused as refused:
        error = refused.reasons[0][1]
    return services.report(actor, item, approval=approval, target=target), error


def chart_words() -> dict:
    return {
        "x": _("检定间隔（天）"),
        "y": _("测量可靠性"),
        "observed": _("观测值"),
        "fitted": _("拟合"),
        "target": _("可靠性目标"),
        "recommended": _("推荐间隔"),
        "legal": _("法定最长周期"),
        "empty": _("数据不足，暂无推荐"),
        "computed": _("数据给出的间隔"),
    }


@_pages
def family(request, code: str):
    report, error = _report(request, code)
    query = request.GET.copy()
    return render(
        request,
        "intervals/family.html",
        {
            "r": report,
            "data": services.report_json(report),
            "error": error,
            "query": query.urlencode(),
            "legal_days": report.legal_maximum_months * services.DAYS_PER_MONTH if report.mandatory else None,
            "rule": services.LEGAL_MAXIMUM_RULE,
        },
        status=400 if error else 200,
    )


@_pages
def chart(request, code: str):
    report, _error = _report(request, code)
    image = reliability_figure(
        report.bins,
        report.s2.best if report.s2 is not None and report.method == "S2" else None,
        report.target,
        recommended=report.recommended_days,
        computed=report.computed_days,
        legal_maximum=report.legal_maximum_months * services.DAYS_PER_MONTH if report.mandatory else None,
        labels=chart_words(),
        title=f"{report.item.code} {report.item.name}",
    )
    response = HttpResponse(image, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
