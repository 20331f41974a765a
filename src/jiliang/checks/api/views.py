"""The checks API: plans, records, the chart with its signals, the JJF 1033 evaluations, the
alerts and their answers, and the reverse-traceability impact of an alert. Reads go through
the policies' ``visible`` (a row the actor may not see is a 404); writes are the services'
(a refusal is a 400 naming the field, a missing right a 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from jiliang.core.control_charts import RULE_BY_CODE
from jiliang.core.errors import InputError
from jiliang.messages import reason as reason_of
from jiliang.policies import actor_for
from jiliang.registry.models import MeasurementStandard

from .. import services
from ..models import CheckAlert, CheckPlan
from ..policies import CHECK_ALERTS, CHECK_PLANS, CHECK_RECORDS
from ..rules import rule_label
from ..views import impact_url
from . import serializers as s


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class Base(GenericAPIView):
    pagination_class = None
    permission_classes = [IsAuthenticated]
    queryset = CheckPlan.objects.none()  # for the schema; reads use the policies
    serializer_class = s.PlanSerializer

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            exc = exceptions.ValidationError({exc.field or "non_field_errors": [reason_of(exc)]})
        elif isinstance(exc, services.NotAllowed):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    @property
    def actor(self):
        return actor_for(self.request.user)

    def plan(self) -> CheckPlan:
        return get_object_or_404(
            CHECK_PLANS.visible(self.actor, CheckPlan.objects.select_related("standard__holder")), pk=self.kwargs["pk"]
        )

    def alert(self) -> CheckAlert:
        queryset = CheckAlert.objects.select_related("plan__standard__holder", "record")
        return get_object_or_404(CHECK_ALERTS.visible(self.actor, queryset), pk=self.kwargs["pk"])

    def valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class PlanList(Base):
    pagination_class = Pages

    @extend_schema(operation_id="checks_plans_list", responses=s.PlanSerializer(many=True))
    def get(self, request):
        queryset = CHECK_PLANS.visible(self.actor, CheckPlan.objects.all())
        standard = request.query_params.get("standard")
        if standard:
            if not standard.isdigit():
                raise exceptions.ValidationError({"standard": ["an id"]})
            queryset = queryset.filter(standard_id=int(standard))
        page = self.paginate_queryset(queryset.order_by("id"))
        return self.get_paginated_response(s.PlanSerializer(page, many=True).data)

    @extend_schema(request=s.PlanCreateSerializer, responses={201: s.PlanSerializer})
    def post(self, request):
        data = self.valid(s.PlanCreateSerializer)
        standard = MeasurementStandard.objects.select_related("holder").filter(pk=data.pop("standard")).first()
        if standard is None or not CHECK_PLANS.sees_standard(self.actor, standard):
            raise exceptions.ValidationError({"standard": ["no such measurement standard that you can see"]})
        plan = services.create_plan(request.user, standard, **data)
        return Response(s.PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetail(Base):
    @extend_schema(operation_id="checks_plans_retrieve", responses=s.PlanSerializer)
    def get(self, request, pk):
        return Response(s.PlanSerializer(self.plan()).data)


class Records(Base):
    pagination_class = Pages
    serializer_class = s.RecordSerializer

    @extend_schema(operation_id="checks_plan_records_list", responses=s.RecordSerializer(many=True))
    def get(self, request, pk):
        plan = self.plan()
        page = self.paginate_queryset(CHECK_RECORDS.visible(self.actor, plan.records.order_by("performed_on", "id")))
        return self.get_paginated_response(s.RecordSerializer(page, many=True).data)

    @extend_schema(request=s.RecordCreateSerializer, responses={201: s.RecordSerializer})
    def post(self, request, pk):
        plan = self.plan()
        data = self.valid(s.RecordCreateSerializer)
        record = services.record_check(request.user, plan, data.pop("performed_on"), data.pop("values"), **data)
        return Response(s.RecordSerializer(record).data, status=status.HTTP_201_CREATED)


def chart_document(chart, records) -> dict:
    return {
        "kind": chart.kind,
        "subgroup_size": chart.subgroup_size,
        "baseline": chart.baseline,
        "sigma": chart.sigma,
        "dates": [r.performed_on for r in records],
        "location": chart.location,
        "dispersion": chart.dispersion,
        "location_limits": vars(chart.location_limits),
        "dispersion_limits": vars(chart.dispersion_limits),
        "signals": [
            {
                "index": sig.index,
                "performed_on": records[sig.index].performed_on,
                "rule": sig.rule,
                "clause": sig.clause,
                "label": rule_label(sig.rule),
                "chart": sig.chart,
            }
            for sig in chart.signals
            if sig.rule in RULE_BY_CODE
        ],
    }


class Chart(Base):
    serializer_class = s.ChartSerializer

    @extend_schema(operation_id="checks_plan_chart", responses=s.ChartSerializer)
    def get(self, request, pk):
        found = services.chart_of(self.plan())
        if found is None:
            raise exceptions.NotFound("fewer than two checks: no chart yet")
        return Response(s.ChartSerializer(chart_document(*found)).data)


class Evaluations(Base):
    serializer_class = s.EvaluationsSerializer

    @extend_schema(operation_id="checks_plan_evaluations", responses=s.EvaluationsSerializer)
    def get(self, request, pk):
        found = services.evaluations(self.plan())
        repeat = found.repeatability
        body = {
            "repeatability": {**vars(repeat), "performed_on": found.repeatability_on} if repeat else None,
            "stability": {**vars(found.stability), "problems": list(found.stability.problems)} if found.stability else None,
        }
        return Response(s.EvaluationsSerializer(body).data)


class AlertList(Base):
    pagination_class = Pages
    serializer_class = s.AlertSerializer

    @extend_schema(operation_id="checks_alerts_list", responses=s.AlertSerializer(many=True))
    def get(self, request):
        queryset = CHECK_ALERTS.visible(self.actor, CheckAlert.objects.select_related("plan", "record"))
        state = request.query_params.get("status")
        if state:
            if state not in CheckAlert.Status.values:
                raise exceptions.ValidationError({"status": [f"one of {', '.join(CheckAlert.Status.values)}"]})
            queryset = queryset.filter(status=state)
        page = self.paginate_queryset(queryset.order_by("-raised_on", "-id"))
        return self.get_paginated_response(s.AlertSerializer(page, many=True).data)


class Answer(Base):
    serializer_class = s.AlertSerializer

    @extend_schema(request=s.AnswerSerializer, responses=s.AlertSerializer)
    def post(self, request, pk):
        alert = services.answer_alert(request.user, self.alert(), self.valid(s.AnswerSerializer)["answer"])
        return Response(s.AlertSerializer(alert).data)


class Impact(Base):
    serializer_class = s.ImpactSerializer

    @extend_schema(operation_id="checks_alert_impact", responses=s.ImpactSerializer)
    def get(self, request, pk):
        from jiliang.registry.policies import StandardPolicy

        alert = self.alert()
        if not StandardPolicy().may_study_impact(self.actor, alert.plan.standard):
            raise exceptions.PermissionDenied("the impact of a standard is studied by its holder and its supervisors")
        document = services.impact_of(alert, limit=0)
        document["recall_page"] = impact_url(self.actor, alert)
        return Response(s.ImpactSerializer(document).data)
