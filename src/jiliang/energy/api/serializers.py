"""Energy API shapes. Choice fields are plain strings (their codes), so the schema adds no
enum components that could clash with other apps' names."""

from __future__ import annotations

from rest_framework import serializers

from ..models import KeyUnit, Review, ReviewFinding, UnitMonth


class EnergyUnitSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="organisation.name", read_only=True)
    credit_code = serializers.CharField(source="organisation.credit_code", read_only=True)
    region = serializers.CharField(source="organisation.region.code", read_only=True)
    electricity_category = serializers.CharField(read_only=True)

    class Meta:
        model = KeyUnit
        fields = [
            "id",
            "name",
            "credit_code",
            "region",
            "sector",
            "key_energy_user",
            "key_emitter",
            "annual_tce",
            "electricity_category",
            "output_unit",
            "listed_on",
        ]
        read_only_fields = fields


class EnergyMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitMonth
        fields = ["month", "tce", "u_tce", "co2_t", "u_co2_t", "by_type", "output", "quality"]
        read_only_fields = fields


class EnergyFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewFinding
        fields = ["id", "item", "description", "rectification", "rectified_on", "accepted"]
        read_only_fields = fields


class EnergyReviewSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    result = serializers.CharField(read_only=True)
    findings = EnergyFindingSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "number",
            "unit",
            "kind",
            "status",
            "started_on",
            "reviewers",
            "checklist",
            "configuration",
            "rectification_due",
            "result",
            "decided_on",
            "summary",
            "findings",
        ]
        read_only_fields = fields


class EnergyConfigurationSerializer(serializers.Serializer):
    rates = serializers.ListField(child=serializers.DictField())
    on_time = serializers.FloatField(allow_null=True)
    gaps = serializers.ListField(child=serializers.DictField())


# -- the review's writes (the services decide; these only read the request) ---------------------


class EnergyReviewOpenSerializer(serializers.Serializer):
    kind = serializers.CharField(default="energy", help_text="energy | carbon")
    started_on = serializers.DateField(required=False, allow_null=True, default=None)
    reviewers = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class EnergyChecklistEntrySerializer(serializers.Serializer):
    verdict = serializers.CharField(help_text="yes | no | na")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EnergyChecklistSerializer(serializers.Serializer):
    items = serializers.DictField(child=EnergyChecklistEntrySerializer(), help_text="item code → verdict and note")


class EnergyRectificationNoticeSerializer(serializers.Serializer):
    due = serializers.DateField(required=False, allow_null=True, default=None)
    working_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=250)


class EnergyFindingAnswerSerializer(serializers.Serializer):
    rectification = serializers.CharField(allow_blank=True)
    rectified_on = serializers.DateField(required=False, allow_null=True, default=None)


class EnergyDecisionSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="passed | rectified | failed")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)
