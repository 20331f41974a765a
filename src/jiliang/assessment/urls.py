"""Assessment pages, relative: include under "assessment/"."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new_application, name="new"),
    path("register.xlsx", views.register_xlsx, name="register"),
    path("filings/", views.filings, name="filings"),
    path("filings/<int:pk>/", views.filing, name="filing"),
    path("filings/<int:pk>/<str:action>/", views.filing_act, name="filing-act"),
    path("findings/<int:pk>/<str:action>/", views.finding_act, name="finding-act"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("certificates/<str:number>/", views.certificate_page, name="certificate"),
    path("certificates/<str:number>/xml/", views.certificate_xml, name="certificate-xml"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
