"""Errors of the DCC core: each names the field (or token) and the reason."""

from __future__ import annotations

from jiliang.core.errors import ReasonError


class DccError(ReasonError):
    """Bad input to the DCC core; the reason starts with the part at fault ("document: …")."""

    def __init__(self, reason: str, *, field: str = "", code: str = "dcc_invalid", **params):
        super().__init__(reason, field=field, code=code, **params)


class UnitError(DccError):
    """An invalid D-SI unit string; the message names the offending token."""


class SchemaError(DccError):
    """A document that does not validate against the DCC / D-SI XSD."""


class SigningError(DccError):
    """A key, certificate or document that cannot be signed."""
