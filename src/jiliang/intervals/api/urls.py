"""Interval API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "intervals-api"

urlpatterns = [
    path("intervals/families/", views.FamilyList.as_view(), name="families"),
    path("intervals/families/<str:code>/", views.FamilyReport.as_view(), name="family"),
]
