"""Witness log pages, relative: include under "witness/"."""

from django.urls import path

from . import views

app_name = "witness"

urlpatterns = [path("", views.log, name="log")]
