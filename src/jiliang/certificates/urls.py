"""Public certificate pages; the project includes them under ``certificates/``."""

from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.check, name="check"),
    path("<str:number>/", views.certificate_page, name="certificate"),
    path("<str:number>/pdf/", views.certificate_pdf, name="pdf"),
    path("<str:number>/xml/", views.certificate_xml, name="xml"),
]
