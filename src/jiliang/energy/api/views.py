"""The energy API (read): key units, a unit's GB 17167 check and closed months, reviews.
Reads go through the policies' ``visible`` (a row the actor may not see is a 404)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import actor_for

from .. import services
from ..models import KeyUnit, Review, UnitMonth
from ..policies import PARTS, REVIEWS, UNITS
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
