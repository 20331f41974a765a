"""Institutions API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "institutions-api"

urlpatterns = [
    path("institutions/", views.InstitutionList.as_view(), name="list"),
    path("institutions/<int:pk>/profile/", views.InstitutionProfile.as_view(), name="profile"),
    path("institutions/<int:pk>/visits/", views.VisitRecord.as_view(), name="visit-record"),
    path("institutions/<int:pk>/declarations/", views.DeclarationFile.as_view(), name="declare"),
    path("institutions/<int:pk>/evaluations/", views.EvaluationRecord.as_view(), name="evaluate"),
    path("institutions/visits/", views.VisitList.as_view(), name="visits"),
    path("institutions/visits/<int:pk>/findings/", views.VisitFindingAdd.as_view(), name="visit-finding"),
    path("institutions/visits/<int:pk>/close/", views.VisitClose.as_view(), name="visit-close"),
    path("institutions/findings/<int:pk>/rectified/", views.FindingRectified.as_view(), name="finding-rectified"),
    path("institutions/declarations/", views.DeclarationList.as_view(), name="declarations"),
    path("institutions/evaluations/", views.EvaluationList.as_view(), name="evaluations"),
    path("institutions/metrologists/<str:code>/", views.Metrologists.as_view(), name="metrologists"),
]
