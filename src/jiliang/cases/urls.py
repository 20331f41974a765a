"""Case pages, relative: include under "cases/"."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("open/", views.case_open, name="open"),
    path("penalties/", views.penalties, name="penalties"),
    path("penalties/<str:number>/", views.penalty, name="penalty"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/", views.case_act, name="act"),
    path("<int:pk>/evidence/", views.case_evidence, name="evidence"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence-file"),
]
