"""The shapes the interval API answers (for the schema; the data come from the services)."""

from __future__ import annotations

from rest_framework import serializers


class IntervalFamilySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="catalogue item code (目录编号)")
    name = serializers.CharField()
    events = serializers.IntegerField(help_text="verifications in the reader's scope")
    instruments = serializers.IntegerField()
    passed_fraction = serializers.FloatField(allow_null=True, help_text="share of those verifications passed")
    legal_maximum_months = serializers.IntegerField(allow_null=True, help_text="最长检定周期 of a periodic mandatory item")
