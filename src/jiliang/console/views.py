"""The dashboard of each role (``dashboard/``) and the due and overdue list
(``dashboard/due/``). htmx asks for one panel (``?panel=due``) to change its horizon
without reloading the page; the open-alerts panel of an administrator refreshes itself.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from jiliang.accounts.roles import AUDITOR, ENTERPRISE, NATIONAL, PUBLIC, REGION_ADMIN, STAFF, actor_for
from jiliang.registry import models as reg

from . import dashboards


def _public_home() -> str:
    """Where a signed-in member of the public goes: the public portal (or the certificate check)."""
    for name in ("portal:home", "certificates:check", "registry:home"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


def _is_partial(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def _vary(response):
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@login_required
@require_GET
def dashboard(request):
    actor = actor_for(request.user)
    if actor.kind == PUBLIC:
        return redirect(_public_home())
    try:
        days = dashboards.parse_days(request.GET.get("days"))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    panel = request.GET.get("panel", "")
    partial = _is_partial(request) and panel

    if actor.kind in (NATIONAL, REGION_ADMIN, AUDITOR):
        scope = dashboards.region_scope(actor, request.user)
        if partial == "due":
            context = {
                "due": dashboards.region_due(scope, days),
                "days": days,
                "scope": scope,
                "days_choices": dashboards.DUE_DAYS_CHOICES,
            }
            return _vary(render(request, "console/_due_panel.html", context))
        if partial == "coverage":
            context = {"coverage": dashboards.coverage_panel(scope), "scope": scope}
            return _vary(render(request, "console/_coverage_panel.html", context))
        if partial == "alerts":
            return _vary(render(request, "console/_alerts_panel.html", {"alerts": dashboards.open_alerts(scope.prefix)}))
        context = dashboards.administrator_context(actor, request.user, scope, days)
        template = "console/dashboard_administrator.html"
    elif actor.kind == STAFF:
        context = dashboards.institution_context(actor, request.user)
        template = "console/dashboard_institution.html"
    elif actor.kind == ENTERPRISE:
        if partial == "due":
            context = {
                "due": dashboards.due_summary(days=days, owner_id=actor.organisation_id, limit=20),
                "days": days,
                "days_choices": dashboards.DUE_DAYS_CHOICES,
            }
            return _vary(render(request, "console/_due_panel.html", context))
        context = dashboards.enterprise_context(actor, request.user, days)
        template = "console/dashboard_enterprise.html"
    else:  # pragma: no cover - every role is handled above
        raise PermissionDenied
    context.update(actor=actor, days_choices=dashboards.DUE_DAYS_CHOICES, role_label=role_label(request.user))
    return _vary(render(request, template, context))


DUE_LIMIT = 100


@login_required
@require_GET
def due(request):
    """Instruments due within a horizon, overdue first: an administrator's region (narrowed
    to a sub-region with ``region``), an enterprise's own."""
    actor = actor_for(request.user)
    if actor.kind not in (NATIONAL, REGION_ADMIN, AUDITOR, ENTERPRISE):
        raise PermissionDenied("the due list is for administrators, auditors and instrument owners")
    errors = []
    try:
        days = dashboards.parse_days(request.GET.get("days"))
    except ValueError as exc:
        errors.append(str(exc))
        days = dashboards.DEFAULT_DUE_DAYS
    kind = request.GET.get("kind") or "all"
    if kind not in dashboards.DUE_KINDS:
        errors.append(f"kind: must be one of {', '.join(dashboards.DUE_KINDS)}, got {kind!r}")
        kind = "all"
    owner_id, region_code, scope, sub_regions, wanted = None, None, None, [], ""
    if actor.kind == ENTERPRISE:
        owner_id = actor.organisation_id
    else:
        scope = dashboards.region_scope(actor, request.user)
        region_code = scope.code
        sub_regions = list(
            reg.Region.objects.filter(code__startswith=scope.prefix)
            .exclude(code=scope.code or "")
            .order_by("code")
            .values_list("code", "name")
        )
        wanted = (request.GET.get("region") or "").strip()
        if wanted == scope.code:
            wanted = ""
        if wanted:
            if any(code == wanted for code, _ in sub_regions):
                region_code = wanted
            else:
                errors.append(f"region: {wanted!r} is not a region inside yours")
                wanted = ""
    data = dashboards.due_rows(days=days, region_code=region_code, owner_id=owner_id, kind=kind, limit=DUE_LIMIT)
    context = {
        "data": data,
        "days": days,
        "kind": kind,
        "kinds": dashboards.DUE_KINDS,
        "errors": errors,
        "region": wanted,
        "sub_regions": sub_regions,
        "scope": scope,
        "days_choices": dashboards.DUE_DAYS_CHOICES,
        "limit": DUE_LIMIT,
        "owner": actor.kind == ENTERPRISE,
    }
    template = "console/_due_results.html" if _is_partial(request) else "console/due.html"
    return _vary(render(request, template, context, status=400 if errors else 200))


def role_label(user) -> str:
    membership = getattr(user, "membership", None)
    if user.is_superuser:
        from django.utils.translation import gettext

        return gettext("国家级管理员")
    return membership.get_role_display() if membership is not None else ""
