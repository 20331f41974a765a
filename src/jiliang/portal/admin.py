"""Complaints in the admin: read only. Handling goes through the queue page, which checks
the region and writes the audit entry; an edit here would bypass both."""

from django.contrib import admin

from .models import Complaint, ComplaintPhoto


class PhotoInline(admin.TabularInline):
    model = ComplaintPhoto
    extra = 0
    fields = ["image", "content_type", "size"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["reference", "instrument", "region", "status", "filed_at", "handled_at"]
    list_filter = ["status"]
    search_fields = ["reference", "instrument__code"]
    date_hierarchy = "filed_at"
    raw_id_fields = ["instrument"]
    inlines = [PhotoInline]
    readonly_fields = [
        "reference",
        "instrument",
        "region",
        "description",
        "contact",
        "status",
        "filed_at",
        "handled_at",
        "handled_by",
        "handling_note",
    ]
    list_select_related = ["instrument", "region"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
