"""The verification API: registrations and their review, verification results, notices
and reminders, the coverage ledger and the due list.

Reads are scoped with the registry's policies (an enterprise sees its own registrations, an
institution those assigned to it, a region administrator those of the region); each write
is one use case of ``jiliang.verification.services`` and a refusal is a 400 naming the
field and the reason.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import AUDITOR, ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF
from jiliang.registry.api import permissions
from jiliang.registry.api.pagination import RegistryCursorPagination
from jiliang.registry.models import Organisation, Region

from .. import coverage, scheduling, services
from ..errors import ImportRowError, RefusedRecording, VerificationError
from ..models import Notice, Registration, Reminder, VerificationRecord
from ..policies import NoticePolicy, RecordPolicy, RegistrationPolicy, ReminderPolicy
from ..reports import ledger_json
from . import serializers as s


def refusal_response(exc: VerificationError) -> Response:
    if isinstance(exc, ImportRowError):
        body = {"errors": [{"row": row, "field": field, "reason": reason} for row, field, reason in exc.errors]}
    elif isinstance(exc, RefusedRecording):
        body = {"refused": [{"field": field, "reason": reason} for field, reason in exc.reasons]}
    else:
        body = {exc.field: [exc.reason]}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class NewestFirst(RegistryCursorPagination):
    ordering = "-id"


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    policy: permissions.Policy
    permission_classes = [permissions.RegistryPermission]
    pagination_class = NewestFirst
    filter_backends: list = []

    @property
    def actor(self):
        return permissions.request_actor(self.request)

    def get_queryset(self):
        return self.policy.visible(self.actor, self.queryset.all())

    def handle_exception(self, exc):
        if isinstance(exc, VerificationError):
            return refusal_response(exc)
        return super().handle_exception(exc)

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise exceptions.PermissionDenied(message)


class RegistrationViewSet(ScopedViewSet):
    """备案: an enterprise files its instruments; the region administrator reviews."""

    queryset = Registration.objects.select_related("instrument", "region").prefetch_related("history")
    serializer_class = s.RegistrationSerializer
    policy = RegistrationPolicy()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _owner(self):
        actor = self.actor
        self.require(actor.kind == ENTERPRISE, "only an enterprise user files registrations for its organisation")

        return Organisation.objects.get(pk=actor.organisation_id)

    def create(self, request):
        owner = self._owner()
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.register_instrument(owner, data.validated_data["instrument"], user=request.user)
        return Response(s.RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request):
        owner = self._owner()
        data = s.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        created = services.import_registrations(owner, upload.read(), upload.name, user=request.user)
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        registration = self.get_object()
        actor = self.actor
        self.require(
            actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and actor.supervises_region(registration.region_id)),
            "only the administrator of the registration's region reviews it",
        )
        data = s.ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.review_registration(
            registration, data.validated_data["approve"], data.validated_data["reason"], user=request.user
        )
        return Response(s.RegistrationSerializer(registration).data)

    @extend_schema(request=s.ReassignSerializer, responses={200: s.RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Assign an approved registration to another institution that could legally verify
        it (an audited act of the region's administrator; the reason is required)."""
        registration = self.get_object()
        self.require(
            self.policy.may_reassign(self.actor, registration),
            "only the administrator of the registration's region reassigns an approved registration",
        )
        data = s.ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.reassign_registration(
            registration, data.validated_data["institution"], data.validated_data["reason"], self.actor, user=request.user
        )
        return Response(s.RegistrationSerializer(registration).data)


class VerificationRecordViewSet(ScopedViewSet):
    """检定结果: the institution's verifier records a result signed by three people."""

    queryset = VerificationRecord.objects.select_related("event")
    serializer_class = s.VerificationRecordSerializer
    policy = RecordPolicy()

    def create(self, request):
        actor = self.actor
        self.require(actor.kind == STAFF and actor.is_verifier, "only a verifier (检定员) of the institution records results")

        data = s.RecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        record = services.record_verification(
            v["instrument"],
            Organisation.objects.get(pk=actor.organisation_id),
            v["standard"],
            v["performed_on"],
            v["passed"],
            v["verifier"],
            v["checker"],
            v["approver"],
            fee=v["fee"],
            user=request.user,
        )
        return Response(s.VerificationRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class NoticeViewSet(ScopedViewSet):
    queryset = Notice.objects.all()
    serializer_class = s.NoticeSerializer
    policy = NoticePolicy()


class ReminderViewSet(ScopedViewSet):
    queryset = Reminder.objects.all()
    serializer_class = s.ReminderSerializer
    policy = ReminderPolicy()


def _date_param(request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [f"{raw!r} is not a date (YYYY-MM-DD)"]}) from None


def _region_in_scope(request, actor) -> str | None:
    """The region asked for, which a region administrator or auditor must supervise
    (default: their own region)."""
    code = request.query_params.get("region") or None
    if actor.kind in (REGION_ADMIN, AUDITOR):
        code = code or actor.region_prefix.ljust(6, "0")
        region = Region.objects.filter(code=code).first()
        if region is None or region.id not in actor.region_ids():
            raise exceptions.PermissionDenied(f"region {code} is outside your region")
    return code


REGION_PARAM = OpenApiParameter("region", str, description="GB/T 2260 code; default the administrator's own region")
AS_OF_PARAM = OpenApiParameter("as_of", OpenApiTypes.DATE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CoverageView(APIView):
    """强检项目建标台账: ?region=CODE&as_of=YYYY-MM-DD; /xlsx/ for the workbook, /chart/?fmt=svg|png,
    /history/?months=N for the rate by month."""

    permission_classes = [IsAuthenticated]
    kind = "json"

    @extend_schema(parameters=[REGION_PARAM, AS_OF_PARAM], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        actor = permissions.request_actor(request)
        if self.kind == "history":
            return self.history(request, actor)
        try:
            ledger = coverage.build_ledger(_date_param(request, "as_of"), region_code=_region_in_scope(request, actor))
        except ValueError as exc:
            raise exceptions.ValidationError({"region": [str(exc)]}) from None
        if self.kind == "xlsx":
            response = HttpResponse(coverage.export_xlsx(ledger), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="coverage-{ledger.as_of}.xlsx"'
            return response
        if self.kind == "chart":
            fmt = request.query_params.get("fmt", "svg")
            if fmt not in ("svg", "png"):
                raise exceptions.ValidationError({"fmt": ["svg or png"]})
            return HttpResponse(
                coverage.coverage_chart(ledger, fmt), content_type="image/svg+xml" if fmt == "svg" else "image/png"
            )

        return Response(ledger_json(ledger))

    def history(self, request, actor):
        region = (
            _region_in_scope(request, actor)
            or Region.objects.filter(level="province").order_by("code").values_list("code", flat=True).first()
        )
        try:
            months = int(request.query_params.get("months", 12))
        except ValueError:
            raise exceptions.ValidationError({"months": ["a whole number"]}) from None
        if not 1 <= months <= 60:
            raise exceptions.ValidationError({"months": ["between 1 and 60"]})
        try:
            rows = coverage.history(region, months, _date_param(request, "as_of"))
        except ValueError as exc:
            raise exceptions.ValidationError({"region": [str(exc)]}) from None
        return Response({"region": region, "months": rows})


# One view, four answers: each URL's own schema (what it answers, in which media type).
class CoverageWorkbookView(CoverageView):
    kind = "xlsx"

    @extend_schema(parameters=[REGION_PARAM, AS_OF_PARAM], responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request):
        return super().get(request)


class CoverageChartView(CoverageView):
    kind = "chart"

    @extend_schema(
        parameters=[REGION_PARAM, AS_OF_PARAM, OpenApiParameter("fmt", str, enum=["svg", "png"])],
        responses={(200, "image/svg+xml"): OpenApiTypes.BINARY, (200, "image/png"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        return super().get(request)


class CoverageHistoryView(CoverageView):
    kind = "history"

    @extend_schema(
        parameters=[REGION_PARAM, AS_OF_PARAM, OpenApiParameter("months", int, description="1 to 60 (default 12)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return super().get(request)


class DueView(APIView):
    """到期与超期未检: ?region=CODE&days=N&limit=N; an enterprise sees its own instruments."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("days", int, description="horizon in days (default 30)"),
            OpenApiParameter("limit", int, description="rows per list, at most 1000 (default 50)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        actor = permissions.request_actor(request)
        owner_id = None
        if actor.kind == ENTERPRISE:
            owner_id = actor.organisation_id
        elif actor.kind not in (NATIONAL, REGION_ADMIN, AUDITOR):
            raise exceptions.PermissionDenied("the due list is for administrators and instrument owners")
        try:
            days = int(request.query_params.get("days", 30))
            limit = min(int(request.query_params.get("limit", 50)), 1000)
        except ValueError:
            raise exceptions.ValidationError({"days": ["days and limit are whole numbers"]}) from None
        try:
            summary = scheduling.due_list(
                _date_param(request, "as_of"), days, _region_in_scope(request, actor), limit, owner_id=owner_id
            )
        except ValueError as exc:
            raise exceptions.ValidationError({"query": [str(exc)]}) from None
        return Response(summary.to_json())
