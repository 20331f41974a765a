"""Accuracy statements of measuring instruments, as numbers.

``relative_mpe`` reads the relative maximum permissible error an accuracy text states;
``standard_for`` gives the accuracy class (and expanded uncertainty) of the standard that
can verify instruments of a class, with the regulation's required ratio kept.
"""

from __future__ import annotations

import math
import re

_PERCENT = re.compile(r"^[±]?\s*([0-9]*\.?[0-9]+)\s*%$")
_CLASS = re.compile(r"^([0-9]*\.?[0-9]+)\s*级$")

# Accuracy classes of standard instruments, per cent of span: the series of precision
# pressure gauges (JJG 49-2013 精密压力表: 0.05, 0.1, 0.16, 0.25, 0.4, 0.6 级) extended by the
# preferred class indices of GB/T 13283-2008 (1×10ⁿ, 1.5×10ⁿ, 2.5×10ⁿ, 4×10ⁿ, 5×10ⁿ …).
STANDARD_CLASSES = (0.01, 0.02, 0.05, 0.1, 0.16, 0.2, 0.25, 0.4, 0.5, 0.6, 1.0, 1.5, 1.6, 2.0, 2.5, 4.0, 5.0)


def relative_mpe(accuracy: str) -> float | None:
    """The relative maximum permissible error stated by an accuracy text, when it states
    one: "±0.3%" → 0.003; an accuracy class "2级" or "1.5级" (class index in per cent, as for
    meters and gauges) → 0.02, 0.015. Absolute errors and named classes (Ⅲ级, M1) → None."""
    text = (accuracy or "").strip().replace("％", "%")
    match = _PERCENT.match(text)
    if match:
        return float(match.group(1)) / 100
    match = _CLASS.match(text)
    if match and float(match.group(1)) >= 0.1:  # 0.01级 of a pH meter is an absolute pH error
        return float(match.group(1)) / 100
    return None


def standard_for(instrument_mpe: float, ratio: float, k: float = 2.0) -> tuple[float, float]:
    """(the standard's class as a relative MPE, its relative expanded uncertainty) for a
    standard verifying instruments of relative MPE ``instrument_mpe``: the coarsest class of
    ``STANDARD_CLASSES`` whose expanded uncertainty — the class limit as a rectangular
    distribution, U = k·MPE/√3 (JJF 1059.1-2012 §4.3.3.2, 4.3.3.4) — is within 1/``ratio`` of
    the instrument's MPE (the regulation's ratio; 1/4 in JJG 52-2013 for pressure gauges)."""
    limit = instrument_mpe / ratio * math.sqrt(3) / k
    fitting = [c / 100 for c in STANDARD_CLASSES if c / 100 <= limit * (1 + 1e-9)]
    chosen = max(fitting) if fitting else limit
    return chosen, round(k * chosen / math.sqrt(3), 8)
