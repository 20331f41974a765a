"""The pages: the indicators (per region and year, with the year before, definitions and
sources, trends with target lines loaded by htmx), the rows behind a figure, the exports
(XLSX, PDF, the signed JSON report), the building plans and an entry's progress.

Every decision is the policy's (plans.policies); every write a service's; the drill-down
list filters the indicator's own rows query (plans.indicators.rows) to the region, and then
to what the record's own policy lets the reader see."""

from __future__ import annotations

import orjson
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.charts import month_chart
from jiliang.policies import actor_for, policy_of
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, date_or_refused

from . import exports, reporting, services
from . import indicators as ind
from .models import BuildingPlan, PlanEntry
from .policies import ENTRIES, INDICATORS, PLANS

ROWS_PAGE = 50


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
    return wrapped


def _actor(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    if not INDICATORS.sees_indicators(actor):
        raise PermissionDenied(_("规划与指标由计量行政部门查看"))
    return actor


def _year(request) -> int:
    raw = request.GET.get("year") or ""
    this = timezone.localdate().year
    if not raw:
        return this
    try:
        year = int(raw)
    except ValueError:
        raise Http404(_("年度须为四位数字")) from None
    if not 2000 <= year <= this:
        raise Http404(_("年度须为四位数字"))
    return year


def _scope(request, actor) -> str | None:
    code = request.GET.get("region") or exports.scope_code(actor)
    if code is None:
        return None
    if not reg.Region.objects.filter(code=code).exists():
        raise Http404
    if not INDICATORS.reads_region(actor, code):
        raise PermissionDenied(_("只能查看本地区及下级地区的指标"))
    return code


@_pages
@require_GET
def indicators(request):
    actor = _actor(request)
    year, scope = _year(request), _scope(request, actor)
    ctx = exports.context(scope, year)
    region = reg.Region.objects.filter(code=ctx["head"]).first() if ctx["head"] else None
    ctx.update(
        region=region,
        years=list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
        query=f"region={ctx['head']}&year={year}" if ctx["head"] else f"year={year}",
        may_report=region is not None and INDICATORS.may_report(actor, region.code),
    )
    return render(request, "plans/indicators.html", ctx)


@_pages
@require_GET
def trends(request):
    """The trend charts of one region (an htmx fragment of the indicators page)."""
    actor = _actor(request)
    year, scope = _year(request), _scope(request, actor)
    if scope is None:
        return HttpResponse('<p class="note">' + _("选择一个地区查看其逐年变化") + "</p>")
    charts = []
    for s in exports.trends(scope, year):
        i = s["indicator"]
        series = {_("实际"): s["values"]}
        if any(t is not None for t in s["targets"]):
            series[_("目标")] = s["targets"]
        unit = "%" if i.kind in (ind.RATE, "coverage") else ""
        charts.append({"indicator": i, "svg": month_chart(s["years"], series, title=str(i.name), unit=unit, kind="lines")})
    return render(request, "plans/_trends.html", {"charts": charts})


def _rows_view(request, key: str):
    actor = _actor(request)
    indicator = ind.BY_KEY.get(key)
    if indicator is None:
        raise Http404
    year = _year(request)
    code = request.GET.get("region") or exports.scope_code(actor)
    if code is None:  # the nation, no region named: the first province
        code = reg.Region.objects.filter(level="province").order_by("code").values_list("code", flat=True).first()
    if code is None or not reg.Region.objects.filter(code=code).exists():
        raise Http404
    if not INDICATORS.reads_region(actor, code):
        raise PermissionDenied(_("只能查看本地区及下级地区的指标"))
    return actor, indicator, year, code


@_pages
@require_GET
def rows(request, key: str):
    """The rows behind one region's figure: the indicator's own rows query, filtered to the
    region's subtree (and, for a rate, to its numerator with ``part=1``)."""
    actor, indicator, year, code = _rows_view(request, key)
    region = reg.Region.objects.get(code=code)
    part = request.GET.get("part") == "1"
    ctx = {"indicator": indicator, "year": year, "region": region, "part": part}
    if indicator.family == "coverage":
        from jiliang.verification.coverage import build_ledger

        ledger = build_ledger(ind.year_end(year), region_code=code)
        if indicator.key == "coverage_provincewide":
            cells = [c for c in ledger.cells if c.region_code == code]
        else:  # 省级以下: each city and county's own items, covered by its own standards
            cells = [c for c in ledger.cells if c.level != "province"]
        if part:
            cells = [c for c in cells if (c.covered if indicator.key == "coverage_provincewide" else c.served_by == c.level)]
        levels = {**dict(reg.Region.Level.choices), "below": _("下级地区")}
        page = Paginator(cells, ROWS_PAGE).get_page(request.GET.get("page"))
        for c in page.object_list:
            c.served_label = str(levels.get(c.served_by, "")) if c.served_by else ""
        ctx.update(cells=page, total=len(cells))
        return render(request, "plans/rows.html", ctx)
    ids = list(reg.Region.objects.filter(code__startswith=ind._prefix(code)).values_list("id", flat=True))
    if indicator.current_only and year != timezone.localdate().year:
        qs = ind.FAMILIES[indicator.family].rows(year, ind.year_end(year)).none()
    else:
        qs = ind.rows(indicator, year, part=part).filter(ind.region_filter(indicator, ids))
    qs = policy_of(qs.model).visible(actor, qs).order_by("pk")
    page = Paginator(qs.values_list(*indicator.columns), ROWS_PAGE).get_page(request.GET.get("page"))
    choices = [_choices(qs.model, c) for c in indicator.columns]
    page.object_list = [[names.get(v, v) if names else v for v, names in zip(r, choices)] for r in page.object_list]
    headers = [_label(qs.model, c) for c in indicator.columns]
    ctx.update(records=page, headers=headers, total=page.paginator.count)
    return render(request, "plans/rows.html", ctx)


def _field(model, path: str):
    parts = path.split("__")
    for name in parts[:-1]:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(parts[-1])


def _choices(model, path: str) -> dict:
    """A choice field's values → their labels in the reader's language (else empty)."""
    return {value: str(label) for value, label in (_field(model, path).choices or ())}


def _label(model, path: str) -> str:
    parts = path.split("__")
    for name in parts[:-1]:
        model = model._meta.get_field(name).related_model
    field = model._meta.get_field(parts[-1])
    return str(getattr(field, "verbose_name", parts[-1]))


@_pages
@require_GET
def indicators_xlsx(request):
    actor = _actor(request)
    year, scope = _year(request), _scope(request, actor)
    ctx = exports.context(scope, year)
    response = HttpResponse(exports.xlsx(ctx), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="indicators-{scope or "all"}-{year}.xlsx"'
    return response


@_pages
@require_GET
def indicators_pdf(request):
    actor = _actor(request)
    year, scope = _year(request), _scope(request, actor)
    ctx = exports.context(scope, year)
    head = ctx["head"]
    series = exports.trends(head, year) if head else []
    name = reg.Region.objects.filter(code=head).values_list("name", flat=True).first() if head else _("全国")
    response = HttpResponse(exports.pdf(ctx, series, name or ""), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="indicators-{scope or "all"}-{year}.pdf"'
    return response


@_pages
@require_POST
def report_json(request):
    """The signed report upward (国家数据中心), for the region's administrators."""
    actor = _actor(request)
    try:
        year = int(request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404(_("年度须为四位数字")) from None
    code = request.POST.get("region") or exports.scope_code(actor)
    region = get_object_or_404(reg.Region, code=code or "")
    if not INDICATORS.may_report(actor, region.code):
        raise PermissionDenied(_("上报由本地区计量行政部门签名发出"))
    try:
        signed = reporting.sign(reporting.build_report(region, year), reporting.report_signer(region))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("plans:indicators") + f"?region={region.code}&year={year}")
    response = HttpResponse(orjson.dumps(signed, option=orjson.OPT_INDENT_2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="indicators-report-{region.code}-{year}.json"'
    return response


# -- building plans ----------------------------------------------------------------------------


def _plan_actor(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    if not PLANS.sees_plans(actor):
        raise PermissionDenied(_("建设规划由计量行政部门查看"))
    return actor


@_pages
@require_GET
def plan_list(request):
    actor = _plan_actor(request)
    plans = PLANS.visible(actor, BuildingPlan.objects.select_related("region")).order_by("-first_year", "region__code")
    regions = reg.Region.objects.filter(id__in=actor.region_ids()) if actor.region_scoped else reg.Region.objects.all()
    creatable = [r for r in regions.order_by("code")[:200] if PLANS.may_create(actor, r)]
    rows = [{"plan": p, "progress": services.progress(p)} for p in plans[:200]]
    return render(request, "plans/plan_list.html", {"rows": rows, "regions": creatable, "this_year": timezone.localdate().year})


@_pages
@require_POST
def plan_create(request):
    actor = _plan_actor(request)
    region = get_object_or_404(reg.Region, code=request.POST.get("region", ""))
    try:
        plan = services.create_plan(
            actor,
            region,
            title=request.POST.get("title", ""),
            first_year=_int(request.POST.get("first_year"), "first_year"),
            last_year=_int(request.POST.get("last_year"), "last_year"),
        )
    except Refused as exc:
        return _refused(request, exc, reverse("plans:list"))
    return redirect("plans:plan", pk=plan.pk)


def _int(raw, name: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Refused([(name, _("须为整数"))]) from None


def _refused(request, exc: Refused, to: str):
    if exc.forbidden:
        raise PermissionDenied(str(exc))
    for name, why in exc.reasons:
        messages.error(request, f"{name}: {why}")
    return redirect(to)


def _plan(actor, pk: int) -> BuildingPlan:
    plan = get_object_or_404(BuildingPlan.objects.select_related("region"), pk=pk)
    if not PLANS.may_view(actor, plan):
        raise Http404
    return plan


@_pages
@require_GET
def plan_page(request, pk: int):
    actor = _plan_actor(request)
    plan = _plan(actor, pk)
    today = timezone.localdate()
    entries = []
    for e in plan.entries.select_related("holder", "standard").prefetch_related("catalog_items"):
        entries.append({"entry": e, "standing": services.standing(e, today), "actions": ENTRIES.allowed_actions(actor, e)})
    return render(
        request,
        "plans/plan.html",
        {
            "plan": plan,
            "entries": entries,
            "progress": services.progress(plan, today),
            "plan_actions": PLANS.allowed_actions(actor, plan),
            "writable": PLANS.writable(actor, plan) and plan.status != BuildingPlan.Status.CLOSED,
            "upgrades": services.upgrade_needs(plan.region.code, today)[:100],
        },
    )


@_pages
@require_POST
def plan_act(request, pk: int):
    actor = _plan_actor(request)
    plan = _plan(actor, pk)
    try:
        services.act_on_plan(actor, plan, request.POST.get("action", ""))
    except Refused as exc:
        return _refused(request, exc, reverse("plans:plan", args=[pk]))
    return redirect("plans:plan", pk=pk)


@_pages
@require_POST
def plan_propose(request, pk: int):
    actor = _plan_actor(request)
    plan = _plan(actor, pk)
    try:
        made = services.propose_from_gaps(actor, plan)
    except Refused as exc:
        return _refused(request, exc, reverse("plans:plan", args=[pk]))
    messages.success(request, _("已由空白生成 %(n)s 条建议") % {"n": len(made)})
    return redirect("plans:plan", pk=pk)


@_pages
@require_POST
def entry_act(request, pk: int):
    actor = _plan_actor(request)
    entry = get_object_or_404(PlanEntry.objects.select_related("plan"), pk=pk)
    if not ENTRIES.may_view(actor, entry):
        raise Http404
    try:
        on = date_or_refused(request.POST.get("on"), "on")
        services.act_on_entry(actor, entry, request.POST.get("action", ""), on=on)
    except Refused as exc:
        return _refused(request, exc, reverse("plans:plan", args=[entry.plan_id]))
    return redirect("plans:plan", pk=entry.plan_id)
