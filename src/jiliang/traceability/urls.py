"""Traceability pages, relative: include under "traceability/"."""

from django.urls import path

from . import views

app_name = "traceability"

urlpatterns = [
    path("recalls/", views.recall_page, name="recall"),
]
