from __future__ import annotations

from rest_framework import serializers

from ..models import Declaration, Evaluation, SupervisionVisit, VisitFinding


class InstitutionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField(source="region.code")


class ItemRowSerializer(serializers.Serializer):
    item = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    range_min = serializers.FloatField(source="authorised.range_min", allow_null=True)
    range_max = serializers.FloatField(source="authorised.range_max", allow_null=True)
    unit = serializers.CharField(source="authorised.unit")
    standards = serializers.SerializerMethodField()
    qualified = serializers.SerializerMethodField()
    no_standard = serializers.BooleanField()
    few_people = serializers.BooleanField()

    def get_standards(self, row) -> list[str]:
        return [s.certificate_number for s in row.standards]

    def get_qualified(self, row) -> list[dict]:
        return [{"id": p.pk, "name": p.name} for p in row.people]


class ScoredItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    basis = serializers.CharField()
    method = serializers.CharField()
    points = serializers.FloatField()
    score = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_null=True)


class DeclarationStateSerializer(serializers.Serializer):
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=["current", "expired", "missing"])
    declared_on = serializers.DateField(source="latest.declared_on", allow_null=True, default=None)
    valid_until = serializers.DateField(source="latest.valid_until", allow_null=True, default=None)


class ProfileSerializer(serializers.Serializer):
    institution = InstitutionSerializer()
    on = serializers.DateField()
    items = ItemRowSerializer(many=True)
    scored = ScoredItemSerializer(many=True)
    score = serializers.FloatField()
    result = serializers.CharField()
    declarations = DeclarationStateSerializer(many=True)
    workload = serializers.DictField()


class FindingSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = VisitFinding
        fields = ["id", "reference", "clause", "description", "severity", "rectify_by", "rectified_on"]


class VisitSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = SupervisionVisit
        fields = ["id", "organisation", "visited_on", "inspectors", "scope", "summary", "status", "closed_on", "findings"]


class FindingInSerializer(serializers.Serializer):
    clause = serializers.CharField(max_length=20)
    description = serializers.CharField(max_length=2000)
    severity = serializers.CharField(max_length=6)
    rectify_by = serializers.DateField()


class VisitInSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    inspectors = serializers.CharField(max_length=200)
    scope = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    findings = FindingInSerializer(many=True, required=False, default=list)


class DateInSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)


class DeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Declaration
        fields = ["id", "organisation", "kind", "declared_on", "valid_until", "signed_by", "text"]


class DeclarationInSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=14)
    signed_by = serializers.CharField(max_length=50)
    text = serializers.CharField(max_length=4000)
    declared_on = serializers.DateField(required=False, allow_null=True, default=None)


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluation
        fields = ["id", "organisation", "evaluated_on", "rules_version", "items", "score", "result", "note"]


class EvaluationInSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MetrologistSerializer(serializers.Serializer):
    person = serializers.CharField(source="person.name")
    level = serializers.CharField()
    number = serializers.CharField()
    specialty = serializers.CharField()
    institution = serializers.CharField(source="institution.name", allow_null=True)
    registered_on = serializers.DateField()
    valid_until = serializers.DateField()
    items = serializers.SerializerMethodField()

    def get_items(self, row) -> list[dict]:
        return [{"item": q.catalog_item.code, "kind": q.kind, "valid_until": q.valid_until} for q in row.items]


class MetrologistReportSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    on = serializers.DateField()
    this_year = serializers.IntegerField()
    last_year = serializers.IntegerField()
    target = serializers.DictField()
    rows = MetrologistSerializer(many=True)
