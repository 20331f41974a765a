"""Login forms with failure throttling (pages and the admin)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttling


class ThrottledLoginMixin:
    locked_out_message = throttling.LOCKED_OUT_MESSAGE

    def clean(self):
        username = self.data.get("username", "")
        if throttling.is_locked_out(username, self.request):
            raise forms.ValidationError(self.locked_out_message, code="locked_out")
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


class PageLoginForm(ThrottledAuthenticationForm):
    """The sign-in form of the pages (``accounts/login/``), for every role."""

    locked_out_message = _("此用户名在本地址登录失败次数过多，请稍后再试。")
