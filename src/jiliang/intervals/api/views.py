"""The interval API: the families of the reader's scope, and one family's report (the same
data as the page and ``jiliang intervals report``). Who may read is the policy's
(intervals.policies.REPORTS): anyone else gets 403; a bad target is a 400 naming it."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import actor_for
from jiliang.registry.api.refusals import RefusalsAnswered
from jiliang.registry.models import CatalogItem

from .. import services
from ..policies import REPORTS
from .serializers import IntervalFamilySerializer


def _actor(request):
    actor = actor_for(request.user)
    if not REPORTS.sees_reports(actor):
        raise exceptions.PermissionDenied(_("检定/校准间隔分析由计量行政部门和检定机构查看"))
    return actor


class FamilyList(APIView):
    """The instrument families (catalogue items) with verification history in the reader's
    scope, most verifications first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=IntervalFamilySerializer(many=True), operation_id="intervals_families")
    def get(self, request):
        rows = services.families(_actor(request))
        return Response(IntervalFamilySerializer(rows, many=True).data)


class FamilyReport(RefusalsAnswered, APIView):
    """One family's interval report: observed reliability per interval bin, the A3 test,
    the S2 models, the recommendation for the target beside the legal maximum."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("target", float, description="reliability target, 0.5–0.999 (default 0.95)"),
            OpenApiParameter("approval", str, description="narrow the family to one type approval number"),
        ],
        responses=OpenApiTypes.OBJECT,
        operation_id="intervals_family_report",
    )
    def get(self, request, code: str):
        actor = _actor(request)
        if "\x00" in code:  # no catalogue code holds one (and PostgreSQL refuses it in a query)
            raise Http404
        item = get_object_or_404(CatalogItem, code=code)
        target = services.parse_target(request.query_params.get("target"))
        approval = services.parse_approval(request.query_params.get("approval"))
        return Response(services.report_json(services.report(actor, item, approval=approval, target=target)))
