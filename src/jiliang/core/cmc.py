"""Calibration and measurement capabilities (CMCs) compared over their common range.

A CMC, as the KCDB publishes it (CIPM MRA-D-04 §2.1), is a quantity over a range with an
expanded uncertainty that may vary with the value: the KCDB gives it at the two ends of the
range (its ``cmcUncertainty`` lower and upper limits), absolute or relative to the value, or
as an equation ``Q[a, b·x]`` (the root-sum-square the KCDB pages define:
Q[a, b] = (a² + b²)^½). The platform's own claims state U(x) = Q[a, b·x] or a + b·x.

This module is the arithmetic only: values already in one unit, no Django, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LINEAR = "linear"  # U(x) = a + b·|x|
RSS = "rss"  # U(x) = Q[a, b·x] = sqrt(a² + (b·x)²)
ENDS = "ends"  # the KCDB's two limits, interpolated linearly in x between the range ends


@dataclass(frozen=True)
class UncertaintyFunction:
    """U(x) in the unit of the value (a relative statement is turned into b here)."""

    form: str
    a: float = 0.0  # absolute term, unit of the value
    b: float = 0.0  # relative term, 1 (not %)
    # For ENDS: the range and the absolute U at its two ends.
    x_low: float = 0.0
    x_high: float = 0.0
    u_low: float = 0.0
    u_high: float = 0.0

    def at(self, x: float) -> float:
        if self.form == LINEAR:
            return self.a + self.b * abs(x)
        if self.form == RSS:
            return math.hypot(self.a, self.b * x)
        if self.form == ENDS:
            if self.x_high == self.x_low:
                return self.u_low
            t = (x - self.x_low) / (self.x_high - self.x_low)
            return self.u_low + t * (self.u_high - self.u_low)
        raise ValueError(f"unknown uncertainty form {self.form!r}")


def from_limits(
    x_low: float, x_high: float, u_low: float, u_high: float, *, relative: bool, percent: bool = False
) -> UncertaintyFunction:
    """The KCDB's statement (uncertainty at the lower and upper end of the range) as a function.

    A relative statement (KCDB ``uncertaintyMode`` "Relative") is a fraction of the value at
    that end, in % when the unit says so. Between the ends the KCDB publishes nothing unless an
    equation or a table is given; we interpolate the absolute U linearly (a choice, stated on
    the comparison page)."""
    scale = 0.01 if percent else 1.0
    if relative:
        u_low, u_high = u_low * scale * abs(x_low), u_high * scale * abs(x_high)
    else:
        u_low, u_high = u_low * scale, u_high * scale
    return UncertaintyFunction(ENDS, x_low=x_low, x_high=x_high, u_low=u_low, u_high=u_high)


def overlap(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float] | None:
    """The common part of two closed ranges, None when they do not meet."""
    low, high = max(min(a), min(b)), min(max(a), max(b))
    return (low, high) if low <= high else None


def common_points(span: tuple[float, float], n: int = 3) -> list[float]:
    """The points where two CMCs are compared: the ends of their common range and points
    spaced evenly between (geometrically when the range spans a decade or more and is
    positive, as calibration ranges usually are set out)."""
    low, high = span
    if low == high or n < 2:
        return [low]
    if low > 0 and high / low >= 10:
        ratio = (high / low) ** (1 / (n - 1))
        return [low * ratio**i for i in range(n - 1)] + [high]
    step = (high - low) / (n - 1)
    return [low + step * i for i in range(n - 1)] + [high]


@dataclass(frozen=True)
class PointRatio:
    x: float
    u_claim: float
    u_other: float

    @property
    def ratio(self) -> float:
        """U(claim) / U(other): above 1, the claim is the larger uncertainty."""
        return self.u_claim / self.u_other if self.u_other else math.inf


def compare(
    claim: UncertaintyFunction,
    claim_range: tuple[float, float],
    other: UncertaintyFunction,
    other_range: tuple[float, float],
    n: int = 3,
) -> tuple[tuple[float, float] | None, list[PointRatio]]:
    """The common range of two CMCs and U(claim)/U(other) at its common points."""
    span = overlap(claim_range, other_range)
    if span is None:
        return None, []
    return span, [PointRatio(x, claim.at(x), other.at(x)) for x in common_points(span, n)]
