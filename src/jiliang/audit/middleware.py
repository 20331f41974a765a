"""Sets the audit actor of every request to the signed-in user (add
``jiliang.audit.middleware.AuditContextMiddleware`` after the authentication middleware)."""

from .services import audit_context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = user if user is not None and getattr(user, "is_authenticated", False) else "anonymous"
        with audit_context(actor=actor):
            return self.get_response(request)
