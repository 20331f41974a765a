"""The CMC pages: the KCDB's CMCs and key comparisons (public), the claims the reader may
see, and one claim beside the international CMCs of its quantity — the common range and
U(claim)/U(KCDB) at common points — with the review buttons the policy offers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.comparisons.models import Participant
from jiliang.pages import perform
from jiliang.policies import actor_for

from . import services
from .models import Claim, KcdbCmc, KcdbComparison
from .policies import CLAIMS, allowed_actions

LIST_LIMIT = 500  # bounded work per page; the API pages through the rest


def _claim(request, pk: int) -> Claim:
    claim = get_object_or_404(Claim.objects.select_related("capability__standard__holder__region"), pk=pk)
    if not CLAIMS.may_view(actor_for(request.user), claim):
        raise Http404
    return claim


@require_GET
def home(request):
    actor = actor_for(request.user)
    claims = CLAIMS.visible(actor, Claim.objects.select_related("capability__standard__holder"))[:LIST_LIMIT]
    return render(
        request,
        "cmc/home.html",
        {
            "claims": claims,
            "kcdb": KcdbCmc.objects.select_related("file")[:LIST_LIMIT],
            "comparisons": KcdbComparison.objects.all()[:LIST_LIMIT],
        },
    )


@require_GET
def claim_page(request, pk: int):
    claim = _claim(request, pk)
    candidates = Participant.objects.none()
    if CLAIMS.writable(actor_for(request.user), claim):  # the holder links its own participations
        candidates = (
            Participant.objects.filter(institution_id=claim.capability.standard.holder_id)
            .exclude(pk__in=claim.supporting.values("pk"))
            .select_related("comparison")[:LIST_LIMIT]
        )
    return render(
        request,
        "cmc/claim.html",
        {
            "claim": claim,
            "entries": services.comparison_with_kcdb(claim),
            "supporting": claim.supporting.select_related("comparison"),
            "actions": allowed_actions(request.user, claim),
            "candidates": candidates,
        },
    )


@require_GET
def comparison_page(request, code: str):
    comparison = get_object_or_404(KcdbComparison, code=code)
    return render(request, "cmc/comparison.html", {"comparison": comparison, "degrees": comparison.degrees.all()})


@require_POST
def support(request, pk: int):
    """The holder links one of its comparison participations to the claim."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    claim = _claim(request, pk)
    participant = Participant.objects.filter(pk=request.POST.get("participant") or 0).first()
    if participant is None:
        messages.error(request, _("请选择一项比对"))
        return redirect("cmc:claim", pk)
    perform(request, lambda: services.link_support(request.user, claim, participant), _("已关联支撑比对"))
    return redirect("cmc:claim", pk)


@require_POST
def act(request, pk: int, action: str):
    if not request.user.is_authenticated:
        raise PermissionDenied
    claim = _claim(request, pk)
    note = request.POST.get("note", "").strip()
    steps = {
        "submit": (lambda: services.submit(request.user, claim), _("已提交评审")),
        "approve": (lambda: services.approve(request.user, claim, note), _("已认可")),
        "return": (lambda: services.return_for_correction(request.user, claim, note), _("已退回修改")),
    }
    if action not in steps:
        raise Http404
    perform(request, *steps[action])
    return redirect("cmc:claim", pk)
