"""Cases API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "cases-api"

urlpatterns = [
    path("cases/", views.CaseList.as_view(), name="cases"),
    path("cases/penalties/", views.Penalties.as_view(), name="penalties"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="case"),
    path("cases/<int:pk>/steps/", views.CaseSteps.as_view(), name="steps"),
    path("cases/<int:pk>/evidence/", views.CaseEvidence.as_view(), name="evidence"),
]
