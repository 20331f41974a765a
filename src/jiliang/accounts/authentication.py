"""DRF authentication by API token: ``Authorization: Bearer jl_<prefix>_<secret>``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in ("bearer", "token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: expected 'Bearer <token>'")
        token = header[1].decode(errors="replace")
        prefix = ApiToken.split(token)
        if prefix is None:
            raise exceptions.AuthenticationFailed("token: malformed")
        row = (ApiToken.objects.select_related("user", "user__membership", "user__membership__region")
               .filter(prefix=prefix).first())
        if row is None or not row.matches(token):
            raise exceptions.AuthenticationFailed("token: unknown")
        now = timezone.now()
        if row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("token: revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise exceptions.AuthenticationFailed("token: expired")
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed("token: user is inactive")
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema (drf-spectacular finds it by class)."""

    target_class = "jiliang.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "an API token from POST /api/tokens/: jl_<prefix>_<secret>"}
