"""Checks API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "checks-api"

urlpatterns = [
    path("checks/plans/", views.PlanList.as_view(), name="plans"),
    path("checks/plans/<int:pk>/", views.PlanDetail.as_view(), name="plan"),
    path("checks/plans/<int:pk>/records/", views.Records.as_view(), name="records"),
    path("checks/plans/<int:pk>/chart/", views.Chart.as_view(), name="chart"),
    path("checks/plans/<int:pk>/evaluations/", views.Evaluations.as_view(), name="evaluations"),
    path("checks/alerts/", views.AlertList.as_view(), name="alerts"),
    path("checks/alerts/<int:pk>/answer/", views.Answer.as_view(), name="answer"),
    path("checks/alerts/<int:pk>/impact/", views.Impact.as_view(), name="impact"),
]
