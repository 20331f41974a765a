"""Plans and indicators pages, relative: include under "plans/"."""

from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("<int:pk>/", views.plan_page, name="plan"),
    path("<int:pk>/action/", views.plan_act, name="plan-act"),
    path("<int:pk>/proposals/", views.plan_propose, name="plan-propose"),
    path("entries/<int:pk>/action/", views.entry_act, name="entry-act"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/trends/", views.trends, name="trends"),
    path("indicators/indicators.xlsx", views.indicators_xlsx, name="indicators-xlsx"),
    path("indicators/indicators.pdf", views.indicators_pdf, name="indicators-pdf"),
    path("indicators/report.json", views.report_json, name="report"),
    path("indicators/<slug:key>/", views.rows, name="rows"),
]
