"""ISO 13528:2022 Annex C.3 Algorithm A: robust mean x* and robust standard deviation s*."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ComparisonInputError


@dataclass(frozen=True)
class AlgorithmA:
    mean: float
    sd: float
    iterations: int
    history: tuple[tuple[float, float], ...] = ()  # (x*, s*) from the start values on

    def u_mean(self, p: int) -> float:
        """Standard uncertainty of x* as assigned value: 1.25·s*/√p (ISO 13528:2022 §7.7.3)."""
        return 1.25 * self.sd / np.sqrt(p)


def algorithm_a(values, tol: float = 1e-12, max_iter: int = 1000, keep_history: bool = False) -> AlgorithmA:
    """Iterate δ = 1.5 s*, winsorise to [x* − δ, x* + δ], x* = mean, s* = 1.134·sd
    (ISO 13528:2022 C.3.1, eqs. C.1–C.6) until x* and s* change by less than ``tol``
    relative to s* (stricter than the standard's third significant figure, so the
    result does not depend on the stopping point). Start: x* = median,
    s* = 1.483·median|x_i − x*|. When s* is zero (more than half the values equal) the
    algorithm cannot proceed: x* is the median and s* = 0 is returned.
    """
    x = np.asarray(values, float)
    if x.ndim != 1 or x.size == 0:
        raise ComparisonInputError("value", "Algorithm A needs at least one result", code="comparison_algorithm_a_empty")
    if not np.all(np.isfinite(x)):
        raise ComparisonInputError("value", "Algorithm A needs finite values", code="comparison_algorithm_a_finite")
    mean = float(np.median(x))
    sd = float(1.483 * np.median(np.abs(x - mean)))
    history = [(mean, sd)] if keep_history else []
    if x.size < 2 or sd == 0.0:
        return AlgorithmA(mean, sd, 0, tuple(history))
    buffer = np.empty_like(x)
    for iteration in range(1, max_iter + 1):
        delta = 1.5 * sd
        np.clip(x, mean - delta, mean + delta, out=buffer)
        new_mean = float(buffer.mean())
        new_sd = float(1.134 * buffer.std(ddof=1))
        if keep_history:
            history.append((new_mean, new_sd))
        converged = abs(new_mean - mean) <= tol * new_sd and abs(new_sd - sd) <= tol * new_sd
        mean, sd = new_mean, new_sd
        if converged or sd == 0.0:
            return AlgorithmA(mean, sd, iteration, tuple(history))
    return AlgorithmA(mean, sd, max_iter, tuple(history))
