from django.urls import path

from . import views

urlpatterns = [
    path("uncertainty/evaluate/", views.UncertaintyEvaluateView.as_view(), name="uncertainty-evaluate"),
    path("comparison/compute/", views.ComparisonComputeView.as_view(), name="comparison-compute"),
    path("prepack/judge/", views.PrepackJudgeView.as_view(), name="prepack-judge"),
]
