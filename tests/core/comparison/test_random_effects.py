"""DerSimonian–Laird and Paule–Mandel against published metafor/Stata results.

Data: dat.bcg (13 BCG vaccine trials, Colditz et al. 1994) as shipped in the R package
metafor. Expected numbers: metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r,
which checks rma() against Stata `metan` to the 4 decimals given there.
"""

import numpy as np
import pytest

from jiliang.core.comparison import dersimonian_laird, paule_mandel, weighted_mean

# tpos, tneg, cpos, cneg
BCG = np.array(
    [
        [4, 119, 11, 128],
        [6, 300, 29, 274],
        [3, 228, 11, 209],
        [62, 13536, 248, 12619],
        [33, 5036, 47, 5761],
        [180, 1361, 372, 1079],
        [8, 2537, 10, 619],
        [505, 87886, 499, 87892],
        [29, 7470, 45, 7232],
        [17, 1699, 65, 1600],
        [186, 50448, 141, 27197],
        [5, 2493, 3, 2338],
        [27, 16886, 29, 17825],
    ],
    dtype=float,
)


def log_risk_ratio():
    a, b, c, d = BCG.T
    return np.log(a / (a + b)) - np.log(c / (c + d)), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)


def log_odds_ratio():
    a, b, c, d = BCG.T
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def test_fixed_effect_matches_metan():
    y, v = log_risk_ratio()
    ref = weighted_mean(y, np.sqrt(v))
    assert round(ref.value, 4) == -0.4303
    assert round(ref.value - 1.959964 * ref.u, 4) == -0.5097
    assert round(ref.value + 1.959964 * ref.u, 4) == -0.3509
    assert round(ref.chi2.observed, 4) == 152.2330  # Q_E
    assert not ref.chi2.consistent


def test_dersimonian_laird_risk_ratio_matches_metan():
    y, v = log_risk_ratio()
    ref = dersimonian_laird(y, np.sqrt(v))
    assert round(ref.value, 4) == -0.7141
    assert round(ref.tau2, 4) == 0.3088
    assert round(ref.value - 1.959964 * ref.u, 4) == -1.0644
    assert round(ref.value + 1.959964 * ref.u, 4) == -0.3638
    assert round(ref.value / ref.u, 4) == -3.9952  # zval


def test_dersimonian_laird_odds_ratio_matches_metan():
    y, v = log_odds_ratio()
    ref = dersimonian_laird(y, np.sqrt(v))
    assert round(ref.value, 4) == -0.7474
    assert round(ref.tau2, 4) == 0.3663
    assert round(ref.value - 1.959964 * ref.u, 4) == -1.1242
    assert round(ref.value + 1.959964 * ref.u, 4) == -0.3706


def independent_paule_mandel(y, v):
    """A plain bisection on the Paule–Mandel estimating equation, written separately
    from the library (no published PM output for dat.bcg was found to cite)."""

    def q(t):
        w = 1 / (v + t)
        mu = (w * y).sum() / w.sum()
        return (w * (y - mu) ** 2).sum() - (len(y) - 1)

    if q(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if q(mid) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("effect", [log_risk_ratio, log_odds_ratio])
def test_paule_mandel_solves_its_estimating_equation(effect):
    y, v = effect()
    ref = paule_mandel(y, np.sqrt(v))
    tau2 = independent_paule_mandel(y, v)
    assert ref.tau2 == pytest.approx(tau2, rel=1e-9)
    w = 1 / (v + tau2)
    assert ref.value == pytest.approx((w * y).sum() / w.sum(), rel=1e-9)
    assert ref.u == pytest.approx(np.sqrt(1 / w.sum()), rel=1e-9)


def test_random_effects_reduce_to_weighted_mean_for_consistent_data():
    x = np.array([10.0, 10.1, 9.95, 10.05])
    u = np.array([0.1, 0.2, 0.15, 0.1])
    wm = weighted_mean(x, u)
    for estimator in (dersimonian_laird, paule_mandel):
        ref = estimator(x, u)
        assert ref.tau2 == 0.0
        assert ref.value == pytest.approx(wm.value, rel=1e-14)
        assert ref.u == pytest.approx(wm.u, rel=1e-14)
