from django.contrib import admin

from . import models


class AuthorisedItemInline(admin.TabularInline):
    model = models.AuthorisedItem
    extra = 0
    raw_id_fields = ["catalog_item"]


class AuthorisedAreaInline(admin.TabularInline):
    model = models.AuthorisedArea
    extra = 0
    raw_id_fields = ["region"]


class AuthorisationChangeInline(admin.TabularInline):
    model = models.AuthorisationChange
    extra = 0
    readonly_fields = ["action", "effective_on", "reason", "detail", "actor", "at"]
    can_delete = False


@admin.register(models.Authorisation)
class AuthorisationAdmin(admin.ModelAdmin):
    list_display = ["number", "institution", "issuing_authority", "form", "valid_from", "valid_until", "status"]
    list_filter = ["form", "status"]
    search_fields = ["number", "institution__name"]
    raw_id_fields = ["institution", "issuing_authority"]
    inlines = [AuthorisedItemInline, AuthorisedAreaInline, AuthorisationChangeInline]
