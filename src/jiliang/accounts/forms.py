"""Login forms with failure throttling (pages and the admin)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from . import throttling


class ThrottledLoginMixin:
    def clean(self):
        username = self.data.get("username", "")
        if throttling.is_locked_out(username, self.request):
            raise forms.ValidationError(throttling.LOCKED_OUT_MESSAGE, code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                throttling.record_failure(username, self.request)
            raise
        throttling.reset(username, self.request)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
