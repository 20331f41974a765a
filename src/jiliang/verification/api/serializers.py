"""Serializers of the verification API: rows out, use-case arguments in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from jiliang.registry import models as reg

from ..models import (
    Notice,
    Registration,
    RegistrationHistory,
    Reminder,
    VerificationRecord,
)


class RegistrationHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RegistrationHistory
        fields = ["action", "actor", "at", "note"]


class RegistrationSerializer(serializers.ModelSerializer):
    instrument_code = serializers.CharField(source="instrument.code", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)
    history = RegistrationHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "instrument",
            "instrument_code",
            "owner",
            "region",
            "region_code",
            "status",
            "submitted_on",
            "reviewed_on",
            "return_reason",
            "assigned_institution",
            "assigned_standard",
            "coverage_gap",
            "history",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    instrument = serializers.PrimaryKeyRelatedField(queryset=reg.Instrument.objects.all())


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class ReassignSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=reg.Organisation.objects.all())
    reason = serializers.CharField(max_length=300)


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class VerificationRecordSerializer(serializers.ModelSerializer):
    instrument = serializers.IntegerField(source="event.instrument_id", read_only=True)
    performed_on = serializers.DateField(source="event.performed_on", read_only=True)
    valid_until = serializers.DateField(source="event.valid_until", read_only=True, allow_null=True)  # none on a 检定结果通知书
    passed = serializers.BooleanField(source="event.passed", read_only=True)

    class Meta:
        model = VerificationRecord
        fields = [
            "id",
            "number",
            "document",
            "instrument",
            "institution",
            "standard",
            "performed_on",
            "valid_until",
            "passed",
            "verifier",
            "checker",
            "approver",
            "fee",
            "recorded_at",
        ]
        read_only_fields = fields


class RecordSerializer(serializers.Serializer):
    instrument = serializers.PrimaryKeyRelatedField(queryset=reg.Instrument.objects.all())
    standard = serializers.PrimaryKeyRelatedField(queryset=reg.MeasurementStandard.objects.all())
    performed_on = serializers.DateField()
    passed = serializers.BooleanField()
    verifier = serializers.PrimaryKeyRelatedField(queryset=reg.Person.objects.all())
    checker = serializers.PrimaryKeyRelatedField(queryset=reg.Person.objects.all())
    approver = serializers.PrimaryKeyRelatedField(queryset=reg.Person.objects.all())
    fee = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="VerificationNotice")  # prepack has its own Notice
class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "addressee", "region", "instrument", "catalog_item", "due_on", "issued_on", "text"]
        read_only_fields = fields


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = ["id", "instrument", "stage", "due_on", "recipient", "sent_on"]
        read_only_fields = fields
