"""Turning exceptions into the one clear line an operator reads."""

from __future__ import annotations

import os
import zipfile

from jiliang.core.errors import InputError
from jiliang.messages import chinese, cli_language, render


class JiliangError(Exception):
    """An error whose message is already meant for the user."""


def describe(exc: BaseException) -> str | None:
    """One line for the user, or None to let the traceback through (JILIANG_DEBUG=1)."""
    if os.environ.get("JILIANG_DEBUG") == "1":
        return None
    from django.core.exceptions import ValidationError
    from django.core.management import CommandError
    from django.db import DatabaseError

    if isinstance(exc, InputError):
        language = cli_language()  # the operator's locale, not Django's default language
        return render(exc, language) if chinese(language) else str(exc)
    if isinstance(exc, zipfile.BadZipFile):
        return f"{_file_of(exc)}not an XLSX workbook (the file is not a ZIP archive): {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"{_file_of(exc)}not UTF-8 text (byte {exc.start + 1} cannot be decoded)"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to be read"
    if isinstance(exc, MemoryError):
        return "not enough memory for this input; ask for less (fewer rows, trials or outputs)"
    if isinstance(exc, OverflowError):
        return f"a number is beyond the range of a double ({exc})"
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{field}: {' '.join(m for e in errs for m in e.messages)}" for field, errs in exc.error_dict.items()
            )
        return "; ".join(exc.messages)
    if isinstance(exc, DatabaseError):
        return f"database: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, (CommandError, JiliangError, ValueError, KeyError, OSError)):
        return str(exc).strip().strip("'") or type(exc).__name__
    return f"{type(exc).__name__}: {exc} (set JILIANG_DEBUG=1 for the traceback)"


def _file_of(exc: BaseException) -> str:
    """ "FILE: " when the exception carries the file it came from (set by the reader)."""
    name = getattr(exc, "filename", None) or getattr(exc, "jiliang_file", None)
    return f"{name}: " if name else ""
