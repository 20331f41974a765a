"""The names of the tests for special causes (GB/T 17989.2 §8) in the reader's language; the
core keeps their codes, clauses and English descriptions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "test1": _("1 个点落在 A 区以外（超出控制限）"),
    "test2": _("连续 9 点落在中心线同一侧"),
    "test3": _("连续 6 点递增或递减"),
    "test4": _("连续 14 点中相邻点交替上下"),
    "test5": _("连续 3 点中有 2 点落在中心线同一侧的 A 区或以外"),
    "test6": _("连续 5 点中有 4 点落在中心线同一侧的 B 区或以外"),
    "test7": _("连续 15 点落在中心线两侧的 C 区内"),
    "test8": _("连续 8 点落在中心线两侧且无一在 C 区内"),
}


def rule_label(code: str) -> str:
    return str(LABELS.get(code, code))
