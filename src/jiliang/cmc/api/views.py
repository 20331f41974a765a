"""The CMC API: the KCDB's CMCs and key comparisons (public), the exports that give back
the files imported, the claims the actor may see, a claim against the KCDB, and the
claim's review writes (the services decide; a refusal is a 400 naming the field, a missing
right a 403)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.comparisons.models import Participant
from jiliang.policies import actor_for
from jiliang.registry.api.refusals import RefusalsAnswered
from jiliang.registry.models import Capability

from .. import services
from ..models import Claim, KcdbCmc, KcdbComparison, KcdbFile
from ..policies import CLAIMS
from . import serializers as s


class KcdbCmcList(ListAPIView):
    serializer_class = s.KcdbCmcSerializer

    @extend_schema(parameters=[OpenApiParameter("quantity", str, description="the KCDB quantity, exact (case ignored)")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        rows = KcdbCmc.objects.select_related("file")
        quantity = self.request.query_params.get("quantity")
        return rows.filter(quantity__iexact=quantity) if quantity else rows


class KcdbFileExport(APIView):
    @extend_schema(responses={(200, "application/json"): bytes}, operation_id="cmc_kcdb_file_export")
    def get(self, request, name: str):
        file = get_object_or_404(KcdbFile, name=name)
        response = HttpResponse(services.export_kcdb_cmcs(file), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{file.name}"'
        return response


class KcdbComparisonList(ListAPIView):
    serializer_class = s.KcdbComparisonSerializer

    def get_queryset(self):
        return KcdbComparison.objects.prefetch_related("degrees")


class KcdbComparisonExport(APIView):
    @extend_schema(responses={(200, "text/plain"): bytes}, operation_id="cmc_kcdb_comparison_export")
    def get(self, request, code: str):
        comparison = get_object_or_404(KcdbComparison, code=code)
        response = HttpResponse(services.export_kcdb_comparison(comparison), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{comparison.source}"'
        return response


def _claims(request):
    return CLAIMS.visible(
        actor_for(request.user), Claim.objects.select_related("capability__standard__holder").prefetch_related("supporting")
    )


class ClaimList(ListAPIView):
    serializer_class = s.CmcClaimSerializer

    def get_queryset(self):
        return _claims(self.request)


class ClaimDetail(RetrieveAPIView):
    serializer_class = s.CmcClaimSerializer

    def get_queryset(self):
        return _claims(self.request)


class ClaimAgainstKcdb(APIView):
    @extend_schema(responses=s.CmcComparisonRowSerializer(many=True), operation_id="cmc_claim_kcdb_comparison")
    def get(self, request, pk: int):
        claim = get_object_or_404(_claims(request), pk=pk)
        return Response(
            [
                {
                    "kcdb": s.KcdbCmcSerializer(entry["row"]).data,
                    "common_range": list(entry["span"]) if entry["span"] else None,
                    "points": [{"x": p.x, "u_claim": p.u_claim, "u_kcdb": p.u_other, "ratio": p.ratio} for p in entry["points"]],
                    "reason": str(entry["reason"]),
                }
                for entry in services.comparison_with_kcdb(claim)
            ]
        )


class _Review(RefusalsAnswered, APIView):
    permission_classes = [IsAuthenticated]

    def act(self, request, pk: int, action: str) -> Response:
        claim = get_object_or_404(_claims(request), pk=pk)
        data = s.CmcReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = data.validated_data["note"]
        if action == "submit":
            claim = services.submit(request.user, claim)
        elif action == "approve":
            claim = services.approve(request.user, claim, note)
        elif action == "return":
            claim = services.return_for_correction(request.user, claim, note)
        else:
            raise Http404
        return Response(s.CmcClaimSerializer(claim).data)


class ClaimDeclare(RefusalsAnswered, APIView):
    """A claim on a capability row (or a draft's correction): the standard's holder."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.CmcDeclareSerializer, responses={201: s.CmcClaimSerializer}, operation_id="cmc_claim_declare")
    def post(self, request):
        data = s.CmcDeclareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        # A row named in the body is a field of the request: an unknown one is a 400 on that field.
        capability = Capability.objects.select_related("standard").filter(pk=values.pop("capability")).first()
        if capability is None:
            raise ValidationError({"capability": [gettext("没有这一能力行")]})
        claim = services.declare(request.user, capability, **values)
        return Response(s.CmcClaimSerializer(claim).data, status=201)


class ClaimSupport(RefusalsAnswered, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.CmcSupportSerializer, responses=s.CmcClaimSerializer, operation_id="cmc_claim_support")
    def post(self, request, pk: int):
        claim = get_object_or_404(_claims(request), pk=pk)
        data = s.CmcSupportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = get_object_or_404(Participant, pk=data.validated_data["participant"])
        return Response(s.CmcClaimSerializer(services.link_support(request.user, claim, participant)).data)


class ClaimSubmit(_Review):
    @extend_schema(request=s.CmcReviewSerializer, responses=s.CmcClaimSerializer, operation_id="cmc_claim_submit")
    def post(self, request, pk: int):
        return self.act(request, pk, "submit")


class ClaimApprove(_Review):
    @extend_schema(request=s.CmcReviewSerializer, responses=s.CmcClaimSerializer, operation_id="cmc_claim_approve")
    def post(self, request, pk: int):
        return self.act(request, pk, "approve")


class ClaimReturn(_Review):
    @extend_schema(request=s.CmcReviewSerializer, responses=s.CmcClaimSerializer, operation_id="cmc_claim_return")
    def post(self, request, pk: int):
        return self.act(request, pk, "return")
