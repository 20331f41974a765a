"""The pages: the region's institutions (list), an institution's capability page (its
authorised items against standards and qualified people, with the gaps; comparisons,
workload, complaints, findings, declarations, evaluations and supervision visits), the
region's registered metrologists, and the writes (record a visit with its findings, close
it, confirm a rectification, file a declaration, record an evaluation).

Every decision is the policy's (institutions.policies); every write a service's, whose
refusal is shown in the reader's language."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.policies import NATIONAL, actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, date_or_refused

from . import services
from .models import Declaration, SupervisionVisit, VisitFinding
from .policies import FINDINGS, INSTITUTIONS, VISITS
from .rules import rules


class _Login(Exception):
    pass


def _signed_in(view, method):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Login:
            return redirect_to_login(request.get_full_path())

    return method(wrapped)


def _pages(view):
    return _signed_in(view, require_GET)


def _acts(view):
    return _signed_in(view, require_POST)


def _actor(request):
    actor = actor_for(request.user)
    if not actor.authenticated:
        raise _Login()
    return actor


def _list_actor(request):
    actor = _actor(request)
    if not INSTITUTIONS.sees_list(actor):
        raise PermissionDenied(_("计量技术机构的能力与监督由计量行政部门查看"))
    return actor


def _institution(actor, pk: int) -> reg.Organisation:
    institution = get_object_or_404(services.institutions(actor), pk=pk)
    return institution


def _done(request, action, to, success: str):
    try:
        action()
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.reasons_text()) from None
        messages.error(request, exc.reasons_text())
    else:
        messages.success(request, success)
    return to


def _region_of(actor):
    """The region the actor supervises or audits (a national administrator: the first province)."""
    if actor.kind == NATIONAL:
        return reg.Region.objects.filter(level="province").order_by("code").first()
    return reg.Region.objects.filter(code__startswith=actor.region_prefix).order_by("code").first()


@_pages
def institution_list(request):
    actor = _list_actor(request)
    rows = list(services.institutions(actor)[:500])
    return render(request, "institutions/list.html", {"institutions": rows})


@_pages
def mine(request):
    actor = _actor(request)
    if not INSTITUTIONS.sees_own(actor):
        raise PermissionDenied(_("本页供计量技术机构的人员查看本机构"))
    return _detail_response(request, actor, actor.organisation_id)


@_pages
def detail(request, pk: int):
    actor = _actor(request)
    if actor.read_only and not actor.region_scoped:
        raise PermissionDenied(_("计量技术机构的能力与监督由计量行政部门和机构本身查看"))
    return _detail_response(request, actor, pk)


def _detail_response(request, actor, pk: int):
    institution = _institution(actor, pk)
    profile = services.profile(institution)
    visits = list(
        VISITS.visible(actor, SupervisionVisit.objects.filter(organisation=institution)).prefetch_related("findings")[:50]
    )
    for visit in visits:
        visit.actions = VISITS.allowed_actions(actor, visit)
        visit.finding_list = list(visit.findings.all())
        for f in visit.finding_list:
            f.may_mark = FINDINGS.may_mark_rectified(actor, f)
    evaluations = list(institution.capability_evaluations.all()[:10])
    return render(
        request,
        "institutions/detail.html",
        {
            "institution": institution,
            "p": profile,
            "rules": rules(),
            "visits": visits,
            "evaluations": evaluations,
            "may_record_visit": INSTITUTIONS.may_record_visit(actor, institution),
            "may_evaluate": INSTITUTIONS.may_evaluate(actor, institution),
            "may_declare": INSTITUTIONS.may_declare(actor, institution),
            "declaration_kinds": Declaration.Kind.choices,
            "severities": VisitFinding.Severity.choices,
            "today": timezone.localdate(),
            "min_qualified": services.MIN_QUALIFIED,
        },
    )


@_pages
def people(request):
    actor = _list_actor(request)
    region = _region_of(actor)
    if region is None:
        raise Http404
    report = services.metrologists(region)
    gaps = services.region_gaps(actor, region)
    return render(request, "institutions/people.html", {"r": report, "gaps": gaps, "min_qualified": services.MIN_QUALIFIED})


def _findings_of(post) -> list[dict]:
    """The findings typed into the visit form: rows finding-N-clause/description/severity/rectify_by."""
    out = []
    for n in range(10):
        description = post.get(f"finding-{n}-description", "").strip()
        if not description:
            continue
        out.append(
            {
                "clause": post.get(f"finding-{n}-clause", ""),
                "description": description,
                "severity": post.get(f"finding-{n}-severity", ""),
                "rectify_by": date_or_refused(post.get(f"finding-{n}-rectify_by"), "rectify_by"),
            }
        )
    return out


@_acts
def visit_record(request, pk: int):
    actor = _actor(request)
    institution = _institution(actor, pk)
    post = request.POST

    def act():
        services.record_visit(
            request.user,
            institution,
            visited_on=date_or_refused(post.get("visited_on"), "visited_on"),
            inspectors=post.get("inspectors", ""),
            scope=post.get("scope", ""),
            summary=post.get("summary", ""),
            findings=_findings_of(post),
        )

    to = redirect("institutions:detail", pk=institution.pk)
    return _done(request, act, to, _("已记录监督检查"))


@_acts
def visit_close(request, pk: int):
    actor = _actor(request)
    visit = get_object_or_404(VISITS.visible(actor, SupervisionVisit.objects.select_related("organisation")), pk=pk)
    to = redirect("institutions:detail", pk=visit.organisation_id)
    return _done(request, lambda: services.close_visit(request.user, visit), to, _("监督检查已办结，检查发现已记入信用记录"))


@_acts
def finding_rectified(request, pk: int):
    actor = _actor(request)
    finding = get_object_or_404(FINDINGS.visible(actor, VisitFinding.objects.select_related("visit__organisation")), pk=pk)
    to = redirect("institutions:detail", pk=finding.visit.organisation_id)
    on = request.POST.get("rectified_on")
    return _done(
        request,
        lambda: services.mark_rectified(request.user, finding, date_or_refused(on, "rectified_on")),
        to,
        _("已确认整改"),
    )


@_acts
def declare(request, pk: int):
    actor = _actor(request)
    institution = _institution(actor, pk)
    post = request.POST

    def act():
        services.declare(
            request.user,
            institution,
            kind=post.get("kind", ""),
            signed_by=post.get("signed_by", ""),
            text=post.get("text", ""),
            declared_on=date_or_refused(post.get("declared_on"), "declared_on"),
        )

    return _done(request, act, redirect("institutions:detail", pk=institution.pk), _("已提交自我声明"))


@_acts
def evaluate(request, pk: int):
    actor = _actor(request)
    institution = _institution(actor, pk)
    note = request.POST.get("note", "")
    return _done(
        request,
        lambda: services.record_evaluation(request.user, institution, note=note),
        redirect("institutions:detail", pk=institution.pk),
        _("已记录能力评价"),
    )
