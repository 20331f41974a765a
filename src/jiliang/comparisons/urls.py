"""Comparison pages, relative: include under "comparisons/"."""

from django.urls import path

from . import views

app_name = "comparisons"

urlpatterns = [
    path("", views.comparison_list, name="list"),
    path("new/", views.create, name="create"),
    path("public/", views.public_list, name="public"),
    path("follow-ups/", views.follow_ups, name="follow-ups"),
    path("<int:pk>/", views.comparison_detail, name="detail"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/setup/<str:what>/", views.setup, name="setup"),
    path("<int:pk>/compute/", views.compute, name="compute"),
    path("<int:pk>/step/<str:name>/", views.step, name="step"),
    path("<int:pk>/reports/<str:stage>/", views.report, name="report"),
]
