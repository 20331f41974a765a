"""CMC pages, relative: include under "cmc/"."""

from django.urls import path

from . import views

app_name = "cmc"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/<int:pk>/", views.claim_page, name="claim"),
    path("claims/<int:pk>/supporting/", views.support, name="support"),
    path("claims/<int:pk>/<str:action>/", views.act, name="act"),
    path("kcdb/comparisons/<str:code>/", views.comparison_page, name="comparison"),
]
