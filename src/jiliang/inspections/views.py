"""The pages: the administrator's dashboard (draws due, open campaigns, results to publish),
the inspector's list for today, the inspection page (a phone-sized checklist), and the
public pages of published draws and their results. Every decision is the policy's
(inspections.policies); every write is a service's."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.core.errors import InputError
from jiliang.messages import render as render_error
from jiliang.policies import actor_for

from . import checklists, services
from .models import Campaign, Draw, Inspection, Inspector, ItemResult, RectificationOrder
from .policies import CAMPAIGNS, DRAWS, INSPECTIONS, ORDERS, inspector_of

DUE_AHEAD_DAYS = 7
SHOWN = 200


def _signed_in(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_signed_in
@require_GET
def dashboard(request):
    """Draws due, open campaigns, inspections whose results are to be published."""
    actor = actor_for(request.user)
    if not CAMPAIGNS.sees_lists(actor):
        raise PermissionDenied(_("双随机抽查由计量行政部门管理"))
    today = timezone.localdate()
    draws_due = DRAWS.in_scope(actor, Draw.objects.select_related("region")).filter(
        status=Draw.Status.PUBLISHED, due_on__lte=today + dt.timedelta(days=DUE_AHEAD_DAYS)
    )
    campaigns = list(
        CAMPAIGNS.visible(actor, Campaign.objects.select_related("region", "draw")).filter(status=Campaign.Status.OPEN)[:SHOWN]
    )
    for campaign in campaigns:
        rows = list(campaign.inspections.values_list("status", flat=True))
        campaign.counts = {s: rows.count(s) for s in Inspection.Status.values}
    to_publish = INSPECTIONS.visible(actor, Inspection.objects.select_related("organisation", "campaign")).filter(
        status=Inspection.Status.COMPLETED
    )
    context = {
        "draws_due": [(d, DRAWS.may(actor, "perform", d)) for d in draws_due[:SHOWN]],
        "campaigns": campaigns,
        "to_publish": [(i, INSPECTIONS.may(actor, "publish", i)) for i in to_publish.order_by("publish_by")[:SHOWN]],
        "today": today,
        "sees_today": INSPECTIONS.sees_today(actor),
    }
    return render(request, "inspections/dashboard.html", context)


@_signed_in
@require_GET
def today(request):
    """The inspector's list: the inspections assigned to the officer, due today or before."""
    actor = actor_for(request.user)
    me = inspector_of(actor)
    if me is None or not INSPECTIONS.sees_today(actor):
        raise PermissionDenied(_("今日检查清单供执法检查人员名录库中的人员使用"))
    day = timezone.localdate()
    rows = (
        me.inspections.filter(status=Inspection.Status.ASSIGNED, scheduled_on__lte=day)
        .select_related("organisation", "campaign")
        .order_by("scheduled_on", "pk")[:SHOWN]
    )
    return render(request, "inspections/today.html", {"inspections": rows, "me": me, "today": day})


def _inspection(actor, pk: int) -> Inspection:
    inspection = get_object_or_404(Inspection.objects.select_related("organisation__region", "campaign__draw"), pk=pk)
    if not INSPECTIONS.may_view(actor, inspection):
        if not actor.authenticated:
            raise _Login
        raise Http404
    return inspection


class _Login(Exception):
    pass


def _page(request, inspection, actor, errors=(), status=200):
    answers = {r.item: r for r in inspection.items.all()}
    items = []
    for item in checklists.checklist(inspection.kind):
        items.append({"item": item, "answer": answers.get(item.code)})
    private = INSPECTIONS.sees_private(actor, inspection)
    findings = list(inspection.findings.select_related("order"))
    for finding in findings:
        order = getattr(finding, "order", None)
        finding.may_follow_up = order is not None and ORDERS.may(actor, "follow_up", order)
    context = {
        "inspection": inspection,
        "items": items,
        "verdicts": ItemResult.Verdict.choices,
        "findings": findings,
        "signoffs": list(inspection.signoffs.select_related("inspector")),
        "inspectors": list(inspection.inspectors.all()),
        "photos": list(inspection.photos.all()) if private else [],
        "actions": INSPECTIONS.allowed_actions(actor, inspection),
        "errors": list(errors),
        "private": private,
    }
    return render(request, "inspections/inspection.html", context, status=status)


def inspection_page(request, pk: int):
    actor = actor_for(request.user)
    try:
        inspection = _inspection(actor, pk)
    except _Login:
        return redirect_to_login(request.get_full_path())
    return _page(request, inspection, actor)


def _answers(post) -> dict:
    answers = {}
    for key, value in post.items():
        if key.startswith("verdict-"):
            code = key[len("verdict-") :]
            answers[code] = {
                "verdict": value,
                "measurement": post.get(f"measurement-{code}", ""),
                "note": post.get(f"note-{code}", ""),
            }
    return answers


def _act(request, pk: int, action):
    actor = actor_for(request.user)
    try:
        inspection = _inspection(actor, pk)
    except _Login:
        return redirect_to_login(request.get_full_path())
    try:
        action(inspection)
    except InputError as exc:
        inspection.refresh_from_db()
        return _page(request, inspection, actor, errors=[render_error(exc)], status=400)
    return redirect("inspections:inspection", pk=pk)


@require_POST
def record(request, pk: int):
    return _act(
        request,
        pk,
        lambda i: services.record_checklist(
            request.user,
            i,
            _answers(request.POST),
            summary=request.POST.get("summary", ""),
            photos=request.FILES.getlist("photos"),
        ),
    )


@require_POST
def sign(request, pk: int):
    return _act(request, pk, lambda i: services.sign(request.user, i))


@require_POST
def publish(request, pk: int):
    return _act(request, pk, lambda i: services.publish_results(request.user, i))


@require_POST
def follow_up(request, pk: int):
    actor = actor_for(request.user)
    if not actor.authenticated:
        return redirect_to_login(request.get_full_path())
    order = get_object_or_404(ORDERS.visible(actor, RectificationOrder.objects.select_related("finding")), pk=pk)
    return _act(
        request,
        order.finding.inspection_id,
        lambda i: services.follow_up(
            request.user, order, request.POST.get("rectified") == "1", request.POST.get("follow_up", "")
        ),
    )


@_signed_in
def photo(request, pk: int, photo_id: int):
    """Site photos are evidence: served to the administrations of the region only."""
    actor = actor_for(request.user)
    inspection = get_object_or_404(INSPECTIONS.visible(actor, Inspection.objects.all()), pk=pk)
    if not INSPECTIONS.sees_private(actor, inspection):
        raise Http404
    row = inspection.photos.filter(pk=photo_id).first()
    if row is None:
        raise Http404
    try:
        handle = row.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def perform(request, pk: int):
    actor = actor_for(request.user)
    if not actor.authenticated:
        return redirect_to_login(request.get_full_path())
    draw = get_object_or_404(Draw, pk=pk)
    try:
        services.perform_draw(request.user, draw, request.POST.get("external_value", ""))
    except InputError as exc:
        return _draw_page(request, draw, errors=[render_error(exc)], status=400)
    return redirect("inspections:draw", pk=pk)


# -- public (一公开) --------------------------------------------------------------------------


@require_GET
def public_draws(request):
    draws = DRAWS.visible(actor_for(request.user), Draw.objects.select_related("region"))[:SHOWN]
    return render(request, "inspections/draws.html", {"draws": draws})


def _draw_page(request, draw, errors=(), status=200):
    actor = actor_for(request.user)
    names = {}
    rows = []
    if draw.result:
        from jiliang.credit.policies import CREDIT
        from jiliang.registry.models import Organisation

        ids = [r["target"] for r in draw.result]
        organisations = Organisation.objects.only("pk", "name", "region_id").in_bulk(ids)
        names = {pk: o.name for pk, o in organisations.items()}
        # A target's credit class is shown only to whom the credit policy shows its record
        # (the public reads the drawn names and the results, not the classes).
        graded = {pk for pk, o in organisations.items() if CREDIT.sees_record(actor, o)}
        officers = dict(
            Inspector.objects.filter(pk__in={i for r in draw.result for i in r["inspectors"]}).values_list("pk", "name")
        )
        inspections = {}
        campaign = Campaign.objects.filter(draw=draw).first()
        if campaign is not None:
            for inspection in INSPECTIONS.visible(actor, campaign.inspections.all()).prefetch_related("findings"):
                inspections[inspection.organisation_id] = inspection
        for r in draw.result:
            rows.append(
                {
                    "target": r["target"],
                    "name": names.get(r["target"], r["target"]),
                    "grade": r["grade"] if r["target"] in graded else None,
                    "inspectors": [officers.get(i, i) for i in r["inspectors"]],
                    "inspection": inspections.get(r["target"]),
                }
            )
    context = {
        "draw": draw,
        "rows": rows,
        "population": len(draw.plan.get("population", [])),
        "may_perform": DRAWS.may(actor, "perform", draw),
        "campaign": Campaign.objects.filter(draw=draw).first(),
        "errors": list(errors),
    }
    return render(request, "inspections/draw.html", context, status=status)


@require_GET
def draw_page(request, pk: int):
    return _draw_page(request, get_object_or_404(Draw.objects.select_related("region"), pk=pk))


@require_GET
def draw_document(request, pk: int):
    """PLAN.json: everything needed to recompute the draw (docs/draws.md §4)."""
    draw = get_object_or_404(Draw, pk=pk)
    response = JsonResponse(draw.document(), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}.json"'
    return response
