"""Inspections API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "inspections-api"

urlpatterns = [
    path("inspections/draws/", views.DrawList.as_view(), name="draws"),
    path("inspections/draws/<int:pk>/", views.DrawDocument.as_view(), name="draw"),
    path("inspections/draws/<int:pk>/perform/", views.DrawPerform.as_view(), name="perform"),
    path("inspections/", views.InspectionList.as_view(), name="inspections"),
]
