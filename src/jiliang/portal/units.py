"""Unit conversion for the capability search, over pint (no Django).

The registry writes units as people print them ("m³/h", "µSv/h", "°C", "″", "1"); pint
wants "m**3/h", "degC", "arcsecond", "dimensionless". ``convert`` maps a measured value
(affine: 20 °C → 293.15 K) and ``convert_difference`` an interval such as an uncertainty
(linear: 1 °C of uncertainty is 1 K). Units pint cannot read, and units whose number is not
a physical amount (%LEL, dB, hardness scales), match only themselves.
"""

from __future__ import annotations

import threading
from functools import lru_cache

__all__ = ["UnitError", "check_unit", "convert", "convert_difference", "convertible", "pint_spelling"]

# Ordered: "°C" before "°", superscripts before the digits they stand for.
_SPELLINGS = (
    ("℃", "degC"),
    ("°C", "degC"),
    ("°F", "degF"),
    ("″", "arcsecond"),
    ("′", "arcminute"),
    ("°", "degree"),
    ("Ω", "ohm"),
    ("⁻¹", "**-1"),
    ("⁻²", "**-2"),
    ("²", "**2"),
    ("³", "**3"),
    ("·", "*"),
    ("‰", "permille"),
    ("%", "percent"),
)
# Symbols whose numbers are not interchangeable with their look-alikes: gas alarm scales
# (%LEL is not a volume fraction), logarithmic levels, hardness numbers.
_OPAQUE_MARKERS = ("LEL", "dB", "HR", "HB", "HV", "NTU", "pH")
# Same SI dimension, different quantity: gray (absorbed dose/kerma) vs sievert (dose equivalent).
_KIND_MARKERS = ("Gy", "Sv")

_lock = threading.Lock()
_registry = None


class UnitError(ValueError):
    """A unit that cannot be read or converted; ``str`` says which and why."""


def _ureg():
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                import pint  # lazily: the registry takes a moment to build

                _registry = pint.UnitRegistry()
    return _registry


def _normal(text: str) -> str:
    return (text or "").strip()


def pint_spelling(text: str) -> str | None:
    """pint's spelling of a registry unit, or None for an opaque unit (matches only itself)."""
    text = _normal(text)
    if text in ("", "1"):
        return "dimensionless"
    if any(marker in text for marker in _OPAQUE_MARKERS):
        return None
    for symbol, name in _SPELLINGS:
        text = text.replace(symbol, name)
    return text


@lru_cache(maxsize=1024)
def _parse(text: str):
    spelled = pint_spelling(text)
    if spelled is None:
        return None
    try:
        unit = _ureg().Unit(spelled)
    except Exception:  # pint raises several error types for unknown or malformed symbols
        return None
    return unit


def _kind(text: str) -> str:
    return next((marker for marker in _KIND_MARKERS if marker in text), "")


@lru_cache(maxsize=4096)
def _affine(from_unit: str, to_unit: str) -> tuple[float, float]:
    """(offset, slope) with value_in_to = offset + slope · value_in_from."""
    a, b = _normal(from_unit), _normal(to_unit)
    if a == b:
        return 0.0, 1.0
    ua, ub = _parse(a), _parse(b)
    if ua is None or ub is None:
        known = a if ua is None else b
        raise UnitError(f"{known!r} converts to no other unit, so {a!r} cannot be compared with {b!r}")
    if _kind(a) != _kind(b):
        raise UnitError(f"{a!r} and {b!r} measure different quantities")
    Q = _ureg().Quantity
    try:
        zero = Q(0.0, ua).to(ub).magnitude
        one = Q(1.0, ua).to(ub).magnitude
    except Exception:
        raise UnitError(f"{a!r} cannot be converted to {b!r} (different dimensions)") from None
    return float(zero), float(one - zero)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """A measured value in ``to_unit`` (affine: temperatures shift their zero)."""
    offset, slope = _affine(from_unit, to_unit)
    return offset + slope * float(value)


def convert_difference(value: float, from_unit: str, to_unit: str) -> float:
    """An interval (an uncertainty, an error) in ``to_unit``: only the scale applies."""
    _, slope = _affine(from_unit, to_unit)
    return slope * float(value)


def convertible(from_unit: str, to_unit: str) -> bool:
    try:
        _affine(from_unit, to_unit)
    except UnitError:
        return False
    return True


def check_unit(text: str) -> str:
    """The unit, stripped, if pint can read it (opaque units pass: they match themselves)."""
    text = _normal(text)
    if pint_spelling(text) is not None and _parse(text) is None:
        raise UnitError(f"{text!r} is not a unit symbol this site knows")
    return text
