"""Errors for bad comparison input: always a ValueError naming the field and the reason."""

from __future__ import annotations


class ComparisonInputError(ValueError):
    """Comparison data or options are invalid.

    ``field`` names the column or option (``u``, ``estimator``), ``lab`` the participant
    whose row is at fault, when there is one.
    """

    def __init__(self, field: str, reason: str, lab: str | None = None):
        self.field = field
        self.lab = lab
        self.reason = reason
        where = f"lab {lab!r}, field {field!r}" if lab is not None else f"field {field!r}"
        super().__init__(f"{where}: {reason}")
