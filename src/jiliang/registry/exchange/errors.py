"""What a refused import reports: every error with its table, row, field and file."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from jiliang.messages import chinese


@dataclass(frozen=True)
class RowError:
    table: str
    row: int | None  # the row as the user sees it: CSV/XLSX with the header as row 1, JSONL by line
    field: str
    reason: str
    source: str = ""

    def __str__(self) -> str:
        """Where, then why, as the active language writes them (read when shown, not when raised)."""
        from django.utils.translation import get_language

        zh = chinese(get_language() or "zh-hans")
        where = (
            gettext("%(table)s 第 %(row)s 行") % {"table": self.table, "row": self.row} if self.row is not None else self.table
        )
        if self.source:
            where += f"（{self.source}）" if zh else f" ({self.source})"
        colon, comma = ("：", "，") if zh else (": ", ", ")
        return f"{where}{comma}{self.field}{colon}{self.reason}" if self.field else f"{where}{colon}{self.reason}"


class ImportRejected(ValueError):
    """An import with errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.errors)
        return ngettext("导入被拒绝，数据库未改动：%(n)s 处错误", "导入被拒绝，数据库未改动：%(n)s 处错误", n) % {"n": n}

    def report(self, limit: int = 50) -> str:
        lines = [self.summary()] + [f"  {e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append("  " + gettext("……另有 %(n)s 处") % {"n": len(self.errors) - limit})
        return "\n".join(lines)


class BadValue(ValueError):
    pass
