"""The inspections API: published draws and their PLAN.json (public), performing a draw
(the region's administration), and the inspections the actor may see (the public: the
published ones). Reads go through the policies; writes through the services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from jiliang.core.errors import InputError
from jiliang.messages import reason as reason_of
from jiliang.policies import actor_for

from .. import services
from ..models import Draw, Inspection
from ..policies import DRAWS, INSPECTIONS
from . import serializers as s


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class DrawList(ListAPIView):
    """Every published draw (一公开)."""

    permission_classes = [AllowAny]
    serializer_class = s.RandomDrawSerializer
    pagination_class = Pages

    def get_queryset(self):
        return DRAWS.visible(actor_for(self.request.user), Draw.objects.select_related("region"))


class DrawDocument(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.RandomDrawDocumentSerializer
    queryset = Draw.objects.all()

    def get(self, request, pk: int):
        """PLAN.json of the draw (docs/draws.md): the seed and result once performed."""
        return Response(get_object_or_404(Draw, pk=pk).document())


class DrawPerform(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.RandomDrawPerformSerializer
    queryset = Draw.objects.all()

    @extend_schema(responses=s.RandomDrawDocumentSerializer)
    def post(self, request, pk: int):
        draw = get_object_or_404(Draw, pk=pk)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            draw = services.perform_draw(request.user, draw, body.validated_data["external_value"])
        except InputError as exc:
            if exc.code == "inspection_not_supervisor":
                raise exceptions.PermissionDenied(reason_of(exc)) from None
            raise exceptions.ValidationError({exc.field or "non_field_errors": [reason_of(exc)]}) from None
        return Response(draw.document())


class InspectionList(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.FieldInspectionSerializer
    pagination_class = Pages

    def get_queryset(self):
        return INSPECTIONS.visible(actor_for(self.request.user), Inspection.objects.prefetch_related("findings")).order_by("pk")
