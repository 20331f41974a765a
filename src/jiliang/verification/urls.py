"""Mandatory-verification pages, relative: include under "verification/"."""

from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("", views.home, name="home"),
    path("enterprise/", views.enterprise, name="enterprise"),
    path("enterprise/register/", views.register, name="register"),
    path("enterprise/new/", views.register_new, name="register-new"),
    path("enterprise/import/", views.import_file, name="import"),
    path("enterprise/template.csv", views.import_template, name="import-template"),
    path("institution/", views.institution, name="institution"),
    path("institution/record/", views.record, name="record-create"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/certificate/", views.issue_dcc, name="issue-dcc"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration"),
    path("registrations/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("administrator/", views.administrator, name="administrator"),
    path("administrator/review/<int:pk>/", views.review, name="review"),
    path("administrator/overdue/", views.overdue, name="overdue"),
    path("administrator/overdue/escalate/", views.escalate, name="escalate"),
    path("administrator/coverage/", views.coverage_page, name="coverage"),
    path("administrator/coverage/history/", views.coverage_history, name="coverage-history"),
    path("administrator/coverage.xlsx", views.coverage_xlsx, name="coverage-xlsx"),
]
