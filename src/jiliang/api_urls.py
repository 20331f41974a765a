"""The ``api`` namespace: the registry's tables and the accounts' own routes (who am I,
sign in and out, API tokens), put together here so that neither app imports the other."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from jiliang.accounts import api as accounts_api

accounts_router = SimpleRouter(trailing_slash=True)
accounts_router.register("tokens", accounts_api.ApiTokenViewSet, basename="api-token")

app_name = "api"

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("auth/login/", accounts_api.LoginView.as_view(), name="login"),
    path("auth/logout/", accounts_api.LogoutView.as_view(), name="logout"),
    path("", include("jiliang.registry.api.urls")),
    path("", include(accounts_router.urls)),
]
