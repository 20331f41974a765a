"""The case pages: the administrators' cases by deadline (with clues to open from alerts and
complaints), one case with its deadlines, evidence, steps and the forms of the steps open to
the reader, and the public page of published penalty decisions. Every decision is the
policy's (cases.policies); every write is a service's."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.core import cases as core
from jiliang.pages import SignInFirst as _SignIn
from jiliang.pages import login_first
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, date_or_refused

from . import services
from .models import Case, Evidence
from .policies import CASES, EVIDENCE, STEPS

LIST_ROWS = 200
PUBLIC_PAGE = 50


def _reader(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _SignIn()
    if not CASES.reads_cases(actor):
        raise PermissionDenied(_("行政处罚案件由计量行政部门办理，当事人自告知起查看"))
    return actor


def _case(actor, pk: int) -> Case:
    case = get_object_or_404(Case.objects.select_related("party", "region", "alert", "complaint"), pk=pk)
    if not CASES.may_view(actor, case):
        raise Http404("no such case")
    return case


def deadline_rows(deadlines, today) -> list[dict]:
    return [
        {"step": services.STEP_LABELS.get(d.step, d.step), "due": d.due, "clause": d.clause, "days": (d.due - today).days}
        for d in deadlines
    ]


def open_case_rows(actor, today, limit) -> list[dict]:
    """The actor's open cases with their nearest deadline (the list page and the dashboard)."""
    rows = []
    for case, d in services.open_cases_by_deadline(actor, limit=limit):
        days = (d.due - today).days if d else None
        rows.append(
            {
                "case": case,
                "deadline": d,
                "step": services.STEP_LABELS.get(d.step, d.step) if d else "",
                "days": days,
                "overdue": -days if days is not None and days < 0 else 0,
            }
        )
    return rows


@login_first
@require_GET
def case_list(request):
    actor = _reader(request)
    today = timezone.localdate()
    status = request.GET.get("status", "")
    visible = CASES.visible(actor, Case.objects.select_related("party", "region"))
    cases = visible.filter(status=status) if status in Case.Status.values else visible
    open_rows = open_case_rows(actor, today, LIST_ROWS)
    context = {
        "open_rows": open_rows,
        "cases": cases.order_by("-id")[:LIST_ROWS],
        "status": status,
        "statuses": Case.Status.choices,
        "may_open": CASES.works(actor),
        "violations": Case.Violation.choices,
        "regions": _regions(actor) if CASES.works(actor) else [],
        "clues": _clues(actor) if CASES.works(actor) else {},
    }
    return render(request, "cases/list.html", context)


def _regions(actor):
    queryset = reg.Region.objects.order_by("code")
    if actor.region_scoped:
        queryset = queryset.filter(code__startswith=actor.region_prefix)
    return queryset[:400]


def _clues(actor) -> dict:
    """Alerts, complaints and inspection findings of the actor's region not yet a case (the
    sources of a clue)."""
    from jiliang.inspections.models import Finding
    from jiliang.portal.models import Complaint
    from jiliang.supervision.telemetry.models import Alert

    alerts = Alert.objects.select_related("instrument", "owner", "region").filter(cases__isnull=True)
    complaints = Complaint.objects.select_related("instrument", "region").filter(cases__isnull=True)
    findings = Finding.objects.select_related("organisation", "inspection__campaign").filter(cases__isnull=True)
    if actor.region_scoped:
        alerts = alerts.filter(region__code__startswith=actor.region_prefix)
        complaints = complaints.filter(region__code__startswith=actor.region_prefix)
        findings = findings.filter(organisation__region__code__startswith=actor.region_prefix)
    return {
        "alerts": list(alerts.filter(status__in=["taken", "case"]).order_by("-created_at")[:20]),
        "complaints": list(complaints.order_by("-filed_at")[:20]),
        "findings": list(findings.order_by("-occurred_on", "-id")[:20]),
    }


@login_first
@require_POST
def case_open(request):
    actor = _reader(request)
    if not CASES.works(actor):
        raise PermissionDenied(_("只有计量行政部门可以登记案件线索"))
    post = request.POST
    try:
        violation, summary = post.get("violation", ""), post.get("summary", "")
        if post.get("alert"):
            from jiliang.supervision.telemetry.models import Alert

            alert = Alert.objects.select_related("region", "owner", "instrument").filter(pk=post["alert"]).first()
            if alert is None:
                raise Refused([("alert", _("没有该预警"))])
            case = services.open_from_alert(request.user, alert, violation=violation, summary=summary)
        elif post.get("finding"):
            from jiliang.inspections.models import Finding

            finding = Finding.objects.select_related("organisation__region").filter(pk=post["finding"]).first()
            if finding is None:
                raise Refused([("finding", _("没有该检查发现"))])
            case = services.open_from_finding(request.user, finding, violation=violation, summary=summary)
        elif post.get("complaint"):
            from jiliang.portal.models import Complaint

            complaint = (
                Complaint.objects.select_related("region", "instrument__owner").filter(reference=post["complaint"]).first()
            )
            if complaint is None:
                raise Refused([("complaint", _("没有该投诉"))])
            case = services.open_from_complaint(request.user, complaint, violation=violation, summary=summary)
        else:
            region = reg.Region.objects.filter(pk=post.get("region") or 0).first()
            if region is None:
                raise Refused([("region", _("请选择管辖地区"))])
            party = None
            if post.get("party"):
                party = reg.Organisation.objects.filter(credit_code=post["party"].strip().upper()).first()
                if party is None:
                    raise Refused([("party", _("没有统一社会信用代码为 %(code)s 的单位") % {"code": post["party"]})])
            case = services.open_case(
                request.user,
                region=region,
                party=party,
                violation=violation,
                summary=summary,
                discovered_on=date_or_refused(post.get("discovered_on"), "discovered_on"),
            )
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("cases:list")
    messages.success(request, _("已登记案件线索 %(number)s") % {"number": case.number})
    return redirect("cases:detail", pk=case.pk)


@login_first
@require_GET
def case_detail(request, pk: int):
    actor = _reader(request)
    case = _case(actor, pk)
    today = timezone.localdate()
    context = {
        "case": case,
        "deadlines": deadline_rows(services.deadlines_of(case), today),
        "evidence": list(EVIDENCE.visible(actor, case.evidence.all())),
        "steps": list(STEPS.visible(actor, case.steps.select_related("taken_by"))),
        "actions": services.allowed_actions(request.user, case),
        "labels": services.ACTION_LABELS,
        "may_add_evidence": CASES.may(actor, "add_evidence", case),
        "today": today,
        "statement_ends": (
            core.statement_window_end(case.notified_on, services.calendar(), services.terms()) if case.notified_on else None
        ),
    }
    return render(request, "cases/detail.html", context)


@login_first
@require_POST
def case_act(request, pk: int):
    actor = _reader(request)
    case = _case(actor, pk)
    action = request.POST.get("action", "")
    if action not in core.TRANSITIONS or not CASES.may_transition(actor, action, case):
        raise PermissionDenied(_("只有案件所在地区的计量行政部门可以办理"))
    post = request.POST
    try:
        party = None
        if action == "propose" and post.get("party"):
            party = reg.Organisation.objects.filter(credit_code=post["party"].strip().upper()).first()
            if party is None:
                raise Refused([("party", _("没有统一社会信用代码为 %(code)s 的单位") % {"code": post["party"]})])
        services.act(
            request.user,
            case,
            action,
            on=date_or_refused(post.get("on"), "on"),
            note=post.get("note", ""),
            proposed_penalty=post.get("proposed_penalty", ""),
            hearing_offered=post.get("hearing_offered") == "1",
            decision_number=post.get("decision_number", ""),
            penalty=post.get("penalty", ""),
            fine=post.get("fine", ""),
            confiscated=post.get("confiscated", ""),
            warning_only=post.get("warning_only") == "1",
            rectify_by=post.get("rectify_by", ""),
            transferred_to=post.get("transferred_to", ""),
            party=party,
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已办理：%(action)s") % {"action": services.ACTION_LABELS[action]})
    return redirect("cases:detail", pk=case.pk)


@login_first
@require_POST
def case_evidence(request, pk: int):
    actor = _reader(request)
    case = _case(actor, pk)
    if not CASES.may_transition(actor, "add_evidence", case):
        raise PermissionDenied(_("只有案件所在地区的计量行政部门可以取证"))
    upload = request.FILES.get("file")
    try:
        services.add_evidence(
            request.user,
            case,
            title=request.POST.get("title", ""),
            note=request.POST.get("note", ""),
            filename=upload.name if upload else "",
            content=upload.read() if upload else None,
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("证据已添加"))
    return redirect("cases:detail", pk=case.pk)


@login_first
@require_GET
def evidence_file(request, pk: int, evidence_id: int):
    actor = _reader(request)
    case = _case(actor, pk)
    evidence = get_object_or_404(EVIDENCE.visible(actor, Evidence.objects.filter(case=case)), pk=evidence_id)
    if evidence.kind != Evidence.Kind.FILE:
        raise Http404("not a file")
    response = HttpResponse(bytes(evidence.file.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}"'
    response["X-Content-SHA256"] = evidence.sha256
    return response


# -- the public ------------------------------------------------------------------------------


@require_GET
def penalties(request):
    """Published administrative penalty decisions (行政处罚法 第四十八条; 公示规定), masked."""
    queryset = services.published_penalties()
    query = (request.GET.get("q") or "").strip()
    if query:
        queryset = queryset.filter(party__name__icontains=query) | queryset.filter(decision_number__icontains=query)
    page = Paginator(queryset, PUBLIC_PAGE).get_page(request.GET.get("page"))
    rows = [services.public_view(case) for case in page.object_list]
    return render(request, "cases/penalties.html", {"rows": rows, "page": page, "q": query})


@require_GET
def penalty(request, number: str):
    case = get_object_or_404(services.published_penalties(), number=number)
    return render(request, "cases/penalty.html", {"row": services.public_view(case)})
