"""Prepackaged-goods inspection API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "prepack-api"

urlpatterns = [
    path("prepack/inspections/", views.InspectionList.as_view(), name="list"),
    path("prepack/inspections/<int:pk>/", views.InspectionDetail.as_view(), name="detail"),
    path("prepack/inspections/<int:pk>/measurements/", views.Measurements.as_view(), name="measurements"),
    path("prepack/inspections/<int:pk>/judge/", views.Judge.as_view(), name="judge"),
    path("prepack/inspections/<int:pk>/approve/", views.Approve.as_view(), name="approve"),
    path("prepack/inspections/<int:pk>/publish/", views.Publish.as_view(), name="publish"),
    path("prepack/inspections/<int:pk>/report.pdf", views.ReportPdf.as_view(), name="report-pdf"),
    path("prepack/notices/", views.Notices.as_view(), name="notices"),
    path("prepack/published/", views.PublishedList.as_view(), name="published-list"),
    path("prepack/published/<int:pk>/", views.PublishedDetail.as_view(), name="published-detail"),
]
