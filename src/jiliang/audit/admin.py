"""The ledger in the admin: to read, never to write."""

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("sequence", "timestamp", "actor", "action", "object_type", "object_id", "natural_key", "short_hash")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "natural_key", "actor", "reason")
    date_hierarchy = "timestamp"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False  # a count of 10^6 entries on every page is not worth it

    @admin.display(description="hash")
    def short_hash(self, entry):
        return entry.entry_hash[:12]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}
