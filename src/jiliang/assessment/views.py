"""The assessment pages: each party's view of the files (applicant, authority, assessor),
one file with the acts open to the reader, the certificate's public page, the in-service
filings and the authority's annual register as XLSX. Every act goes through the services;
the forms shown are the policy's allowed actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiliang.pages import SignInFirst as _SignIn
from jiliang.pages import login_first
from jiliang.policies import NATIONAL, PUBLIC, REGION_ADMIN, actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, date_or_refused

from . import certificate as signing
from . import rules, services
from .exports import annual_register
from .models import Application, Assessor, ChangeFiling, Document, Finding, ItemResult, Reminder, StandardCertificate
from .policies import APPLICATION_POLICY, CERTIFICATE_POLICY, FILING_POLICY, FINDING_POLICY, PartPolicy, assessor_of

LIST_ROWS = 200
S = Application.Status
# What the applicant is asked to do at each step (the applicant's view of its file).
ASKED_OF_APPLICANT = {
    S.DRAFT: gettext_lazy("补齐申请资料后提交"),
    S.RETURNED: gettext_lazy("按退回原因补正后重新提交"),
    S.SUBMITTED: gettext_lazy("等待主持考核部门受理"),
    S.ACCEPTED: gettext_lazy("等待指派考评员"),
    S.EVALUATING: gettext_lazy("配合书面审查和现场考评"),
    S.RECTIFICATION: gettext_lazy("在整改期限内提交整改情况"),
    S.EVALUATED: gettext_lazy("等待审批"),
    S.APPROVED: gettext_lazy("考核合格，证书已颁发"),
    S.REFUSED: gettext_lazy("考核不合格"),
}


def _signed_in(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _SignIn()
    return actor


def _not_yours(actor):
    """A record outside the reader's files: refused to a member of the public (no file is
    theirs), not found for the other roles (whether it exists is not said)."""
    if actor.kind == PUBLIC:
        return PermissionDenied("assessment files are their parties'")
    return Http404("no such record")


def _say_refusal(request, exc: Refused) -> None:
    messages.error(request, str(exc))


@login_first
@require_GET
def home(request):
    """Each party's desk: the applicant's files and what is asked, the authority's queue by
    deadline, the assessor's assignments, and the reminders addressed to the reader."""
    actor = _signed_in(request)
    visible = APPLICATION_POLICY.visible(actor, Application.objects.select_related("holder", "authority"))
    mine, queue, assignments, reminders = [], [], [], []
    if actor.organisation_scoped:
        mine = list(visible.filter(holder_id=actor.organisation_id).order_by("-id")[:LIST_ROWS])
        reminders = list(Reminder.objects.filter(recipient_id=actor.organisation_id).order_by("due_on")[:50])
    if actor.kind in (NATIONAL, REGION_ADMIN):
        rows = visible.filter(status__in=Application.OPEN)
        if actor.kind == REGION_ADMIN:
            rows = rows.filter(authority__region_id__in=actor.region_ids())
        queue = list(rows.order_by("due_on", "id")[:LIST_ROWS])
        authorities = reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION)
        if actor.kind == REGION_ADMIN:
            authorities = authorities.filter(region_id__in=actor.region_ids())
        reminders = list(Reminder.objects.filter(recipient__in=authorities).order_by("due_on")[:50])
    if actor.user_id is not None:
        assignments = list(
            visible.filter(assignments__assessor__user_id=actor.user_id).exclude(status__in=(S.APPROVED, S.REFUSED)).distinct()
        )
    open_findings = {}
    for f in Finding.objects.filter(application__in=mine, status=Finding.Status.OPEN):
        open_findings.setdefault(f.application_id, []).append(f)
    for app in mine:
        app.asked = ASKED_OF_APPLICANT[app.status]
        app.open_findings = open_findings.get(app.pk, [])
    today = timezone.localdate()
    return render(
        request,
        "assessment/home.html",
        {
            "mine": mine,
            "queue": queue,
            "assignments": assignments,
            "reminders": reminders,
            "today": today,
            "may_file": actor.organisation_scoped and not actor.read_only,
            "may_export": APPLICATION_POLICY.may_export(actor),
            "year": today.year,
        },
    )


def _codes(raw: str) -> list[str]:
    return [c.strip() for c in (raw or "").replace("，", ",").replace("\n", ",").split(",") if c.strip()]


@login_first
@require_http_methods(["GET", "POST"])
def new_application(request):
    actor = _signed_in(request)
    if not (actor.organisation_scoped and not actor.read_only):
        raise PermissionDenied("only a holder's staff files an assessment application")
    holder = get_object_or_404(reg.Organisation, pk=actor.organisation_id)
    standards = list(reg.MeasurementStandard.objects.filter(holder=holder).exclude(status="cancelled").order_by("name"))
    devices = list(reg.Instrument.objects.filter(owner=holder, catalog_item__isnull=True).order_by("code")[:LIST_ROWS])
    people = list(reg.Person.objects.filter(organisation=holder).order_by("name")[:LIST_ROWS])
    context = {
        "holder": holder,
        "standards": standards,
        "devices": devices,
        "people": people,
        "fields": reg.MetrologyField.objects.order_by("code"),
        "tiers": reg.MeasurementStandard.Tier.choices,
        "levels": reg.MeasurementStandard.Level.choices,
        "ranks": reg.MeasurementStandard.Rank.choices,
        "report_fields": rules.REPORT_FIELDS,
        "form": request.POST,
    }
    if request.method == "GET":
        return render(request, "assessment/new.html", context)
    post = request.POST
    try:
        specs = _codes(post.get("specifications"))
        found_specs = list(reg.Specification.objects.filter(code__in=specs))
        unknown = sorted(set(specs) - {s.code for s in found_specs})
        items = _codes(post.get("catalog_items"))
        found_items = list(reg.CatalogItem.objects.filter(code__in=items))
        unknown_items = sorted(set(items) - {i.code for i in found_items})
        problems = []
        if unknown:
            problems.append(("specifications", _("规程规范不在登记簿中：%(codes)s") % {"codes": "、".join(unknown)}))
        if unknown_items:
            problems.append(("catalog_items", _("检定项目不在目录中：%(codes)s") % {"codes": "、".join(unknown_items)}))
        if problems:
            raise Refused(problems)
        kind = post.get("kind", "new")
        standard = next((s for s in standards if str(s.pk) == post.get("standard")), None)
        field = reg.MetrologyField.objects.filter(pk=post.get("field") or 0).first()
        app = services.open_application(
            actor,
            kind=kind,
            holder=holder,
            standard=standard,
            name=post.get("name", ""),
            tier=post.get("tier", ""),
            level=post.get("level", ""),
            rank=post.get("rank") or reg.MeasurementStandard.Rank.HIGHEST,
            field=field,
            equipment=[d for d in devices if str(d.pk) in post.getlist("equipment")],
            specifications=found_specs,
            catalog_items=found_items,
            people=[p for p in people if str(p.pk) in post.getlist("people")],
            responsible=next((p for p in people if str(p.pk) == post.get("responsible")), None),
            report={k: post.get(f"report_{k}", "").strip() for k in rules.REPORT_FIELDS},
            late=bool(post.get("late")),
            commitment=bool(post.get("commitment")),
        )
    except Refused as exc:
        context["error"] = str(exc)
        return render(request, "assessment/new.html", context, status=400)
    messages.success(request, _("申请已保存：%(number)s") % {"number": app.number})
    return redirect("assessment:detail", pk=app.pk)


def _visible_application(request, pk) -> tuple:
    actor = _signed_in(request)
    app = (
        APPLICATION_POLICY.visible(actor, Application.objects.select_related("holder", "authority__region", "standard", "field"))
        .filter(pk=pk)
        .first()
    )
    if app is None:
        raise _not_yours(actor)
    return actor, app


@login_first
@require_GET
def detail(request, pk):
    actor, app = _visible_application(request, pk)
    today = timezone.localdate()
    results = {(r.phase, r.clause): r for r in app.results.select_related("assessor__person")}
    phases = [
        {
            "code": phase,
            "label": label,
            "items": [{"item": item, "result": results.get((phase, item.clause))} for item in rules.items_for(phase)],
        }
        for phase, label in ItemResult.Phase.choices
    ]
    me = assessor_of(actor, app)
    eligible = []
    if "assign" in APPLICATION_POLICY.allowed_actions(actor, app):
        assessors = Assessor.objects.select_related("person__organisation").filter(valid_from__lte=today, valid_until__gte=today)
        eligible = [a for a in assessors.filter(specialities=app.field) if not rules.assessor_refusals(a, app, today)]
    documents = list(app.documents.defer("content"))
    present = {d.kind for d in documents}
    return render(
        request,
        "assessment/detail.html",
        {
            "app": app,
            "asked": ASKED_OF_APPLICANT[app.status],
            "documents": documents,
            "document_kinds": rules.DOCUMENT_KINDS,
            "required": [(k, rules.DOCUMENT_KINDS[k], k in present) for k in rules.REQUIRED_DOCUMENTS[app.kind]],
            "report": [(rules.REPORT_FIELDS[k], app.report.get(k, "")) for k in rules.REPORT_FIELDS],
            "problems": services.check_application(app, today) if app.status in (S.DRAFT, S.RETURNED) else [],
            "equipment": app.equipment.all(),
            "specifications": app.specifications.all(),
            "catalog_items": app.catalog_items.all(),
            "people": app.people.all(),
            "assignments": app.assignments.select_related("assessor__person__organisation"),
            "phases": phases,
            "findings": app.findings.select_related("raised_by__person"),
            "certificate": StandardCertificate.objects.filter(application=app).first(),
            "eligible": eligible,
            "me": me,
            "writable": APPLICATION_POLICY.writable(actor, app),
            "clauses": rules.EVALUATION_ITEMS,
            "today": today,
        },
    )


@login_first
@require_POST
def act(request, pk, action):
    actor, app = _visible_application(request, pk)
    post = request.POST
    allowed = APPLICATION_POLICY.allowed_actions(actor, app)
    if action == "attach":
        if not APPLICATION_POLICY.writable(actor, app):
            raise PermissionDenied("only the applicant attaches documents")
    elif action == "approve" and action not in allowed and APPLICATION_POLICY.in_state_for(action, app):
        pass  # the service names the rule (open findings)
    elif action not in allowed:
        raise PermissionDenied(f"{action} is not open to you on this file")
    try:
        if action == "attach":
            upload = request.FILES.get("file")
            if upload is None:
                raise Refused([("file", _("请选择文件"))])
            services.attach(actor, app, post.get("kind", ""), upload.name, upload.read(), upload.content_type or "")
        elif action == "submit":
            services.submit(actor, app)
        elif action == "return":
            services.return_application(actor, app, post.get("reasons", ""))
        elif action == "accept":
            services.accept(actor, app)
        elif action == "assign":
            chosen = list(Assessor.objects.filter(pk__in=post.getlist("assessors")))
            services.assign(actor, app, chosen)
        elif action == "record":
            phase = post.get("phase", "")
            for item in rules.items_for(phase):
                verdict = post.get(f"c_{item.clause}")
                if verdict in ("yes", "no"):
                    services.record_result(
                        actor,
                        app,
                        phase=phase,
                        clause=item.clause,
                        conforming=verdict == "yes",
                        note=post.get(f"n_{item.clause}", ""),
                        evidence=post.get(f"e_{item.clause}", ""),
                    )
        elif action == "raise_finding":
            services.raise_finding(
                actor,
                app,
                clause=post.get("clause", ""),
                description=post.get("description", ""),
                deadline=date_or_refused(post.get("deadline")),
            )
        elif action == "conclude":
            services.conclude(actor, app)
        elif action == "approve":
            services.approve(actor, app, post.get("reason", ""))
        elif action == "refuse":
            services.refuse(actor, app, post.get("reason", ""))
        elif action == "post_check":
            services.post_check(actor, app, post.get("result") == "kept", post.get("note", ""))
        else:
            raise Http404("no such act")
    except Refused as exc:
        _say_refusal(request, exc)
    else:
        messages.success(request, _("已办理：%(number)s") % {"number": app.number})
    return redirect("assessment:detail", pk=app.pk)


@login_first
@require_POST
def finding_act(request, pk, action):
    actor = _signed_in(request)
    finding = get_object_or_404(FINDING_POLICY.visible(actor, Finding.objects.select_related("application")), pk=pk)
    if action not in FINDING_POLICY.allowed_actions(actor, finding):
        raise PermissionDenied(f"{action} is not open to you on this finding")
    try:
        if action == "respond":
            services.respond(actor, finding, request.POST.get("response", ""))
        else:
            services.close_finding(actor, finding, accepted=action == "close")
    except Refused as exc:
        _say_refusal(request, exc)
    else:
        messages.success(request, _("已办理：%(number)s") % {"number": finding.application.number})
    return redirect("assessment:detail", pk=finding.application_id)


@login_first
@require_GET
def document(request, pk):
    actor = _signed_in(request)
    doc = PartPolicy().visible(actor, Document.objects.all()).filter(pk=pk).first()
    if doc is None:
        raise _not_yours(actor)
    response = HttpResponse(bytes(doc.content), content_type=doc.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    return response


def _certificate(request, number) -> StandardCertificate:
    actor = actor_for(request.user)
    rows = CERTIFICATE_POLICY.visible(actor, StandardCertificate.objects.select_related("standard__holder", "authority"))
    cert = rows.filter(number=number).first()
    if cert is None:
        raise Http404("no such certificate")
    return cert


@require_GET
def certificate_page(request, number):
    cert = _certificate(request, number)
    return render(request, "assessment/certificate.html", {"cert": cert, "verdict": signing.check(cert)})


@require_GET
def certificate_xml(request, number):
    cert = _certificate(request, number)
    response = HttpResponse(bytes(cert.xml), content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="standard-certificate.xml"'
    return response


@login_first
@require_GET
def register_xlsx(request):
    """The authority's annual register (计量标准考核台账): every file decided or open in the year."""
    actor = _signed_in(request)
    if not APPLICATION_POLICY.may_export(actor):
        raise PermissionDenied("the register is the administrations'")
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    rows = APPLICATION_POLICY.visible(actor, Application.objects.select_related("holder", "authority", "standard"))
    if actor.kind == REGION_ADMIN:
        rows = rows.filter(authority__region_id__in=actor.region_ids())
    content = annual_register(rows, year)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="standard-assessment-register-{year}.xlsx"'
    return response


# -- in service -----------------------------------------------------------------------------


@login_first
@require_http_methods(["GET", "POST"])
def filings(request):
    actor = _signed_in(request)
    rows = FILING_POLICY.visible(actor, ChangeFiling.objects.select_related("standard__holder"))
    standards = []
    if actor.organisation_scoped and not actor.read_only:
        standards = list(reg.MeasurementStandard.objects.filter(holder_id=actor.organisation_id).exclude(status="cancelled"))
    error = None
    if request.method == "POST":
        standard = next((s for s in standards if str(s.pk) == request.POST.get("standard")), None)
        if standard is None:
            raise PermissionDenied("only the holder files its standard's changes")
        try:
            filing = services.file_change(
                actor,
                standard,
                kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""),
                effective_on=date_or_refused(request.POST.get("effective_on")),
            )
        except Refused as exc:
            error = str(exc)
        else:
            messages.success(request, _("已申报：%(number)s") % {"number": filing.number})
            return redirect("assessment:filing", pk=filing.pk)
    return render(
        request,
        "assessment/filings.html",
        {
            "rows": rows.order_by("-filed_on", "-id")[:LIST_ROWS],
            "standards": standards,
            "kinds": ChangeFiling.Kind.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_first
@require_GET
def filing(request, pk):
    actor = _signed_in(request)
    row = FILING_POLICY.visible(actor, ChangeFiling.objects.select_related("standard__holder")).filter(pk=pk).first()
    if row is None:
        raise _not_yours(actor)
    return render(request, "assessment/filing.html", {"filing": row})


@login_first
@require_POST
def filing_act(request, pk, action):
    actor = _signed_in(request)
    row = get_object_or_404(FILING_POLICY.visible(actor, ChangeFiling.objects.all()), pk=pk)
    if action not in FILING_POLICY.allowed_actions(actor, row):
        raise PermissionDenied(f"{action} is not open to you on this filing")
    try:
        services.review_change(actor, row, action, request.POST.get("note", ""))
    except Refused as exc:
        _say_refusal(request, exc)
    else:
        messages.success(request, _("已办理：%(number)s") % {"number": row.number})
    return redirect("assessment:filing", pk=row.pk)


def check_number(number: str, request):
    """The public check page's answer for a 计量标准考核证书 number (certificates.views)."""
    actor = actor_for(getattr(request, "user", None))
    cert = CERTIFICATE_POLICY.visible(actor, StandardCertificate.objects.select_related("standard__holder", "authority"))
    cert = cert.filter(number=number).first()
    if cert is None:
        return None
    return "assessment/certificate.html", {"cert": cert, "verdict": signing.check(cert)}
