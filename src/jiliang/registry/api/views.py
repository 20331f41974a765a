"""The registry API: one viewset per table, scoped by role.

Lists page by cursor (no COUNT, no OFFSET); reads are filtered by the table's policy, so
a row the actor may not see is neither listed nor found (404); writes are checked on the
row before and after the change (403). Records of what happened are never deleted: a
certificate (event) is revoked, a standard changes status with a reason, an instrument
is scrapped; only descriptive sub-records (capabilities, certified values, people and
their qualifications) are deleted.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, ProtectedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings

from jiliang.registry import filtersets, models, services

from . import filters, permissions, rows
from . import serializers as s
from .audit_hook import audited_write
from .lookups import int_array_literal

BULK_LIMIT = 1000

# Database messages that name a constraint: PostgreSQL carries it in diag; SQLite in text.
_SQLITE_CONSTRAINT = re.compile(r"(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed:?\s*(.*)")


def integrity_error_detail(exc: IntegrityError) -> dict:
    """A 400 body naming the violated constraint (and the field, for a unique column)."""
    cause = exc.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "integrity error"
    match = _SQLITE_CONSTRAINT.match(text)
    if match:
        kind, target = match.groups()
        name = name or target or kind.lower()
        if kind in ("UNIQUE", "NOT NULL") and "." in target and "," not in target:
            field = target.split(".", 1)[1]
            return {field: [f"violates {kind.lower()} constraint on {target}"]}
    return {api_settings.NON_FIELD_ERRORS_KEY: [f"violates constraint {name or text}"]}


class RegistryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """List, retrieve, create and update; DELETE is routed only where ``DestroyModelMixin``
    is mixed in, so everywhere else it is 405."""

    policy: permissions.Policy = permissions.ReferencePolicy()
    permission_classes = [permissions.RegistryPermission]
    filter_backends = [filters.LazyDjangoFilterBackend, SearchFilter, OrderingFilter]
    ordering = ("id",)
    ordering_fields = ("id",)

    # ---- reads

    def base_queryset(self):
        return self.queryset.all()

    def get_queryset(self):
        return self.policy.visible(self.actor, self.base_queryset())

    @property
    def actor(self):
        return permissions.request_actor(self.request)

    def filter_queryset(self, queryset):
        # List filters and ordering do not apply to one row (and building the filterset
        # is a good part of a detail request's time).
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def paginate_queryset(self, queryset):
        return super().paginate_queryset(rows.plain_rows(queryset))

    def get_object(self):
        row = super().get_object()
        if self.request.method not in SAFE_METHODS:
            self.check_write(row)
        return row

    # ---- writes

    def check_write(self, row) -> None:
        if not self.policy.writable(self.actor, row):
            raise exceptions.PermissionDenied("your role may not write this record")

    def audit_reason(self) -> str:
        return ""

    def perform_create(self, serializer):
        self.check_write(serializer.build_instance(serializer.validated_data))
        with audited_write(self.request, self.audit_reason()), transaction.atomic():
            serializer.save(**serializer.context.get("parent", {}))

    def perform_update(self, serializer):
        self.check_write(serializer.build_instance(serializer.validated_data))
        with audited_write(self.request, self.audit_reason()), transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        with audited_write(self.request, self.audit_reason()), transaction.atomic():
            instance.delete()

    def handle_exception(self, exc):
        if isinstance(exc, services.Refused):
            body = {}
            for name, reason in exc.reasons:
                body.setdefault(name, []).append(str(reason))
            if exc.forbidden:
                return Response({"detail": "; ".join(str(r) for _, r in exc.reasons), **body}, status=status.HTTP_403_FORBIDDEN)
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, ProtectedError):  # a subclass of IntegrityError: test it first
            return Response({"detail": "other records refer to this one; it cannot be deleted"}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, IntegrityError):
            return Response(integrity_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    # ---- nested child tables (capabilities of a standard, certified values of a material)

    def nested_list_or_create(self, request, parent, serializer_class, related_name: str, parent_field: str):
        if request.method == "GET":
            rows = getattr(parent, related_name).all().order_by("id")
            return Response(serializer_class(rows, many=True, context=self.get_serializer_context()).data)
        context = {**self.get_serializer_context(), "parent": {parent_field: parent}}
        serializer = serializer_class(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        with audited_write(request), transaction.atomic():
            serializer.save(**{parent_field: parent})
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def nested_detail(self, request, parent, serializer_class, related_name: str, child_id):
        try:
            child = getattr(parent, related_name).get(pk=child_id)
        except (ValueError, getattr(parent, related_name).model.DoesNotExist):
            raise exceptions.NotFound() from None
        if request.method == "GET":
            return Response(serializer_class(child, context=self.get_serializer_context()).data)
        if request.method == "DELETE":
            self.perform_destroy(child)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = serializer_class(
            child, data=request.data, partial=request.method == "PATCH", context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with audited_write(request), transaction.atomic():
            serializer.save()
        return Response(serializer.data)


NESTED_PARAMETERS = {
    "capability_id": OpenApiParameter("capability_id", OpenApiTypes.INT, OpenApiParameter.PATH),
    "value_id": OpenApiParameter("value_id", OpenApiTypes.INT, OpenApiParameter.PATH),
}


# ---------------------------------------------------------------------------- reference data


class RegionViewSet(RegistryViewSet):
    queryset = models.Region.objects.all()
    serializer_class = s.RegionSerializer
    filterset_class = filters.RegionApiFilterSet
    search_fields = ("=code", "name")
    ordering = ("code",)
    ordering_fields = ("id", "code")


class MetrologyFieldViewSet(RegistryViewSet):
    queryset = models.MetrologyField.objects.all()
    serializer_class = s.MetrologyFieldSerializer
    filterset_fields = ("code",)
    search_fields = ("code", "name", "name_en")
    ordering_fields = ("id", "code")


class QuantityViewSet(RegistryViewSet):
    queryset = models.Quantity.objects.all()
    serializer_class = s.QuantitySerializer
    filterset_fields = ("field", "unit")
    search_fields = ("name", "name_en")
    ordering_fields = ("id", "name")


class SpecificationViewSet(RegistryViewSet):
    queryset = models.Specification.objects.all()
    serializer_class = s.SpecificationSerializer
    filterset_class = filtersets.SpecificationFilterSet
    search_fields = ("code", "title")
    ordering = ("code",)
    ordering_fields = ("id", "code")


class CatalogItemViewSet(RegistryViewSet):
    queryset = models.CatalogItem.objects.all()
    serializer_class = s.CatalogItemSerializer
    filterset_class = filtersets.CatalogItemFilterSet
    search_fields = ("code", "name", "name_en", "category")
    ordering = ("code",)
    ordering_fields = ("id", "code")


class TypeApprovalViewSet(RegistryViewSet):
    queryset = models.TypeApproval.objects.all()
    serializer_class = s.TypeApprovalSerializer
    filterset_class = filtersets.TypeApprovalFilterSet
    search_fields = ("number", "manufacturer", "model", "name")
    ordering = ("number",)
    ordering_fields = ("id", "number", "approved_on")


class PrimaryStandardViewSet(RegistryViewSet):
    queryset = models.PrimaryStandard.objects.all()
    serializer_class = s.PrimaryStandardSerializer
    filterset_class = filtersets.PrimaryStandardFilterSet
    search_fields = ("code", "name")
    ordering = ("code",)
    ordering_fields = ("id", "code")


# ---------------------------------------------------------------------------- organisations


class OrganisationViewSet(RegistryViewSet):
    queryset = models.Organisation.objects.all()
    serializer_class = s.OrganisationSerializer
    policy = permissions.OrganisationPolicy()
    filterset_class = filters.OrganisationApiFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")


# ---------------------------------------------------------------------------- standards


def attach_standard_ids(events) -> None:
    """The standards used by a page of events, in one query (a prefetch builds a related
    manager per event, which costs more than the query; and the query is written out, as
    compiling it through the ORM cost more than running it)."""
    by_event: dict[int, list[int]] = {event.pk: [] for event in events}
    if not by_event:
        return
    table = connection.ops.quote_name(models.EventStandard._meta.db_table)
    ids = list(by_event)
    if connection.vendor == "postgresql":
        where, params = "event_id = ANY(%s::bigint[])", [int_array_literal(ids)]
    else:
        where, params = f"event_id IN ({', '.join(['%s'] * len(ids))})", ids
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT event_id, standard_id FROM {table} WHERE {where} ORDER BY event_id, standard_id", params)
        for event_id, standard_id in cursor.fetchall():
            by_event[event_id].append(standard_id)
    for event in events:
        event.standard_ids = by_event[event.pk]


class StandardViewSet(RegistryViewSet):
    queryset = models.MeasurementStandard.objects.all()
    serializer_class = s.MeasurementStandardSerializer
    policy = permissions.StandardPolicy()
    filterset_class = filters.MeasurementStandardApiFilterSet
    search_fields = ("=certificate_number", "name")
    ordering_fields = ("id", "certificate_number", "valid_until")

    def base_queryset(self):
        return self.queryset.prefetch_related("specifications", "catalog_items", "capabilities", "status_changes")

    @extend_schema(request=s.StatusChangeRequestSerializer, responses=s.MeasurementStandardSerializer)
    @action(
        detail=True, methods=["post"], url_path="status", serializer_class=s.StatusChangeRequestSerializer, filter_backends=[]
    )
    def change_status(self, request, pk=None):
        """Suspend, cancel, expire or reactivate a standard, with the reason recorded."""
        standard = self.get_object()
        if not self.policy.may_change_status(self.actor, standard):
            raise exceptions.PermissionDenied("only the supervising administration changes a standard's status")
        change = s.StatusChangeRequestSerializer(data=request.data, context={"standard": standard})
        change.is_valid(raise_exception=True)
        data = change.validated_data
        with audited_write(request, data["reason"]):
            services.change_standard_status(self.actor, standard, data["status"], data["reason"], data.get("effective_on"))
        standard = self.base_queryset().get(pk=standard.pk)
        return Response(s.MeasurementStandardSerializer(standard, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses=s.CapabilitySerializer(many=True))
    @extend_schema(methods=["POST"], request=s.CapabilitySerializer, responses={201: s.CapabilitySerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="capabilities",
        serializer_class=s.CapabilitySerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def capabilities(self, request, pk=None):
        return self.nested_list_or_create(request, self.get_object(), s.CapabilitySerializer, "capabilities", "standard")

    @extend_schema(
        parameters=[NESTED_PARAMETERS["capability_id"]],
        request=s.CapabilitySerializer,
        responses={200: s.CapabilitySerializer, 204: None},
    )
    @action(
        detail=True,
        methods=["get", "put", "patch", "delete"],
        url_path=r"capabilities/(?P<capability_id>[0-9]+)",
        serializer_class=s.CapabilitySerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def capability(self, request, pk=None, capability_id=None):
        return self.nested_detail(request, self.get_object(), s.CapabilitySerializer, "capabilities", capability_id)

    @extend_schema(responses=s.StandardStatusChangeSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="status-history",
        serializer_class=s.StandardStatusChangeSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def status_history(self, request, pk=None):
        rows = self.get_object().status_changes.order_by("effective_on", "id")
        return Response(s.StandardStatusChangeSerializer(rows, many=True).data)


class ReferenceMaterialViewSet(RegistryViewSet):
    queryset = models.ReferenceMaterial.objects.all()
    serializer_class = s.ReferenceMaterialSerializer
    policy = permissions.ReferenceMaterialPolicy()
    filterset_class = filtersets.ReferenceMaterialFilterSet
    search_fields = ("=number", "name")
    ordering_fields = ("id", "number", "expires_on")

    def base_queryset(self):
        return self.queryset.prefetch_related("certified_values")

    @extend_schema(methods=["GET"], responses=s.CertifiedValueSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.CertifiedValueSerializer, responses={201: s.CertifiedValueSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="certified-values",
        serializer_class=s.CertifiedValueSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def certified_values(self, request, pk=None):
        return self.nested_list_or_create(request, self.get_object(), s.CertifiedValueSerializer, "certified_values", "material")

    @extend_schema(
        parameters=[NESTED_PARAMETERS["value_id"]],
        request=s.CertifiedValueSerializer,
        responses={200: s.CertifiedValueSerializer, 204: None},
    )
    @action(
        detail=True,
        methods=["get", "put", "patch", "delete"],
        url_path=r"certified-values/(?P<value_id>[0-9]+)",
        serializer_class=s.CertifiedValueSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def certified_value(self, request, pk=None, value_id=None):
        return self.nested_detail(request, self.get_object(), s.CertifiedValueSerializer, "certified_values", value_id)


# ---------------------------------------------------------------------------- people


class PersonViewSet(mixins.DestroyModelMixin, RegistryViewSet):
    queryset = models.Person.objects.all()
    serializer_class = s.PersonSerializer
    policy = permissions.PersonPolicy()
    filterset_class = filters.PersonFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")


class QualificationViewSet(mixins.DestroyModelMixin, RegistryViewSet):
    queryset = models.Qualification.objects.all()
    serializer_class = s.QualificationSerializer
    policy = permissions.QualificationPolicy()
    filterset_class = filters.QualificationFilterSet
    search_fields = ("=certificate_number", "specialty")
    ordering_fields = ("id", "valid_until")


# ---------------------------------------------------------------------------- instruments and events


class InstrumentViewSet(RegistryViewSet):
    queryset = models.Instrument.objects.all()
    serializer_class = s.InstrumentSerializer
    policy = permissions.InstrumentPolicy()
    filterset_class = filters.InstrumentApiFilterSet
    # Identifiers only: a substring search over 10^7 names is the filterset's ``q``.
    search_fields = ("=code", "=serial_number")
    ordering_fields = ("id", "code")

    @extend_schema(request=s.InstrumentSerializer(many=True), responses={201: s.InstrumentSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[], pagination_class=None)
    def bulk(self, request):
        """Register up to 1000 instruments at once: all are written, or none (errors by index)."""
        if not isinstance(request.data, list):
            raise exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: ["expected a list of instruments"]})
        if not 1 <= len(request.data) <= BULK_LIMIT:
            raise exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [f"expected 1 to {BULK_LIMIT} instruments, got {len(request.data)}"]}
            )
        serializer = s.InstrumentSerializer(data=request.data, many=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        for index, attrs in enumerate(serializer.validated_data):
            if not self.policy.writable(self.actor, serializer.child.build_instance(attrs)):
                raise exceptions.PermissionDenied(f"item {index}: your role may not write this instrument")
        with audited_write(request), transaction.atomic():
            serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class EventViewSet(RegistryViewSet):
    queryset = models.CalibrationEvent.objects.all()
    serializer_class = s.CalibrationEventSerializer
    policy = permissions.EventPolicy()
    filterset_class = filters.CalibrationEventApiFilterSet
    search_fields = ("=certificate_number", "=instrument__code")
    ordering_fields = ("id", "certificate_number")

    scope_arms: tuple | None = None

    # Every write passes the workflow's rules (registry.services): who may perform, on
    # which instrument, dates not in the future, standards in force on the date.
    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        standards = values.pop("standards_used", [])
        with audited_write(self.request, self.audit_reason()):
            serializer.instance = services.record_event(self.actor, values, standards)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        standards = values.pop("standards_used", None)
        with audited_write(self.request, self.audit_reason()):
            serializer.instance = services.update_event(self.actor, serializer.instance, values, standards)

    def base_queryset(self):
        queryset = super().base_queryset()
        if getattr(self, "action", None) == "retrieve" and connection.vendor == "postgresql":
            # One event read with its standards' ids in the same query: the separate query
            # the serializer would run was a fifth of a detail request's CPU (round trip,
            # ORM compilation, the backend's parse and plan).
            from django.contrib.postgres.expressions import ArraySubquery

            used = models.EventStandard.objects.filter(event=OuterRef("pk")).order_by("standard_id")
            queryset = queryset.annotate(standard_ids=ArraySubquery(used.values("standard_id")))
        return queryset

    def get_queryset(self):
        actor = self.actor
        if self.detail or actor.kind != permissions.STAFF:
            return super().get_queryset()
        # An institution's list: performed by it OR of its instruments. The page is read
        # as two disjoint parts merged in page order (rows.merged_arms), each an ordered
        # index scan, where the OR walked the id index filtering out other organisations'
        # events (tens of thousands per page at 10^6 instruments). An enterprise performs
        # little or nothing: PostgreSQL ORs two small index scans and sorts, cheaper than
        # compiling the union.
        performed, owned = self.policy.organisation_parts(actor)
        queryset = self.base_queryset().filter(performed | owned)
        where = queryset.query.where
        if len(where.children) == 1:  # the OR, as the one node of the top-level AND
            self.scope_arms = (where.children[0], (performed, owned & ~performed))
        return queryset

    def paginate_queryset(self, queryset):
        if self.scope_arms is not None:
            queryset = rows.merged_arms(queryset, *self.scope_arms)
        page = super().paginate_queryset(queryset)
        attach_standard_ids(page if page is not None else [])
        return page

    @extend_schema(responses=s.StandardUsedSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="standards",
        serializer_class=s.StandardUsedSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def standards(self, request, pk=None):
        """The measurement standards the event used."""
        rows = self.get_object().standards_used.order_by("id")
        return Response(s.StandardUsedSerializer(rows, many=True).data)
