"""The public page of the witness log (诚信计量见证日志): the latest signed tree head, each
province's latest witnessed checkpoint, the entries page by page with links to their
inclusion proofs, and — for supervisors, as the refusal policy says — the checkpoints the
centre refused."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Max
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jiliang.policies import actor_for

from . import services
from .models import LogEntry, ProvinceKey, Refusal
from .policies import LOG, REFUSALS

PAGE = 50


@require_GET
def log(request):
    actor = actor_for(request.user)
    head = services.latest_head()
    entries = LOG.visible(actor, LogEntry.objects.only("index", "province", "ledger_size", "ledger_root", "witnessed_at"))
    page = Paginator(entries.order_by("-index"), PAGE).get_page(request.GET.get("page"))
    latest = dict(LogEntry.objects.values("province").annotate(size=Max("ledger_size")).values_list("province", "size"))
    provinces = [
        {"code": key.province, "name": key.name, "ledger_size": latest.get(key.province)}
        for key in LOG.visible(actor, ProvinceKey.objects.all())
    ]
    refusals = None
    if REFUSALS.sees_refusals(actor):
        refusals = [(r, services.refusal_reason(r)) for r in REFUSALS.visible(actor, Refusal.objects.all())[:20]]
    return render(
        request,
        "witness/log.html",
        {"head": head, "page": page, "provinces": provinces, "refusals": refusals},
    )
