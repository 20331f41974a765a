"""The single place API writes meet the audit ledger.

Every write the API makes runs inside ``audited_write(request, reason)``. When the audit
app provides ``jiliang.audit.services.audit_context(actor, reason)`` the write is
recorded through it; until then this is a no-op context.
"""

from __future__ import annotations

import contextlib


def audited_write(request, reason: str = ""):
    try:
        from jiliang.audit.services import audit_context
    except ImportError:
        return contextlib.nullcontext()
    user = getattr(request, "user", None)
    return audit_context(actor=user if user is not None and user.is_authenticated else None, reason=reason)
