"""HTTP paths: the upload endpoint for instruments without MQTT (the signature is the
authentication), the alert list of the signed-in administrator's region (a page for the
phone, or JSON with ``?format=json``), and the inspector's page for one alert (take,
record findings, close or open a case) with the owner's credit from alert outcomes."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiliang.messages import enumeration
from jiliang.policies import actor_for

from . import services
from .models import Alert, CreditSignal
from .pipeline import CREDIT_WEIGHTS, Pipeline
from .policies import POLICY as ALERTS

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_UPLOAD_MESSAGES = 10_000
PAGE = 200


@csrf_exempt  # devices, not browsers: every message carries its own HMAC
@require_POST
def upload(request):
    """POST signed JSON messages, each as its body line followed by its signature line;
    or, with ``Content-Type: application/octet-stream``, one message in the compact binary form."""
    if len(request.body) > MAX_UPLOAD_BYTES:
        return JsonResponse({"error": f"body: larger than {MAX_UPLOAD_BYTES} bytes"}, status=413)
    now = time.time()
    if request.content_type == "application/octet-stream":
        messages = [(request.body, now)]
    else:
        lines = [line for line in request.body.splitlines() if line.strip()]
        if len(lines) % 2:
            return JsonResponse(
                {"error": "body: odd number of lines; each message is a body line and a signature line"}, status=400
            )
        if len(lines) // 2 > MAX_UPLOAD_MESSAGES:
            return JsonResponse({"error": f"body: more than {MAX_UPLOAD_MESSAGES} messages"}, status=413)
        messages = [(lines[i] + b"\n" + lines[i + 1], now) for i in range(0, len(lines), 2)]
    result = Pipeline().handle(messages)
    return JsonResponse(
        {
            "stored": result.stored,
            "duplicates": result.duplicates,
            "rejected": {f"{reason}:{code}": n for (reason, code), n in result.rejected.items()},
            "alerts_created": result.alerts_created,
        }
    )


def _scope(user):
    """Alerts the user may see (the policy): a national administrator all; a region
    administrator (or auditor) those of their region and its sub-regions."""
    actor = actor_for(user)
    if not ALERTS.opens_alerts(actor):
        raise PermissionDenied(_("只有计量行政部门可以查看预警"))
    return ALERTS.visible(actor, Alert.objects.all())


def _may_act(user, alert=None) -> bool:
    """Taking and closing alerts is the administrators' (inspectors') work; auditors read."""
    return ALERTS.writable(actor_for(user), alert)


def _credit_by_owner(owner_ids) -> dict[int, dict]:
    rows = (
        CreditSignal.objects.filter(owner_id__in=set(owner_ids))
        .values("owner_id")
        .annotate(
            score=Sum("weight"), cases=Count("id", filter=Q(outcome="case")), confirmed=Count("id", filter=Q(outcome="confirmed"))
        )
    )
    return {r["owner_id"]: {"score": round(r["score"], 3), "cases": r["cases"], "confirmed": r["confirmed"]} for r in rows}


@require_GET
def home(request):
    """What online monitoring is, for everyone; the fleet's figures; the alerts of the
    actor's region for those the policy lets open them; an owner's own devices."""
    from django.utils import timezone

    from .models import Device

    actor = actor_for(request.user)
    active = Device.objects.filter(active=True)
    context = {
        "devices": active.count(),
        "kinds": list(active.order_by().values_list("kind").annotate(n=Count("id")).order_by("kind")),
        # The devices table is small; the readings table is not counted on a page anyone opens.
        "reporting": active.filter(last_seen__gte=timezone.now() - dt.timedelta(days=1)).count(),
        "opens_alerts": ALERTS.opens_alerts(actor),
        "own_devices": None,
    }
    if context["opens_alerts"]:
        scope = ALERTS.visible(actor, Alert.objects.all())
        counts = dict(scope.order_by().values_list("status").annotate(n=Count("id")))
        context["alert_counts"] = [(value, label, counts.get(value, 0)) for value, label in Alert.Status.choices]
        context["recent"] = list(scope.select_related("instrument", "owner", "region").order_by("-created_at", "-id")[:5])
    if actor.organisation_scoped:
        context["own_devices"] = list(
            Device.objects.filter(instrument__owner_id=actor.organisation_id)
            .select_related("instrument")
            .order_by("instrument__code")[:50]
        )
    return render(request, "telemetry/home.html", context)


@login_required
@require_GET
def alert_list(request):
    qs = _scope(request.user).select_related("instrument", "region", "owner")
    status = request.GET.get("status") or ""
    if status:
        if status not in Alert.Status.values:
            return HttpResponseBadRequest("status: " + _("须为 %(options)s 之一") % {"options": enumeration(Alert.Status.values)})
        qs = qs.filter(status=status)
    alerts = list(qs[:PAGE])
    credit = _credit_by_owner(a.owner_id for a in alerts)
    if request.GET.get("format") == "json":
        rows = [
            {
                "id": a.pk,
                "rule": a.rule,
                "severity": a.severity,
                "status": a.status,
                "occurrences": a.occurrences,
                "instrument": a.instrument.code,
                "region": a.region.code,
                "owner": a.owner.name,
                "owner_credit_score": credit.get(a.owner_id, {}).get("score", 0.0),
                "created_at": a.created_at.isoformat(),
            }
            for a in alerts
        ]
        return JsonResponse({"results": rows})
    for a in alerts:
        a.owner_credit = credit.get(a.owner_id, {"score": 0.0})
    counts = dict(_scope(request.user).order_by().values_list("status").annotate(n=Count("id")))
    tabs = [("", _("全部"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in Alert.Status.choices
    ]
    return render(request, "telemetry/alert_list.html", {"alerts": alerts, "status": status, "tabs": tabs, "limit": PAGE})


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request, pk: int):
    try:
        alert = _scope(request.user).select_related("instrument", "region", "owner", "assignee").get(pk=pk)
    except Alert.DoesNotExist:
        raise Http404("no such alert in your region") from None
    error = None
    if request.method == "POST":
        if not _may_act(request.user, alert):
            raise PermissionDenied(_("审计员只能查看预警"))
        action = request.POST.get("action")
        findings = request.POST.get("findings", "")
        try:
            if action == "take":
                services.take(alert.pk, request.user)
            elif action == "close":
                services.close(alert.pk, request.user, findings=findings, confirmed=request.POST.get("confirmed") == "1")
            elif action == "case":
                services.open_case(alert.pk, request.user, findings=findings)
            else:
                error = _("操作只能是受理、办结或立案")
        except services.WorkflowError as exc:
            error = str(exc)
        if error is None:
            return redirect(request.path)
    credit = services.credit_summary(alert.owner_id)
    outcome_labels = dict(CreditSignal.Outcome.choices)
    context = {
        "alert": alert,
        "error": error,
        "may_act": _may_act(request.user, alert),
        "credit": credit,
        "credit_rows": [(outcome_labels.get(k, k), n) for k, n in sorted(credit["counts"].items())],
        "weights": [(outcome_labels[k], w) for k, w in CREDIT_WEIGHTS.items()],
        "evidence": [
            {"seq": m.get("seq"), "score": m.get("score"), "text": json.dumps(m.get("message"), ensure_ascii=False)}
            for m in alert.evidence.get("messages", [])
        ],
        "facts": {k: v for k, v in alert.evidence.items() if k not in ("messages", "rule")},
    }
    return render(request, "telemetry/alert_detail.html", context, status=400 if error else 200)
