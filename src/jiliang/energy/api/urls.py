"""Energy API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "energy-api"

urlpatterns = [
    path("energy/units/", views.UnitList.as_view(), name="units"),
    path("energy/units/<int:pk>/", views.UnitDetail.as_view(), name="unit"),
    path("energy/units/<int:pk>/configuration/", views.UnitConfiguration.as_view(), name="configuration"),
    path("energy/units/<int:pk>/months/", views.UnitMonths.as_view(), name="months"),
    path("energy/units/<int:pk>/reviews/", views.ReviewOpen.as_view(), name="review-open"),
    path("energy/reviews/", views.ReviewList.as_view(), name="reviews"),
    path("energy/reviews/<int:pk>/", views.ReviewDetail.as_view(), name="review"),
    path("energy/reviews/<int:pk>/checklist/", views.ReviewChecklist.as_view(), name="review-checklist"),
    path("energy/reviews/<int:pk>/rectification/", views.ReviewRectification.as_view(), name="review-rectification"),
    path("energy/reviews/<int:pk>/decision/", views.ReviewDecision.as_view(), name="review-decision"),
    path("energy/findings/<int:pk>/rectification/", views.FindingRectification.as_view(), name="finding-rectification"),
]
