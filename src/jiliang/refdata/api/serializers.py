"""Standard reference data API shapes (plain strings for choices, so the schema adds no enum
components that could clash with other apps')."""

from __future__ import annotations

from rest_framework import serializers

from ..models import DatasetVersion


class SrdVersionSerializer(serializers.ModelSerializer):
    identifier = serializers.CharField(read_only=True)
    code = serializers.CharField(source="dataset.code", read_only=True)
    title = serializers.CharField(source="dataset.title", read_only=True)
    title_en = serializers.CharField(source="dataset.title_en", read_only=True)
    issuer = serializers.CharField(source="dataset.issuer.name", read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = DatasetVersion
        fields = [
            "identifier",
            "code",
            "title",
            "title_en",
            "number",
            "status",
            "issuer",
            "issuing_body",
            "provenance",
            "source_url",
            "method",
            "uncertainty_note",
            "columns",
            "row_count",
            "sha256",
            "approved_at",
            "review_note",
        ]
        read_only_fields = fields


class SrdReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SrdResolvedSerializer(serializers.Serializer):
    citation = serializers.CharField()
    version = SrdVersionSerializer()
    row = serializers.DictField(allow_null=True)
    intact = serializers.BooleanField()
