"""Pages of the comparison workflow: one page per comparison that shows each visitor what
their role allows (the pilot's, the participant's and the administrator's forms; the
public's published results), the public list, the reports and the follow-up actions.

Everything read here goes through ``visibility``; every form posts to a use case of
``services`` and returns to the comparison with a message.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiliang.core.comparison import ESTIMATORS
from jiliang.messages import render as render_refusal
from jiliang.policies import actor_for
from jiliang.registry.models import MeasurementStandard, Organisation, Quantity, Region

from . import services, visibility
from .errors import NotAllowed, WorkflowError
from .models import Comparison, Report
from .policies import allowed_actions, may_create, may_follow_up
from .visibility import Viewer

S = Comparison.Status


def _comparison(viewer: Viewer, pk: int) -> Comparison:
    queryset = visibility.comparisons(viewer, Comparison.objects.select_related("pilot", "administrator_region"))
    return get_object_or_404(queryset, pk=pk)


def comparison_list(request):
    viewer = Viewer.of(request.user)
    rows = visibility.comparisons(viewer, Comparison.objects.select_related("pilot", "administrator_region"))[:500]
    return render(
        request,
        "comparisons/list.html",
        {
            "comparisons": rows,
            "public": False,
            "may_follow_up": may_follow_up(request.user),
            "may_create": may_create(request.user),
        },
    )


# -- a new comparison ---------------------------------------------------------------------


def _creation_choices(actor) -> tuple[list, list]:
    """(pilots, organising regions) the actor may choose. Comparisons are organised by a
    province (local) or the country (policies.ComparisonPolicy.may_create): staff pilot
    their own institution in a comparison of its province; a province's administration
    organises in its province with one of its legal or authorised institutes as pilot."""
    provinces = Region.objects.filter(level="province").order_by("code")
    if actor.kind == "institution_staff":
        pilots = list(Organisation.objects.filter(pk=actor.organisation_id).select_related("region"))
        return pilots, list(provinces.filter(code__startswith=pilots[0].region.code[:2])) if pilots else []
    pilots = Organisation.objects.filter(kind__in=("legal_institute", "authorised_institute")).order_by("region__code", "name")
    if actor.kind != "national":
        pilots, provinces = (
            pilots.filter(region__code__startswith=actor.region_prefix),
            provinces.filter(code__startswith=actor.region_prefix),
        )
    return list(pilots[:500]), list(provinces)


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    """发起比对: the comparison in draft, then its own page for measurands and participants."""
    actor = actor_for(request.user)
    if not may_create(actor):
        raise PermissionDenied(_("比对由主导实验室或组织比对的计量行政部门发起"))
    pilots, regions = _creation_choices(actor)
    form, error = request.POST if request.method == "POST" else {}, None
    if request.method == "POST":
        pilot = next((o for o in pilots if str(o.pk) == form.get("pilot", "")), None)
        region = next((r for r in regions if r.code == form.get("administrator_region", "")), None)
        try:
            if pilot is None:
                raise WorkflowError("pilot", _("请选择主导实验室"))
            if region is None:
                raise WorkflowError("administrator_region", _("请选择组织比对的地区"))
            deadline = _date_or_none(form.get("submission_deadline"))
            if deadline is None:
                raise WorkflowError("submission_deadline", _("请填写结果提交截止日期"))
            comparison = services.create_comparison(
                request.user,
                code=form.get("code", "").strip(),
                title=form.get("title", "").strip(),
                kind=form.get("kind", ""),
                pilot=pilot,
                administrator_region=region,
                submission_deadline=timezone.make_aware(
                    timezone.datetime.combine(deadline, timezone.datetime.max.time().replace(microsecond=0))
                ),
                description=form.get("description", ""),
            )
        except (WorkflowError, NotAllowed) as exc:
            error = exc
        else:
            messages.success(request, _("已发起比对 %(code)s：请添加被测量和参加单位") % {"code": comparison.code})
            return redirect("comparisons:detail", pk=comparison.pk)
    kinds = [(k, label) for k, label in Comparison.Kind.choices if k in Comparison.DOMESTIC_KINDS]
    return render(
        request,
        "comparisons/create.html",
        {"pilots": pilots, "regions": regions, "kinds": kinds, "form": form, "error": error},
        status=400 if error else 200,
    )


def public_list(request):
    rows = (
        Comparison.objects.filter(status=S.PUBLISHED)
        .select_related("pilot", "administrator_region")
        .prefetch_related("measurands")
        .order_by("-published_at")[:500]
    )
    return render(request, "comparisons/list.html", {"comparisons": rows, "public": True})


def comparison_detail(request, pk):
    viewer = Viewer.of(request.user)
    comparison = _comparison(viewer, pk)
    participant = viewer.participant_in(comparison)
    own = visibility.submissions(viewer, comparison)
    context = {
        "comparison": comparison,
        "measurands": comparison.measurands.select_related("quantity"),
        "participants": comparison.participants.select_related("institution", "standard"),
        "circulation": comparison.circulation.select_related("holder"),
        "status_rows": visibility.submission_status(viewer, comparison),
        "submissions": own.order_by("measurand_id", "participant_id"),
        "tables": services.result_tables(comparison) if visibility.sees_results(viewer, comparison) else [],
        "reports": visibility.reports(viewer, comparison),
        "is_pilot": viewer.pilots(comparison),
        "is_admin": viewer.administers(comparison),
        "participant": participant,
        "estimators": ESTIMATORS,
        "can_submit": participant is not None and "submit" in allowed_actions(request.user, comparison),
        "quantities": Quantity.objects.order_by("name") if comparison.status == S.DRAFT and viewer.organises(comparison) else [],
    }
    return render(request, "comparisons/detail.html", context)


def _run(request, pk, use_case, success: str, **kwargs):
    viewer = Viewer.of(request.user)
    comparison = _comparison(viewer, pk)
    try:
        use_case(request.user, comparison, **kwargs)
    except WorkflowError as exc:
        messages.error(request, render_refusal(exc))
    except NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("comparisons:detail", pk=comparison.pk)


STEPS = {
    "open": (services.open_submissions, gettext_lazy("已开始接收结果")),
    "close": (services.close_submissions, gettext_lazy("已截止接收结果")),
    "approve": (services.approve, gettext_lazy("报告已批准")),
    "publish": (services.publish, gettext_lazy("结果已公布")),
}


@login_required
@require_POST
def step(request, pk, name):
    if name not in STEPS:
        raise Http404("no such step")
    use_case, success = STEPS[name]
    return _run(request, pk, use_case, success)


def _float_or_none(text):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # the service names the field and the reason


@login_required
@require_POST
def submit(request, pk):
    viewer = Viewer.of(request.user)
    comparison = _comparison(viewer, pk)
    measurand = (
        comparison.measurands.filter(pk=request.POST.get("measurand") or 0).first()
        if (request.POST.get("measurand") or "").isdigit()
        else None
    )
    if measurand is None:
        messages.error(request, _("被测量：请选择本比对的被测量"))
        return redirect("comparisons:detail", pk=comparison.pk)
    budget_text = request.POST.get("budget", "").strip()
    try:
        budget = json.loads(budget_text) if budget_text else []
    except ValueError:
        messages.error(request, _("不确定度分量：须为 JSON 列表"))
        return redirect("comparisons:detail", pk=comparison.pk)
    return _run(
        request,
        pk,
        services.submit,
        _("结果已提交"),
        measurand=measurand,
        value=_float_or_none(request.POST.get("value")),
        u=_float_or_none(request.POST.get("u")),
        dof=_float_or_none(request.POST.get("dof")),
        budget=budget,
        budget_file=request.FILES.get("budget_file"),
    )


def _date_or_none(text):
    import datetime as dt

    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WorkflowError("date", _("不是日期（YYYY-MM-DD）：%(value)s") % {"value": text}) from None


def _setup_kwargs(request, comparison, what):
    """The keyword arguments of one set-up use case, from the pilot's or administrator's form."""
    post = request.POST
    if what == "measurand":
        quantity = (
            Quantity.objects.filter(pk=post.get("quantity") or 0).first() if (post.get("quantity") or "").isdigit() else None
        )
        if quantity is None:
            raise WorkflowError("quantity", _("请选择量"))
        return services.add_measurand, {
            "name": post.get("name", ""),
            "quantity": quantity,
            "unit": post.get("unit", ""),
            "nominal_value": _float_or_none(post.get("nominal_value")),
        }
    if what == "participant":
        institution = Organisation.objects.filter(credit_code=post.get("credit_code", "").strip()).first()
        if institution is None:
            raise WorkflowError("credit_code", _("没有该统一社会信用代码的单位"))
        standard = None
        if post.get("certificate_number", "").strip():
            standard = MeasurementStandard.objects.filter(certificate_number=post["certificate_number"].strip()).first()
            if standard is None:
                raise WorkflowError("certificate_number", _("没有该考核证书编号的计量标准"))
        return services.add_participant, {"institution": institution, "standard": standard, "label": post.get("label", "")}
    if what == "movement":
        holder = (
            comparison.participants.filter(pk=post.get("participant") or 0).first()
            if (post.get("participant") or "").isdigit()
            else None
        )
        if holder is None:
            raise WorkflowError("participant", _("请选择参加单位"))
        received = _date_or_none(post.get("received_on"))
        if received is None:
            raise WorkflowError("received_on", _("请填写接收日期"))
        return services.record_movement, {
            "holder": holder.institution,
            "received_on": received,
            "sent_on": _date_or_none(post.get("sent_on")),
            "condition_on_arrival": post.get("condition_on_arrival", ""),
            "notes": post.get("notes", ""),
        }
    if what == "protocol":
        return services.set_protocol, {"upload": request.FILES.get("file")}
    raise Http404("no such set-up step")


@login_required
@require_POST
def setup(request, pk, what):
    viewer = Viewer.of(request.user)
    comparison = _comparison(viewer, pk)
    try:
        use_case, kwargs = _setup_kwargs(request, comparison, what)
    except WorkflowError as exc:
        messages.error(request, render_refusal(exc))
        return redirect("comparisons:detail", pk=comparison.pk)
    return _run(request, pk, use_case, _("已保存"), **kwargs)


@login_required
@require_POST
def compute(request, pk):
    return _run(
        request,
        pk,
        services.compute,
        _("已计算"),
        estimator=request.POST.get("estimator", ""),
        sigma_pt=_float_or_none(request.POST.get("sigma_pt")),
    )


def report(request, pk, stage):
    viewer = Viewer.of(request.user)
    comparison = _comparison(viewer, pk)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect("comparisons:detail", pk=comparison.pk)
        if stage not in Report.Stage.values:
            raise Http404("no such report stage")
        return _run(
            request,
            pk,
            services.write_report,
            _("报告已保存"),
            stage=stage,
            introduction=request.POST.get("introduction", ""),
            discussion=request.POST.get("discussion", ""),
            conclusions=request.POST.get("conclusions", ""),
        )
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    row = get_object_or_404(visibility.reports(viewer, comparison), stage=stage)
    return render(request, "comparisons/report_page.html", {"comparison": comparison, "report": row})


@login_required
def follow_ups(request):
    viewer = Viewer.of(request.user)
    # Follow-ups concern institutions and the administrations over them: nobody else has any.
    if not may_follow_up(request.user):
        raise PermissionDenied(_("后续措施只对有关单位的人员、计量行政部门和审计人员开放"))
    rows = visibility.follow_ups(viewer).select_related("comparison", "institution", "measurand", "standard")[:1000]
    return render(request, "comparisons/follow_ups.html", {"rows": rows})
