"""Credit API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "credit-api"

urlpatterns = [
    path("credit/rules/", views.Rules.as_view(), name="rules"),
    path("credit/grades/", views.Grades.as_view(), name="grades"),
    path("credit/summary/", views.Summary.as_view(), name="summary"),
    path("credit/organisations/<int:pk>/", views.Record.as_view(), name="record"),
    path("credit/objections/", views.Requests.as_view(), name="objections"),
    path("credit/objections/<int:pk>/decide/", views.Decide.as_view(), name="objection-decide"),
    path("credit/repairs/", views.Repairs.as_view(), name="repairs"),
    path("credit/repairs/<int:pk>/decide/", views.DecideRepair.as_view(), name="repair-decide"),
]
