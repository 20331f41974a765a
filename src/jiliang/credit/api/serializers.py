from __future__ import annotations

from rest_framework import serializers

from ..models import CreditGrade, Objection, Repair


class CreditGradeSerializer(serializers.ModelSerializer):
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = CreditGrade
        fields = ["id", "organisation", "grade", "previous", "score", "graded_on", "rule_version", "evidence", "current"]

    def get_evidence(self, obj) -> list[dict]:
        return [{"kind": kind, "reference": ref} for kind, ref in obj.pieces()]


class CreditPieceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reference = serializers.CharField()
    occurred_on = serializers.DateField()
    weight = serializers.FloatField(allow_null=True)
    counts = serializers.BooleanField()
    excluded = serializers.CharField(allow_blank=True)
    repair_from = serializers.DateField(allow_null=True)


class CreditRecordSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    grade = serializers.CharField()
    graded_on = serializers.DateField(allow_null=True)
    rule_version = serializers.IntegerField()
    evaluated_grade = serializers.CharField(help_text="the class today's evidence gives (applied at the next grading)")
    evaluated_score = serializers.FloatField()
    evidence = CreditPieceSerializer(many=True)
    history = CreditGradeSerializer(many=True)


class CreditRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = [
            "id",
            "organisation",
            "kind",
            "reference",
            "occurred_on",
            "statement",
            "status",
            "filed_on",
            "decided_on",
            "decision_reason",
        ]


class CreditRepairSerializer(CreditRequestSerializer):
    class Meta(CreditRequestSerializer.Meta):
        model = Repair


class CreditRequestCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    kind = serializers.CharField(max_length=40)
    reference = serializers.CharField(max_length=100)
    statement = serializers.CharField(max_length=4000)
    attachment = serializers.FileField(required=False)


class CreditDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="objection upheld / repair granted")
    reason = serializers.CharField(max_length=500)


class CreditRulesSetSerializer(serializers.Serializer):
    document = serializers.JSONField()
    effective_from = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CreditSummaryRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
