"""Interval pages, relative: include under "intervals/"."""

from django.urls import path

from . import views

app_name = "intervals"

urlpatterns = [
    path("", views.families, name="families"),
    path("<str:code>/", views.family, name="family"),
    path("<str:code>/chart.svg", views.chart, name="chart"),
]
