"""Serializers of the comparison API. Output serializers of a comparison never carry
submission values: those only leave through ``SubmissionSerializer``, which is fed from
``visibility.submissions`` alone."""

from __future__ import annotations

import json

from django.utils.translation import gettext
from rest_framework import serializers

from jiliang.core.comparison import ESTIMATORS
from jiliang.registry.models import MeasurementStandard, Organisation, Quantity, Region

from ..models import ArtefactMovement, Comparison, FollowUpAction, Measurand, Participant, Report, Submission


class MeasurandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measurand
        fields = ["id", "name", "quantity", "unit", "nominal_value"]


class ParticipantSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "label", "institution", "institution_name", "standard", "in_reference"]


class MovementSerializer(serializers.ModelSerializer):
    holder_name = serializers.CharField(source="holder.name", read_only=True)

    class Meta:
        model = ArtefactMovement
        fields = ["id", "holder", "holder_name", "received_on", "sent_on", "condition_on_arrival", "notes", "recorded_at"]
        read_only_fields = ["recorded_at"]


class ComparisonSerializer(serializers.ModelSerializer):
    pilot_name = serializers.CharField(source="pilot.name", read_only=True)
    administrator_region_code = serializers.CharField(source="administrator_region.code", read_only=True)
    has_protocol = serializers.SerializerMethodField()

    class Meta:
        model = Comparison
        fields = [
            "id",
            "code",
            "title",
            "kind",
            "status",
            "pilot",
            "pilot_name",
            "administrator_region",
            "administrator_region_code",
            "description",
            "registration_deadline",
            "circulation_start",
            "circulation_end",
            "submission_deadline",
            "estimator",
            "sigma_pt",
            "has_protocol",
            "closed_at",
            "computed_at",
            "approved_at",
            "published_at",
        ]

    def get_has_protocol(self, obj) -> bool:
        return bool(obj.protocol)


class ComparisonDetailSerializer(ComparisonSerializer):
    measurands = MeasurandSerializer(many=True, read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    circulation = MovementSerializer(many=True, read_only=True)

    class Meta(ComparisonSerializer.Meta):
        fields = ComparisonSerializer.Meta.fields + ["measurands", "participants", "circulation"]


class ComparisonCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=Comparison.Kind.choices)
    pilot = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    administrator_region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, default="")
    registration_deadline = serializers.DateField(required=False, allow_null=True)
    circulation_start = serializers.DateField(required=False, allow_null=True)
    circulation_end = serializers.DateField(required=False, allow_null=True)
    submission_deadline = serializers.DateTimeField()


class ScheduleSerializer(serializers.Serializer):
    registration_deadline = serializers.DateField(required=False, allow_null=True)
    circulation_start = serializers.DateField(required=False, allow_null=True)
    circulation_end = serializers.DateField(required=False, allow_null=True)
    submission_deadline = serializers.DateTimeField(required=False)


class MeasurandInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    quantity = serializers.PrimaryKeyRelatedField(queryset=Quantity.objects.all())
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    nominal_value = serializers.FloatField(required=False, allow_null=True)


class ParticipantInputSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    standard = serializers.PrimaryKeyRelatedField(queryset=MeasurementStandard.objects.all(), required=False, allow_null=True)
    label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    in_reference = serializers.BooleanField(required=False, default=True)


class MovementInputSerializer(serializers.Serializer):
    holder = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    received_on = serializers.DateField()
    sent_on = serializers.DateField(required=False, allow_null=True)
    condition_on_arrival = serializers.CharField(max_length=300)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ProtocolInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class BudgetField(serializers.JSONField):
    """A list of components, given as JSON or (in a multipart form) as a JSON string."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data.strip():
                return []
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(gettext("须为不确定度分量的 JSON 列表")) from None
        if not isinstance(data, list):
            raise serializers.ValidationError(gettext("须为不确定度分量的 JSON 列表"))
        return data


class SubmissionInputSerializer(serializers.Serializer):
    measurand = serializers.IntegerField()
    value = serializers.FloatField()
    u = serializers.FloatField()
    dof = serializers.FloatField(required=False, allow_null=True)
    budget = BudgetField(required=False, default=list)
    budget_file = serializers.FileField(required=False, allow_null=True)


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission with its values: only ever given rows from ``visibility.submissions``
    (values are read through ``Submission.content``, which opens a sealed row)."""

    participant_label = serializers.CharField(source="participant.label", read_only=True)
    measurand_name = serializers.CharField(source="measurand.name", read_only=True)
    value = serializers.FloatField(source="content.value", read_only=True)
    u = serializers.FloatField(source="content.u", read_only=True)
    dof = serializers.FloatField(source="content.dof", read_only=True, allow_null=True)
    budget = serializers.JSONField(source="content.budget", read_only=True)
    budget_file_name = serializers.CharField(source="content.budget_file_name", read_only=True)
    has_budget_file = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "participant",
            "participant_label",
            "measurand",
            "measurand_name",
            "value",
            "u",
            "dof",
            "budget",
            "has_budget_file",
            "budget_file_name",
            "submitted_at",
            "revision",
        ]

    def get_has_budget_file(self, obj) -> bool:
        return bool(obj.budget_file)


class SubmissionStatusSerializer(serializers.Serializer):
    """Who has submitted what and when: no values."""

    participant = serializers.IntegerField(source="participant_id")
    participant_label = serializers.CharField(source="participant__label")
    measurand = serializers.IntegerField(source="measurand_id")
    measurand_name = serializers.CharField(source="measurand__name")
    submitted_at = serializers.DateTimeField()
    revision = serializers.IntegerField()


class ComputeSerializer(serializers.Serializer):
    estimator = serializers.ChoiceField(choices=ESTIMATORS)
    sigma_pt = serializers.FloatField(required=False, allow_null=True)


class MeasurandResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measurand
        fields = ["id", "name", "unit", "nominal_value", "result"]


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "stage", "introduction", "discussion", "conclusions", "html", "written_at"]


class ReportInputSerializer(serializers.Serializer):
    introduction = serializers.CharField(required=False, allow_blank=True, default="")
    discussion = serializers.CharField(required=False, allow_blank=True, default="")
    conclusions = serializers.CharField(required=False, allow_blank=True, default="")


class FollowUpSerializer(serializers.ModelSerializer):
    comparison_code = serializers.CharField(source="comparison.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    measurand_name = serializers.CharField(source="measurand.name", read_only=True)

    class Meta:
        model = FollowUpAction
        fields = [
            "id",
            "comparison",
            "comparison_code",
            "institution",
            "institution_name",
            "standard",
            "measurand",
            "measurand_name",
            "verdict",
            "reason",
            "status",
            "due_on",
            "notes",
            "created_at",
            "closed_at",
        ]


class FollowUpUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FollowUpAction.Status.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    due_on = serializers.DateField(required=False)


class PublicComparisonSerializer(ComparisonSerializer):
    results = MeasurandResultSerializer(source="measurands", many=True, read_only=True)

    class Meta(ComparisonSerializer.Meta):
        fields = ComparisonSerializer.Meta.fields + ["results"]
