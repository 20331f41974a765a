"""Serializers for every registry table.

Each runs the model's ``full_clean()`` in ``validate``: field validators, the model's
``clean()`` and its check and unique constraints come back as errors that name the
field and the reason (e.g. ``credit_code``: "check character is 'X' but should be 'Y'").
"""

from __future__ import annotations

import copy
import operator

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from jiliang.registry import models

from .permissions import OrganisationPolicy, request_actor

_FIELDS_CACHE: dict[type, dict] = {}
_REPRESENTATION_PLANS: dict[type, list] = {}
_DIRECT = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.JSONField,
)


def representation_plan(serializer) -> list:
    """(name, attribute, converter, None) for columns read directly, (name, None, None,
    field) for fields DRF must render. Direct reads give what DRF would: ids for foreign
    keys, floats, ISO dates."""
    model = serializer.Meta.model
    columns = {f.name: f for f in model._meta.concrete_fields}
    plan = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        column = columns.get(field.source)
        if hasattr(serializer, f"represent_{name}"):
            plan.append((name, None, None, f"represent_{name}"))
        elif column is not None and isinstance(field, serializers.PrimaryKeyRelatedField) and column.is_relation:
            plan.append((name, column.attname, None, None))
        elif column is not None and isinstance(field, serializers.FloatField):
            plan.append((name, column.attname, float, None))
        elif (
            column is not None
            and type(field) is serializers.DateField
            and getattr(field, "format", empty) in (empty, ISO_8601)
            and api_settings.DATE_FORMAT == ISO_8601
        ):
            plan.append((name, column.attname, _iso_date, None))
        elif column is not None and type(field) in _DIRECT and not column.is_relation:
            plan.append((name, column.attname, None, None))
        else:
            plan.append((name, None, None, field))
    return plan


def _iso_date(value):
    return value.isoformat()


class CompiledPlan:
    """A representation plan as few interpreter steps per row as it can: the output keys
    made in order at once, every direct column read by one ``attrgetter`` call, then only
    the values that need converting touched (a float column already holds floats)."""

    def __init__(self, plan: list):
        self.keys = tuple(name for name, *_ in plan)
        direct = [(name, attname, convert) for name, attname, convert, field in plan if field is None]
        self.direct_names = tuple(name for name, _, _ in direct)
        getter = operator.attrgetter(*(attname for _, attname, _ in direct)) if direct else None
        self.getter = (lambda row: (getter(row),)) if len(direct) == 1 else getter
        self.dates = tuple(name for name, _, convert in direct if convert is _iso_date)
        self.floats = tuple(name for name, _, convert in direct if convert is float)
        self.rendered = tuple((name, field) for name, _, _, field in plan if field is not None)

    def represent(self, serializer, instance) -> dict:
        data = dict.fromkeys(self.keys)
        if self.getter is not None:
            data.update(zip(self.direct_names, self.getter(instance)))
        for name in self.dates:
            value = data[name]
            if value is not None:
                data[name] = value.isoformat()
        for name in self.floats:
            value = data[name]
            if value is not None and value.__class__ is not float:
                data[name] = float(value)
        for name, field in self.rendered:
            if type(field) is str:
                data[name] = getattr(serializer, field)(instance)
            else:
                attribute = field.get_attribute(instance)
                data[name] = None if attribute is None else field.to_representation(attribute)
        return data


class ModelCleanSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose ``validate`` builds the row as it would be saved and runs
    ``full_clean()`` on it. ``context["parent"]`` holds fields set by a nested URL."""

    def get_fields(self):
        # ModelSerializer introspects the model on every instantiation; the result only
        # depends on the class, so build it once and hand out copies.
        cls = type(self)
        if cls not in _FIELDS_CACHE:
            _FIELDS_CACHE[cls] = super().get_fields()
        return copy.deepcopy(_FIELDS_CACHE[cls])

    def to_representation(self, instance):
        # DRF spends most of a list response in per-field dispatch; plain columns and
        # foreign-key ids are read directly, everything else goes through DRF.
        plan = _REPRESENTATION_PLANS.get(type(self))
        if plan is None:
            plan = _REPRESENTATION_PLANS[type(self)] = CompiledPlan(representation_plan(self))
        return plan.represent(self, instance)

    def build_instance(self, attrs):
        model = self.Meta.model
        many_to_many = {f.name for f in model._meta.many_to_many}
        plain = {k: v for k, v in attrs.items() if k not in many_to_many and k in {f.name for f in model._meta.concrete_fields}}
        if self.instance is not None and not isinstance(self.instance, list):
            row = copy.copy(self.instance)
            for name, value in plain.items():
                setattr(row, name, value)
            return row
        return model(**{**plain, **self.context.get("parent", {})})

    def prepare(self, row) -> None:
        """Fill values the model derives on save, so the checks see them."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        row = self.build_instance(attrs)
        self.prepare(row)
        try:
            row.full_clean(validate_unique=True, validate_constraints=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(self._error_dict(exc)) from exc
        return attrs

    def _error_dict(self, exc: DjangoValidationError) -> dict:
        if not hasattr(exc, "error_dict"):
            return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        errors = {}
        for name, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name
            errors.setdefault(key, []).extend(messages)
        return errors


class RegionSerializer(ModelCleanSerializer):
    class Meta:
        model = models.Region
        fields = ["id", "code", "name", "level", "parent"]


class MetrologyFieldSerializer(ModelCleanSerializer):
    class Meta:
        model = models.MetrologyField
        fields = ["id", "code", "name", "name_en"]


class QuantitySerializer(ModelCleanSerializer):
    class Meta:
        model = models.Quantity
        fields = ["id", "name", "name_en", "field", "unit"]


class SpecificationSerializer(ModelCleanSerializer):
    class Meta:
        model = models.Specification
        fields = ["id", "code", "title", "kind", "status", "field", "supersedes", "required_ratio"]


class CatalogItemSerializer(ModelCleanSerializer):
    class Meta:
        model = models.CatalogItem
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "category",
            "field",
            "quantity",
            "regulation",
            "number",
            "split",
            "supervision",
            "legal_purposes",
            "management_mode",
            "requirement",
            "period_months",
            "service_life_years",
        ]


class TypeApprovalSerializer(ModelCleanSerializer):
    class Meta:
        model = models.TypeApproval
        fields = [
            "id",
            "number",
            "catalog_item",
            "manufacturer",
            "model",
            "name",
            "authority",
            "approved_on",
            "valid_until",
            "status",
        ]


class PrimaryStandardSerializer(ModelCleanSerializer):
    class Meta:
        model = models.PrimaryStandard
        fields = ["id", "code", "name", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "holder"]


class OrganisationSerializer(ModelCleanSerializer):
    """Name, kind and region are public; the credit code and address only reach those who
    see the organisation's private data (absent from the response otherwise)."""

    policy = OrganisationPolicy()

    class Meta:
        model = models.Organisation
        fields = ["id", "name", "kind", "region", "credit_code", "address"]
        # Not required by the serializer so the schema allows their absence from
        # responses; full_clean still demands a credit code on create.
        extra_kwargs = {"credit_code": {"required": False}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        actor = request_actor(request) if request is not None else None
        if actor is None or not self.policy.sees_private(actor, instance):
            data = {name: value for name, value in data.items() if name in self.policy.public_fields}
        return data


class CapabilitySerializer(ModelCleanSerializer):
    class Meta:
        model = models.Capability
        fields = [
            "id",
            "standard",
            "quantity",
            "range_min",
            "range_max",
            "unit",
            "uncertainty",
            "k",
            "relative",
            "accuracy_class",
            "mpe",
        ]
        read_only_fields = ["standard"]


class StandardStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.StandardStatusChange
        fields = ["id", "status", "effective_on", "reason"]
        read_only_fields = fields


class MeasurementStandardSerializer(ModelCleanSerializer):
    capabilities = CapabilitySerializer(many=True, read_only=True)
    status_changes = StandardStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = models.MeasurementStandard
        fields = [
            "id",
            "name",
            "tier",
            "level",
            "rank",
            "holder",
            "field",
            "certificate_number",
            "issuing_department",
            "valid_from",
            "valid_until",
            "status",
            "published",
            "recalibration_months",
            "specifications",
            "catalog_items",
            "capabilities",
            "status_changes",
        ]
        # The status changes only through POST …/status/ with a reason.
        read_only_fields = ["status"]

    def prepare(self, row):
        if row.valid_from and not row.valid_until:
            row.valid_until = models.default_valid_until(row.valid_from)


class StatusChangeRequestSerializer(serializers.Serializer):
    """The request of a status change; whether the transition is open is the policy's
    table, asked by ``registry.services.change_standard_status``."""

    status = serializers.ChoiceField(choices=models.MeasurementStandard.Status.choices)
    reason = serializers.CharField(max_length=300, allow_blank=False)
    effective_on = serializers.DateField(required=False)


class CertifiedValueSerializer(ModelCleanSerializer):
    class Meta:
        model = models.CertifiedValue
        fields = ["id", "material", "component", "value", "unit", "uncertainty", "k"]
        read_only_fields = ["material"]


class ReferenceMaterialSerializer(ModelCleanSerializer):
    certified_values = CertifiedValueSerializer(many=True, read_only=True)

    class Meta:
        model = models.ReferenceMaterial
        fields = ["id", "number", "name", "level", "producer", "expires_on", "certified_values"]


class PersonSerializer(ModelCleanSerializer):
    class Meta:
        model = models.Person
        fields = ["id", "name", "organisation"]


class QualificationSerializer(ModelCleanSerializer):
    class Meta:
        model = models.Qualification
        fields = [
            "id",
            "person",
            "kind",
            "certificate_number",
            "specialty",
            "catalog_item",
            "organisation",
            "valid_from",
            "valid_until",
        ]


class InstrumentSerializer(ModelCleanSerializer):
    class Meta:
        model = models.Instrument
        fields = [
            "id",
            "code",
            "name",
            "catalog_item",
            "legal_purpose",
            "owner",
            "region",
            "manufacturer",
            "model",
            "serial_number",
            "type_approval_number",
            "period_months",
            "service_life_years",
            "accuracy",
            "range_min",
            "range_max",
            "unit",
            "status",
            "installed_on",
            "standard",
            "verified_until",
        ]


class CalibrationEventSerializer(ModelCleanSerializer):
    standards_used = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=models.MeasurementStandard.objects.all(),
        help_text="ids of the measurement standards used",
    )

    class Meta:
        model = models.CalibrationEvent
        fields = [
            "id",
            "instrument",
            "performer",
            "person",
            "standards_used",
            "primary_standard",
            "external_source",
            "specification",
            "kind",
            "performed_on",
            "valid_until",
            "passed",
            "recalibration_due",
            "results",
            "uncertainty",
            "certificate_number",
        ]

    def represent_standards_used(self, event) -> list[int]:
        # Lists attach the ids of the whole page in one query (views.attach_standard_ids).
        ids = getattr(event, "standard_ids", None)
        if ids is None:
            ids = list(
                models.EventStandard.objects.filter(event=event).order_by("standard_id").values_list("standard_id", flat=True)
            )
        return ids

    def validate(self, attrs):
        attrs = super().validate(attrs)
        person = attrs.get("person", getattr(self.instance, "person", None))
        performer = attrs.get("performer", getattr(self.instance, "performer", None))
        if person is not None and performer is not None and person.organisation_id != performer.pk:
            raise serializers.ValidationError({"person": "must work for the performing organisation"})
        return attrs


class StandardUsedSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.MeasurementStandard
        fields = ["id", "name", "certificate_number", "holder", "status"]
        read_only_fields = fields
