"""Who is acting and why: the context every entry takes its actor and reason from."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from .chain import append

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    reason: str | None = None
    buffer: list | None = None  # entries held back by a bulk context, appended at its end


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("jiliang_audit_context", default=AuditContext())  # noqa: B039  (frozen: never mutated)
UNSET: Any = object()


@contextmanager
def audit_context(*, actor: Any = UNSET, reason: Any = UNSET, bulk: bool = False):
    """Set who is acting and why for every entry written inside the block (nestable: an
    inner block overrides what it sets and inherits the rest).

    With ``bulk=True`` the entries of the block are held in memory and appended together
    (one lock, one multi-row insert) when the block ends without an exception: use it for
    mass saves or deletes through the ORM, *inside* the surrounding ``transaction.atomic()``
    so that the rows and their entries commit together."""
    current = _context.get()
    changes = {}
    if actor is not UNSET:
        changes["actor"] = actor
    if reason is not UNSET:
        changes["reason"] = reason
    owns_buffer = bulk and current.buffer is None
    if owns_buffer:
        changes["buffer"] = []
    token = _context.set(replace(current, **changes))
    try:
        yield _context.get()
        if owns_buffer and _context.get().buffer:
            append(_context.get().buffer)
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get()


def actor_fields(actor) -> tuple[int | None, str]:
    """(user id, name) of an actor: a user, a system job's name, or None (the system)."""
    if actor is None:
        return None, SYSTEM_ACTOR
    if isinstance(actor, str):
        return None, actor or SYSTEM_ACTOR
    if getattr(actor, "is_anonymous", False):
        return None, "anonymous"
    pk = getattr(actor, "pk", None)
    name = actor.get_username() if hasattr(actor, "get_username") else str(actor)
    return pk, name


def resolve(actor: Any, reason: Any) -> tuple[Any, Any]:
    """The actor and reason given, else the context's."""
    ctx = _context.get()
    return (ctx.actor if actor is UNSET else actor), (ctx.reason if reason is UNSET else reason)
