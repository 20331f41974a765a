"""API-only filters: tables the pages do not list, and an organisation filter that does
not let the public search by private fields (credit code, address)."""

from __future__ import annotations

import django_filters as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from jiliang.registry import filtersets, models
from jiliang.registry.filtersets import RegionTreeFilter, SearchFilterSet


class OrganisationApiFilterSet(SearchFilterSet):
    search_fields = ("name",)
    region = RegionTreeFilter()

    class Meta:
        model = models.Organisation
        fields = ["q", "kind", "region"]


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


@extend_schema_field(OpenApiTypes.INT)
class RegionIdTreeFilter(RegionTreeFilter):
    """A region id: the region and everything inside it (typed for the OpenAPI schema)."""


class RegionApiFilterSet(filtersets.RegionFilterSet):
    within = RegionIdTreeFilter(label="within region (id)", region_path="", method="filter_within")


class MeasurementStandardApiFilterSet(filtersets.MeasurementStandardFilterSet):
    region = RegionIdTreeFilter(region_path="holder__region")


class CalibrationEventApiFilterSet(filtersets.CalibrationEventFilterSet):
    region = RegionIdTreeFilter(region_path="instrument__region")


class LazyDjangoFilterBackend(DjangoFilterBackend):
    """Builds the FilterSet only when the request carries a parameter other than paging,
    ordering and search: building one (form, deep-copied querysets) is about half the
    time of an unfiltered list request."""

    NOT_FILTERS = frozenset({"cursor", "page_size", "ordering", "search", "format"})

    def filter_queryset(self, request, queryset, view):
        if self.NOT_FILTERS.issuperset(request.query_params.keys()):
            return queryset
        return super().filter_queryset(request, queryset, view)
