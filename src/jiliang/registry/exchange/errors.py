"""What a refused import reports: every error with its table, row, field and file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    table: str
    row: int | None  # the row as the user sees it: CSV/XLSX with the header as row 1, JSONL by line
    field: str
    reason: str
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.table} row {self.row}" if self.row is not None else self.table
        if self.source:
            where += f" ({self.source})"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ImportRejected(ValueError):
    """An import with errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.errors)
        return f"import rejected, database unchanged: {n} error{'s' if n != 1 else ''}"

    def report(self, limit: int = 50) -> str:
        lines = [self.summary()] + [f"  {e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  … and {len(self.errors) - limit} more")
        return "\n".join(lines)


class BadValue(ValueError):
    pass
