"""Forms of the public portal. Each error is attached to the field it is about."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.registry.models import MeasurementStandard, Quantity, Region

from . import services, units
from .search import CapabilityQuery

ABSOLUTE, RELATIVE = "absolute", "relative"


class FastSelect(forms.Select):
    """A select drawn in Python: Django renders one template per option, which for the ~100
    regions of a province was most of the search page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', name, flatatt(context["attrs"]))]
        for _group, options, _index in context["optgroups"]:
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        option["value"],
                        mark_safe(" selected") if option["selected"] else "",
                        option["label"],
                    )
                )
        parts.append("</select>")
        return mark_safe("".join(parts))


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        # Indent by level so the select reads as the tree it is.
        indent = {"province": "", "city": "\u3000", "county": "\u3000\u3000"}.get(region.level, "")
        return f"{indent}{region.name}"


class QuantityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, quantity):
        from django.utils.translation import get_language

        name = quantity.name_en if (get_language() or "").startswith("en") and quantity.name_en else quantity.name
        return f"{name} ({quantity.unit})"


class CapabilitySearchForm(forms.Form):
    quantity = QuantityChoiceField(
        Quantity.objects.order_by("field__code", "name"),
        required=False,
        widget=FastSelect,
        label=gettext_lazy("量"),
        empty_label=gettext_lazy("全部"),
    )
    value = forms.FloatField(
        required=False, label=gettext_lazy("被测量值"), widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )
    unit = forms.CharField(
        required=False,
        max_length=30,
        label=gettext_lazy("单位"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("留空则用该量的单位")}),
    )
    uncertainty = forms.FloatField(
        required=False,
        label=gettext_lazy("扩展不确定度不大于"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    uncertainty_kind = forms.ChoiceField(
        choices=[(ABSOLUTE, gettext_lazy("绝对值（同上单位）")), (RELATIVE, gettext_lazy("相对值（%）"))],
        required=False,
        initial=ABSOLUTE,
        label=gettext_lazy("不确定度表示"),
        widget=FastSelect,
    )
    region = RegionChoiceField(
        Region.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=FastSelect,
        label=gettext_lazy("地区（含上级）"),
        empty_label=gettext_lazy("全部"),
    )
    tier = forms.ChoiceField(
        choices=[("", gettext_lazy("全部"))] + list(MeasurementStandard.Tier.choices),
        required=False,
        label=gettext_lazy("标准类别"),
        widget=FastSelect,
    )

    def clean_unit(self):
        unit = self.cleaned_data.get("unit", "").strip()
        if unit:
            try:
                units.check_unit(unit)
            except units.UnitError:
                raise forms.ValidationError(_("无法识别的单位 “%(unit)s”") % {"unit": unit}) from None
        return unit

    def clean_uncertainty(self):
        value = self.cleaned_data.get("uncertainty")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("须为正数"))
        return value

    def clean(self):
        data = super().clean()
        quantity = data.get("quantity")
        unit = data.get("unit")
        relative = data.get("uncertainty_kind") == RELATIVE
        if quantity is None:
            if data.get("value") is not None:
                self.add_error("quantity", _("按被测量值检索时须选择量"))
            elif data.get("uncertainty") is not None and not relative:
                self.add_error("quantity", _("按绝对不确定度检索时须选择量（以确定单位）"))
        elif unit and not units.convertible(unit, quantity.unit):
            self.add_error(
                "unit",
                _("单位 “%(unit)s” 不能换算为%(quantity)s的单位 %(target)s")
                % {"unit": unit, "quantity": quantity.name, "target": quantity.unit},
            )
        return data

    def query(self) -> CapabilityQuery:
        data = self.cleaned_data
        relative = data.get("uncertainty_kind") == RELATIVE
        uncertainty = data.get("uncertainty")
        if uncertainty is not None and relative:
            uncertainty = uncertainty / 100.0  # the form takes per cent; capabilities store fractions
        return CapabilityQuery(
            quantity=data.get("quantity"),
            value=data.get("value"),
            unit=data.get("unit") or "",
            uncertainty=uncertainty,
            relative=relative,
            region=data.get("region"),
            tier=data.get("tier") or "",
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented widget pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        # Type, size and emptiness are judged by the service, from the bytes.
        return list(data) if isinstance(data, (list, tuple)) else [data]


class ComplaintForm(forms.Form):
    # Presence and lengths are checked by the service, so that every bad field is named at once.
    instrument_code = forms.CharField(
        label=gettext_lazy("器具编号"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 32, "autocomplete": "off"}),
        help_text=gettext_lazy("器具铭牌、检定标记或二维码上的编号"),
    )
    description = forms.CharField(
        label=gettext_lazy("问题描述"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": services.DESCRIPTION_MAX}),
        help_text=gettext_lazy("出了什么问题、在什么地点、什么时间"),
    )
    photos = MultipleFileField(
        label=gettext_lazy("照片（可选）"),
        required=False,
        help_text=gettext_lazy("JPEG、PNG 或 WebP，最多 3 张，每张不超过 5 MB"),
    )
    contact = forms.CharField(
        label=gettext_lazy("联系方式（可选）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": services.CONTACT_MAX, "autocomplete": "tel"}),
        help_text=gettext_lazy("电话或邮箱，仅供处理人员回访"),
    )

    def file(self):
        """File the complaint through the service; its errors land on their fields."""
        from django.core.exceptions import ValidationError

        data = self.cleaned_data
        try:
            return services.file_complaint(
                instrument_code=data["instrument_code"],
                description=data["description"],
                contact=data.get("contact", ""),
                photos=data.get("photos") or [],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return None


class HandleForm(forms.Form):
    handling_note = forms.CharField(
        label=gettext_lazy("处理说明"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.DESCRIPTION_MAX,
        # The complainant reads it by the reference (portal/complaint_status.html): no personal details here.
        help_text=gettext_lazy("投诉人凭受理编号可以看到此说明，请勿写入个人信息。"),
    )
    substantiated = forms.BooleanField(
        label=gettext_lazy("投诉查实（计入使用单位的信用记录）"),
        required=False,
    )
