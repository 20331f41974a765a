"""Certificate API routes; the project includes them under ``api/``."""

from django.urls import path

from . import views

app_name = "certificates_api"

urlpatterns = [
    path("certificates/", views.CertificateList.as_view(), name="list"),
    path("certificates/verify/", views.CertificateVerify.as_view(), name="verify"),
    path("certificates/import/", views.CertificateImport.as_view(), name="import"),
    path("certificates/crl.pem", views.RevocationListPem.as_view(), name="crl"),
    path("certificates/ca.pem", views.AuthorityPem.as_view(), name="ca"),
    path("certificates/<str:number>/", views.CertificateDetail.as_view(), name="detail"),
    path("certificates/<str:number>/xml/", views.CertificateXml.as_view(), name="xml"),
    path("certificates/<str:number>/pdf/", views.CertificatePdf.as_view(), name="pdf"),
    path("certificates/<str:number>/verdict/", views.CertificateVerdict.as_view(), name="verdict"),
    path("certificates/<str:number>/revoke/", views.CertificateRevoke.as_view(), name="revoke"),
]
