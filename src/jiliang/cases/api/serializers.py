"""Shapes of the cases API. The rules are the services' and the core's; these fix the shape
for clients and the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from jiliang.core.cases import TRANSITIONS

from ..models import Case, Evidence, Step


class DeadlineSerializer(serializers.Serializer):
    step = serializers.CharField()
    due = serializers.DateField()
    clause = serializers.CharField()


class EnforcementCaseSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "region",
            "party",
            "party_name",
            "source",
            "alert",
            "complaint",
            "finding",
            "violation",
            "summary",
            "status",
            "discovered_on",
            "proposed_on",
            "filed_on",
            "extension_days",
            "notified_on",
            "proposed_penalty",
            "hearing_offered",
            "waived_on",
            "hearing_requested_on",
            "hearing_held_on",
            "decided_on",
            "decision_number",
            "penalty",
            "fine",
            "confiscated",
            "warning_only",
            "rectify_by",
            "rectified_on",
            "executed_on",
            "closed_on",
            "published_on",
            "transferred_on",
            "transferred_to",
        ]


class CaseEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "kind", "title", "note", "snapshot", "filename", "size", "sha256", "added_on"]


class CaseStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "action", "status_after", "taken_on", "note"]


class EnforcementCaseDetailSerializer(serializers.Serializer):
    case = EnforcementCaseSerializer()
    deadlines = DeadlineSerializer(many=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())
    evidence = CaseEvidenceSerializer(many=True)
    steps = CaseStepSerializer(many=True)


class CaseOpenSerializer(serializers.Serializer):
    alert = serializers.IntegerField(
        required=False, min_value=1, help_text="open from this telemetry alert (its evidence is frozen)"
    )
    complaint = serializers.CharField(required=False, max_length=20, help_text="open from this complaint (reference)")
    region = serializers.IntegerField(required=False, min_value=1, help_text="the region's id (a clue of another source)")
    party = serializers.CharField(required=False, max_length=18, help_text="the party's credit code")
    violation = serializers.ChoiceField(choices=Case.Violation.choices)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    discovered_on = serializers.DateField(required=False, allow_null=True, default=None)


class CaseStepRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a for a in TRANSITIONS if a != "add_evidence"])
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    party = serializers.CharField(required=False, max_length=18, help_text="propose: the party's credit code")
    proposed_penalty = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    hearing_offered = serializers.BooleanField(required=False, default=False)
    decision_number = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    penalty = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    fine = serializers.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0, default=0)
    confiscated = serializers.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0, default=0)
    warning_only = serializers.BooleanField(required=False, default=False)
    rectify_by = serializers.DateField(required=False, allow_null=True, default=None)
    transferred_to = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class CaseNoteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=20000)


class PublishedPenaltySerializer(serializers.Serializer):
    number = serializers.CharField()
    decision_number = serializers.CharField()
    party = serializers.CharField()
    credit_code = serializers.CharField()
    region = serializers.CharField()
    violation = serializers.CharField()
    penalty = serializers.CharField()
    fine = serializers.DecimalField(max_digits=12, decimal_places=2)
    confiscated = serializers.DecimalField(max_digits=12, decimal_places=2)
    decided_on = serializers.DateField()
    published_on = serializers.DateField()
