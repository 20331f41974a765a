"""Rounding of a reported result: uncertainty to two significant digits (GUM 7.2.6)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_uncertainty(u: float, digits: int = 2) -> tuple[float, int]:
    """``u`` rounded half-up to ``digits`` significant digits, and the decimal place kept.

    The place is the exponent of the last kept digit (``-9`` for nanometres of metres).
    """
    if u == 0.0 or not math.isfinite(u):
        return u, 0
    exponent = math.floor(math.log10(abs(u))) - (digits - 1)
    quantum = Decimal(1).scaleb(exponent)
    rounded = Decimal(repr(u)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded.adjusted() > math.floor(math.log10(abs(u))):  # 9.96 -> 10: keep two digits
        exponent += 1
        rounded = Decimal(repr(u)).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return float(rounded), exponent


def round_to_place(value: float, exponent: int) -> float:
    """``value`` rounded half-up at decimal place 10**exponent."""
    if not math.isfinite(value):
        return value
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


def rounded_result(value: float, u: float, big_u: float, digits: int = 2) -> dict:
    """The reported triple, as GUM H.1.6 does it: u rounded to ``digits`` significant
    digits, U = k·(rounded u) rounded likewise, the value rounded at U's last digit."""
    u_r, _ = round_uncertainty(u, digits)
    k = big_u / u if u > 0 else 0.0
    big_u_r, place = round_uncertainty(k * u_r if u > 0 else big_u, digits)
    value_r = round_to_place(value, place)
    decimals = max(0, -place)
    text = f"{value_r:.{decimals}f} ± {big_u_r:.{decimals}f}"
    return {"value": value_r, "u": u_r, "U": big_u_r, "text": text}
