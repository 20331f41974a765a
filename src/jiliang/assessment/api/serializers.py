"""The assessment API's shapes: the files with their parts, and one request body per act."""

from __future__ import annotations

from rest_framework import serializers

from jiliang.registry import models as reg

from .. import rules
from ..models import Application, Assessor, Assignment, ChangeFiling, Document, Finding, ItemResult, StandardCertificate


class AssessmentDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "kind", "filename", "content_type", "size", "uploaded_at"]


class AssignmentSerializer(serializers.ModelSerializer):
    assessor_name = serializers.CharField(source="assessor.person.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "assessor", "assessor_name", "leader", "assigned_on"]


class ItemResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemResult
        fields = ["id", "phase", "clause", "conforming", "note", "evidence", "assessor", "recorded_on"]


class AssessmentFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = [
            "id",
            "application",
            "clause",
            "description",
            "deadline",
            "status",
            "response",
            "responded_on",
            "closed_on",
            "raised_by",
            "raised_on",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    documents = AssessmentDocumentSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    results = ItemResultSerializer(many=True, read_only=True)
    findings = AssessmentFindingSerializer(many=True, read_only=True)
    certificate_number = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "holder",
            "authority",
            "standard",
            "name",
            "tier",
            "level",
            "rank",
            "field",
            "equipment",
            "specifications",
            "catalog_items",
            "people",
            "responsible",
            "report",
            "late",
            "commitment",
            "filed_on",
            "due_on",
            "return_reasons",
            "decided_on",
            "decision_reason",
            "post_check_due",
            "post_check",
            "post_checked_on",
            "post_check_note",
            "documents",
            "assignments",
            "results",
            "findings",
            "certificate_number",
        ]

    def get_certificate_number(self, obj) -> str | None:
        cert = StandardCertificate.objects.filter(application=obj).values_list("number", flat=True).first()
        return cert


class ApplicationOpenSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Application.Kind.choices)
    holder = serializers.PrimaryKeyRelatedField(queryset=reg.Organisation.objects.all())
    standard = serializers.PrimaryKeyRelatedField(queryset=reg.MeasurementStandard.objects.all(), required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, default="")
    tier = serializers.ChoiceField(choices=reg.MeasurementStandard.Tier.choices, required=False, default="public")
    level = serializers.ChoiceField(choices=reg.MeasurementStandard.Level.choices, required=False, allow_blank=True, default="")
    rank = serializers.ChoiceField(choices=reg.MeasurementStandard.Rank.choices, required=False, default="highest")
    field = serializers.PrimaryKeyRelatedField(queryset=reg.MetrologyField.objects.all(), required=False, allow_null=True)
    equipment = serializers.PrimaryKeyRelatedField(queryset=reg.Instrument.objects.all(), many=True, required=False)
    specifications = serializers.SlugRelatedField(
        slug_field="code", queryset=reg.Specification.objects.all(), many=True, required=False
    )
    catalog_items = serializers.SlugRelatedField(
        slug_field="code", queryset=reg.CatalogItem.objects.all(), many=True, required=False
    )
    people = serializers.PrimaryKeyRelatedField(queryset=reg.Person.objects.all(), many=True, required=False)
    responsible = serializers.PrimaryKeyRelatedField(queryset=reg.Person.objects.all(), required=False, allow_null=True)
    report = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    late = serializers.BooleanField(required=False, default=False)
    commitment = serializers.BooleanField(required=False, default=False)

    def validate_report(self, value):
        unknown = sorted(set(value) - set(rules.REPORT_FIELDS))
        if unknown:
            raise serializers.ValidationError(f"unknown fields {', '.join(unknown)} (known: {', '.join(rules.REPORT_FIELDS)})")
        return value


class AttachSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(rules.DOCUMENT_KINDS))
    file = serializers.FileField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class PostCheckSerializer(serializers.Serializer):
    conforming = serializers.BooleanField(help_text="whether the commitment (告知承诺) was found kept")
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)


class ReturnSerializer(serializers.Serializer):
    reasons = serializers.CharField()


class AssignSerializer(serializers.Serializer):
    assessors = serializers.PrimaryKeyRelatedField(queryset=Assessor.objects.all(), many=True)


class ItemRecordSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=ItemResult.Phase.choices)
    clause = serializers.CharField()
    conforming = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True, required=False, default="")
    evidence = serializers.CharField(allow_blank=True, required=False, default="")


class FindingRaiseSerializer(serializers.Serializer):
    clause = serializers.CharField()
    description = serializers.CharField()
    deadline = serializers.DateField(required=False, allow_null=True)


class RespondSerializer(serializers.Serializer):
    response = serializers.CharField()


class AssessorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    organisation = serializers.IntegerField(source="person.organisation_id", read_only=True)

    class Meta:
        model = Assessor
        fields = [
            "id",
            "person",
            "name",
            "organisation",
            "user",
            "certificate_number",
            "specialities",
            "registered_by",
            "valid_from",
            "valid_until",
        ]


class StandardCertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = StandardCertificate
        fields = [
            "id",
            "number",
            "standard",
            "application",
            "authority",
            "issued_on",
            "valid_from",
            "valid_until",
            "status",
            "sha256",
        ]


class ChangeFilingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeFiling
        fields = [
            "id",
            "number",
            "standard",
            "kind",
            "description",
            "effective_on",
            "status",
            "filed_on",
            "review_note",
            "reviewed_on",
        ]
        read_only_fields = ["number", "status", "filed_on", "review_note", "reviewed_on"]


class ReviewSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reassess", "reject"])
    note = serializers.CharField(allow_blank=True, required=False, default="")
