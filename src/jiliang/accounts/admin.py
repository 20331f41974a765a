from django.contrib import admin

from . import models


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "organisation", "is_verifier", "is_checker", "is_approver"]
    list_filter = ["role"]
    raw_id_fields = ["user", "region", "organisation"]
    search_fields = ["user__username"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # Tokens are issued through the API (the secret is shown once); the admin only looks.
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "expires_at", "last_used_at", "revoked_at"]
    search_fields = ["user__username", "name", "prefix"]

    def has_add_permission(self, request):
        return False
