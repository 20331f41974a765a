from django.urls import path

from . import views

urlpatterns = [
    path("traceability/items/<int:pk>/", views.ItemTraceabilityView.as_view(), name="traceability-item"),
    path("traceability/summary/", views.SummaryView.as_view(), name="traceability-summary"),
    path("traceability/impact/", views.ImpactView.as_view(), name="traceability-impact"),
    path("traceability/recalls/", views.RecallView.as_view(), name="traceability-recall"),
    path("traceability/recall-notices/", views.RecallNoticeView.as_view(), name="traceability-recall-notices"),
]
