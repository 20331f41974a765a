"""Conformity decisions with measurement uncertainty (JCGM 106:2012, ILAC-G8:09/2019).

All functions take a normal (Gaussian) PDF for the measurand given the measured value
y and standard uncertainty u, as JCGM 106 §7.3 does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .errors import ModelError


def _phi(z):
    return special.ndtr(z)


def _limits(lower: float | None, upper: float | None) -> tuple[float, float]:
    lo = -math.inf if lower is None else float(lower)
    hi = math.inf if upper is None else float(upper)
    if lo == -math.inf and hi == math.inf:
        raise ModelError("specification", "needs a lower or an upper tolerance limit", code="spec_needs_limit")
    if hi <= lo:
        raise ModelError(
            "specification.upper",
            f"must exceed the lower limit ({hi!r} <= {lo!r})",
            code="spec_upper_below_lower",
            upper=hi,
            lower=lo,
        )
    return lo, hi


def tolerance_from_mpe(mpe: float, nominal: float = 0.0) -> tuple[float, float]:
    """Tolerance interval [nominal − MPE, nominal + MPE] for a maximum permissible error."""
    if mpe <= 0:
        raise ModelError("specification.mpe", f"must be positive, got {mpe!r}", code="must_be_positive", got=mpe)
    return nominal - mpe, nominal + mpe


def conformance_probability(y: float, u: float, lower: float | None = None, upper: float | None = None) -> float:
    """p_c = Φ((T_U − y)/u) − Φ((T_L − y)/u) (JCGM 106 §7.3, eq. 12)."""
    lo, hi = _limits(lower, upper)
    if u < 0:
        raise ModelError("u", f"must not be negative, got {u!r}", code="must_not_be_negative", got=u)
    if u == 0:
        return float(lo <= y <= hi)
    return float(_phi((hi - y) / u) - _phi((lo - y) / u))


def acceptance_interval(lower: float | None, upper: float | None, w: float) -> tuple[float, float]:
    """Acceptance limits A_L = T_L + w, A_U = T_U − w (guarded acceptance for w > 0, JCGM 106 §8)."""
    lo, hi = _limits(lower, upper)
    a_lo, a_hi = lo + w, hi - w
    if a_hi <= a_lo:
        raise ModelError(
            "guard_band", f"a guard band of {w!r} leaves no acceptance interval", code="guard_band_too_wide", width=w
        )
    return a_lo, a_hi


@dataclass
class Decision:
    accept: bool
    rule: str
    acceptance_interval: tuple[float, float]
    guard_band: float
    probability_of_conformity: float


def decide(
    y: float, u: float, U: float, lower: float | None = None, upper: float | None = None, rule: str = "simple", r: float = 1.0
) -> Decision:
    """Accept or reject ``y``.

    ``rule``: ``"simple"`` (accept inside the tolerance interval, w = 0; ILAC-G8 4.2.1),
    ``"guard_band"`` (w = r·U; with r = 1 this is w = U, ILAC-G8 4.2.2).
    """
    if rule == "simple":
        w = 0.0
    elif rule in ("guard_band", "guarded"):
        if r < 0:
            raise ModelError("r", f"must not be negative, got {r!r}", code="must_not_be_negative", got=r)
        w = r * U
    else:
        raise ModelError(
            "rule", f"unknown decision rule {rule!r}; use simple or guard_band", code="unknown_decision_rule", got=repr(rule)
        )
    a_lo, a_hi = acceptance_interval(lower, upper, w)
    return Decision(bool(a_lo <= y <= a_hi), rule, (a_lo, a_hi), w, conformance_probability(y, u, lower, upper))


def adequacy(U: float, mpe: float, ratio: float = 3.0) -> bool:
    """Verification adequacy: U ≤ MPE/ratio (ratio 3 by default, as in JJF 1094 and OIML practice)."""
    if ratio <= 0:
        raise ModelError("ratio", f"must be positive, got {ratio!r}", code="must_be_positive", got=ratio)
    return bool(U <= mpe / ratio)


def global_risks(
    prior_mean: float,
    prior_u: float,
    u_measure: float,
    lower: float | None,
    upper: float | None,
    w: float = 0.0,
    nodes: int = 4001,
) -> dict:
    """Global consumer's and producer's risks (JCGM 106 §9.5) for a Gaussian process prior.

    R_C (probability of false accept) = ∫ over non-conforming η of g0(η)·P(accept | η);
    R_P (probability of false reject) = ∫ over conforming η of g0(η)·P(reject | η), with
    acceptance interval [T_L + w, T_U − w] and a Gaussian measurement of std ``u_measure``.
    """
    if prior_u <= 0:
        raise ModelError("prior.u", f"must be positive, got {prior_u!r}", code="must_be_positive", got=prior_u)
    if u_measure < 0:
        raise ModelError("u", f"must not be negative, got {u_measure!r}", code="must_not_be_negative", got=u_measure)
    lo, hi = _limits(lower, upper)
    a_lo, a_hi = acceptance_interval(lower, upper, w)
    # Gauss–Legendre on each region of the prior, 12 standard deviations wide
    edges = [prior_mean - 12 * prior_u, prior_mean + 12 * prior_u]
    points = sorted({e for e in (lo, hi, a_lo, a_hi) if edges[0] < e < edges[1]} | set(edges))
    x, wt = np.polynomial.legendre.leggauss(min(nodes, 400))
    pfa = pfr = 0.0
    for a, b in zip(points[:-1], points[1:]):
        eta = 0.5 * (b - a) * x + 0.5 * (a + b)
        weight = 0.5 * (b - a) * wt * np.exp(-0.5 * ((eta - prior_mean) / prior_u) ** 2) / (prior_u * math.sqrt(2 * math.pi))
        if u_measure == 0:
            accept = ((eta >= a_lo) & (eta <= a_hi)).astype(float)
        else:
            accept = _phi((a_hi - eta) / u_measure) - _phi((a_lo - eta) / u_measure)
        conforming = (eta >= lo) & (eta <= hi)
        pfa += float(np.sum(weight * accept * ~conforming))
        pfr += float(np.sum(weight * (1.0 - accept) * conforming))
    return {"pfa": pfa, "pfr": pfr}
