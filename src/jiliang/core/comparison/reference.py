"""Reference-value estimators for a comparison.

Each linear estimator returns the weights ``w`` (x_ref = w·x, zero for a result not used)
so that degrees of equivalence can account for each participant's share in the
reference value (see ``equivalence``). References:
- weighted mean and chi-squared check, procedure A: M. G. Cox, Metrologia 39 (2002) 589;
- largest consistent subset: M. G. Cox, Metrologia 44 (2007) 187;
- DerSimonian & Laird, Controlled Clinical Trials 7 (1986) 177;
- Paule & Mandel, J. Res. NBS 87 (1982) 377;
- power-moderated mean: Pommé & Keightley, Metrologia 52 (2015) S200.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from .errors import ComparisonInputError

CONSISTENCY_ALPHA = 0.05
# Exhaustive largest-consistent-subset search up to this many results; beyond, the
# most discrepant result is removed one at a time (Cox 2002 procedure A practice).
LCS_EXHAUSTIVE_MAX = 20


@dataclass(frozen=True)
class ChiSquared:
    observed: float
    dof: int
    p_value: float
    consistent: bool


@dataclass(frozen=True)
class ReferenceValue:
    """x_ref and u(x_ref). ``weights`` is None for non-linear estimators (median,
    Algorithm A, procedure B), whose correlation with each result is neglected."""

    method: str
    value: float
    u: float
    used: np.ndarray  # bool mask of the results the value was computed from
    weights: np.ndarray | None = None
    chi2: ChiSquared | None = None
    s: float | None = None  # robust standard deviation (Algorithm A)
    tau2: float | None = None  # between-laboratory variance (random effects)
    birge_ratio: float | None = None
    extra: dict = field(default_factory=dict)


def chi_squared_test(values, u, reference, alpha: float = CONSISTENCY_ALPHA) -> ChiSquared:
    """Cox 2002 §5.1: chi²_obs = Σ (x_i − y)²/u_i² with N − 1 degrees of freedom; the
    check fails when Pr{chi²(N−1) > chi²_obs} < alpha."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    observed = float(np.sum(((values - reference) / u) ** 2))
    dof = values.size - 1
    p_value = float(stats.chi2.sf(observed, dof)) if dof > 0 else 1.0
    return ChiSquared(observed, dof, p_value, p_value >= alpha)


def birge_ratio(values, u, reference) -> float:
    """R_B = sqrt(chi²_obs / (N − 1)) (Birge 1932); about 1 for consistent data."""
    values = np.asarray(values, float)
    if values.size < 2:
        return float("nan")
    return float(np.sqrt(np.sum(((values - reference) / np.asarray(u, float)) ** 2) / (values.size - 1)))


def _require_u(u, used, name):
    if not np.all(np.isfinite(u[used])):
        raise ComparisonInputError(
            "u",
            f"the {name} needs the standard uncertainty of every result in the reference value",
            code="comparison_needs_u",
            estimator=name,
        )


def weighted_mean(values, u, used=None, cov=None, alpha: float = CONSISTENCY_ALPHA) -> ReferenceValue:
    """Inverse-variance weighted mean (Cox 2002 procedure A, steps 1–3).

    With a covariance matrix (correlations with the pilot) it is the generalised
    least-squares mean: w = C⁻¹1 / 1ᵀC⁻¹1, u² = 1/1ᵀC⁻¹1.
    """
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    _require_u(u, used, "weighted mean")
    weights = np.zeros(values.size)
    if cov is None:
        inv = 1.0 / u[used] ** 2
        weights[used] = inv / inv.sum()
        u_ref = float(np.sqrt(1.0 / inv.sum()))
    else:
        sub = np.asarray(cov, float)[np.ix_(used, used)]
        solved = np.linalg.solve(sub, np.ones(used.sum()))
        weights[used] = solved / solved.sum()
        u_ref = float(np.sqrt(1.0 / solved.sum()))
    value = float(weights @ values)
    chi2 = chi_squared_test(values[used], u[used], value, alpha) if cov is None else _gls_chi2(values, cov, used, value, alpha)
    return ReferenceValue(
        "weighted-mean", value, u_ref, used, weights, chi2, birge_ratio=birge_ratio(values[used], u[used], value)
    )


def _gls_chi2(values, cov, used, value, alpha) -> ChiSquared:
    r = values[used] - value
    observed = float(r @ np.linalg.solve(np.asarray(cov, float)[np.ix_(used, used)], r))
    dof = int(used.sum()) - 1
    p_value = float(stats.chi2.sf(observed, dof)) if dof > 0 else 1.0
    return ChiSquared(observed, dof, p_value, p_value >= alpha)


def cox_procedure_a(values, u, used=None, alpha: float = CONSISTENCY_ALPHA) -> ReferenceValue:
    """Weighted mean if it passes the chi-squared check; otherwise the weighted mean of a
    largest consistent subset (Cox 2007): the largest subset passing the check, and among
    those of that size the one with the smallest chi²_obs."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    _require_u(u, used, "procedure A")
    first = weighted_mean(values, u, used, alpha=alpha)
    if first.chi2.consistent:
        return _renamed(first, "cox-a", initial_chi2=first.chi2)
    candidates = np.flatnonzero(used)
    if candidates.size <= LCS_EXHAUSTIVE_MAX:
        subset = _largest_consistent_subset(values[candidates], u[candidates], alpha)
        keep = np.zeros(values.size, bool)
        keep[candidates[subset]] = True
    else:
        keep = used.copy()
        while True:
            result = weighted_mean(values, u, keep, alpha=alpha)
            if result.chi2.consistent or keep.sum() <= 1:
                break
            # Remove the result furthest from the mean in units of u(d_i) (Cox 2002 §5.1).
            ud = np.sqrt(np.maximum(u**2 - result.u**2, 1e-300))
            score = np.where(keep, np.abs(values - result.value) / ud, -np.inf)
            keep[int(np.argmax(score))] = False
    final = weighted_mean(values, u, keep, alpha=alpha)
    return _renamed(final, "cox-a", initial_chi2=first.chi2)


def _largest_consistent_subset(values, u, alpha) -> np.ndarray:
    n = values.size
    w = 1.0 / u**2
    for size in range(n - 1, 0, -1):
        combos = np.array(list(itertools.combinations(range(n), size)), dtype=np.intp)
        mask = np.zeros((combos.shape[0], n))
        np.put_along_axis(mask, combos, 1.0, axis=1)
        sw = mask @ w
        mean = (mask @ (w * values)) / sw
        chi2 = np.einsum("ij,ij->i", mask, w * (values[None, :] - mean[:, None]) ** 2)
        threshold = stats.chi2.isf(alpha, size - 1) if size > 1 else np.inf
        ok = chi2 <= threshold
        if ok.any():
            # Smallest chi²; ties (e.g. single results) go to the smallest u(x_ref) = 1/sqrt(Σw).
            candidates = np.flatnonzero(ok)
            best = candidates[np.lexsort((-sw[candidates], np.round(chi2[candidates], 12)))[0]]
            return mask[best].astype(bool)
    return np.zeros(n, bool)


def _renamed(ref: ReferenceValue, method: str, **extra) -> ReferenceValue:
    return ReferenceValue(
        method, ref.value, ref.u, ref.used, ref.weights, ref.chi2, ref.s, ref.tau2, ref.birge_ratio, {**ref.extra, **extra}
    )


def arithmetic_mean(values, used=None) -> ReferenceValue:
    """Unweighted mean; u = s/√n, the experimental standard deviation of the mean (the
    spread of the results, not their reported uncertainties)."""
    values = np.asarray(values, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    n = int(used.sum())
    weights = np.where(used, 1.0 / n, 0.0)
    value = float(values[used].mean())
    u_ref = float(values[used].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return ReferenceValue("mean", value, u_ref, used, weights)


MAD_TO_SD = 1.4826  # 1/Φ⁻¹(3/4): MADe = 1.4826·MAD estimates σ for normal data
MEDIAN_EFFICIENCY = 1.25  # ≈ √(π/2): var(median) ≈ (π/2)σ²/n, as ISO 13528:2022 C.2 uses 1.25


def median(values, used=None) -> ReferenceValue:
    """Median; u = 1.25·MADe/√n with MADe = 1.4826·median|x_i − med| (ISO 13528:2022
    §C.2.2 MADe, and the 1.25 factor of §7.7.3 for a robust location estimate)."""
    values = np.asarray(values, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    x = values[used]
    med = float(np.median(x))
    made = float(MAD_TO_SD * np.median(np.abs(x - med)))
    u_ref = MEDIAN_EFFICIENCY * made / np.sqrt(x.size)
    return ReferenceValue("median", med, float(u_ref), used, None, s=made)


def _random_effects(method, values, u, used, tau2) -> ReferenceValue:
    w = np.zeros(values.size)
    inv = 1.0 / (u[used] ** 2 + tau2)
    w[used] = inv / inv.sum()
    value = float(w @ values)
    return ReferenceValue(
        method,
        value,
        float(np.sqrt(1.0 / inv.sum())),
        used,
        w,
        tau2=float(tau2),
        birge_ratio=birge_ratio(values[used], u[used], float(np.sum(values[used] / u[used] ** 2) / np.sum(1 / u[used] ** 2))),
    )


def dersimonian_laird(values, u, used=None) -> ReferenceValue:
    """DerSimonian–Laird random-effects mean: τ² = max(0, (Q − (n−1)) / (S1 − S2/S1)),
    then inverse-(u² + τ²) weights; u(x_ref)² = 1/Σ 1/(u_i² + τ²)."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    _require_u(u, used, "DerSimonian–Laird mean")
    x, v = values[used], u[used] ** 2
    w = 1.0 / v
    fixed = np.sum(w * x) / w.sum()
    q = float(np.sum(w * (x - fixed) ** 2))
    c = w.sum() - np.sum(w**2) / w.sum()
    tau2 = max(0.0, (q - (x.size - 1)) / c) if x.size > 1 else 0.0
    return _random_effects("dersimonian-laird", values, u, used, tau2)


def _paule_mandel_tau2(x: np.ndarray, v: np.ndarray) -> float:
    """τ² ≥ 0 solving Σ (x_i − μ(τ²))²/(v_i + τ²) = n − 1 (0 when the data are consistent)."""

    def excess(tau2: float) -> float:
        w = 1.0 / (v + tau2)
        mu = np.sum(w * x) / w.sum()
        return float(np.sum(w * (x - mu) ** 2) - (x.size - 1))

    if x.size < 2 or excess(0.0) <= 0:
        return 0.0
    high = max(float(np.var(x, ddof=1)), float(v.max()))
    while excess(high) > 0:
        high *= 2.0
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-15 * high + 1e-300, rtol=1e-14, maxiter=500))


def paule_mandel(values, u, used=None) -> ReferenceValue:
    """Paule–Mandel random-effects mean: τ² ≥ 0 solving Σ (x_i − μ(τ²))²/(u_i² + τ²) = n − 1,
    with μ(τ²) the inverse-(u² + τ²) weighted mean; τ² = 0 when the data are consistent."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    _require_u(u, used, "Paule–Mandel mean")
    tau2 = _paule_mandel_tau2(values[used], u[used] ** 2)
    return _random_effects("paule-mandel", values, u, used, tau2)


def power_moderated_mean(values, u, used=None, alpha: float | None = None) -> ReferenceValue:
    """Power-moderated mean (S. Pommé and J. Keightley, Metrologia 52 (2015) S200), the
    CCRI(II) reference value of the BIPM SIR comparisons BIPM.RI(II)-K1 since 2013.

    s² is the Paule–Mandel excess variance (0 for consistent data); with
    S = sqrt(N·max(u²(x̄), 1/Σ(u_i² + s²)⁻¹)), u²(x̄) = Σ(x_i − x̄)²/(N(N − 1)) the
    variance of the arithmetic mean x̄:
        u²(x_ref) = 1 / Σ (u_i² + s²)^(−α/2) S^(α−2),  w_i = u²(x_ref) (u_i² + s²)^(−α/2) S^(α−2).
    α = 2 − 3/N by default (uncertainties informative but possibly underestimated); α = 2
    gives the weighted mean (Paule–Mandel mean when s² > 0), α = 0 the arithmetic mean.
    Degrees of equivalence then follow from the weights: u²(d_i) = u_i² − 2w_i u_i² + u²(x_ref).
    """
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    used = np.ones(values.size, bool) if used is None else np.asarray(used, bool)
    _require_u(u, used, "power-moderated mean")
    x, v = values[used], u[used] ** 2
    n = x.size
    if alpha is None:
        alpha = 2.0 - 3.0 / n
    elif not (0.0 <= alpha <= 2.0):
        raise ComparisonInputError(
            "alpha",
            f"the power of the power-moderated mean must lie in [0, 2], got {alpha!r}",
            code="comparison_alpha",
            got=repr(alpha),
        )
    weights = np.zeros(values.size)
    if n == 1:
        # A single result is its own reference value (α = 2 − 3/N is meaningless for N = 1).
        weights[used] = 1.0
        return ReferenceValue(
            "power-moderated-mean", float(x[0]), float(u[used][0]), used, weights, tau2=0.0, extra={"alpha": float(alpha)}
        )
    s2 = _paule_mandel_tau2(x, v)
    var_mean = float(np.sum((x - x.mean()) ** 2) / (n * (n - 1)))
    var_mp = float(1.0 / np.sum(1.0 / (v + s2)))
    big_s2 = n * max(var_mean, var_mp)
    # (u² + s²)^(−α/2) S^(α−2), in logarithms so that neither power under- nor overflows.
    inv = np.exp(-0.5 * alpha * np.log(v + s2) + 0.5 * (alpha - 2.0) * np.log(big_s2))
    u_ref2 = float(1.0 / inv.sum())
    weights[used] = u_ref2 * inv
    value = float(weights @ values)
    return ReferenceValue(
        "power-moderated-mean",
        value,
        float(np.sqrt(u_ref2)),
        used,
        weights,
        tau2=float(s2),
        birge_ratio=birge_ratio(x, u[used], float(np.sum(x / v) / np.sum(1 / v))),
        extra={"alpha": float(alpha)},
    )


@dataclass(frozen=True)
class ProcedureB:
    """Cox 2002 procedure B: x_ref = median of the values; u(x_ref), u(d_i) and the 95 %
    coverage interval of x_ref from Monte Carlo over the participants' distributions."""

    value: float
    u: float
    interval: tuple[float, float]
    d: np.ndarray
    u_d: np.ndarray
    trials: int


def procedure_b(values, u, dof=None, used=None, trials: int = 10**6, seed: int | None = None, chunk: int = 50_000) -> ProcedureB:
    """Monte Carlo procedure B (Cox 2002 §6). Each result is drawn from N(x_i, u_i²), or,
    with finite dof, from x_i + u_i·t_ν (JCGM 101 §6.4.9); each trial's median over the
    results in the reference is the trial's reference value. Vectorised in chunks of
    trials so memory stays at chunk × n doubles; seedable for reproducible results."""
    values = np.asarray(values, float)
    u = np.asarray(u, float)
    n = values.size
    used = np.ones(n, bool) if used is None else np.asarray(used, bool)
    _require_u(u, np.ones(n, bool), "procedure B")
    dof = np.full(n, np.inf) if dof is None else np.asarray(dof, float)
    if trials < 2:
        raise ComparisonInputError("trials", "at least 2 Monte Carlo trials are needed", code="comparison_trials")
    rng = np.random.default_rng(seed)
    finite = np.isfinite(dof)
    medians = np.empty(trials)
    sum_d = np.zeros(n)
    sum_d2 = np.zeros(n)
    idx = np.flatnonzero(used)
    done = 0
    while done < trials:
        m = min(chunk, trials - done)
        z = rng.standard_normal((m, n))
        if finite.any():
            z[:, finite] = rng.standard_t(dof[finite], size=(m, int(finite.sum())))
        draws = values + u * z
        med = np.median(draws[:, idx], axis=1)
        medians[done : done + m] = med
        diff = draws - med[:, None]
        sum_d += diff.sum(axis=0)
        sum_d2 += np.einsum("ij,ij->j", diff, diff)
        done += m
    mean_d = sum_d / trials
    u_d = np.sqrt(np.maximum(sum_d2 / trials - mean_d**2, 0.0) * trials / (trials - 1))
    value = float(np.median(values[used]))
    low, high = np.quantile(medians, [0.025, 0.975])
    return ProcedureB(value, float(medians.std(ddof=1)), (float(low), float(high)), values - value, u_d, trials)
