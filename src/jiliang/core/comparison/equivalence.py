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

from .reference import ReferenceValue

K = 2.0


@dataclass(frozen=True)
class DegreesOfEquivalence:
    d: np.ndarray
    u_d: np.ndarray
    U_d: np.ndarray  # k = 2


def degrees_of_equivalence(values, u, reference: ReferenceValue, cov=None) -> DegreesOfEquivalence:
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    d = values - reference.value
    if reference.weights is None:
        var = u**2 + reference.u**2
    else:
        c_w = (np.asarray(cov, float) @ reference.weights) if cov is not None else u**2 * reference.weights
        var = u**2 + reference.u**2 - 2.0 * c_w
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
