"""How an API viewset answers a use case's refusal (registry.services.Refused): 403 when
the actor may not act at all, else 400 with each reason under the field it names, as DRF's
own validation errors are shaped, so a client reads both alike."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from jiliang.registry.services import Refused

from .pagination import RegistryCursorPagination


class NewestFirst(RegistryCursorPagination):
    ordering = "-id"


class RefusalsAnswered:
    """A viewset mixin: Refused raised by a service becomes the 403/400 answer."""

    def handle_exception(self, exc):
        if isinstance(exc, Refused) and exc.forbidden:
            return super().handle_exception(exceptions.PermissionDenied(str(exc)))
        if isinstance(exc, Refused):
            body: dict = {}
            for name, reason in exc.reasons:
                body.setdefault(name, []).append(reason)
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def valid(self, serializer_class) -> dict:
        """The request's body through ``serializer_class``: a field's error answers 400."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
