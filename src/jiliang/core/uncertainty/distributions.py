"""Input distributions: standard uncertainty for the GUM, sampling for Monte Carlo.

Sampling formulas follow JCGM 101:2008 §6.4 (rectangular 6.4.2, curvilinear trapezoid
6.4.3, trapezoidal 6.4.4, triangular 6.4.5, arcsine 6.4.6, Gaussian 6.4.7, scaled and
shifted t 6.4.9, exponential 6.4.10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Distribution:
    """One input quantity's state of knowledge.

    ``value`` is the estimate (expectation), ``u`` the standard uncertainty used by the
    GUM, ``dof`` the degrees of freedom (``math.inf`` when not given). ``params`` holds
    what the sampler needs.
    """

    kind: str
    value: float
    u: float
    dof: float = math.inf
    params: dict = field(default_factory=dict)

    def support(self, spread: float = 5.0) -> tuple[float, float]:
        """The interval the quantity can take (unbounded kinds use value ± spread·u)."""
        p = self.params
        if self.kind in ("rectangular", "triangular", "arcsine", "trapezoidal"):
            return self.value - p["half_width"], self.value + p["half_width"]
        if self.kind == "curvilinear_trapezoid":
            return self.value - p["half_width"] - p["d"], self.value + p["half_width"] + p["d"]
        if self.kind == "exponential":
            return 0.0, self.value + spread * self.u
        return self.value - spread * self.u, self.value + spread * self.u

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws (JCGM 101 §6.4)."""
        kind, x, p = self.kind, self.value, self.params
        if self.u == 0.0 and kind != "exponential":
            return np.full(n, x)
        if kind == "normal":
            out = rng.standard_normal(n)
            out *= self.u
            out += x
            return out
        if kind == "rectangular":
            a = p["half_width"]
            out = rng.random(n)
            out *= 2.0 * a
            out += x - a
            return out
        if kind == "triangular":  # sum of two rectangulars, 6.4.5.4
            a = p["half_width"]
            out = rng.random(n)
            out += rng.random(n)
            out -= 1.0
            out *= a
            out += x
            return out
        if kind == "arcsine":  # 6.4.6.4
            out = rng.random(n)
            out *= 2.0 * math.pi
            np.sin(out, out=out)
            out *= p["half_width"]
            out += x
            return out
        if kind == "trapezoidal":  # 6.4.4.4 on [x - a, x + a]
            a, beta = p["half_width"], p["beta"]
            out = rng.random(n)
            out *= 1.0 + beta
            r2 = rng.random(n)
            r2 *= 1.0 - beta
            out += r2
            out -= 1.0
            out *= a
            out += x
            return out
        if kind == "curvilinear_trapezoid":  # 6.4.3.4: half-width itself rectangular in a ± d
            a, d = p["half_width"], p["d"]
            half = rng.random(n)
            half *= 2.0 * d
            half += a - d
            out = rng.random(n)
            out *= 2.0
            out -= 1.0
            out *= half
            out += x
            return out
        if kind == "t":  # 6.4.9.7: x + scale * t_nu
            out = rng.standard_t(self.dof, n)
            out *= p["scale"]
            out += x
            return out
        if kind == "exponential":  # 6.4.10.4
            return rng.exponential(x, n)
        raise AssertionError(kind)  # pragma: no cover


def standard_uncertainty(kind: str, params: dict) -> float:
    """Standard deviation of a bounded distribution from its parameters (JCGM 101 §6.4)."""
    a = params.get("half_width", 0.0)
    if kind == "rectangular":
        return a / math.sqrt(3.0)
    if kind == "triangular":
        return a / math.sqrt(6.0)
    if kind == "arcsine":
        return a / math.sqrt(2.0)
    if kind == "trapezoidal":
        return a * math.sqrt((1.0 + params["beta"] ** 2) / 6.0)
    if kind == "curvilinear_trapezoid":
        return math.sqrt(a * a / 3.0 + params["d"] ** 2 / 9.0)
    raise AssertionError(kind)  # pragma: no cover
