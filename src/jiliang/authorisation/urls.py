"""Authorisation register pages, relative: include under "authorisations/"."""

from django.urls import path

from . import views

app_name = "authorisation"

urlpatterns = [
    path("", views.authorisation_list, name="list"),
    path("<int:pk>/", views.authorisation_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
