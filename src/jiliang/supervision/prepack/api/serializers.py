"""Shapes of the prepackaged-goods inspection API. Validation of content is the services'
(and the core's): these serializers only fix the shape for clients and the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Inspection, InspectionUnit, Notice
from ..services import MAX_BATCH, MAX_ID

MAX_VALUES = 10_000  # far above any plan's n (125) or a fully checked batch (10)


class PartySerializer(serializers.Serializer):
    credit_code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    region_code = serializers.CharField(max_length=6, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class InspectionCreateSerializer(serializers.Serializer):
    product_name = serializers.CharField(max_length=200)
    brand = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    specification = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    nominal = serializers.DecimalField(max_digits=14, decimal_places=4)
    unit = serializers.CharField(max_length=8)
    batch_size = serializers.IntegerField(min_value=1, max_value=MAX_BATCH)
    producer = PartySerializer()
    sampled_at = serializers.ChoiceField(choices=Inspection.Place.choices)
    retailer = PartySerializer(required=False, allow_null=True, default=None)
    sampling_date = serializers.DateField()
    inspector_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=50)
    scale_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=50)
    edition = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class MeasurementsSerializer(serializers.Serializer):
    values = serializers.ListField(
        child=serializers.FloatField(), max_length=MAX_VALUES, required=False, help_text="net contents, in the unit of Qn"
    )
    gross = serializers.ListField(child=serializers.FloatField(), max_length=MAX_VALUES, required=False)
    tare = serializers.ListField(
        child=serializers.FloatField(),
        max_length=MAX_VALUES,
        required=False,
        help_text="one tare per gross value (individual tare)",
    )
    tare_sample = serializers.ListField(
        child=serializers.FloatField(), max_length=MAX_VALUES, required=False, help_text="weighed empty packagings (average tare)"
    )
    replace = serializers.BooleanField(required=False, default=False)


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionUnit
        fields = ["position", "gross", "tare", "net"]


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    region_code = serializers.CharField(source="region.code")


class InspectionSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    producer = OrganisationRefSerializer()
    retailer = OrganisationRefSerializer(allow_null=True)
    nominal = serializers.FloatField()
    # Plain strings: the enum names "status" and "kind" are taken by other apps' schemas.
    status = serializers.CharField(read_only=True, help_text="draft | measured | judged | approved | published")
    kind = serializers.CharField(read_only=True, help_text="mass | volume | length | area | count")
    result = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "number",
            "status",
            "product_name",
            "brand",
            "specification",
            "nominal",
            "unit",
            "kind",
            "producer",
            "batch_size",
            "sampled_at",
            "retailer",
            "sampling_date",
            "edition",
            "mode",
            "result",
            "published_at",
        ]

    def get_result(self, obj) -> dict | None:
        if obj.passed is None:
            return None
        return {
            "edition": obj.edition,
            "T": obj.T,
            "n": obj.n,
            "lambda": obj.correction_factor,
            "mean": obj.mean,
            "s": obj.s,
            "mean_ok": obj.mean_ok,
            "short_T": obj.short_T,
            "short_2T": obj.short_2T,
            "allowed_short_T": obj.allowed_short_T,
            "allowed_short_2T": obj.allowed_short_2T,
            "mean_tare": obj.mean_tare,
            "pass": obj.passed,
            "reasons": obj.reasons,
        }


class InspectionDetailSerializer(InspectionSerializer):
    units = UnitSerializer(many=True, read_only=True)
    inspectors = serializers.SerializerMethodField()
    scales = serializers.SerializerMethodField()

    class Meta(InspectionSerializer.Meta):
        fields = InspectionSerializer.Meta.fields + ["tare_sample", "units", "inspectors", "scales", "judged_at", "approved_at"]

    def get_inspectors(self, obj) -> list[dict]:
        return [
            {"id": p.id, "name": p.name, "organisation": p.organisation.name}
            for p in obj.inspectors.select_related("organisation")
        ]

    def get_scales(self, obj) -> list[dict]:
        return [
            {
                "id": link.instrument_id,
                "code": link.instrument.code,
                "name": link.instrument.name,
                "checked_on": link.checked_on.isoformat(),
                "traceable": link.traceable,
                "reasons": link.chain.get("reasons", []),
            }
            for link in obj.scale_links.select_related("instrument")
        ]


class NoticeSerializer(serializers.ModelSerializer):
    recipient = OrganisationRefSerializer()
    inspection_number = serializers.CharField(source="inspection.number")

    class Meta:
        model = Notice
        fields = ["id", "recipient", "inspection", "inspection_number", "subject", "body", "created_at", "read_at"]
