"""Numbers for reading: m×10ⁿ instead of Python's ``1e+08`` and ``2e-06``."""

from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x: float, digits: int) -> str:
    """``x`` as m×10ⁿ with ``digits`` significant digits (9.70×10⁻⁶)."""
    mantissa, exponent = f"{x:.{max(digits, 1) - 1}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def short(x: float, digits: int = 6) -> str:
    """``x`` to at most ``digits`` significant digits without trailing zeros: plain from
    10⁻³ to below 10⁶ (0.0025, 60000), else m×10ⁿ (1×10⁸, 2×10⁻⁶)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if -3 <= math.floor(math.log10(abs(x))) < 6:
        text = f"{x:.{digits}g}"
        # fewer digits than the integer part has: 'g' would switch to 6e+04, keep 60000
        return f"{float(text):.0f}" if "e" in text else text
    mantissa, exponent = scientific(x, digits).split("×10")
    return f"{mantissa.rstrip('0').rstrip('.') if '.' in mantissa else mantissa}×10{exponent}"
