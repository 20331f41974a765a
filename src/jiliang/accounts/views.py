"""Signing in and out of the pages, for every role (the admin's login admits staff only).

The sign-in form is the throttled one the admin and the API share: failures are counted
per (username, address) and a locked-out pair is refused even with the right password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse

from .forms import PageLoginForm


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = PageLoginForm
    redirect_authenticated_user = True  # a signed-in visitor goes on to its page

    def get_context_data(self, **kwargs):
        from .demo_logins import demo_logins

        # Only a demo's database has the demo group: anywhere else the list is empty.
        return super().get_context_data(**kwargs) | {"demo_logins": demo_logins()}


class SignOutView(auth_views.LogoutView):
    """GET asks for confirmation (a link must not sign anyone out); POST signs out."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "accounts/logout.html", {"login_url": reverse(settings.LOGIN_URL)})
