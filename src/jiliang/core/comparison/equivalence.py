"""Degrees of equivalence: each result against the reference value, and pairwise.

For a reference value linear in the results, x_ref = Σ w_j x_j, the covariance of x_i
with x_ref is (C w)_i, so u²(d_i) = u_i² + u²(x_ref) − 2 (C w)_i. For the weighted mean
of independent results this is u_i² − u²(x_ref) for a participant in the reference value
(Cox 2002 eq. 7) and u_i² + u²(x_ref) for one outside it. For non-linear estimators
(median, Algorithm A, procedure B) the correlation is neglected: u²(d_i) = u_i² + u²(x_ref).
Expanded uncertainties are at k = 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ComparisonInputError
from .reference import ReferenceValue

K = 2.0


@dataclass(frozen=True)
class DegreesOfEquivalence:
    d: np.ndarray
    u_d: np.ndarray
    U_d: np.ndarray  # k = 2


REFERENCE_UNCERTAINTY = ("stated", "propagated")


def degrees_of_equivalence(
    values, u, reference: ReferenceValue, cov=None, reference_uncertainty: str = "stated"
) -> DegreesOfEquivalence:
    """d_i = x_i − x_ref and U(d_i) = 2 u(d_i).

    ``reference_uncertainty`` chooses the u²(x_ref) term for a linear estimator:
    ``"stated"`` (default) uses the estimator's own u(x_ref), as the BIPM SIR does for the
    power-moderated mean; ``"propagated"`` uses wᵀCw, the variance propagated from the
    reported uncertainties alone, so u²(d_i) = Var(x_i − wᵀx) exactly — as in SIR reports
    that quote the spread s/√N as u(KCRV) of an arithmetic mean but use Σu_j²/N² in the
    degrees of equivalence. The two agree for the weighted mean.
    """
    if reference_uncertainty not in REFERENCE_UNCERTAINTY:
        raise ComparisonInputError(
            "reference_uncertainty",
            f"must be one of {', '.join(REFERENCE_UNCERTAINTY)}, got {reference_uncertainty!r}",
            code="one_of",
            options=", ".join(REFERENCE_UNCERTAINTY),
            got=repr(reference_uncertainty),
        )
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    d = values - reference.value
    if reference.weights is None:
        if reference_uncertainty == "propagated":
            raise ComparisonInputError(
                "reference_uncertainty",
                f"'propagated' needs a reference value linear in the results; {reference.method} is not",
                code="comparison_propagated_nonlinear",
                estimator=reference.method,
            )
        var = u**2 + reference.u**2
    else:
        w = reference.weights
        c_w = (np.asarray(cov, float) @ w) if cov is not None else u**2 * w
        u_ref2 = reference.u**2 if reference_uncertainty == "stated" else float(w @ c_w)
        var = u**2 + u_ref2 - 2.0 * c_w
    # Rounding can leave a tiny negative variance when a result dominates the reference.
    var = np.where(var < 0, 0.0, var)
    u_d = np.sqrt(var)
    return DegreesOfEquivalence(d, u_d, K * u_d)


@dataclass(frozen=True)
class PairwiseEquivalence:
    d: np.ndarray  # d[i, j] = x_i − x_j
    U: np.ndarray  # k = 2 expanded uncertainty of d[i, j]


def pairwise_equivalence(values, u, cov=None) -> PairwiseEquivalence:
    """d_ij = x_i − x_j, U(d_ij) = 2·sqrt(u_i² + u_j² − 2 cov_ij)."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    cov = np.diag(u**2) if cov is None else np.asarray(cov, float)
    var = u[:, None] ** 2 + u[None, :] ** 2 - 2.0 * cov
    np.fill_diagonal(var, 0.0)
    return PairwiseEquivalence(values[:, None] - values[None, :], K * np.sqrt(np.maximum(var, 0.0)))
