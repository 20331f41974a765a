"""The witness log's public API: the latest (or a given) signed tree head, an inclusion proof
of an entry, a consistency proof between two tree sizes, a province's witnessed
checkpoints, the entries page by page and the centre's public key. Everything here is
public (``policies.LOG``); the answers are the JSON files ``jiliang audit witness-verify``
checks offline (docs/witness.md). A question the log cannot answer (no such tree size or
entry) is a 404 naming the parameter and the reason, in the request's language."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.messages import reason
from jiliang.policies import actor_for
from jiliang.registry.api.pagination import RegistryCursorPagination

from .. import services
from ..models import LogEntry
from ..policies import LOG


class _Public(APIView):
    permission_classes = [AllowAny]

    def handle_exception(self, exc):
        if isinstance(exc, services.WitnessRefused):  # the shared error body, naming the parameter
            return Response({"detail": f"{exc.field}: {reason(exc)}"}, status=404)
        return super().handle_exception(exc)


LARGEST = 2**62  # sizes and indexes the databases' 64-bit integers hold


class _Size(serializers.Serializer):
    tree_size = serializers.IntegerField(required=False, min_value=1, max_value=LARGEST)
    index = serializers.IntegerField(required=False, min_value=0, max_value=LARGEST)
    first = serializers.IntegerField(required=False, min_value=1, max_value=LARGEST)
    second = serializers.IntegerField(required=False, min_value=1, max_value=LARGEST)
    from_size = serializers.IntegerField(required=False, min_value=0, max_value=LARGEST, default=0)


def _query(request) -> dict:
    params = _Size(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


# What the log cannot answer (no tree head of that size, no such entry) is a 404.
ANSWERS = {200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="no tree head of that size, or no such entry")}


def _int(name: str, description: str, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, required=required, description=description)


class SignedTreeHead(_Public):
    @extend_schema(
        parameters=[_int("tree_size", "the tree head of this size (default: the latest)")],
        responses=ANSWERS,
        operation_id="witness_sth",
    )
    def get(self, request):
        return Response(services.sth_json(services.head_at(_query(request).get("tree_size"))))


class Inclusion(_Public):
    @extend_schema(
        parameters=[
            _int("index", "the entry (leaf index, from 0)", required=True),
            _int("tree_size", "prove it in the tree of this size (default: the latest)"),
        ],
        responses=ANSWERS,
        operation_id="witness_inclusion",
    )
    def get(self, request):
        query = _query(request)
        if "index" not in query:
            return Response({"index": ["required"]}, status=400)
        return Response(services.inclusion_bundle(query["index"], query.get("tree_size")))


class Consistency(_Public):
    @extend_schema(
        parameters=[
            _int("first", "the earlier tree size", required=True),
            _int("second", "the later tree size (default: the latest)"),
        ],
        responses=ANSWERS,
        operation_id="witness_consistency",
    )
    def get(self, request):
        query = _query(request)
        if "first" not in query:
            return Response({"first": ["required"]}, status=400)
        return Response(services.consistency_bundle(query["first"], query.get("second")))


class ProvinceLedger(_Public):
    @extend_schema(
        parameters=[_int("from_size", "from the checkpoint of this many ledger entries on (default: all)")],
        responses=ANSWERS,
        operation_id="witness_province_ledger",
    )
    def get(self, request, province: str):
        return Response(services.ledger_bundle(province, _query(request)["from_size"]))


class CentreKey(_Public):
    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="witness_key")
    def get(self, request):
        return Response({"public_key": services.centre_public_key()})


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LogEntry
        fields = ["index", "province", "ledger_size", "ledger_root", "witnessed_at", "leaf_hash", "leaf", "countersignature"]


class _ByIndex(RegistryCursorPagination):
    ordering = "index"


class Entries(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = EntrySerializer
    pagination_class = _ByIndex

    def get_queryset(self):
        query = LOG.visible(actor_for(self.request.user), LogEntry.objects.all())
        province = self.request.query_params.get("province")
        return query.filter(province=province) if province else query

    @extend_schema(parameters=[OpenApiParameter("province", OpenApiTypes.STR, description="two-digit province code")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
