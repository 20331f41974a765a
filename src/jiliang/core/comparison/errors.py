"""Errors for bad comparison input: always a ValueError naming the field and the reason."""

from __future__ import annotations

from jiliang.core.errors import InputError


class ComparisonInputError(InputError):
    """Comparison data or options are invalid.

    ``field`` names the column or option (``u``, ``estimator``), ``lab`` the participant
    whose row is at fault, when there is one.
    """

    def __init__(self, field: str, reason: str, lab: str | None = None, *, code: str = "comparison_invalid", **params):
        self.lab = lab
        super().__init__(field, reason, code=code, lab=lab, **params)

    def _english(self) -> str:
        where = f"lab {self.lab!r}, field {self.field!r}" if self.lab is not None else f"field {self.field!r}"
        if self.row is not None:
            where = f"row {self.row}, {where}"
        if self.file:
            where = f"{self.file}, {where}"
        return f"{where}: {self.reason}"
