"""Shapes of the checks API. Content rules are the services' and the core's; these fix the
shape for clients and the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from ..models import CheckAlert, CheckPlan, CheckRecord
from ..services import MAX_VALUES, PLAN_FIELDS


class PlanSerializer(serializers.ModelSerializer):
    standard = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CheckPlan
        fields = ["id", "standard", *PLAN_FIELDS, "created_on"]  # what a plan is made with (services)


class PlanCreateSerializer(serializers.Serializer):
    standard = serializers.IntegerField(min_value=1, help_text="id of the measurement standard")
    check_item = serializers.CharField(max_length=200)
    check_standard = serializers.CharField(max_length=200)
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    method = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    interval_days = serializers.IntegerField(min_value=1, max_value=3660, required=False, default=30)
    chart = serializers.ChoiceField(choices=CheckPlan.Chart.choices, required=False, default=CheckPlan.Chart.X_MR)
    subgroup_size = serializers.IntegerField(min_value=1, max_value=25, required=False, allow_null=True, default=None)
    baseline_points = serializers.IntegerField(min_value=2, max_value=500, required=False, default=20)
    standard_mean = serializers.FloatField(required=False, allow_null=True, default=None)
    standard_sigma = serializers.FloatField(required=False, allow_null=True, default=None)
    stability_basis = serializers.ChoiceField(choices=CheckPlan.Basis.choices, required=False, default=CheckPlan.Basis.NOMINAL)
    stability_allowed = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0)
    repeatability_used = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0)
    escalate_after_days = serializers.IntegerField(min_value=1, max_value=365, required=False, allow_null=True, default=None)


class RecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckRecord
        fields = ["id", "plan", "kind", "performed_on", "values", "performer", "note"]


class RecordCreateSerializer(serializers.Serializer):
    performed_on = serializers.DateField()
    values = serializers.ListField(child=serializers.FloatField(), min_length=1, max_length=MAX_VALUES)
    kind = serializers.ChoiceField(choices=CheckRecord.Kind.choices, required=False, default=CheckRecord.Kind.CHECK)
    performer = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AlertSerializer(serializers.ModelSerializer):
    standard = serializers.IntegerField(source="plan.standard_id", read_only=True)
    performed_on = serializers.DateField(source="record.performed_on", read_only=True)

    class Meta:
        model = CheckAlert
        fields = [
            "id",
            "plan",
            "standard",
            "record",
            "performed_on",
            "rules",
            "raised_on",
            "last_good_on",
            "status",
            "escalated_on",
            "answer",
            "answered_on",
        ]


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)


class LimitsSerializer(serializers.Serializer):
    centre = serializers.FloatField()
    lower = serializers.FloatField()
    upper = serializers.FloatField()


class SignalSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0-based position of the point on the chart")
    performed_on = serializers.DateField()
    rule = serializers.CharField(help_text="test1 … test8 of GB/T 17989.2 §8")
    clause = serializers.CharField()
    label = serializers.CharField()
    chart = serializers.ChoiceField(choices=["location", "dispersion"])


class ChartSerializer(serializers.Serializer):
    kind = serializers.CharField()
    subgroup_size = serializers.IntegerField()
    baseline = serializers.IntegerField(help_text="points the limits came from; 0 when from standard values")
    sigma = serializers.FloatField()
    dates = serializers.ListField(child=serializers.DateField())
    location = serializers.ListField(child=serializers.FloatField())
    dispersion = serializers.ListField(child=serializers.FloatField(allow_null=True))
    location_limits = LimitsSerializer()
    dispersion_limits = LimitsSerializer()
    signals = SignalSerializer(many=True)


class RepeatabilitySerializer(serializers.Serializer):
    performed_on = serializers.DateField()
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    s = serializers.FloatField()
    used_in_uncertainty = serializers.FloatField(allow_null=True)
    conforms = serializers.BooleanField(allow_null=True)
    enough = serializers.BooleanField()
    clause = serializers.CharField()


class StabilitySerializer(serializers.Serializer):
    method = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    allowed = serializers.FloatField(allow_null=True)
    basis = serializers.CharField()
    conforms = serializers.BooleanField(allow_null=True)
    groups = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())
    clause = serializers.CharField()


class EvaluationsSerializer(serializers.Serializer):
    repeatability = RepeatabilitySerializer(allow_null=True)
    stability = StabilitySerializer(allow_null=True)


class ImpactSerializer(serializers.Serializer):
    date_from = serializers.DateField(source="from")
    date_to = serializers.DateField(source="to")
    events = serializers.IntegerField()
    instruments = serializers.IntegerField()
    recall_page = serializers.CharField(allow_null=True)
