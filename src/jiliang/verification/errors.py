"""Errors of the verification workflow: each names the field and the reason."""

from __future__ import annotations

from jiliang.core.errors import InputError


class VerificationError(InputError):  # (field, reason[, code=, **params]): the platform's one refusal type
    """A refused use case; nothing was written."""


class RefusedRecording(VerificationError):
    """A verification result that may not be recorded, with every reason found."""

    def __init__(self, reasons: list[tuple[str, str]]):
        self.reasons = reasons
        ValueError.__init__(self, "; ".join(f"{field}: {reason}" for field, reason in reasons))
        self.field, self.reason = reasons[0]


class ImportRowError(VerificationError):
    """A bulk registration file with bad rows; ``errors`` lists (row, field, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        self.errors = errors
        shown = "; ".join(f"row {row}, {field}: {reason}" for row, field, reason in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        ValueError.__init__(self, f"{len(errors)} bad row(s), nothing imported: {shown}{more}")
        self.field, self.reason = "file", str(self)
