"""Search and filters for every registry table, shared by the web pages and the API.

Filters on the large tables (instruments, events) go through indexed columns or id
subqueries; organisation pickers are hidden id fields (a province has too many
organisations for a drop-down), set by the links on detail pages.
"""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import models

DATE_RANGE = filters.widgets.DateRangeWidget(attrs={"type": "date"})


class RegionChoiceField(forms.ModelChoiceField):
    """Regions indented by level, so the province → city → county tree reads in a select."""

    def label_from_instance(self, obj):
        indent = {"province": "", "city": "\u3000", "county": "\u3000\u3000"}.get(obj.level, "")
        return f"{indent}{obj.name}"


class RegionTreeFilter(filters.ModelChoiceFilter):
    """A region and everything inside it, by GB/T 2260 code prefix."""

    field_class = RegionChoiceField

    def __init__(self, *args, region_path: str = "region", **kwargs):
        self.region_path = region_path
        kwargs.setdefault("queryset", models.Region.objects.only("id", "code", "name", "level").order_by("code"))
        kwargs.setdefault("label", _("所在地区"))
        kwargs.setdefault("method", self.filter_tree)
        super().__init__(*args, **kwargs)

    def filter_tree(self, queryset, name, region):
        if not region:
            return queryset
        inside = models.Region.objects.filter(code__startswith=region.descendant_codes_prefix()).values("id")
        return queryset.filter(**{f"{self.region_path}_id__in": inside})


def yes_no(label, yes, no, **kwargs):
    """A true/false filter whose empty choice means "all" (not "unknown")."""
    return filters.TypedChoiceFilter(
        choices=[("", _("全部")), ("true", yes), ("false", no)], coerce=lambda v: v == "true", label=label, **kwargs
    )


def hidden_choice(queryset, label, field_name=None):
    """A model filter carried as a hidden id (set by links), validated against queryset."""
    kwargs = {"queryset": queryset, "label": label, "widget": forms.HiddenInput}
    if field_name:
        kwargs["field_name"] = field_name
    return filters.ModelChoiceFilter(**kwargs)


class SearchFilterSet(filters.FilterSet):
    """A FilterSet with a free-text ``q`` over ``search_fields`` (icontains) and
    ``exact_search_fields`` (exact, for indexed identifiers)."""

    search_fields: tuple[str, ...] = ()
    exact_search_fields: tuple[str, ...] = ()

    q = filters.CharFilter(method="search", label=_("搜索"), widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for choice_filter in self.filters.values():
            if isinstance(choice_filter, (filters.ChoiceFilter, filters.ModelChoiceFilter)):
                choice_filter.extra["empty_label"] = _("全部")
                # A form field built earlier (the API schema builds them on the shared
                # base filters, and copies carry it) would keep Django's "---------".
                choice_filter.__dict__.pop("_field", None)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        exact = Q()
        for field in self.exact_search_fields:
            exact |= Q(**{field: value})
        # An identifier typed in full finds its record through its index. ORed with the
        # substring matches it would not: a page of a large table ordered by code would
        # scan every row for the one match (10^5 instruments: ~0.2 s a search).
        if self.exact_search_fields and queryset.filter(exact).exists():
            return queryset.filter(exact)
        condition = exact
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class RegionFilterSet(SearchFilterSet):
    search_fields = ("name",)
    exact_search_fields = ("code",)
    within = RegionTreeFilter(label=_("上级区划"), region_path="", method="filter_within")

    class Meta:
        model = models.Region
        fields = ["q", "level", "within"]

    def filter_within(self, queryset, name, region):
        if not region:
            return queryset
        return queryset.filter(code__startswith=region.descendant_codes_prefix()).exclude(pk=region.pk)


class OrganisationFilterSet(SearchFilterSet):
    search_fields = ("name", "address")
    exact_search_fields = ("credit_code",)
    region = RegionTreeFilter()

    class Meta:
        model = models.Organisation
        fields = ["q", "kind", "region"]


class SpecificationFilterSet(SearchFilterSet):
    search_fields = ("code", "title")

    class Meta:
        model = models.Specification
        fields = ["q", "kind", "status", "field"]


class CatalogItemFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "name_en", "category")

    class Meta:
        model = models.CatalogItem
        fields = ["q", "field", "supervision", "management_mode"]


class TypeApprovalFilterSet(SearchFilterSet):
    search_fields = ("number", "manufacturer", "model", "name")

    class Meta:
        model = models.TypeApproval
        fields = ["q", "catalog_item", "status"]


class PrimaryStandardFilterSet(SearchFilterSet):
    search_fields = ("code", "name")
    field = filters.ModelChoiceFilter(queryset=models.MetrologyField.objects.all(), field_name="quantity__field", label=_("领域"))
    holder = hidden_choice(models.Organisation.objects.all(), _("保存单位"))

    class Meta:
        model = models.PrimaryStandard
        fields = ["q", "field", "quantity", "holder"]


class MeasurementStandardFilterSet(SearchFilterSet):
    search_fields = ("name",)
    exact_search_fields = ("certificate_number",)
    region = RegionTreeFilter(region_path="holder__region")
    catalog_item = filters.ModelChoiceFilter(
        queryset=models.CatalogItem.objects.all(), field_name="catalog_items", label=_("可开展强检项目")
    )
    specification = hidden_choice(models.Specification.objects.all(), _("依据规程规范"), "specifications")
    holder = hidden_choice(models.Organisation.objects.all(), _("建标单位"))
    valid_until = filters.DateFromToRangeFilter(label=_("有效期至"), widget=DATE_RANGE)

    class Meta:
        model = models.MeasurementStandard
        fields = ["q", "tier", "level", "status", "field", "region", "catalog_item", "valid_until", "specification", "holder"]


class ReferenceMaterialFilterSet(SearchFilterSet):
    search_fields = ("name",)
    exact_search_fields = ("number",)
    producer = hidden_choice(models.Organisation.objects.all(), _("研制单位"))
    expires_on = filters.DateFromToRangeFilter(label=_("有效期至"), widget=DATE_RANGE)

    class Meta:
        model = models.ReferenceMaterial
        fields = ["q", "level", "expires_on", "producer"]


class InstrumentFilterSet(SearchFilterSet):
    # Identifiers match exactly (indexed); names and models as substrings.
    search_fields = ("name", "model", "manufacturer")
    exact_search_fields = ("code", "serial_number")
    region = RegionTreeFilter()
    field = filters.ModelChoiceFilter(
        queryset=models.MetrologyField.objects.all(), field_name="catalog_item__field", label=_("领域")
    )
    installed_on = filters.DateFromToRangeFilter(label=_("安装日期"), widget=DATE_RANGE)
    is_standard_device = yes_no(
        _("标准器"), _("仅标准器"), _("仅工作计量器具"), field_name="standard", lookup_expr="isnull", exclude=True
    )
    owner = hidden_choice(models.Organisation.objects.all(), _("使用单位"))
    standard = hidden_choice(models.MeasurementStandard.objects.all(), _("所属计量标准"))

    class Meta:
        model = models.Instrument
        fields = [
            "q",
            "region",
            "catalog_item",
            "field",
            "legal_purpose",
            "status",
            "installed_on",
            "is_standard_device",
            "owner",
            "standard",
        ]


class CalibrationEventFilterSet(SearchFilterSet):
    exact_search_fields = ("certificate_number", "instrument__code")
    passed = yes_no(_("结论"), _("合格"), _("不合格"))
    region = RegionTreeFilter(region_path="instrument__region")
    catalog_item = filters.ModelChoiceFilter(
        queryset=models.CatalogItem.objects.all(), field_name="instrument__catalog_item", label=_("目录项")
    )
    legal_purpose = filters.ChoiceFilter(
        choices=models.Instrument.Purpose.choices, field_name="instrument__legal_purpose", label=_("用途")
    )
    performed_on = filters.DateFromToRangeFilter(label=_("检定/校准日期"), widget=DATE_RANGE)
    valid_until = filters.DateFromToRangeFilter(label=_("有效期至"), widget=DATE_RANGE)
    performer = hidden_choice(models.Organisation.objects.all(), _("检定/校准机构"))
    instrument = hidden_choice(models.Instrument.objects.all(), _("被检器具"))
    standard = hidden_choice(models.MeasurementStandard.objects.all(), _("所用计量标准"), "standard_links__standard")
    primary_standard = hidden_choice(models.PrimaryStandard.objects.all(), _("所用计量基准"))

    class Meta:
        model = models.CalibrationEvent
        fields = [
            "q",
            "kind",
            "passed",
            "region",
            "catalog_item",
            "legal_purpose",
            "performed_on",
            "valid_until",
            "performer",
            "instrument",
            "standard",
            "primary_standard",
        ]
