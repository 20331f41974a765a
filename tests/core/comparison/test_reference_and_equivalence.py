"""Weighted mean, procedure A with the largest consistent subset, procedure B, mean,
median, degrees of equivalence (Cox 2002, Metrologia 39, 589) and ISO 13528 scores.

No published numerical example of Cox 2002 procedure A could be retrieved here; these tests
check the defining equations against independent computations written in the test (direct
covariance algebra, brute-force subsets, the exact order-statistic variance). Published
CIPM key comparison results (BIPM.RI(II)-K1) are reproduced in test_key_comparison_published.
"""

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from jiliang.core.comparison import (
    arithmetic_mean,
    chi_squared_test,
    covariance_with_pilot,
    cox_procedure_a,
    degrees_of_equivalence,
    en_number,
    en_verdict,
    median,
    pairwise_equivalence,
    procedure_b,
    weighted_mean,
    z_prime_score,
    z_score,
    z_verdict,
    zeta_score,
)

X = np.array([10.02, 9.98, 10.05, 10.00, 9.97, 10.40])
U = np.array([0.02, 0.03, 0.04, 0.02, 0.05, 0.05])


def direct_u_d(cov, weights):
    """Var(x_i − wᵀx) = (e_i − w)ᵀ C (e_i − w), written out."""
    n = len(weights)
    out = []
    for i in range(n):
        a = -np.asarray(weights, float).copy()
        a[i] += 1.0
        out.append(np.sqrt(a @ cov @ a))
    return np.array(out)


def test_weighted_mean_cox_2002_equations():
    used = np.ones(6, bool)
    ref = weighted_mean(X, U, used)
    w = 1 / U**2
    assert ref.value == pytest.approx((w * X).sum() / w.sum(), rel=1e-14)
    assert ref.u == pytest.approx(1 / np.sqrt(w.sum()), rel=1e-14)
    chi2 = ((X - ref.value) ** 2 * w).sum()
    assert ref.chi2.observed == pytest.approx(chi2)
    assert ref.chi2.p_value == pytest.approx(stats.chi2.sf(chi2, 5))
    assert ref.birge_ratio == pytest.approx(np.sqrt(chi2 / 5))
    doe = degrees_of_equivalence(X, U, ref)
    # Cox 2002 eq. (7): u²(d_i) = u_i² − u²(y) for a participant in the reference value.
    assert np.allclose(doe.u_d, np.sqrt(U**2 - ref.u**2))
    assert np.allclose(doe.u_d, direct_u_d(np.diag(U**2), ref.weights))
    assert np.allclose(doe.U_d, 2 * doe.u_d)


def test_participant_outside_the_reference_gets_u_i2_plus_u_ref2():
    used = np.array([1, 1, 1, 1, 1, 0], bool)
    ref = weighted_mean(X, U, used)
    doe = degrees_of_equivalence(X, U, ref)
    assert doe.u_d[5] == pytest.approx(np.sqrt(U[5] ** 2 + ref.u**2))
    assert np.allclose(doe.u_d[:5], np.sqrt(U[:5] ** 2 - ref.u**2))


def test_correlation_with_pilot_in_gls_mean_and_doe():
    r = np.array([0.0, 0.5, 0.5, 0.3, 0.0, 0.0])  # lab 0 is the pilot
    cov = covariance_with_pilot(U, 0, r)
    assert cov[1, 0] == pytest.approx(0.5 * U[1] * U[0])
    ref = weighted_mean(X, U, cov=cov)
    ci = np.linalg.inv(cov)
    one = np.ones(6)
    assert ref.value == pytest.approx(one @ ci @ X / (one @ ci @ one))
    assert ref.u == pytest.approx(1 / np.sqrt(one @ ci @ one))
    doe = degrees_of_equivalence(X, U, ref, cov)
    assert np.allclose(doe.u_d, direct_u_d(cov, ref.weights))
    pair = pairwise_equivalence(X, U, cov)
    assert pair.U[1, 0] == pytest.approx(2 * np.sqrt(U[1] ** 2 + U[0] ** 2 - 2 * cov[1, 0]))
    assert pair.d[2, 3] == pytest.approx(X[2] - X[3])
    assert np.all(np.diag(pair.U) == 0)


def brute_force_lcs(x, u, alpha=0.05):
    n = len(x)
    for size in range(n, 0, -1):
        best = None
        for subset in itertools.combinations(range(n), size):
            s = list(subset)
            chi2 = chi_squared_test(x[s], u[s], weighted_mean(x[s], u[s]).value)
            if chi2.consistent and (best is None or chi2.observed < best[1]):
                best = (set(s), chi2.observed)
        if best:
            return best[0]


def test_procedure_a_excludes_the_discrepant_result():
    ref = cox_procedure_a(X, U)
    assert not ref.extra["initial_chi2"].consistent
    assert ref.chi2.consistent
    assert list(np.flatnonzero(~ref.used)) == [5]
    assert ref.value == pytest.approx(weighted_mean(X[:5], U[:5]).value)


@pytest.mark.parametrize("seed", range(5))
def test_largest_consistent_subset_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.5, 2.0, 8)
    x = rng.normal(0, u) + np.where(rng.random(8) < 0.3, rng.normal(0, 8, 8), 0)
    ref = cox_procedure_a(x, u)
    assert set(np.flatnonzero(ref.used)) == brute_force_lcs(x, u)


def test_sequential_exclusion_beyond_exhaustive_limit():
    rng = np.random.default_rng(3)
    u = np.full(30, 1.0)
    x = rng.normal(0, 1, 30)
    x[[4, 17]] += [25.0, -40.0]
    ref = cox_procedure_a(x, u)
    assert ref.chi2.consistent
    assert not ref.used[4] and not ref.used[17]


def test_mean_and_median_conventions():
    mean = arithmetic_mean(X)
    assert mean.value == pytest.approx(X.mean())
    assert mean.u == pytest.approx(X.std(ddof=1) / np.sqrt(6))
    doe = degrees_of_equivalence(X, U, mean)
    # cov(x_i, mean) = u_i²/n; u(mean) is the spread s/√n, not the propagated u's.
    assert np.allclose(doe.u_d, np.sqrt(U**2 + mean.u**2 - 2 * U**2 / 6))
    med = median(X)
    assert med.value == pytest.approx(np.median(X))
    made = 1.4826 * np.median(np.abs(X - np.median(X)))
    assert med.u == pytest.approx(1.25 * made / np.sqrt(6))
    assert np.allclose(degrees_of_equivalence(X, U, med).u_d, np.sqrt(U**2 + med.u**2))


def test_procedure_b_median_of_three_has_exact_order_statistic_variance():
    # The median of three N(0, 1) has density 6 φ Φ (1 − Φ); its variance is ∫ x² · that.
    exact, _ = integrate.quad(lambda t: t * t * 6 * stats.norm.pdf(t) * stats.norm.cdf(t) * stats.norm.sf(t), -12, 12)
    result = procedure_b([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], trials=200_000, seed=11)
    assert result.u == pytest.approx(np.sqrt(exact), rel=0.01)
    assert result.interval[0] == pytest.approx(-1.96 * np.sqrt(exact), rel=0.05)
    again = procedure_b([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], trials=200_000, seed=11)
    assert again.u == result.u  # seedable


def test_procedure_b_with_t_inputs_and_outside_participant():
    x = np.array([1.0, 1.2, 0.9, 1.1, 3.0])
    u = np.array([0.1, 0.1, 0.1, 0.1, 0.1])
    used = np.array([1, 1, 1, 1, 0], bool)
    result = procedure_b(x, u, dof=np.array([4, np.inf, np.inf, 10, np.inf]), used=used, trials=50_000, seed=2)
    assert result.value == pytest.approx(np.median(x[:4]))
    # Outside the median, participant 4 is independent of it: u(d)² ≈ u² + u(ref)².
    assert result.u_d[4] == pytest.approx(np.sqrt(0.01 + result.u**2), rel=0.03)


def test_scores_iso_13528():
    x = np.array([10.0, 11.0, 12.5, 7.0])
    assert np.allclose(z_score(x, 10.0, 0.5), [0, 2, 5, -6])
    assert list(z_verdict(z_score(x, 10.0, 0.5))) == ["satisfactory", "satisfactory", "unsatisfactory", "unsatisfactory"]
    assert list(z_verdict([2.5, -2.99, 3.0, np.nan])) == ["questionable", "questionable", "unsatisfactory", ""]
    assert np.allclose(z_prime_score(x, 10.0, 0.3, 0.4), (x - 10) / 0.5)
    assert np.allclose(zeta_score(x, 0.3, 10.0, 0.4), (x - 10) / 0.5)
    assert np.allclose(en_number(x, 0.6, 10.0, 0.8), (x - 10) / 1.0)
    assert list(en_verdict([1.0, -1.01, np.nan])) == ["satisfactory", "unsatisfactory", ""]
    assert np.isnan(z_score(x, 10.0, 0.0)).all()
