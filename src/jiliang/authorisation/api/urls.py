"""Authorisation API routes, relative: include under "api/"."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("authorisations", views.AuthorisationViewSet, basename="authorisation")

app_name = "authorisation-api"

urlpatterns = [path("", include(router.urls))]
