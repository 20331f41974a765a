"""The single place API writes meet the audit ledger.

Every write the API makes runs inside ``audited_write(request, reason)``, which sets the
ledger's actor (the API's user: token-authenticated requests are invisible to Django's
middleware) and, where the domain gives one, the reason.
"""

from __future__ import annotations

from jiliang.audit.services import audit_context


def audited_write(request, reason: str = ""):
    user = getattr(request, "user", None)
    context = {"actor": user if user is not None and user.is_authenticated else "anonymous"}
    if reason:
        context["reason"] = reason
    return audit_context(**context)
