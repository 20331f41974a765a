"""CMC and KCDB API shapes (choices as plain strings)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Claim, KcdbCmc, KcdbComparison, KcdbDegree


class KcdbCmcSerializer(serializers.ModelSerializer):
    file = serializers.CharField(source="file.name", read_only=True)

    class Meta:
        model = KcdbCmc
        fields = [
            "key",
            "kcdb_code",
            "nmi_code",
            "nmi_name",
            "country",
            "rmo",
            "nmi_service_code",
            "area",
            "quantity",
            "instrument",
            "method",
            "range_min",
            "range_max",
            "unit",
            "u_low",
            "u_high",
            "u_unit",
            "relative",
            "k",
            "confidence",
            "approved_on",
            "file",
        ]
        read_only_fields = fields


class KcdbDegreeSerializer(serializers.ModelSerializer):
    class Meta:
        model = KcdbDegree
        fields = ["lab", "d", "u"]
        read_only_fields = fields


class KcdbComparisonSerializer(serializers.ModelSerializer):
    degrees = KcdbDegreeSerializer(many=True, read_only=True)

    class Meta:
        model = KcdbComparison
        fields = ["code", "measurand", "statement", "unit", "source_url", "retrieved_on", "degrees"]
        read_only_fields = fields


class CmcClaimSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    form = serializers.CharField(read_only=True)
    institution = serializers.CharField(source="capability.standard.holder.name", read_only=True)
    supporting = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "capability",
            "institution",
            "quantity",
            "instrument",
            "method",
            "range_min",
            "range_max",
            "unit",
            "form",
            "a",
            "b",
            "k",
            "confidence",
            "conditions",
            "status",
            "supporting",
            "submitted_at",
            "reviewed_at",
            "review_note",
        ]
        read_only_fields = fields

    def get_supporting(self, claim) -> list[str]:
        return [p.comparison.code for p in claim.supporting.select_related("comparison")]


class CmcPointSerializer(serializers.Serializer):
    x = serializers.FloatField()
    u_claim = serializers.FloatField()
    u_kcdb = serializers.FloatField()
    ratio = serializers.FloatField()


class CmcComparisonRowSerializer(serializers.Serializer):
    kcdb = KcdbCmcSerializer()
    common_range = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    points = CmcPointSerializer(many=True)
    reason = serializers.CharField()


class CmcReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CmcDeclareSerializer(serializers.Serializer):
    capability = serializers.IntegerField(help_text="the registry capability row the claim states")
    quantity = serializers.CharField(max_length=200, help_text="the quantity as the KCDB names it")
    instrument = serializers.CharField(max_length=200)
    method = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    range_min = serializers.FloatField()
    range_max = serializers.FloatField()
    unit = serializers.CharField(max_length=30)
    form = serializers.CharField(default="rss", help_text="rss: U = Q[a, b·x]; linear: U = a + b·|x|")
    a = serializers.FloatField(default=0.0, help_text="absolute term, in the unit")
    b = serializers.FloatField(default=0.0, help_text="relative term (a fraction, not %)")
    k = serializers.FloatField(default=2.0)
    confidence = serializers.FloatField(default=95.0)
    conditions = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CmcSupportSerializer(serializers.Serializer):
    participant = serializers.IntegerField(help_text="a comparison participation (comparisons.Participant) of the holder")
