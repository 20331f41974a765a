"""Refusals of the comparison workflow: a bad request names the field and the reason."""

from __future__ import annotations


class WorkflowError(ValueError):
    """A request the workflow refuses (wrong state, late, bad value); nothing was written."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class NotAllowed(PermissionError):
    """The acting user has no role in this step (pilot, participant or administrator)."""
