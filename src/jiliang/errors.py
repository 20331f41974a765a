"""Turning exceptions into the one clear line an operator reads."""

from __future__ import annotations

import os
import zipfile
from contextlib import contextmanager

from jiliang.core.errors import InputError
from jiliang.messages import chinese, cli_language, django_language, gettext_noop, render, translate


class JiliangError(Exception):
    """An error whose message is already meant for the user."""


def describe(exc: BaseException) -> str | None:
    """One line for the user, or None to let the traceback through (JILIANG_DEBUG=1); in the
    operator's locale (JILIANG_LANG, LANG …), not Django's default language."""
    if os.environ.get("JILIANG_DEBUG") == "1":
        return None
    language = cli_language()
    with _speaking(language):
        return _describe(exc, language)


@contextmanager
def _speaking(language: str):
    """The operator's language active while lazy messages (a model's ValidationError) are read."""
    from django.conf import settings

    if not settings.configured:
        yield
        return
    from django.utils import translation

    with translation.override(django_language(language)):
        yield


def _describe(exc: BaseException, language: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.management import CommandError
    from django.db import DatabaseError

    def _(msgid: str) -> str:
        return translate(msgid, language)

    if isinstance(exc, InputError):
        return render(exc, language) if chinese(language) else str(exc)
    if isinstance(exc, zipfile.BadZipFile):
        return _file_of(exc) + _(gettext_noop("不是 XLSX 工作簿（文件不是 ZIP 压缩包）：%(detail)s")) % {"detail": exc}
    if isinstance(exc, UnicodeDecodeError):
        return _file_of(exc) + _(gettext_noop("不是 UTF-8 文本（第 %(byte)s 个字节无法解码）")) % {"byte": exc.start + 1}
    if isinstance(exc, RecursionError):
        return _(gettext_noop("输入嵌套过深，无法读取"))
    if isinstance(exc, MemoryError):
        return _(gettext_noop("内存不足以处理此输入；请减少数量（行数、试验次数或输出量）"))
    if isinstance(exc, OverflowError):
        return _(gettext_noop("有数值超出双精度浮点数的范围（%(detail)s）")) % {"detail": exc}
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{field}: {' '.join(m for e in errs for m in e.messages)}" for field, errs in exc.error_dict.items()
            )
        return "; ".join(exc.messages)
    if isinstance(exc, DatabaseError):
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _(gettext_noop("数据库：%(detail)s")) % {"detail": detail}
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, (CommandError, JiliangError, ValueError, KeyError, OSError)):
        return str(exc).strip().strip("'") or type(exc).__name__
    return f"{type(exc).__name__}: {exc} " + _(gettext_noop("（设置 JILIANG_DEBUG=1 可查看回溯）"))


def _file_of(exc: BaseException) -> str:
    """ "FILE: " when the exception carries the file it came from (set by the reader)."""
    name = getattr(exc, "filename", None) or getattr(exc, "jiliang_file", None)
    return f"{name}: " if name else ""
