"""Reading the files a command is given: standard input for '-', refusals that name the file."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from jiliang.core.errors import InputError


def read_bytes(path: str) -> bytes:
    """The file's bytes ('-': standard input); a missing file is an InputError naming it."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("", "file not found", code="file_not_found", file=path) from None
    except IsADirectoryError:
        raise InputError("", "is a directory, not a file", code="file_is_directory", file=path) from None


def read_text(path: str) -> str:
    """The file as UTF-8 text (a byte-order mark is dropped); binary files are refused by name."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            "",
            f"is not UTF-8 text (byte {exc.start + 1} cannot be decoded)",
            code="file_not_utf8",
            file="standard input" if path == "-" else path,
            byte=exc.start + 1,
        ) from None


@contextmanager
def reading(path: str):
    """Errors raised while a file's content is checked name the file they came from."""
    try:
        yield
    except InputError as exc:
        if exc.file is None:
            exc.located(file="standard input" if path == "-" else path)
        raise


def acting_user(username: str | None):
    """The user a command acts as (``--user NAME``) and their actor; without one, the
    national administrator (the operator at the console)."""
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    from jiliang.policies import NATIONAL, Actor, actor_for

    if not username:
        return None, Actor(NATIONAL)
    user = get_user_model().objects.filter(username=username).select_related("membership").first()
    if user is None:
        raise CommandError(f"--user: no user {username!r}")
    return user, actor_for(user)
