"""Comparison API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "comparisons-api"

urlpatterns = [
    path("comparisons/", views.ComparisonList.as_view(), name="list"),
    path("comparisons/public/", views.PublicComparisons.as_view(), name="public-list"),
    path("comparisons/public/<int:pk>/", views.PublicComparisonDetail.as_view(), name="public-detail"),
    path("comparisons/follow-ups/", views.FollowUps.as_view(), name="follow-ups"),
    path("comparisons/follow-ups/<int:fid>/", views.FollowUpDetail.as_view(), name="follow-up"),
    path("comparisons/<int:pk>/", views.ComparisonDetail.as_view(), name="detail"),
    path("comparisons/<int:pk>/schedule/", views.Schedule.as_view(), name="schedule"),
    path("comparisons/<int:pk>/protocol/", views.Protocol.as_view(), name="protocol"),
    path("comparisons/<int:pk>/measurands/", views.Measurands.as_view(), name="measurands"),
    path("comparisons/<int:pk>/participants/", views.Participants.as_view(), name="participants"),
    path("comparisons/<int:pk>/circulation/", views.Circulation.as_view(), name="circulation"),
    path("comparisons/<int:pk>/open/", views.Open.as_view(), name="open"),
    path("comparisons/<int:pk>/submissions/", views.Submissions.as_view(), name="submissions"),
    path("comparisons/<int:pk>/submissions/status/", views.SubmissionStatus.as_view(), name="submission-status"),
    path("comparisons/<int:pk>/submissions/<int:sid>/", views.SubmissionDetail.as_view(), name="submission"),
    path("comparisons/<int:pk>/submissions/<int:sid>/budget-file/", views.BudgetFile.as_view(), name="budget-file"),
    path("comparisons/<int:pk>/export/", views.Export.as_view(), name="export"),
    path("comparisons/<int:pk>/close/", views.Close.as_view(), name="close"),
    path("comparisons/<int:pk>/compute/", views.Compute.as_view(), name="compute"),
    path("comparisons/<int:pk>/results/", views.Results.as_view(), name="results"),
    path("comparisons/<int:pk>/measurands/<int:mid>/plot.svg", views.Plot.as_view(), name="plot"),
    path("comparisons/<int:pk>/reports/", views.Reports.as_view(), name="reports"),
    path("comparisons/<int:pk>/reports/<str:stage>/", views.ReportDetail.as_view(), name="report"),
    path("comparisons/<int:pk>/approve/", views.Approve.as_view(), name="approve"),
    path("comparisons/<int:pk>/publish/", views.Publish.as_view(), name="publish"),
]
