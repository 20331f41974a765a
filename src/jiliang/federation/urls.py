"""Federation pages, relative: include under "federation/"."""

from django.urls import path

from . import views

app_name = "federation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("comparisons/", views.comparisons, name="comparisons"),
    path("recalls/", views.recalls, name="recalls"),
    path("status/", views.status, name="status"),
]
