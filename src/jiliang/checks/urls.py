"""Check pages, relative: include under "checks/"."""

from django.urls import path

from . import views

app_name = "checks"

urlpatterns = [
    path("standards/<int:pk>/", views.standard_checks, name="standard"),
    path("plans/<int:pk>/records/", views.record, name="record"),
    path("plans/<int:pk>/chart.svg", views.chart_image, {"fmt": "svg"}, name="chart-svg"),
    path("plans/<int:pk>/chart.png", views.chart_image, {"fmt": "png"}, name="chart-png"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/answer/", views.answer, name="answer"),
]
