"""Verification API routes, relative: include under "api/verification/"."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("registrations", views.RegistrationViewSet, basename="registration")
router.register("records", views.VerificationRecordViewSet, basename="record")
router.register("notices", views.NoticeViewSet, basename="notice")
router.register("reminders", views.ReminderViewSet, basename="reminder")

app_name = "verification-api"

urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("coverage/xlsx/", views.CoverageWorkbookView.as_view(), name="coverage-xlsx"),
    path("coverage/chart/", views.CoverageChartView.as_view(), name="coverage-chart"),
    path("coverage/history/", views.CoverageHistoryView.as_view(), name="coverage-history"),
    path("due/", views.DueView.as_view(), name="due"),
    path("", include(router.urls)),
]
