"""The authorisation register's pages: the list (public, like the register an owner looks
up), one authorisation with its items, areas and history, and the acts of the issuing
administration (extend, narrow, revoke) through the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, date_or_refused

from . import services
from .models import Authorisation
from .policies import AuthorisationPolicy

POLICY = AuthorisationPolicy()
LIST_ROWS = 200


@require_GET
def authorisation_list(request):
    actor = actor_for(request.user)
    rows = POLICY.visible(actor, Authorisation.objects.select_related("institution__region", "issuing_authority"))
    query = (request.GET.get("q") or "").strip()
    if query:
        rows = rows.filter(institution__name__icontains=query) | rows.filter(number__icontains=query)
    today = timezone.localdate()
    rows = list(rows.order_by("institution__region__code", "institution__name", "number")[:LIST_ROWS])
    return render(
        request,
        "authorisation/list.html",
        {"rows": rows, "q": query, "today": today, "in_force": {a.pk for a in rows if a.in_force_on(today)}},
    )


@require_GET
def authorisation_detail(request, pk):
    actor = actor_for(request.user)
    auth = get_object_or_404(
        POLICY.visible(actor, Authorisation.objects.select_related("institution", "issuing_authority")), pk=pk
    )
    return render(
        request,
        "authorisation/detail.html",
        {
            "a": auth,
            "in_force": auth.in_force_on(timezone.localdate()),
            "items": auth.items.select_related("catalog_item").order_by("catalog_item__code", "added_on"),
            "areas": auth.areas.select_related("region").order_by("region__code", "added_on"),
            "history": auth.history.select_related("actor"),
            "actions": POLICY.allowed_actions(actor, auth),
        },
    )


@require_POST
def act(request, pk, action):
    actor = actor_for(request.user)
    auth = get_object_or_404(Authorisation, pk=pk)
    if action not in POLICY.allowed_actions(actor, auth):
        raise PermissionDenied("only the issuing administration acts on its authorisations")
    reason = request.POST.get("reason", "")
    try:
        if action == "extend":
            until = date_or_refused(request.POST.get("valid_until"))
            if until is None:
                raise Refused([("valid_until", _("请填写新的有效期至"))])
            services.extend(actor, auth, until, reason)
        elif action == "revoke":
            services.revoke(actor, auth, reason, on=date_or_refused(request.POST.get("on")))
        elif action == "narrow":
            items = list(reg.CatalogItem.objects.filter(pk__in=request.POST.getlist("items")))
            regions = list(reg.Region.objects.filter(pk__in=request.POST.getlist("regions")))
            services.narrow(actor, auth, items=items, regions=regions, on=date_or_refused(request.POST.get("on")), reason=reason)
        else:
            raise PermissionDenied("this act has no page form: use the API")
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已办理：%(number)s") % {"number": auth.number})
    return redirect("authorisation:detail", pk=pk)
