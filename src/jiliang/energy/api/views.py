"""The energy API: key units, a unit's GB 17167 check and closed months, reviews; and the
review's writes (open, record the checklist, issue the rectification notice, the unit's
answer to a finding, the result). Reads go through the policies' ``visible`` (a row the
actor may not see is a 404); writes are the services' (a refusal is a 400 naming the field
and the rule, in the request's language; a missing right a 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import actor_for
from jiliang.registry.api.refusals import RefusalsAnswered

from .. import services
from ..models import KeyUnit, Review, ReviewFinding, UnitMonth
from ..policies import FINDINGS, PARTS, REVIEWS, UNITS
from . import serializers as s


def _units(request):
    return UNITS.visible(actor_for(request.user), KeyUnit.objects.select_related("organisation__region"))


class UnitList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EnergyUnitSerializer

    def get_queryset(self):
        return _units(self.request)


class UnitDetail(RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EnergyUnitSerializer

    def get_queryset(self):
        return _units(self.request)


class UnitConfiguration(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.EnergyConfigurationSerializer, operation_id="energy_unit_configuration")
    def get(self, request, pk: int):
        unit = get_object_or_404(_units(request), pk=pk)
        return Response(services.configuration_json(services.configuration(unit)))


class UnitMonths(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EnergyMonthSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's pass: no request to scope
            return UnitMonth.objects.none()
        unit = get_object_or_404(_units(self.request), pk=self.kwargs["pk"])
        return PARTS.visible(actor_for(self.request.user), UnitMonth.objects.filter(unit=unit))


class ReviewList(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EnergyReviewSerializer

    def get_queryset(self):
        return REVIEWS.visible(actor_for(self.request.user), Review.objects.prefetch_related("findings"))


class ReviewDetail(RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EnergyReviewSerializer

    def get_queryset(self):
        return REVIEWS.visible(actor_for(self.request.user), Review.objects.prefetch_related("findings"))


# -- the review's writes ---------------------------------------------------------------------


class _Write(RefusalsAnswered, APIView):
    permission_classes = [IsAuthenticated]

    def review(self) -> Review:
        return get_object_or_404(
            REVIEWS.visible(actor_for(self.request.user), Review.objects.select_related("unit__organisation__region")),
            pk=self.kwargs["pk"],
        )

    def answer(self, review: Review, status: int = 200) -> Response:
        review = Review.objects.prefetch_related("findings").get(pk=review.pk)
        return Response(s.EnergyReviewSerializer(review).data, status=status)


class ReviewOpen(_Write):
    @extend_schema(
        operation_id="energy_review_open", request=s.EnergyReviewOpenSerializer, responses={201: s.EnergyReviewSerializer}
    )
    def post(self, request, pk: int):
        unit = get_object_or_404(_units(request), pk=pk)
        data = self.valid(s.EnergyReviewOpenSerializer)
        review = services.open_review(
            request.user, unit, kind=data["kind"], started_on=data["started_on"], reviewers=data["reviewers"]
        )
        return self.answer(review, 201)


class ReviewChecklist(_Write):
    @extend_schema(operation_id="energy_review_record", request=s.EnergyChecklistSerializer, responses=s.EnergyReviewSerializer)
    def post(self, request, pk: int):
        data = self.valid(s.EnergyChecklistSerializer)
        items = {code: dict(entry) for code, entry in data["items"].items()}
        return self.answer(services.record_checklist(request.user, self.review(), items))


class ReviewRectification(_Write):
    @extend_schema(
        operation_id="energy_review_rectification",
        request=s.EnergyRectificationNoticeSerializer,
        responses=s.EnergyReviewSerializer,
    )
    def post(self, request, pk: int):
        data = self.valid(s.EnergyRectificationNoticeSerializer)
        review = services.require_rectification(request.user, self.review(), data["due"], working_days=data["working_days"])
        return self.answer(review)


class ReviewDecision(_Write):
    @extend_schema(operation_id="energy_review_decide", request=s.EnergyDecisionSerializer, responses=s.EnergyReviewSerializer)
    def post(self, request, pk: int):
        data = self.valid(s.EnergyDecisionSerializer)
        review = services.decide(request.user, self.review(), data["result"], summary=data["summary"], on=data["decided_on"])
        return self.answer(review)


class FindingRectification(_Write):
    @extend_schema(
        operation_id="energy_finding_rectify", request=s.EnergyFindingAnswerSerializer, responses=s.EnergyFindingSerializer
    )
    def post(self, request, pk: int):
        finding = get_object_or_404(
            FINDINGS.visible(actor_for(request.user), ReviewFinding.objects.select_related("review__unit__organisation")),
            pk=pk,
        )
        data = self.valid(s.EnergyFindingAnswerSerializer)
        finding = services.rectify(request.user, finding, data["rectification"], data["rectified_on"])
        return Response(s.EnergyFindingSerializer(finding).data)
