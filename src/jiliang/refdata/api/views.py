"""The standard reference data API: versions (the actor's policy decides which), one
version's export in CSV, JSON or XLSX, the resolver of a citation, and the review's writes.
A version is addressed by its identifier (SRD-<code>-v<n>), the name it is cited by."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang.policies import actor_for
from jiliang.registry.api.refusals import NewestFirst, RefusalsAnswered

from .. import services
from ..models import DatasetVersion
from ..policies import VERSIONS
from . import serializers as s

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORTS = {"csv": services.export_csv, "json": services.export_json, "xlsx": services.export_xlsx}


def visible_version(request, identifier: str) -> DatasetVersion:
    """The version an identifier names, if the actor may see it (else 404: a draft is not
    known to who may not see it)."""
    found = services.resolve(identifier)
    if found is None or found[1] is not None or not VERSIONS.may_view(actor_for(request.user), found[0]):
        raise Http404
    return found[0]


class VersionList(ListAPIView):
    serializer_class = s.SrdVersionSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return VERSIONS.visible(actor_for(self.request.user), DatasetVersion.objects.select_related("dataset__issuer"))


class VersionDetail(APIView):
    @extend_schema(responses=s.SrdVersionSerializer, operation_id="srd_version")
    def get(self, request, identifier: str):
        return Response(s.SrdVersionSerializer(visible_version(request, identifier)).data)


class VersionExport(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, operation_id="srd_version_export")
    def get(self, request, identifier: str, fmt: str):
        if fmt not in EXPORTS:
            raise Http404
        version = visible_version(request, identifier)
        response = HttpResponse(EXPORTS[fmt](version), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{version.identifier}.{fmt}"'
        return response


class Resolve(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("id", str, description="SRD-<code>-v<n> or SRD-<code>-v<n>#row-<k>")],
        responses={
            200: s.SrdResolvedSerializer,
            404: OpenApiResponse(description="no version or row has that identifier, or not one this actor may see"),
        },
        operation_id="srd_resolve",
    )
    def get(self, request):
        identifier = request.query_params.get("id", "")
        found = services.resolve(identifier)
        if found is None or not VERSIONS.may_view(actor_for(request.user), found[0]):
            raise Http404
        version, row = found
        return Response(
            {
                "citation": identifier.strip(),
                "version": s.SrdVersionSerializer(version).data,
                "row": row.values if row is not None else None,
                "intact": services.intact(version),
            }
        )


class _Review(RefusalsAnswered, APIView):
    permission_classes = [IsAuthenticated]

    def act(self, request, identifier: str, action: str) -> Response:
        version = visible_version(request, identifier)
        data = s.SrdReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = data.validated_data["note"]
        if action == "submit":
            version = services.submit(request.user, version)
        elif action == "approve":
            version = services.approve(request.user, version, note)
        else:
            version = services.return_for_correction(request.user, version, note)
        return Response(s.SrdVersionSerializer(version).data)


class Submit(_Review):
    @extend_schema(request=s.SrdReviewSerializer, responses=s.SrdVersionSerializer, operation_id="srd_version_submit")
    def post(self, request, identifier: str):
        return self.act(request, identifier, "submit")


class Approve(_Review):
    @extend_schema(request=s.SrdReviewSerializer, responses=s.SrdVersionSerializer, operation_id="srd_version_approve")
    def post(self, request, identifier: str):
        return self.act(request, identifier, "approve")


class Return(_Review):
    @extend_schema(request=s.SrdReviewSerializer, responses=s.SrdVersionSerializer, operation_id="srd_version_return")
    def post(self, request, identifier: str):
        return self.act(request, identifier, "return")
