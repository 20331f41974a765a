"""Traceability over HTTP: one item's chain and verdict, the region summary, impact and recall."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.registry.models import Instrument, MeasurementStandard

from .. import services


def _date(value, field: str, default: dt.date | None = None) -> dt.date | None:
    if value in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise serializers.ValidationError({field: [f"not a date (YYYY-MM-DD): {value!r}"]}) from None


DATE_PARAM = OpenApiParameter("date", OpenApiTypes.DATE, description="the day asked about (default today)")


class ItemTraceabilityView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[DATE_PARAM], responses=OpenApiTypes.OBJECT, tags=["traceability"])
    def get(self, request, pk: int):
        """The chain of one instrument up to primary standards, and whether it is traceable."""
        instrument = get_object_or_404(Instrument, pk=pk)
        date = _date(request.query_params.get("date"), "date", dt.date.today())
        return Response(services.item_chain(instrument, date))


class SummaryView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[DATE_PARAM, OpenApiParameter("region", str, description="GB/T 2260 code")],
                   responses=OpenApiTypes.OBJECT, tags=["traceability"])
    def get(self, request):
        """Traceable share of working instruments per region and per catalog item."""
        date = _date(request.query_params.get("date"), "date", dt.date.today())
        try:
            return Response(services.validity_summary(date, request.query_params.get("region") or None))
        except ValueError as exc:
            return Response({"region": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)


class ImpactRequest(serializers.Serializer):
    standard = serializers.PrimaryKeyRelatedField(queryset=MeasurementStandard.objects.all())
    date_from = serializers.DateField(required=False, allow_null=True, source="from")
    date_to = serializers.DateField(required=False, allow_null=True, source="to")
    found_on = serializers.DateField(required=False, allow_null=True)
    limit = serializers.IntegerField(required=False, min_value=0, max_value=100_000, default=1000)

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"date_from": ["must not be after date_to"]})
        return attrs


class RecallRequest(ImpactRequest):
    reason = serializers.CharField(max_length=500)


class ImpactView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ImpactRequest, responses=OpenApiTypes.OBJECT, tags=["traceability"])
    def post(self, request):
        """Events, instruments and owners in doubt when a standard was out of tolerance."""
        body = ImpactRequest(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        found = services.impact(d["standard"], d.get("from"), d.get("to"), d.get("found_on"))
        return Response(services.impact_document(found, limit=d["limit"]))


class RecallView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(request=RecallRequest, responses=OpenApiTypes.OBJECT, tags=["traceability"])
    def post(self, request):
        """Turn an impact into notices for the affected owners (recorded and audited)."""
        body = RecallRequest(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        recall = services.create_recall(d["standard"], d.get("from"), d.get("to"), reason=d["reason"], actor=request.user)
        return Response({
            "id": recall.id, "standard": recall.standard_id, "from": recall.window_from.isoformat(), "to": recall.window_to.isoformat(),
            "events": recall.affected_events, "instruments": recall.affected_instruments,
            "notices": list(recall.notices.values("owner_id", "region_id", "instruments", "events")),
        }, status=status.HTTP_201_CREATED)
