"""Assessment API routes, relative: include under "api/"."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("assessment/applications", views.ApplicationViewSet, basename="application")
router.register("assessment/findings", views.FindingViewSet, basename="finding")
router.register("assessment/assessors", views.AssessorViewSet, basename="assessor")
router.register("assessment/certificates", views.CertificateViewSet, basename="certificate")
router.register("assessment/filings", views.ChangeFilingViewSet, basename="filing")

app_name = "assessment-api"

urlpatterns = [path("", include(router.urls))]
