"""Prepackaged-goods inspection pages; include under "prepack/"."""

from django.urls import path

from . import views

app_name = "prepack"

urlpatterns = [
    path("", views.public_list, name="public-list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/measure/", views.measure, name="measure"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/report.pdf", views.report_pdf, name="report-pdf"),
]
