"""Pages of mandatory verification (强制检定), one set per role:

- the enterprise (``enterprise/``): its instruments under mandatory management, what is
  due, registering one instrument or a whole CSV/XLSX file (row errors shown, nothing
  written);
- the institution (``institution/``): the work assigned to it and the form that records a
  verification signed by three people, giving a certificate or a notice of
  non-conformity, or every reason it was refused;
- the administrator (``administrator/``): the review queue (approve, or return with a
  reason; htmx swaps the row), the overdue list with escalation, and the coverage ledger
  with its chart against the target, the monthly history and the XLSX workbook.

Who may open what follows ``jiliang.accounts.roles``: a page of another role is 403, a
visitor who is not signed in is sent to sign in. Every write is one use case of
``services``; a refusal names the field and the reason and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang import charts
from jiliang.policies import AUDITOR, ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF, Actor, actor_for
from jiliang.registry import models as reg

from . import coverage, scheduling, services
from .errors import ImportRowError, RefusedRecording, VerificationError
from .imports import COLUMNS
from .models import Notice, Registration, VerificationRecord
from .policies import RecordPolicy, RegistrationPolicy

RECORDS, REGISTRATIONS = RecordPolicy(), RegistrationPolicy()

SUPERVISORS = (NATIONAL, REGION_ADMIN, AUDITOR)
LIST_ROWS = 200
DUE_DAYS = 60


def role_required(*kinds):
    """Sign in first; then only the given roles (403 for the others)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            actor = actor_for(request.user)
            if not actor.authenticated:
                return redirect_to_login(request.get_full_path())
            if actor.kind not in kinds:
                raise PermissionDenied("this page is for another role")
            return view(request, actor, *args, **kwargs)

        return wrapped

    return decorate


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _organisation(actor: Actor) -> reg.Organisation:
    return reg.Organisation.objects.select_related("region").get(pk=actor.organisation_id)


def _with_due(registrations):
    """Registrations annotated with the instrument's due date (latest verification, else installation)."""
    return registrations.annotate(due_on=scheduling.due_on("instrument__"))


def _days(raw: str | None, default: int) -> int:
    try:
        days = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return min(max(days, 0), 366)


@require_GET
def home(request):
    """The page of the visitor's role."""
    actor = actor_for(request.user)
    if not actor.authenticated:
        return redirect_to_login(request.get_full_path())
    if actor.kind == ENTERPRISE:
        return redirect("verification:enterprise")
    if actor.kind == STAFF:
        return redirect("verification:institution")
    if actor.kind in SUPERVISORS:
        return redirect("verification:administrator")
    raise PermissionDenied("mandatory verification is for enterprises, institutions and administrators")


# -- enterprise ------------------------------------------------------------------------


def _enterprise_context(request, actor: Actor, **extra) -> dict:
    owner = _organisation(actor)
    days = _days(request.GET.get("days"), DUE_DAYS)
    mine = Registration.objects.filter(owner=owner)
    counts = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
    registrations = list(
        _with_due(mine.select_related("instrument__catalog_item", "region", "assigned_institution")).order_by(
            "-submitted_on", "-id"
        )[:LIST_ROWS]
    )
    unregistered = (
        coverage.mandatory_in_use(reg.Instrument.objects.filter(owner=owner))
        .exclude(registration__status__in=[Registration.Status.SUBMITTED, Registration.Status.APPROVED])
        .select_related("catalog_item")
        .order_by("code")
    )
    return {
        "owner": owner,
        "days": days,
        "counts": counts,
        "total": sum(counts.values()),
        "registrations": registrations,
        "unregistered": list(unregistered[:LIST_ROWS]),
        "due": scheduling.due_list(days=days, owner_id=owner.pk, limit=50),
        "columns": COLUMNS,
        "catalog": reg.CatalogItem.objects.order_by("code").values_list("code", "name"),
        "purposes": [p for p in reg.Instrument.Purpose.choices if p[0] != reg.Instrument.Purpose.NONE],
        "regions": reg.Region.objects.filter(code__startswith=owner.region.code[:2]).order_by("code").values_list("code", "name"),
        "new": {"region": owner.region.code},
        **extra,
    }


@require_GET
@role_required(ENTERPRISE)
def enterprise(request, actor):
    return render(request, "verification/enterprise.html", _enterprise_context(request, actor))


@require_POST
@role_required(ENTERPRISE)
def register(request, actor):
    owner = _organisation(actor)
    code = request.POST.get("code", "").strip()
    try:
        if not code:
            raise VerificationError("code", _("请填写本单位一台器具的器具编号"))
        instrument = reg.Instrument.objects.filter(code=code, owner=owner).first()
        if instrument is None:
            raise VerificationError("code", _("本单位没有器具编号为 %(code)s 的器具") % {"code": code})
        services.register_instrument(owner, instrument, user=request.user)
    except VerificationError as exc:
        context = _enterprise_context(request, actor, register_error=exc, code=code)
        return render(request, "verification/enterprise.html", context, status=400)
    messages.success(request, _("已提交备案：%(code)s") % {"code": code})
    return redirect("verification:enterprise")


NEW_FIELDS = (
    "code",
    "name",
    "catalog_item",
    "legal_purpose",
    "region",
    "manufacturer",
    "model",
    "serial_number",
    "type_approval_number",
    "accuracy",
    "range_min",
    "range_max",
    "unit",
    "installed_on",
)


@require_POST
@role_required(ENTERPRISE)
def register_new(request, actor):
    """Enter a new instrument and file it, with the checks of a bulk-file row."""
    owner = _organisation(actor)
    values = {f: request.POST.get(f, "").strip() for f in NEW_FIELDS}
    try:
        services.register_new_instrument(owner, values, user=request.user)
    except ImportRowError as exc:
        context = _enterprise_context(
            request, actor, new_errors=[(field, reason) for _row, field, reason in exc.errors], new=values
        )
        return render(request, "verification/enterprise.html", context, status=400)
    messages.success(request, _("已提交备案：%(code)s") % {"code": values["code"]})
    return redirect("verification:enterprise")


@require_POST
@role_required(ENTERPRISE)
def import_file(request, actor):
    owner = _organisation(actor)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise VerificationError("file", _("请选择 .csv 或 .xlsx 文件"))
        created = services.import_registrations(owner, upload.read(), upload.name, user=request.user)
    except ImportRowError as exc:
        context = _enterprise_context(request, actor, row_errors=exc.errors, import_name=upload.name)
        return render(request, "verification/enterprise.html", context, status=400)
    except VerificationError as exc:
        context = _enterprise_context(request, actor, import_error=exc)
        return render(request, "verification/enterprise.html", context, status=400)
    messages.success(request, _("已导入并提交备案 %(n)d 台计量器具（%(file)s）") % {"n": len(created), "file": upload.name})
    return redirect("verification:enterprise")


@require_GET
@role_required(ENTERPRISE)
def import_template(request, actor):
    """An empty registration file with the accepted columns (Chinese headers)."""
    response = HttpResponse(("\ufeff" + ",".join(COLUMNS.values()) + "\r\n").encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registration-template.csv"'
    return response


# -- institution -----------------------------------------------------------------------


def _institution_context(request, actor: Actor, **extra) -> dict:
    institution = _organisation(actor)
    work = _with_due(
        Registration.objects.filter(
            assigned_institution=institution, status=Registration.Status.APPROVED, instrument__status=reg.Instrument.Status.IN_USE
        )
    ).select_related("instrument__catalog_item", "owner", "region", "assigned_standard")
    records = (
        VerificationRecord.objects.filter(institution=institution)
        .select_related("event__instrument", "standard", "verifier", "checker", "approver")
        .order_by("-recorded_at", "-id")
    )
    return {
        "institution": institution,
        "work": list(work.order_by("due_on", "id")[:LIST_ROWS]),
        "work_count": work.count(),
        "records": list(records[:30]),
        "can_record": actor.is_verifier,
        "standards": reg.MeasurementStandard.objects.filter(holder=institution).order_by("name", "id"),
        "people": reg.Person.objects.filter(organisation=institution).order_by("name", "id"),
        "today": timezone.localdate(),
        "form": {},
        "submission": secrets.token_urlsafe(16),
        **extra,
    }


# A form sent twice (a double click, a reload after a slow answer) carries the same
# one-time token: the first records the result, the second is shown that record. The
# token lives in the shared cache (a table of the database) long enough for any retry.
SUBMISSION_SECONDS = 24 * 3600
PENDING = "pending"


def _submission_key(token: str) -> str:
    return f"verification:submission:{token}"


@require_GET
@role_required(STAFF)
def institution(request, actor):
    return render(request, "verification/institution.html", _institution_context(request, actor))


def _pick(model, raw: str, field: str, problems: list, **scope):
    if not (raw or "").isdigit():
        problems.append((field, "choose one"))
        return None
    row = model.objects.filter(pk=int(raw), **scope).first()
    if row is None:
        problems.append((field, "is not one of your institution's"))
    return row


@require_POST
@role_required(STAFF)
def record(request, actor):
    if not actor.is_verifier:
        raise PermissionDenied("only a verifier (检定员) of the institution records results")
    institution = _organisation(actor)
    post = request.POST
    token = post.get("submission", "").strip()[:64]
    if token and not cache.add(_submission_key(token), PENDING, SUBMISSION_SECONDS):
        done = cache.get(_submission_key(token))
        if isinstance(done, int):
            messages.info(request, _("该表单已提交过，检定结果只记录一次。"))
            return redirect("verification:record", pk=done)
        context = _institution_context(request, actor, refusals=[("submission", _("该表单正在提交，请稍候再刷新。"))], form=post)
        return render(request, "verification/institution.html", context, status=409)
    try:
        response = _record(request, actor, institution, post)
    except BaseException:
        if token:
            cache.delete(_submission_key(token))
        raise
    if token:
        if response.status_code == 302:
            cache.set(_submission_key(token), response.record_pk, SUBMISSION_SECONDS)
        else:  # refused: the corrected form may be sent again with the same token
            cache.delete(_submission_key(token))
    return response


def _record(request, actor, institution, post):
    problems: list[tuple[str, str]] = []
    code = post.get("instrument", "").strip()
    instrument = reg.Instrument.objects.filter(code=code).first() if code else None
    if instrument is None:
        problems.append(("instrument", f"no instrument with code {code}" if code else "enter the instrument's code (器具编号)"))
    standard = _pick(reg.MeasurementStandard, post.get("standard", ""), "standard", problems, holder=institution)
    people = [_pick(reg.Person, post.get(role, ""), role, problems, organisation=institution) for role in services.ROLES]
    try:
        performed_on = dt.date.fromisoformat(post.get("performed_on", "").strip())
    except ValueError:
        performed_on = None
        problems.append(("performed_on", "a date (YYYY-MM-DD)"))
    if post.get("passed") not in ("1", "0"):
        problems.append(("passed", "choose 合格 or 不合格"))
    fee = None
    if post.get("fee", "").strip():
        try:
            fee = Decimal(post["fee"].strip())
        except InvalidOperation:
            problems.append(("fee", f"{post['fee']!r} is not an amount"))
    try:
        if problems:
            raise RefusedRecording(problems)
        result = services.record_verification(
            instrument, institution, standard, performed_on, post["passed"] == "1", *people, fee=fee, user=request.user
        )
    except RefusedRecording as exc:
        context = _institution_context(request, actor, refusals=exc.reasons, form=post)
        return render(request, "verification/institution.html", context, status=400)
    except VerificationError as exc:
        context = _institution_context(request, actor, refusals=[(exc.field, exc.reason)], form=post)
        return render(request, "verification/institution.html", context, status=400)
    response = redirect("verification:record", pk=result.pk)
    response.record_pk = result.pk
    return response


@require_GET
@role_required(ENTERPRISE, STAFF, *SUPERVISORS)
def record_detail(request, actor, pk):
    """The certificate (检定证书) or notice of non-conformity (检定结果通知书)."""
    result = get_object_or_404(
        VerificationRecord.objects.select_related(
            "event__instrument__owner",
            "event__instrument__catalog_item__regulation",
            "event__instrument__region",
            "institution",
            "standard",
            "verifier",
            "checker",
            "approver",
        ),
        pk=pk,
    )
    if not RECORDS.visible(actor, VerificationRecord.objects.filter(pk=result.pk)).exists():
        raise Http404("no such record")
    from jiliang.certificates.models import Certificate
    from jiliang.certificates.policies import POLICY as CERTIFICATES

    certificate = Certificate.objects.filter(event=result.event).first()
    if certificate is not None and not CERTIFICATES.may_view(actor, certificate):
        certificate = None
    context = {
        "record": result,
        "event": result.event,
        "instrument": result.event.instrument,
        "certificate": certificate,
        # The signed DCC (数字证书) is issued by the institution that recorded the result.
        "may_issue": certificate is None and CERTIFICATES.acts_for(actor, result.institution_id),
    }
    return render(request, "verification/record.html", context)


@require_POST
@role_required(STAFF, NATIONAL)
def issue_dcc(request, actor, pk):
    """签发数字证书: the DCC of a recorded result, signed by its three signatories with the
    institution's key — the service the certificate API calls (certificates.services)."""
    from jiliang import messages as catalogue
    from jiliang.certificates import keys
    from jiliang.certificates import services as certificates
    from jiliang.certificates.policies import POLICY as CERTIFICATES
    from jiliang.core.dcc.errors import DccError

    result = get_object_or_404(
        VerificationRecord.objects.select_related("event__performer", "verifier", "checker", "approver"), pk=pk
    )
    if not CERTIFICATES.acts_for(actor, result.institution_id):
        raise PermissionDenied(_("只有出具该检定结果的机构可以签发其数字证书"))
    signers = [(result.verifier, "verifier"), (result.checker, "checker"), (result.approver, "approver")]
    try:
        cert = certificates.issue_certificate(result.event, signers, actor=request.user)
    except (certificates.CertificateError, DccError, keys.KeyInfrastructureError) as exc:
        reason = catalogue.render(exc) if isinstance(exc, DccError) else exc  # a core refusal in the page's language
        messages.error(request, _("未能签发数字证书：%(reason)s") % {"reason": reason})
        return redirect("verification:record", pk=result.pk)
    return redirect("certificates:certificate", number=cert.number)  # the certificate page is the confirmation


@require_GET
@role_required(ENTERPRISE, STAFF, *SUPERVISORS)
def registration_detail(request, actor, pk):
    """One registration and its history."""
    registration = get_object_or_404(
        Registration.objects.select_related(
            "instrument__catalog_item", "owner", "region", "assigned_institution", "assigned_standard"
        ),
        pk=pk,
    )
    if not REGISTRATIONS.visible(actor, Registration.objects.filter(pk=registration.pk)).exists():
        raise Http404("no such registration")
    return render(
        request,
        "verification/registration.html",
        {
            "registration": registration,
            "history": registration.history.select_related("actor"),
            "can_review": _may_review(actor, registration),
            "can_reassign": REGISTRATIONS.may_reassign(actor, registration),
            "institutions": (
                reg.Organisation.objects.filter(
                    kind__in=services.DESIGNATED_KINDS,
                    region__code__startswith=registration.region.code[:2],
                ).order_by("region__code", "name")
                if REGISTRATIONS.may_reassign(actor, registration)
                else ()
            ),
        },
    )


@require_POST
@role_required(NATIONAL, REGION_ADMIN)
def reassign(request, actor, pk):
    """Assign an approved registration to another institution (an audited act with its reason)."""
    registration = get_object_or_404(_scoped(Registration.objects.all(), actor), pk=pk)
    institution = reg.Organisation.objects.filter(pk=request.POST.get("institution") or 0).first()
    try:
        if institution is None:
            raise VerificationError("assigned_institution", _("请选择检定机构"))
        services.reassign_registration(registration, institution, request.POST.get("reason", ""), actor, user=request.user)
    except VerificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已改派：%(name)s") % {"name": institution.name})
    return redirect("verification:registration", pk=pk)


# -- administrator ---------------------------------------------------------------------


def _scope_region(request, actor: Actor) -> reg.Region | None:
    """The administrator's region (None: the whole country for a national administrator)."""
    if actor.kind == NATIONAL:
        return None
    return request.user.membership.region


def _scoped(queryset, actor: Actor, field: str = "region_id"):
    return queryset if actor.kind == NATIONAL else queryset.filter(**{f"{field}__in": actor.region_ids()})


def _may_review(actor: Actor, registration: Registration) -> bool:
    return REGISTRATIONS.may_review(actor, registration)


WHOLE_COUNTRY = "all"  # ?region=all: a national administrator's view of every province


def busiest_province() -> reg.Region | None:
    """The province with the most organisations in the registry: where a national
    administrator's pages open (the country's first code, 北京市, may hold no data at all)."""
    code = cache.get("verification:busiest-province")
    if code is None:
        top = (
            reg.Organisation.objects.annotate(province=Substr("region__code", 1, 2))
            .values("province")
            .annotate(n=Count("id"))
            .order_by("-n", "province")
            .first()
        )
        code = f"{top['province']}0000" if top else ""
        cache.set("verification:busiest-province", code, 3600)
    return reg.Region.objects.filter(code=code).first() if code else None


def _chosen_region(request, actor: Actor) -> tuple[reg.Region | None, list, str]:
    """The region asked for with ?region=CODE, inside the administrator's; (region, the
    regions to choose from, an error). A national administrator starts in the busiest
    province and may choose the whole country (``?region=all``); a region's
    administrator starts in its own region."""
    scope = _scope_region(request, actor)
    choices = reg.Region.objects.order_by("code")
    if scope is not None:
        choices = choices.filter(code__startswith=scope.descendant_codes_prefix())
    choices = list(choices.values_list("code", "name", "level"))
    wanted = (request.GET.get("region") or "").strip()
    if scope is None:
        choices.insert(0, (WHOLE_COUNTRY, _("全国"), "country"))
        if wanted == WHOLE_COUNTRY:
            return None, choices, ""
        if not wanted:
            return busiest_province(), choices, ""
    if not wanted or (scope is not None and wanted == scope.code):
        return scope, choices, ""
    if not any(code == wanted for code, _n, _l in choices):
        return scope, choices, _("地区 %(code)s 不在您的管辖范围内") % {"code": wanted}
    return reg.Region.objects.get(code=wanted), choices, ""


@require_GET
@role_required(*SUPERVISORS)
def administrator(request, actor):
    """The review queue (待审核) of the administrator's region."""
    queue = _scoped(Registration.objects.filter(status=Registration.Status.SUBMITTED), actor)
    reviewed = _scoped(Registration.objects.exclude(status=Registration.Status.SUBMITTED).exclude(reviewed_on=None), actor)
    gaps = _scoped(Registration.objects.filter(status=Registration.Status.APPROVED, coverage_gap=True), actor)
    related = ("instrument__catalog_item", "owner", "region", "assigned_institution")
    return render(
        request,
        "verification/administrator.html",
        {
            "tab": "review",
            "scope": _scope_region(request, actor),
            "can_review": actor.kind in (NATIONAL, REGION_ADMIN),
            "queue": list(queue.select_related(*related).order_by("submitted_on", "id")[:LIST_ROWS]),
            "queue_count": queue.count(),
            "reviewed": list(reviewed.select_related(*related).order_by("-reviewed_on", "-id")[:30]),
            "gap_count": gaps.count(),
        },
    )


@require_POST
@role_required(NATIONAL, REGION_ADMIN)
def review(request, actor, pk):
    registration = get_object_or_404(_scoped(Registration.objects.all(), actor).select_related("instrument"), pk=pk)
    decision = request.POST.get("decision")
    error = None
    try:
        if decision not in ("approve", "return"):
            raise VerificationError("decision", _("请选择批准或退回"))
        registration = services.review_registration(
            registration, decision == "approve", request.POST.get("reason", ""), user=request.user
        )
    except VerificationError as exc:
        error = exc
    if _is_htmx(request):
        registration = Registration.objects.select_related(
            "instrument__catalog_item", "owner", "region", "assigned_institution"
        ).get(pk=pk)
        return render(request, "verification/_review_row.html", {"r": registration, "error": error, "can_review": True})
    if error is not None:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已审核：%(code)s") % {"code": registration.instrument.code})
    return redirect("verification:administrator")


@require_GET
@role_required(*SUPERVISORS)
def overdue(request, actor):
    """超期未检 and what comes due within the horizon, with the escalation notices sent."""
    region, choices, error = _chosen_region(request, actor)
    days = _days(request.GET.get("days"), 30)
    summary = scheduling.due_list(days=days, region_code=region.code if region else None, limit=LIST_ROWS)
    notices = _scoped(Notice.objects.filter(kind=Notice.Kind.OVERDUE), actor)
    if region is not None:
        notices = notices.filter(region__code__startswith=region.descendant_codes_prefix())
    return render(
        request,
        "verification/overdue.html",
        {
            "tab": "overdue",
            "region": region,
            "choices": choices,
            "error": error,
            "days": days,
            "summary": summary,
            "notices": notices.count(),
            "can_escalate": actor.kind in (NATIONAL, REGION_ADMIN),
        },
    )


@require_POST
@role_required(NATIONAL, REGION_ADMIN)
def escalate(request, actor):
    region = _scope_region(request, actor)
    sent = scheduling.escalate_overdue(region_code=region.code if region else None)
    messages.success(request, _("已向地区计量行政部门发出超期未检通知 %(n)d 份") % {"n": sent})
    return redirect("verification:overdue")


def _ledger(request, actor):
    region, choices, error = _chosen_region(request, actor)
    return coverage.build_ledger(region_code=region.code if region else None), region, choices, error


def _children(ledger, region: reg.Region | None) -> list:
    """The regions one level below the chosen one that have mandatory items in use."""
    if region is None:
        return [r for r in ledger.regions if r.level == "province" and r.rollup_in_use]
    parent_prefix = region.descendant_codes_prefix()
    below = {"province": "city", "city": "county"}.get(region.level)
    return [r for r in ledger.regions if r.level == below and r.code.startswith(parent_prefix) and r.rollup_in_use]


@require_GET
@role_required(*SUPERVISORS)
def coverage_page(request, actor):
    """强检项目建标台账: the chosen region's rate, its sub-regions against the target, the gaps."""
    ledger, region, choices, error = _ledger(request, actor)
    children = _children(ledger, region)
    headline = ledger.region(region.code) if region is not None else None
    # A county has no sub-regions: its own bar against the target.
    shown = children or ([headline] if headline is not None and headline.rollup_in_use else [])
    target = 100 * ledger.target
    chart = charts.bar_chart(
        [r.name for r in shown],
        [None if r.below_province_rate is None else 100 * r.below_province_rate for r in shown],
        target=target,
        unit="%",
        max_value=100,
        title=_("各地区省级以下覆盖率（市、县自有标准）"),
    )
    return render(
        request,
        "verification/coverage.html",
        {
            "tab": "coverage",
            "ledger": ledger,
            "region": region,
            "headline": headline,
            "children": children,
            "chart": chart,
            "choices": choices,
            "error": error,
            "gaps": ledger.gaps[:30],
            "gap_count": len(ledger.gaps),
            "target": target,
            "definitions": {"rate": coverage.PROVINCEWIDE_DEFINITION, "below_province_rate": coverage.BELOW_PROVINCE_DEFINITION},
            "region_code": region.code if region else (WHOLE_COUNTRY if actor.kind == NATIONAL else ""),
        },
    )


@require_GET
@role_required(*SUPERVISORS)
def coverage_history(request, actor):
    """The rolled-up rate by month (an htmx fragment of the coverage page)."""
    region, _choices, error = _chosen_region(request, actor)
    code = region.code if region is not None else None  # the whole country has no month-by-month ledger
    months = coverage.history(code, 12) if code and not error else []
    target = 100 * coverage.target()
    chart = charts.month_chart(
        [m["month"] for m in months],
        {
            _("覆盖率"): [None if m["rollup_rate"] is None else 100 * m["rollup_rate"] for m in months],
            _("目标"): [target] * len(months),
        },
        title=_("强检项目建标覆盖率逐月变化"),
        unit="%",
        kind="lines",
        max_value=100,
    )
    return render(request, "verification/_coverage_history.html", {"months": months, "chart": chart, "code": code})


@require_GET
@role_required(*SUPERVISORS)
def coverage_xlsx(request, actor):
    ledger, region, _choices, error = _ledger(request, actor)
    if error:
        raise PermissionDenied(error)
    response = HttpResponse(
        coverage.export_xlsx(ledger), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"coverage-{region.code if region else 'all'}-{ledger.as_of}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
