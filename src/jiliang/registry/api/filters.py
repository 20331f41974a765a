"""API-only filters: tables the pages do not list, and an organisation filter that does
not let the public search by private fields (credit code, address)."""

from __future__ import annotations

from functools import lru_cache

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from jiliang.policies import region_ids_within, region_tree
from jiliang.registry import filtersets, models
from jiliang.registry.filtersets import SearchFilterSet

from .lookups import in_ids


class PersonFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = models.Person
        fields = ["q", "organisation"]


class QualificationFilterSet(SearchFilterSet):
    exact_search_fields = ("certificate_number",)
    search_fields = ("specialty",)
    valid_until = filters.DateFromToRangeFilter()

    class Meta:
        model = models.Qualification
        fields = ["q", "person", "kind", "catalog_item", "valid_until"]


class RegionIdField(forms.IntegerField):
    """A region id, checked against the region tree cached per process (no query); the
    value is an unsaved ``Region`` carrying the id, code and level."""

    default_error_messages = {"invalid_choice": ModelChoiceField.default_error_messages["invalid_choice"]}

    def to_python(self, value):
        pk = super().to_python(value)
        if pk is None:
            return None
        found = region_tree().get(pk)
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return models.Region(pk=pk, code=found[0], level=found[1])


@extend_schema_field(OpenApiTypes.INT)
class RegionIdTreeFilter(filters.Filter):
    """A region id: the region and everything inside it (typed for the OpenAPI schema).

    The regions inside are resolved to a list of ids (the tree is cached per process): a
    county becomes ``region_id = n``, which walks the (region, id) index in page order,
    where a subquery would make the planner join and sort the county's rows."""

    field_class = RegionIdField

    def __init__(self, *args, region_path: str = "region", **kwargs):
        self.region_path = region_path
        kwargs.setdefault("label", _("所在地区"))
        kwargs.setdefault("method", self.filter_tree)
        super().__init__(*args, **kwargs)

    def filter_tree(self, queryset, name, region):
        if not region:
            return queryset
        return queryset.filter(in_ids(f"{self.region_path}_id", region_ids_within(region.descendant_codes_prefix())))


class OrganisationApiFilterSet(SearchFilterSet):
    search_fields = ("name",)
    region = RegionIdTreeFilter()

    class Meta:
        model = models.Organisation
        fields = ["q", "kind", "region"]


class RegionApiFilterSet(filtersets.RegionFilterSet):
    within = RegionIdTreeFilter(label="within region (id)", region_path="", method="filter_within")


class MeasurementStandardApiFilterSet(filtersets.MeasurementStandardFilterSet):
    region = RegionIdTreeFilter(region_path="holder__region")


class InstrumentApiFilterSet(filtersets.InstrumentFilterSet):
    region = RegionIdTreeFilter()


class CalibrationEventApiFilterSet(filtersets.CalibrationEventFilterSet):
    region = RegionIdTreeFilter(region_path="region")  # the event's own copy of its instrument's region


@lru_cache(maxsize=512)
def _pruned(filterset_class, present: frozenset):
    """``filterset_class`` with only the filters named in ``present`` (a filter also takes
    its suffixed parameters, such as ``performed_on_after``). A filter without a value
    filters nothing, but building it (a deep copy, a form field, its cleaning) costs as
    much as one that does."""
    kept = {
        name: f for name, f in filterset_class.base_filters.items() if any(p == name or p.startswith(name + "_") for p in present)
    }
    if len(kept) == len(filterset_class.base_filters):
        return filterset_class
    pruned = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    pruned.base_filters = kept  # after creation: the metaclass sets base_filters from the declarations
    return pruned


class LazyDjangoFilterBackend(DjangoFilterBackend):
    """Builds the FilterSet only when the request carries a parameter other than paging,
    ordering and search: building one (form, deep-copied querysets) is about half the
    time of an unfiltered list request. And then only with the filters the request
    names (``_pruned``)."""

    NOT_FILTERS = frozenset({"cursor", "page_size", "ordering", "search", "format"})

    def filter_queryset(self, request, queryset, view):
        if self.NOT_FILTERS.issuperset(request.query_params.keys()):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        # Only here, for a request: the schema reads the whole class (get_filterset_class).
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        present = frozenset(request.query_params.keys()) - self.NOT_FILTERS
        # A class declared on the view (not one built per call from filterset_fields), and
        # a bounded cache key: more parameters than any filterset has are left alone.
        if filterset_class is getattr(view, "filterset_class", None) and len(present) <= 20:
            filterset_class = _pruned(filterset_class, present)
        return filterset_class(**self.get_filterset_kwargs(request, queryset, view))
