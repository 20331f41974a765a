"""Pages: the inspector's (create a task, enter measurements on a phone, judge), the
administrator's buttons (approve, publish) and the public's (published results).

Every write goes through ``services``; a refusal is shown next to the form, a missing role
is a 403, and an inspection the user may not read is a 404.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from jiliang.core import prepack as core
from jiliang.core.errors import InputError
from jiliang.core.prepack import PrepackError
from jiliang.messages import reason as error_reason
from jiliang.messages import render as render_refusal
from jiliang.policies import as_actor
from jiliang.registry.models import Instrument, Person

from . import permissions, services
from .models import Inspection
from .policies import POLICY, allowed_actions
from .report import render_pdf, report_context

_NUMBER_SEPARATORS = re.compile(r"[\s,;，；、]+")


def parse_numbers(text: str, field: str) -> list[float] | None:
    """Numbers typed on a phone: separated by spaces, new lines, commas (also full-width)."""
    parts = [p for p in _NUMBER_SEPARATORS.split(text or "") if p]
    if not parts:
        return None
    out = []
    for i, part in enumerate(parts):
        try:
            out.append(float(part))
        except ValueError:
            raise services.InspectionError(f"{field}[{i}]", _("不是数字：%(got)s") % {"got": repr(part)}) from None
    return out


def _visible(request):
    return permissions.visible(request.user, Inspection.objects.select_related("producer__region", "retailer"))


# ------------------------------------------------------------------ public


def public_list(request):
    queryset = services.published()
    q = (request.GET.get("q") or "").strip()
    if q:
        queryset = (
            queryset.filter(product_name__icontains=q)
            | queryset.filter(producer__name__icontains=q)
            | queryset.filter(producer__credit_code=q.upper())
        )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(
        request, "prepack/public_list.html", {"page": page, "q": q, "may_create": POLICY.may_create(as_actor(request.user))}
    )


def detail(request, pk):
    inspection = get_object_or_404(_visible(request), pk=pk)
    context = report_context(inspection)
    context.update(
        may_work="measure" in allowed_actions(request.user, inspection),
        error=request.GET.get("error", ""),
    )
    return render(request, "prepack/detail.html", context)


def report_pdf(request, pk):
    inspection = get_object_or_404(_visible(request), pk=pk)
    response = HttpResponse(render_pdf(inspection), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{inspection.number}.pdf"'
    return response


# ------------------------------------------------------------------ inspector


class InspectionForm(forms.Form):
    product_name = forms.CharField(label=_("商品名称"), max_length=200)
    brand = forms.CharField(label=_("商标/品牌"), max_length=100, required=False)
    specification = forms.CharField(label=_("规格型号"), max_length=100, required=False)
    nominal = forms.DecimalField(label=_("标注净含量 Qn"), max_digits=14, decimal_places=4)
    unit = forms.ChoiceField(label=_("单位"), choices=Inspection.Unit.choices)
    batch_size = forms.IntegerField(label=_("批量 N"), min_value=1, max_value=services.MAX_BATCH)
    producer_credit_code = forms.CharField(label=_("生产者统一社会信用代码"), max_length=40)
    producer_name = forms.CharField(label=_("生产者名称（新登记时填写）"), max_length=200, required=False)
    sampled_at = forms.ChoiceField(label=_("抽样地点"), choices=Inspection.Place.choices)
    retailer_credit_code = forms.CharField(label=_("销售者统一社会信用代码"), max_length=40, required=False)
    retailer_name = forms.CharField(label=_("销售者名称（新登记时填写）"), max_length=200, required=False)
    sampling_date = forms.DateField(label=_("抽样/检验日期"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.ModelMultipleChoiceField(
        label=_("检验人员（至少两人）"), queryset=Person.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    inspector_ids = forms.CharField(label=_("或：人员编号（逗号分隔）"), required=False)
    scale_codes = forms.CharField(label=_("所用计量器具编号（逗号或空格分隔）"))
    # Blank: the edition in force on the sampling date (the service refuses any other).
    edition = forms.ChoiceField(
        label=_("检验规则版本"),
        choices=[("", _("按检验日期的现行版本")), *((e, e) for e in core.edition_names())],
        required=False,
        initial="",
    )

    FIELD_OF = {
        "producer.credit_code": "producer_credit_code",
        "producer.name": "producer_name",
        "producer.region_code": "producer_credit_code",
        "retailer.credit_code": "retailer_credit_code",
        "retailer.name": "retailer_name",
        "retailer": "retailer_credit_code",
        "retailer.region_code": "retailer_credit_code",
        "inspectors": "inspectors",
        "scales": "scale_codes",
    }

    def __init__(self, *args, organisation_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation_id is not None:
            self.fields["inspectors"].queryset = Person.objects.filter(organisation_id=organisation_id)

    def add_refusal(self, exc: ValueError) -> None:
        field = getattr(exc, "field", "") or ""
        name = self.FIELD_OF.get(field, field.split("[")[0])
        self.add_error(name if name in self.fields else None, error_reason(exc) if isinstance(exc, InputError) else str(exc))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        ids = [p.pk for p in data["inspectors"]] + [int(x) for x in re.findall(r"\d+", data["inspector_ids"] or "")]
        codes = [c for c in _NUMBER_SEPARATORS.split(data["scale_codes"]) if c]
        found = dict(Instrument.objects.filter(code__in=codes).values_list("code", "id"))
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise services.InspectionError("scales", _("登记中没有编号为 %(code)s 的计量器具") % {"code": unknown[0]})
        retailer = None
        if data["retailer_credit_code"]:
            retailer = {"credit_code": data["retailer_credit_code"], "name": data["retailer_name"]}
        return dict(
            product_name=data["product_name"],
            brand=data["brand"],
            specification=data["specification"],
            nominal=data["nominal"],
            unit=data["unit"],
            batch_size=data["batch_size"],
            producer={"credit_code": data["producer_credit_code"], "name": data["producer_name"]},
            sampled_at=data["sampled_at"],
            retailer=retailer,
            sampling_date=data["sampling_date"],
            inspector_ids=ids,
            scale_ids=[found[c] for c in codes],
            edition=data["edition"],
        )


def _organisation_of(user) -> int | None:
    membership = getattr(user, "membership", None)
    return getattr(membership, "organisation_id", None)


@login_required
def create(request):
    if not permissions.may_inspect_somewhere(request.user):
        raise PermissionDenied(_("定量包装商品净含量检验由计量行政部门和技术机构的人员进行"))
    organisation = _organisation_of(request.user)
    if request.method == "POST":
        form = InspectionForm(request.POST, organisation_id=organisation)
        if form.is_valid():
            try:
                inspection = services.create_inspection(request.user, **form.service_arguments())
            except services.NotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValueError as exc:
                form.add_refusal(exc)
            else:
                return redirect("prepack:measure", pk=inspection.pk)
    else:
        form = InspectionForm(initial={"sampling_date": timezone.localdate()}, organisation_id=organisation)
    return render(request, "prepack/create.html", {"form": form})


@login_required
def measure(request, pk):
    inspection = get_object_or_404(_visible(request), pk=pk)
    if not permissions.may_work_on(request.user, inspection):
        raise PermissionDenied(_("您不能为此次检验录入测量数据"))
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "judge":
                services.judge_inspection(request.user, inspection)
                return redirect("prepack:detail", pk=inspection.pk)
            mode = request.POST.get("mode", "net")
            replace = request.POST.get("replace") == "1"
            if mode == "net":
                services.add_measurements(
                    request.user, inspection, values=parse_numbers(request.POST.get("values"), "values") or [], replace=replace
                )
            elif mode == "individual":
                services.add_measurements(
                    request.user,
                    inspection,
                    gross=parse_numbers(request.POST.get("gross"), "gross") or [],
                    tare=parse_numbers(request.POST.get("tare"), "tare") or [],
                    replace=replace,
                )
            else:
                services.add_measurements(
                    request.user,
                    inspection,
                    gross=parse_numbers(request.POST.get("gross"), "gross"),
                    tare_sample=parse_numbers(request.POST.get("tare_sample"), "tare_sample"),
                    replace=replace,
                )
            return redirect("prepack:measure", pk=inspection.pk)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except (services.InspectionError, PrepackError) as exc:
            error = render_refusal(exc)
        inspection.refresh_from_db()
    plan = core.sampling_plan(inspection.batch_size, inspection.edition)
    tolerance = core.tolerable_shortfall(str(inspection.nominal), inspection.unit, inspection.edition)
    context = report_context(inspection)
    context.update(
        plan=plan,
        tolerance=tolerance,
        count=len(context["units"]),
        error=error,
        modes=Inspection.Mode.choices,
        current_mode=inspection.mode or "net",
    )
    return render(request, "prepack/measure.html", context)


def _step(service):
    @login_required
    @require_POST
    def view(request, pk):
        inspection = get_object_or_404(_visible(request), pk=pk)
        try:
            service(request.user, inspection)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValueError as exc:
            return render(
                request,
                "prepack/detail.html",
                {**report_context(inspection), "error": render_refusal(exc) if isinstance(exc, InputError) else str(exc)},
                status=400,
            )
        return redirect("prepack:detail", pk=pk)

    return view


approve = _step(services.approve_inspection)
publish = _step(services.publish_inspection)
