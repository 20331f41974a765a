"""The credit API: the published rule set (read by anyone; a new version by a provincial or
national administrator), an organisation's record, the grades, objections and repairs and
their decisions, and the summary by region or sector. Reads go through the policy's
``visible`` (a row the actor may not see is a 404); writes are the services' (a refusal is a
400 naming the field, a missing right a 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from jiliang.core.errors import InputError
from jiliang.messages import reason as reason_of
from jiliang.policies import actor_for
from jiliang.registry.models import Organisation

from .. import rules, services
from ..models import CreditGrade, Objection, Repair
from ..policies import CREDIT
from . import serializers as s

MODELS = {"objections": (Objection, s.CreditRequestSerializer), "repairs": (Repair, s.CreditRepairSerializer)}


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000


class Base(GenericAPIView):
    pagination_class = None
    permission_classes = [IsAuthenticated]
    queryset = CreditGrade.objects.none()
    serializer_class = s.CreditGradeSerializer

    @property
    def actor(self):
        return actor_for(self.request.user)

    def valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            exc = exceptions.ValidationError({exc.field or "detail": [reason_of(exc)]})
        elif isinstance(exc, services.NotAllowed):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    def organisation(self, pk, *, field: str | None = None) -> Organisation:
        """The organisation of a path (404 when not visible) or of a body ``field`` (400)."""
        org = CREDIT.visible_organisations(self.actor, Organisation.objects.all()).filter(pk=pk).first()
        if org is None:
            if field:
                raise exceptions.ValidationError({field: ["no such organisation whose record you can see"]})
            raise exceptions.NotFound("no such organisation whose record you can see")
        return org


class Rules(Base):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="credit_rules_retrieve",
        parameters=[OpenApiParameter("version", int, required=False)],
        responses={200: dict},
    )
    def get(self, request):
        version = request.query_params.get("version")
        rs = services.rule_set(int(version)) if version and version.isdigit() else services.rule_set_on()
        if rs is None:
            raise exceptions.ValidationError({"version": ["no such rule-set version"]})
        return Response(rules.to_document(rs))

    @extend_schema(request=s.CreditRulesSetSerializer, responses={201: dict})
    def post(self, request):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        data = self.valid(s.CreditRulesSetSerializer)
        row = services.set_rules(request.user, data["document"], data["effective_from"], data.get("note", ""))
        return Response(rules.to_document(services.rule_set(row.version)), status=status.HTTP_201_CREATED)


class Record(Base):
    @extend_schema(operation_id="credit_record_retrieve", responses=s.CreditRecordSerializer)
    def get(self, request, pk):
        record = services.record_of(self.organisation(pk))
        current = record["current"]
        return Response(
            {
                "organisation": pk,
                "grade": current.grade if current else record["rules"].default_grade,
                "graded_on": current.graded_on if current else None,
                "rule_version": current.rule_version if current else record["rules"].version,
                "evaluated_grade": record["result"].grade,
                "evaluated_score": record["result"].score,
                "evidence": [
                    {
                        "kind": p["piece"].kind,
                        "reference": p["piece"].reference,
                        "occurred_on": p["piece"].occurred_on,
                        "weight": p["rule"].weight if p["rule"] else None,
                        "counts": p["counts"],
                        "excluded": p["excluded"],
                        "repair_from": p["repair_from"],
                    }
                    for p in record["pieces"]
                ],
                "history": s.CreditGradeSerializer(record["history"], many=True).data,
            }
        )


class Grades(Base):
    pagination_class = Pages

    @extend_schema(
        operation_id="credit_grades_list",
        parameters=[OpenApiParameter("grade", str, required=False)],
        responses=s.CreditGradeSerializer(many=True),
    )
    def get(self, request):
        queryset = CREDIT.visible(self.actor, CreditGrade.objects.filter(current=True))
        grade = request.query_params.get("grade")
        if grade:
            queryset = queryset.filter(grade=grade)
        page = self.paginate_queryset(queryset.order_by("organisation_id"))
        return self.get_paginated_response(s.CreditGradeSerializer(page, many=True).data)


class Requests(Base):
    pagination_class = Pages
    what = "objections"

    @extend_schema(responses=s.CreditRequestSerializer(many=True))
    def get(self, request):
        model, serializer = MODELS[self.what]
        queryset = CREDIT.visible(self.actor, model.objects.all())
        if request.query_params.get("status"):
            queryset = queryset.filter(status=request.query_params["status"])
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(request=s.CreditRequestCreateSerializer, responses={201: s.CreditRequestSerializer})
    def post(self, request):
        data = self.valid(s.CreditRequestCreateSerializer)
        org = self.organisation(data["organisation"], field="organisation")
        act = services.file_objection if self.what == "objections" else services.request_repair
        item = act(request.user, org, data["kind"], data["reference"], data["statement"], data.get("attachment"))
        return Response(MODELS[self.what][1](item).data, status=status.HTTP_201_CREATED)


class Repairs(Requests):
    what = "repairs"

    @extend_schema(operation_id="credit_repairs_list", responses=s.CreditRepairSerializer(many=True))
    def get(self, request):
        return super().get(request)

    @extend_schema(
        operation_id="credit_repairs_create", request=s.CreditRequestCreateSerializer, responses={201: s.CreditRepairSerializer}
    )
    def post(self, request):
        return super().post(request)


class Decide(Base):
    what = "objections"

    @extend_schema(request=s.CreditDecisionSerializer, responses=s.CreditRequestSerializer)
    def post(self, request, pk):
        model, serializer = MODELS[self.what]
        item = get_object_or_404(CREDIT.visible(self.actor, model.objects.select_related("organisation")), pk=pk)
        data = self.valid(s.CreditDecisionSerializer)
        act = services.decide_objection if self.what == "objections" else services.decide_repair
        return Response(serializer(act(request.user, item, data["accept"], data["reason"])).data)


class DecideRepair(Decide):
    what = "repairs"

    @extend_schema(operation_id="credit_repairs_decide", request=s.CreditDecisionSerializer, responses=s.CreditRepairSerializer)
    def post(self, request, pk):
        return super().post(request, pk)


class Summary(Base):
    @extend_schema(
        operation_id="credit_summary_list",
        parameters=[OpenApiParameter("by", str, enum=["region", "sector"], required=False)],
        responses=s.CreditSummaryRowSerializer(many=True),
    )
    def get(self, request):
        if not CREDIT.sees_dashboard(self.actor):
            raise exceptions.PermissionDenied("the summary is for supervising administrators and auditors")
        by = request.query_params.get("by", "region")
        if by not in ("region", "sector"):
            raise exceptions.ValidationError({"by": ["region or sector"]})
        data = services.summary(self.actor, by)
        codes = data["rules"].codes
        return Response(
            [
                {"key": r["key"], "name": r["name"], "counts": dict(zip(codes, r["counts"])), "total": r["total"]}
                for r in data["rows"]
            ]
        )
