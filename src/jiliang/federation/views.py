"""The national pages: coverage and indicators per province and nationally, published
comparison results, cross-province recalls, each origin's lag and health; and the answer
of the certificate check for any number the federated index holds. Every page asks the
policy (federation.policies) who may open it and which rows it shows."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jiliang.policies import NATIONAL, actor_for

from . import services
from .chains import federated_chain
from .models import FederatedCertificate, FederatedComparisonResult, FederatedCoverage, FederatedRecall, RefusedRecord
from .policies import INDEX, OPERATIONS, PROVINCE_ROWS
from .provinces import province_name
from .records import RULES

PAGE = 50


def _signed_in(request, allowed) -> object:
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _LoginNeeded()
    if not allowed(actor):
        raise PermissionDenied
    return actor


class _LoginNeeded(Exception):
    pass


def _page(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _LoginNeeded:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


@_page
def overview(request):
    """Coverage and indicators per province, and for the nation (national administrators)."""
    actor = _signed_in(request, PROVINCE_ROWS.sees_any)
    figures = services.coverage_rows(PROVINCE_ROWS.visible(actor, FederatedCoverage.objects.all()))
    return render(
        request,
        "federation/overview.html",
        {
            "rows": figures["rows"],
            "national": figures["national"] if actor.kind == NATIONAL else None,
            "sees_operations": OPERATIONS.sees_operations(actor),
        },
    )


@require_GET
def comparisons(request):
    """Published comparison results of every province (public)."""
    actor = actor_for(request.user)
    rows = INDEX.visible(actor, FederatedComparisonResult.objects.all()).order_by("-published_on", "province", "code")
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.province_name = province_name(row.province)
    return render(request, "federation/comparisons.html", {"page": page})


@_page
def recalls(request):
    """Recalls that cross provinces, and what each reached here."""
    actor = _signed_in(request, PROVINCE_ROWS.sees_any)
    rows = PROVINCE_ROWS.visible(actor, FederatedRecall.objects.all())
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.province_name = province_name(row.province)
        row.doubt = len(row.certificates)
    return render(request, "federation/recalls.html", {"page": page})


@_page
def status(request):
    """Each origin's high-water mark, lag and health; the latest refused records."""
    actor = _signed_in(request, OPERATIONS.sees_operations)
    refused = list(OPERATIONS.visible(actor, RefusedRecord.objects.all()).defer("raw")[:PAGE])
    for row in refused:
        row.rule_label = RULES.get(row.rule, row.rule)
    return render(request, "federation/status.html", {"rows": services.status_rows(), "refused": refused})


def check_number(number: str, request):
    """The certificate check's answer for a number the federated index holds (any province's,
    answered by the centre; on a province, the other provinces' certificates its chains use)."""
    from django.utils import timezone

    actor = actor_for(getattr(request, "user", None))
    entries = list(INDEX.visible(actor, FederatedCertificate.objects.filter(number=number)).order_by("province")[:31])
    if not entries:
        return None
    today = timezone.localdate()
    answers = []
    for entry in entries:
        chain = federated_chain(entry.province, entry.number, today)
        valid_today = entry.status != "revoked" and entry.passed is not False
        if entry.valid_until is not None and entry.valid_until < today:
            valid_today = False
        answers.append({"entry": entry, "province_name": province_name(entry.province), "valid": valid_today, "chain": chain})
    return "federation/certificate.html", {"answers": answers}
