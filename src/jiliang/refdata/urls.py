"""Standard reference data pages, relative: include under "refdata/"."""

from django.urls import path

from . import views

app_name = "refdata"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("resolve/", views.resolve, name="resolve"),
    path("<str:identifier>/", views.version_page, name="version"),
    path("<str:identifier>/<str:action>/", views.act, name="act"),
]
