"""Errors of the DCC core: each names the field (or token) and the reason."""

from __future__ import annotations


class DccError(ValueError):
    """Bad input to the DCC core."""


class UnitError(DccError):
    """An invalid D-SI unit string; the message names the offending token."""


class SchemaError(DccError):
    """A document that does not validate against the DCC / D-SI XSD."""


class SigningError(DccError):
    """A key, certificate or document that cannot be signed."""
