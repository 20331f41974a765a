"""Shapes of the inspections API (component names prefixed so they do not clash with the
prepack inspections')."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Draw, Inspection


class RandomDrawSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Draw
        fields = ["id", "title", "region", "kind", "status", "due_on", "plan_hash", "commitment", "published_at", "performed_at"]


class RandomDrawDocumentSerializer(serializers.Serializer):
    format = serializers.CharField()
    plan = serializers.JSONField()
    plan_hash = serializers.CharField()
    commitment = serializers.CharField()
    seed = serializers.CharField(allow_null=True, help_text="null until the draw")
    public_value = serializers.CharField(allow_null=True)
    result = serializers.JSONField(allow_null=True)


class RandomDrawPerformSerializer(serializers.Serializer):
    external_value = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FieldInspectionSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    campaign = serializers.PrimaryKeyRelatedField(read_only=True)
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "campaign",
            "organisation",
            "kind",
            "grade",
            "status",
            "outcome",
            "scheduled_on",
            "completed_on",
            "published_on",
            "findings",
        ]

    def get_findings(self, obj) -> list[dict]:
        return [
            {
                "id": f.pk,
                "item": f.item,
                "severity": f.severity,
                "description": f.description,
                "occurred_on": f.occurred_on.isoformat(),
            }
            for f in obj.findings.all()
        ]
