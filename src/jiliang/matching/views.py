"""The matching pages: one page per role's part (an enterprise's needs and the form to post
one; a provider's requests, the open needs of its province and its published terms; a
region's needs with the unmet ones marked), a need with its ranked offers (each factor
explained) and the pick, and a request with its answers. Every decision is the policy's
(matching.policies); every write is a service's."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.pages import SignInFirst as _SignIn
from jiliang.pages import login_first
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from . import services
from .models import Need, Request, ServiceTerms
from .policies import NEEDS, REQUESTS, TERMS

LIST_ROWS = 100


def _reader(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _SignIn()
    if not NEEDS.reads_needs(actor):
        raise PermissionDenied(_("供需对接供企业、机构和计量行政部门使用"))
    return actor


def _quantities():
    return reg.Quantity.objects.order_by("field__code", "name").values("id", "name", "name_en", "unit")[:500]


@login_first
@require_GET
def home(request):
    actor = _reader(request)
    needs = NEEDS.visible(actor, Need.objects.select_related("quantity", "region", "poster"))
    requests = REQUESTS.visible(actor, Request.objects.select_related("need", "provider", "need__poster", "event"))
    context = {
        "may_post": NEEDS.may_post(actor),
        "own_needs": needs.filter(poster_id=actor.organisation_id)[:LIST_ROWS] if actor.organisation_scoped else [],
        "addressed": requests.filter(provider_id=actor.organisation_id)[:LIST_ROWS] if actor.organisation_scoped else [],
        "open_needs": services.open_needs_in_scope(actor, LIST_ROWS) if TERMS.may_publish(actor, actor.organisation_id) else [],
        "region_needs": needs[:LIST_ROWS] if not actor.organisation_scoped else [],
        "may_publish": TERMS.may_publish(actor, actor.organisation_id),
        "terms": ServiceTerms.objects.filter(provider_id=actor.organisation_id).select_related("quantity")
        if actor.organisation_scoped
        else [],
        "quantities": _quantities(),
        "requirements": Need.Requirement.choices,
        "default_region": _default_region(actor),
        "inbox": services.unread(actor, 20),
        "today": timezone.localdate(),
    }
    return render(request, "matching/home.html", context)


def _default_region(actor) -> str:
    if actor.organisation_scoped and actor.organisation_id:
        return reg.Organisation.objects.filter(pk=actor.organisation_id).values_list("region__code", flat=True).first() or ""
    return ""


@login_first
@require_POST
def post(request):
    actor = _reader(request)
    try:
        need = services.post_need(actor, request.POST)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("matching:home")
    messages.success(request, _("已发布需求 %(number)s") % {"number": need.number})
    return redirect("matching:need", pk=need.pk)


def _need(actor, pk: int) -> Need:
    need = get_object_or_404(Need.objects.select_related("quantity", "region", "poster", "catalog_item"), pk=pk)
    if not NEEDS.may_view(actor, need):
        raise Http404("no such need")
    return need


@login_first
@require_GET
def need_detail(request, pk: int):
    actor = _reader(request)
    need = _need(actor, pk)
    owner = NEEDS.owns(actor, need)
    offers = services.offers_for(need) if owner and need.status == Need.Status.OPEN else []
    context = {
        "need": need,
        "owner": owner,
        "offers": offers,
        "may_pick": NEEDS.may(actor, "pick", need),
        "may_withdraw": NEEDS.may(actor, "withdraw", need),
        "requests": REQUESTS.visible(actor, need.requests.select_related("provider", "event")),
    }
    return render(request, "matching/need.html", context)


@login_first
@require_POST
def pick(request, pk: int):
    actor = _reader(request)
    need = _need(actor, pk)
    provider = request.POST.get("provider", "")
    try:
        sent = services.pick(actor, need, int(provider) if provider.isdigit() else -1)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("matching:need", pk=need.pk)
    messages.success(request, _("已向 %(provider)s 发出委托") % {"provider": sent.provider.name})
    return redirect("matching:request", pk=sent.pk)


@login_first
@require_POST
def withdraw(request, pk: int):
    actor = _reader(request)
    need = _need(actor, pk)
    services.withdraw_need(actor, need)
    messages.success(request, _("已撤回需求"))
    return redirect("matching:need", pk=need.pk)


def _request(actor, pk: int) -> Request:
    found = get_object_or_404(
        Request.objects.select_related("need", "need__quantity", "need__region", "need__poster", "provider", "event"), pk=pk
    )
    if not REQUESTS.may_view(actor, found):
        raise Http404("no such request")
    return found


@login_first
@require_GET
def request_detail(request, pk: int):
    actor = _reader(request)
    found = _request(actor, pk)
    certificate = getattr(found.event, "digital_certificate", None) if found.event_id else None
    labels = {"capability": _("测量能力"), "distance": _("距离"), "turnaround": _("服务周期"), "fee": _("收费")}
    fit_rows = [{**f, "label": labels.get(f.get("name"), f.get("name"))} for f in (found.fit or {}).get("factors", [])]
    context = {
        "fit_rows": fit_rows,
        "req": found,
        "need": found.need,
        "actions": REQUESTS.allowed_actions(actor, found),
        "certificate": certificate,
        "action_labels": {
            "accept": _("受理委托"),
            "decline": _("谢绝"),
            "complete": _("登记出具的证书并办结"),
            "withdraw": _("撤回委托"),
        },
    }
    return render(request, "matching/request.html", context)


@login_first
@require_POST
def act(request, pk: int):
    actor = _reader(request)
    found = _request(actor, pk)
    action = request.POST.get("action", "")
    try:
        services.answer(actor, found, action, note=request.POST.get("note", ""), certificate=request.POST.get("certificate", ""))
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已办理"))
    return redirect("matching:request", pk=found.pk)


@login_first
@require_POST
def terms(request):
    actor = _reader(request)
    quantity = request.POST.get("quantity", "")
    try:
        services.publish_terms(
            actor,
            actor.organisation_id,
            quantity_id=int(quantity) if quantity.isdigit() else None,
            turnaround_days=request.POST.get("turnaround_days", ""),
            fee=request.POST.get("fee_per_instrument", ""),
            note=request.POST.get("note", ""),
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已发布服务承诺"))
    return redirect("matching:home")


@login_first
@require_POST
def read(request):
    actor = _reader(request)
    services.mark_read(actor, [int(x) for x in request.POST.getlist("message") if x.isdigit()])
    return redirect("matching:home")
