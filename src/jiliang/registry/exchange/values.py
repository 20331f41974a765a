"""Raw cell values converted to the types of the model fields, or refused with the reason."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models as djm
from django.utils.translation import gettext as _

from .errors import BadValue

_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否"}


# C0 control characters other than tab, line feed and carriage return (and NUL): no text of
# the registry holds them, XML 1.0 — and so an XLSX sheet — cannot, and a terminal would act on them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _checked_text(v: str) -> str:
    found = CONTROL_CHARACTERS.search(v)
    if found:
        raise BadValue(
            _("含有控制字符 U+%(code)04X（第 %(position)d 个字符）：文本中不允许出现 NUL 等控制字符")
            % {"code": ord(found.group()), "position": found.start() + 1}
        )
    return v


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return _checked_text(v)
    if isinstance(v, bool):
        raise BadValue(_("须为文本，不能是布尔值"))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a code typed into a spreadsheet as a number
    raise BadValue(_("须为文本（输入值 %(got)s）") % {"got": repr(v)})


def _is_empty(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _int(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise BadValue(_("须为整数"))
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise BadValue(_("%(got)s 不是整数") % {"got": repr(v)})


def _float(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise BadValue(_("须为数字"))
    try:
        x = float(v.strip() if isinstance(v, str) else v)
    except (TypeError, ValueError):
        raise BadValue(_("%(got)s 不是数字") % {"got": repr(v)}) from None
    if not math.isfinite(x):
        raise BadValue(_("%(got)s 不是有限数值") % {"got": repr(v)})
    return x


def _bool(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise BadValue(_("%(got)s 不是 true 或 false") % {"got": repr(v)})


def _date(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, dt.datetime):
        if v.time() != dt.time(0):
            raise BadValue(_("%(got)s 带有时刻；此处应为日期") % {"got": v.isoformat()})
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise BadValue(_("不是日期（YYYY-MM-DD）：%(got)s") % {"got": repr(v)})


def _json(v, native):
    if native:
        return v
    if _is_empty(v):
        return None
    if not isinstance(v, str):
        raise BadValue(_("须为 JSON 文本"))
    try:
        return json.loads(v)
    except json.JSONDecodeError as exc:
        raise BadValue(_("不是有效的 JSON：%(detail)s") % {"detail": exc.msg}) from None


def _str(v, native):
    return _text(v)


def _converter(field) -> Callable:
    if isinstance(field, djm.BooleanField):
        return _bool
    if isinstance(field, djm.FloatField):
        return _float
    if isinstance(field, djm.IntegerField):
        return _int
    if isinstance(field, djm.DateField):
        return _date
    if isinstance(field, djm.JSONField):
        return _json
    if isinstance(field, djm.CharField):
        return _str
    raise TypeError(f"no converter for {field!r}")


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)
