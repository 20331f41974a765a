"""Turning exceptions into the one clear line an operator reads."""

from __future__ import annotations

import os


class JiliangError(Exception):
    """An error whose message is already meant for the user."""


def describe(exc: BaseException) -> str | None:
    """One line for the user, or None to let the traceback through (JILIANG_DEBUG=1)."""
    if os.environ.get("JILIANG_DEBUG") == "1":
        return None
    from django.core.exceptions import ValidationError
    from django.core.management import CommandError
    from django.db import DatabaseError

    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(m for e in errs for m in e.messages)}" for field, errs in exc.error_dict.items())
        return "; ".join(exc.messages)
    if isinstance(exc, DatabaseError):
        return f"database: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, (CommandError, JiliangError, ValueError, KeyError, OSError)):
        return str(exc).strip().strip("'") or type(exc).__name__
    return f"{type(exc).__name__}: {exc} (set JILIANG_DEBUG=1 for the traceback)"
