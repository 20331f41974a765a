"""Django admin for staff: every registry table, searchable, with raw-id pickers so that
pages stay fast on a province of 10^7 instruments."""

from django.contrib import admin

from . import models


class CapabilityInline(admin.TabularInline):
    model = models.Capability
    extra = 0
    raw_id_fields = ["quantity"]


class StatusChangeInline(admin.TabularInline):
    model = models.StandardStatusChange
    extra = 0


class CertifiedValueInline(admin.TabularInline):
    model = models.CertifiedValue
    extra = 0


class QualificationInline(admin.TabularInline):
    model = models.Qualification
    extra = 0
    raw_id_fields = ["catalog_item", "organisation"]


class EventStandardInline(admin.TabularInline):
    model = models.EventStandard
    extra = 0
    raw_id_fields = ["standard"]


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["region"]


@admin.register(models.MetrologyField)
class MetrologyFieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(models.Quantity)
class QuantityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "unit", "field"]
    list_filter = ["field"]
    search_fields = ["name", "name_en"]


@admin.register(models.Specification)
class SpecificationAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "kind", "status", "supersedes"]
    list_filter = ["kind", "status", "field"]
    search_fields = ["code", "title"]
    raw_id_fields = ["supersedes"]


@admin.register(models.CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "supervision",
        "management_mode",
        "period_months",
        "service_life_years",
        "regulation",
    ]
    list_filter = ["supervision", "management_mode", "field"]
    search_fields = ["code", "name", "category"]
    raw_id_fields = ["regulation", "quantity"]


@admin.register(models.TypeApproval)
class TypeApprovalAdmin(admin.ModelAdmin):
    list_display = ["number", "catalog_item", "manufacturer", "model", "authority", "approved_on", "status"]
    list_filter = ["status"]
    search_fields = ["=number", "manufacturer", "model"]
    raw_id_fields = ["catalog_item"]


@admin.register(models.PrimaryStandard)
class PrimaryStandardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "quantity", "uncertainty", "k", "holder"]
    search_fields = ["code", "name"]
    raw_id_fields = ["holder", "quantity"]


@admin.register(models.MeasurementStandard)
class MeasurementStandardAdmin(admin.ModelAdmin):
    list_display = ["certificate_number", "name", "tier", "level", "holder", "valid_until", "status"]
    list_filter = ["tier", "level", "status", "field"]
    search_fields = ["certificate_number", "name", "holder__name"]
    raw_id_fields = ["holder", "issuing_department"]
    filter_horizontal = ["specifications"]
    inlines = [CapabilityInline, StatusChangeInline]


@admin.register(models.ReferenceMaterial)
class ReferenceMaterialAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "level", "producer", "expires_on"]
    list_filter = ["level"]
    search_fields = ["number", "name"]
    raw_id_fields = ["producer"]
    inlines = [CertifiedValueInline]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name", "organisation__name"]
    raw_id_fields = ["organisation"]
    inlines = [QualificationInline]


@admin.register(models.Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "catalog_item", "legal_purpose", "owner", "region", "status"]
    list_filter = ["legal_purpose", "status"]
    search_fields = ["=code", "serial_number"]
    raw_id_fields = ["catalog_item", "owner", "region", "standard"]
    show_full_result_count = False


@admin.register(models.CalibrationEvent)
class CalibrationEventAdmin(admin.ModelAdmin):
    list_display = ["certificate_number", "instrument", "kind", "performed_on", "valid_until", "passed", "recalibration_due"]
    list_filter = ["kind", "passed"]
    search_fields = ["=certificate_number"]
    raw_id_fields = ["instrument", "performer", "person", "primary_standard", "specification"]
    inlines = [EventStandardInline]
    show_full_result_count = False
