"""Refusals of the comparison workflow: a bad request names the field and the reason."""

from __future__ import annotations

from jiliang.core.errors import InputError


class WorkflowError(InputError):  # (field, reason[, code=, **params]): the platform's one refusal type
    """A request the workflow refuses (wrong state, late, bad value); nothing was written."""


class NotAllowed(PermissionError):
    """The acting user has no role in this step (pilot, participant or administrator)."""
