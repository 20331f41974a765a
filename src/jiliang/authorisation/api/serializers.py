"""Serializers of the authorisation API: the register out, the acts' arguments in."""

from __future__ import annotations

from rest_framework import serializers

from jiliang.registry import models as reg

from ..models import Authorisation, AuthorisationChange, AuthorisedArea, AuthorisedItem


class AuthorisedItemSerializer(serializers.ModelSerializer):
    catalog_item_code = serializers.CharField(source="catalog_item.code", read_only=True)

    class Meta:
        model = AuthorisedItem
        fields = ["catalog_item", "catalog_item_code", "range_min", "range_max", "unit", "added_on", "removed_on"]
        read_only_fields = fields


class AuthorisedAreaSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = AuthorisedArea
        fields = ["region", "region_code", "added_on", "removed_on"]
        read_only_fields = fields


class AuthorisationChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuthorisationChange
        fields = ["action", "effective_on", "reason", "detail", "at"]
        read_only_fields = fields


class AuthorisationSerializer(serializers.ModelSerializer):
    items = AuthorisedItemSerializer(many=True, read_only=True)
    areas = AuthorisedAreaSerializer(many=True, read_only=True)
    history = AuthorisationChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "number",
            "institution",
            "issuing_authority",
            "form",
            "valid_from",
            "valid_until",
            "status",
            "revoked_on",
            "items",
            "areas",
            "history",
        ]
        read_only_fields = fields


class AuthorisedItemScopeSerializer(serializers.Serializer):
    catalog_item = serializers.PrimaryKeyRelatedField(queryset=reg.CatalogItem.objects.all())
    range_min = serializers.FloatField(required=False, allow_null=True, default=None)
    range_max = serializers.FloatField(required=False, allow_null=True, default=None)
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)


def item_entries(rows) -> list[tuple]:
    return [(r["catalog_item"], r["range_min"], r["range_max"], r["unit"]) for r in rows]


class AuthorisationGrantSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=60)
    institution = serializers.PrimaryKeyRelatedField(queryset=reg.Organisation.objects.all())
    issuing_authority = serializers.PrimaryKeyRelatedField(queryset=reg.Organisation.objects.all())
    form = serializers.ChoiceField(choices=Authorisation.Form.choices)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    items = AuthorisedItemScopeSerializer(many=True)
    regions = serializers.PrimaryKeyRelatedField(queryset=reg.Region.objects.all(), many=True)
    reason = serializers.CharField(max_length=300)


class AuthorisationExtendSerializer(serializers.Serializer):
    valid_until = serializers.DateField()
    reason = serializers.CharField(max_length=300)


class AuthorisationScopeSerializer(serializers.Serializer):
    items = AuthorisedItemScopeSerializer(many=True, required=False, default=list)
    regions = serializers.PrimaryKeyRelatedField(queryset=reg.Region.objects.all(), many=True, required=False, default=list)
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=300)


class AuthorisationRevokeSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=300)
