"""The institutions API: the institutions the actor may see, an institution's profile with
its scored capability evaluation, its visits, declarations and evaluations, the region's
registered metrologists; and the workflow's writes (record a visit with findings, add a
finding, close the visit, confirm a rectification, file a declaration, record an
evaluation). Reads go through the policies (a row the actor may not see is a 404); writes
are the services' (a refusal is a 400 naming the field and the rule, a missing right a 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.api.refusals import RefusalsAnswered

from .. import services
from ..models import Declaration, Evaluation, SupervisionVisit, VisitFinding
from ..policies import DECLARATIONS, EVALUATIONS, FINDINGS, INSTITUTIONS, VISITS
from . import serializers as s


def _institution(request, pk: int) -> reg.Organisation:
    return get_object_or_404(services.institutions(request.user), pk=pk)


class InstitutionList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.InstitutionSerializer

    def get_queryset(self):
        return services.institutions(self.request.user)


class InstitutionProfile(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.ProfileSerializer, operation_id="institution_profile")
    def get(self, request, pk: int):
        return Response(s.ProfileSerializer(services.profile(_institution(request, pk))).data)


class VisitList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.VisitSerializer

    def get_queryset(self):
        return VISITS.visible(actor_for(self.request.user), SupervisionVisit.objects.prefetch_related("findings"))


class DeclarationList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.DeclarationSerializer

    def get_queryset(self):
        return DECLARATIONS.visible(actor_for(self.request.user), Declaration.objects.all())


class EvaluationList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EvaluationSerializer

    def get_queryset(self):
        return EVALUATIONS.visible(actor_for(self.request.user), Evaluation.objects.all())


class Metrologists(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MetrologistReportSerializer, operation_id="institution_metrologists")
    def get(self, request, code: str):
        actor = actor_for(request.user)
        region = get_object_or_404(reg.Region, code=code)
        if not INSTITUTIONS.sees_list(actor) or not actor.reads_region_code(region.code):
            raise PermissionDenied("institutions.metrologists: the region's administrators and auditors read its register")
        return Response(s.MetrologistReportSerializer(services.metrologists(region)).data)


class _Write(RefusalsAnswered, APIView):
    permission_classes = [IsAuthenticated]

    def visit(self) -> SupervisionVisit:
        return get_object_or_404(
            VISITS.visible(actor_for(self.request.user), SupervisionVisit.objects.select_related("organisation")),
            pk=self.kwargs["pk"],
        )

    def answer_visit(self, visit: SupervisionVisit, status: int = 200) -> Response:
        visit = SupervisionVisit.objects.prefetch_related("findings").get(pk=visit.pk)
        return Response(s.VisitSerializer(visit).data, status=status)


class VisitRecord(_Write):
    @extend_schema(operation_id="institution_visit_record", request=s.VisitInSerializer, responses={201: s.VisitSerializer})
    def post(self, request, pk: int):
        institution = _institution(request, pk)
        data = self.valid(s.VisitInSerializer)
        visit = services.record_visit(
            request.user,
            institution,
            visited_on=data["visited_on"],
            inspectors=data["inspectors"],
            scope=data["scope"],
            summary=data["summary"],
            findings=[dict(f) for f in data["findings"]],
        )
        return self.answer_visit(visit, 201)


class VisitFindingAdd(_Write):
    @extend_schema(operation_id="institution_visit_finding", request=s.FindingInSerializer, responses={201: s.FindingSerializer})
    def post(self, request, pk: int):
        data = self.valid(s.FindingInSerializer)
        finding = services.add_finding(request.user, self.visit(), **data)
        return Response(s.FindingSerializer(finding).data, status=201)


class VisitClose(_Write):
    @extend_schema(operation_id="institution_visit_close", request=s.DateInSerializer, responses=s.VisitSerializer)
    def post(self, request, pk: int):
        data = self.valid(s.DateInSerializer)
        return self.answer_visit(services.close_visit(request.user, self.visit(), data["on"]))


class FindingRectified(_Write):
    @extend_schema(operation_id="institution_finding_rectified", request=s.DateInSerializer, responses=s.FindingSerializer)
    def post(self, request, pk: int):
        finding = get_object_or_404(
            FINDINGS.visible(actor_for(request.user), VisitFinding.objects.select_related("visit__organisation")), pk=pk
        )
        data = self.valid(s.DateInSerializer)
        return Response(s.FindingSerializer(services.mark_rectified(request.user, finding, data["on"])).data)


class DeclarationFile(_Write):
    @extend_schema(
        operation_id="institution_declare", request=s.DeclarationInSerializer, responses={201: s.DeclarationSerializer}
    )
    def post(self, request, pk: int):
        institution = _institution(request, pk)
        data = self.valid(s.DeclarationInSerializer)
        declaration = services.declare(request.user, institution, **data)
        return Response(s.DeclarationSerializer(declaration).data, status=201)


class EvaluationRecord(_Write):
    @extend_schema(operation_id="institution_evaluate", request=s.EvaluationInSerializer, responses={201: s.EvaluationSerializer})
    def post(self, request, pk: int):
        institution = _institution(request, pk)
        data = self.valid(s.EvaluationInSerializer)
        evaluation = services.record_evaluation(request.user, institution, note=data["note"])
        return Response(s.EvaluationSerializer(evaluation).data, status=201)
