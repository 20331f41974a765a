"""Traceability over HTTP: one item's chain and verdict, the region summary, impact and recall."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang import policies as roles
from jiliang.registry.models import Instrument, MeasurementStandard, Region
from jiliang.registry.policies import InstrumentPolicy, StandardPolicy

from .. import services
from ..models import RecallNotice


def _actor(request) -> roles.Actor:
    return roles.actor_for(request.user)


def _may_study_standard(actor: roles.Actor, standard: MeasurementStandard) -> bool:
    return StandardPolicy().may_study_impact(actor, standard)


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
        # An instrument the actor may not see does not exist for them.
        instrument = get_object_or_404(InstrumentPolicy().visible(_actor(request), Instrument.objects.all()), pk=pk)
        date = _date(request.query_params.get("date"), "date", dt.date.today())
        return Response(services.item_chain(instrument, date))


class SummaryView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[DATE_PARAM, OpenApiParameter("region", str, description="GB/T 2260 code")],
        responses=OpenApiTypes.OBJECT,
        tags=["traceability"],
    )
    def get(self, request):
        """Traceable share of working instruments per region and per catalog item."""
        date = _date(request.query_params.get("date"), "date", dt.date.today())
        actor = _actor(request)
        region = request.query_params.get("region") or None
        if actor.region_scoped:
            region = (
                region
                or Region.objects.filter(code__startswith=actor.region_prefix)
                .order_by("code")
                .values_list("code", flat=True)
                .first()
            )
            if not (region or "").startswith(actor.region_prefix):
                raise PermissionDenied("region: outside the region you supervise")
        elif actor.kind != roles.NATIONAL:
            raise PermissionDenied("the region summary is for administrators and auditors")
        try:
            return Response(services.validity_summary(date, region))
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
        if not _may_study_standard(_actor(request), d["standard"]):
            raise PermissionDenied("standard: not a standard you hold or supervise")
        found = services.impact(d["standard"], d.get("from"), d.get("to"), d.get("found_on"))
        return Response(services.impact_document(found, limit=d["limit"]))


RECALL_RESPONSE = inline_serializer(
    "Recall",
    fields={
        "id": serializers.IntegerField(),
        "standard": serializers.IntegerField(help_text="the measurement standard found out of tolerance"),
        "from": serializers.DateField(help_text="first day of the window in doubt"),
        "to": serializers.DateField(help_text="day the fault was found"),
        "events": serializers.IntegerField(help_text="calibration events in doubt"),
        "instruments": serializers.IntegerField(help_text="instruments in doubt"),
        "notices": inline_serializer(
            "RecallNoticeSummary",
            many=True,
            fields={
                "owner_id": serializers.IntegerField(),
                "region_id": serializers.IntegerField(),
                "instruments": serializers.IntegerField(),
                "events": serializers.IntegerField(),
            },
        ),
    },
)

RECALL_NOTICE = inline_serializer(
    "RecallNotice",
    many=True,
    fields={
        "id": serializers.IntegerField(),
        "recall": serializers.IntegerField(),
        "standard": serializers.CharField(help_text="name of the standard found out of tolerance"),
        "certificate_number": serializers.CharField(help_text="its assessment certificate"),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "reason": serializers.CharField(),
        "owner": serializers.CharField(help_text="name of the owner told"),
        "region": serializers.CharField(help_text="GB/T 2260 code of the owner's region"),
        "instruments": serializers.IntegerField(),
        "events": serializers.IntegerField(),
        "items": serializers.ListField(
            child=serializers.CharField(), help_text="codes of the instruments concerned (the first 1,000)"
        ),
        "acknowledged_at": serializers.DateTimeField(allow_null=True),
    },
)


class RecallView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=RecallRequest, responses={201: RECALL_RESPONSE}, tags=["traceability"])
    def post(self, request):
        """Turn an impact into notices for the affected owners (recorded and audited)."""
        body = RecallRequest(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        actor = _actor(request)
        if not StandardPolicy().may_recall(actor, d["standard"]):
            raise PermissionDenied("a recall is decided by the administrator supervising the standard")
        try:
            recall = services.create_recall(
                d["standard"], d.get("from"), d.get("to"), reason=d["reason"], actor=request.user, found_on=d.get("found_on")
            )
        except services.RecallRefused as exc:
            return Response({"detail": str(exc), "rule": exc.rule}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "id": recall.id,
                "standard": recall.standard_id,
                "from": recall.window_from.isoformat(),
                "to": recall.window_to.isoformat(),
                "events": recall.affected_events,
                "instruments": recall.affected_instruments,
                "notices": list(recall.notices.values("owner_id", "region_id", "instruments", "events")),
            },
            status=status.HTTP_201_CREATED,
        )


class RecallNoticeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=RECALL_NOTICE, tags=["traceability"])
    def get(self, request):
        """Recall notices the actor must act on or supervises: an owner sees its own."""
        actor = _actor(request)
        notices = RecallNotice.objects.select_related("recall__standard", "owner", "region")
        if actor.region_scoped:
            notices = notices.filter(region_id__in=actor.region_ids())
        elif actor.organisation_scoped:
            notices = notices.filter(owner_id=actor.organisation_id)
        elif actor.kind != roles.NATIONAL:
            notices = notices.none()
        return Response(
            [
                {
                    "id": n.id,
                    "recall": n.recall_id,
                    "standard": n.recall.standard.name,
                    "certificate_number": n.recall.standard.certificate_number,
                    "from": n.recall.window_from.isoformat(),
                    "to": n.recall.window_to.isoformat(),
                    "reason": n.recall.reason,
                    "owner": n.owner.name,
                    "region": n.region.code,
                    "instruments": n.instruments,
                    "events": n.events,
                    "items": list(n.items.values_list("instrument__code", flat=True)[:1000]),
                    "acknowledged_at": n.acknowledged_at.isoformat() if n.acknowledged_at else None,
                }
                for n in notices.order_by("-recall__created_at", "owner_id")[:500]
            ]
        )
