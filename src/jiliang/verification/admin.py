from django.contrib import admin

from . import models


class HistoryInline(admin.TabularInline):
    model = models.RegistrationHistory
    extra = 0
    readonly_fields = ["action", "actor", "at", "note"]
    can_delete = False


@admin.register(models.Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["instrument", "owner", "region", "status", "submitted_on", "assigned_institution", "coverage_gap"]
    list_filter = ["status", "coverage_gap"]
    search_fields = ["instrument__code", "owner__name"]
    raw_id_fields = ["instrument", "owner", "region", "assigned_institution", "assigned_standard"]
    inlines = [HistoryInline]


@admin.register(models.VerificationRecord)
class VerificationRecordAdmin(admin.ModelAdmin):
    list_display = ["number", "document", "institution", "standard", "recorded_at"]
    list_filter = ["document"]
    search_fields = ["number"]
    raw_id_fields = ["event", "institution", "standard", "verifier", "checker", "approver"]


@admin.register(models.Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["kind", "addressee", "region", "instrument", "due_on", "issued_on"]
    list_filter = ["kind"]
    raw_id_fields = ["addressee", "region", "instrument", "catalog_item"]


@admin.register(models.CoverageSnapshot)
class CoverageSnapshotAdmin(admin.ModelAdmin):
    list_display = ["month", "region", "items_in_use", "items_covered", "rollup_in_use", "rollup_covered"]
    list_filter = ["month"]
