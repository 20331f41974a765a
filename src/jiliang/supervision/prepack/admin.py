from django.contrib import admin

from .models import CreditRecord, Inspection, Notice


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["id", "product_name", "producer", "sampling_date", "status", "passed"]
    list_filter = ["status", "passed", "kind"]
    search_fields = ["product_name", "producer__name", "producer__credit_code"]
    raw_id_fields = ["producer", "retailer", "created_by", "approved_by"]
    filter_horizontal = ["inspectors"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "read_at"]
    raw_id_fields = ["recipient", "inspection"]


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    list_display = ["date", "organisation", "source", "outcome", "severity", "weight", "reference"]
    list_filter = ["source", "outcome", "severity"]
    raw_id_fields = ["organisation"]
