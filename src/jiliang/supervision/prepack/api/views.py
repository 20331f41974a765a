"""The inspection API: one endpoint per step of the workflow, and the public list.

Writes are the use cases of ``services``: a refusal (``InspectionError`` or the core's
``PrepackError``) is a 400 naming the field, a missing role a 403. Reads go through
``permissions.visible``: an inspection the user may not see is a 404.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from jiliang.core.prepack import PrepackError
from jiliang.messages import reason as error_reason

from .. import permissions, services
from ..models import Inspection, Notice
from ..report import render_pdf
from . import serializers as s


class InspectionPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _queryset():
    return Inspection.objects.select_related("producer__region", "retailer__region")


class Base(GenericAPIView):
    pagination_class = None
    permission_classes = [IsAuthenticated]
    serializer_class = s.InspectionDetailSerializer
    queryset = Inspection.objects.none()  # for the schema's path parameters; reads use permissions.visible

    def handle_exception(self, exc):
        if isinstance(exc, (services.InspectionError, PrepackError)):
            body = {exc.field or "non_field_errors": [error_reason(exc)]}
            if getattr(exc, "details", None):
                body["details"] = exc.details
            exc = exceptions.ValidationError(body)
        elif isinstance(exc, services.NotAllowed):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    def inspection(self) -> Inspection:
        return get_object_or_404(permissions.visible(self.request.user, _queryset()), pk=self.kwargs["pk"])

    def valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def detail(self, inspection, code=status.HTTP_200_OK):
        return Response(s.InspectionDetailSerializer(_queryset().get(pk=inspection.pk)).data, status=code)


class InspectionList(Base):
    pagination_class = InspectionPagination
    serializer_class = s.InspectionSerializer

    @extend_schema(operation_id="prepack_inspections_list", responses=s.InspectionSerializer(many=True))
    def get(self, request):
        queryset = permissions.visible(request.user, _queryset())
        state = request.query_params.get("status")
        page = self.paginate_queryset(queryset.filter(status=state) if state else queryset)
        return self.get_paginated_response(s.InspectionSerializer(page, many=True).data)

    @extend_schema(request=s.InspectionCreateSerializer, responses={201: s.InspectionDetailSerializer})
    def post(self, request):
        data = dict(self.valid(s.InspectionCreateSerializer))
        data["edition"] = data.get("edition") or None
        return self.detail(services.create_inspection(request.user, **data), status.HTTP_201_CREATED)


class InspectionDetail(Base):
    def get(self, request, pk):
        return self.detail(self.inspection())


class Measurements(Base):
    @extend_schema(request=s.MeasurementsSerializer, responses={200: s.InspectionDetailSerializer})
    def post(self, request, pk):
        return self.detail(services.add_measurements(request.user, self.inspection(), **self.valid(s.MeasurementsSerializer)))


class Judge(Base):
    @extend_schema(request=None, responses={200: s.InspectionDetailSerializer})
    def post(self, request, pk):
        return self.detail(services.judge_inspection(request.user, self.inspection()))


class Approve(Base):
    @extend_schema(request=None, responses={200: s.InspectionDetailSerializer})
    def post(self, request, pk):
        return self.detail(services.approve_inspection(request.user, self.inspection()))


class Publish(Base):
    @extend_schema(request=None, responses={200: s.InspectionDetailSerializer})
    def post(self, request, pk):
        return self.detail(services.publish_inspection(request.user, self.inspection()))


class ReportPdf(Base):
    """The report of any inspection the user may read (of a published one: anyone)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="the inspection report")})
    def get(self, request, pk):
        inspection = self.inspection()
        response = HttpResponse(render_pdf(inspection), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{inspection.number}.pdf"'
        return response


class PublishedList(Base):
    """Published inspections, for everyone (no login)."""

    permission_classes = [AllowAny]
    pagination_class = InspectionPagination
    serializer_class = s.InspectionSerializer

    @extend_schema(operation_id="prepack_published_list", responses=s.InspectionSerializer(many=True))
    def get(self, request):
        queryset = services.published()
        producer = request.query_params.get("producer")
        if producer:
            queryset = queryset.filter(producer__credit_code=producer.strip().upper())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.InspectionSerializer(page, many=True).data)


class PublishedDetail(Base):
    permission_classes = [AllowAny]

    def get(self, request, pk):
        return Response(s.InspectionDetailSerializer(get_object_or_404(services.published(), pk=pk)).data)


class Notices(Base):
    """Notices of failed inspections addressed to the administrations in the user's region."""

    pagination_class = InspectionPagination
    serializer_class = s.NoticeSerializer

    @extend_schema(operation_id="prepack_notices_list", responses=s.NoticeSerializer(many=True))
    def get(self, request):
        queryset = permissions.notices_for(request.user, Notice.objects.select_related("recipient__region", "inspection"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.NoticeSerializer(page, many=True).data)
