"""Calibration intervals (jiliang.core.intervals) against published examples.

Sources (the numbers are copied from them; no code of suncal is used or imported):

- suncal (Sandia PSL Uncertainty Calculator, github.com/sandialabs/suncal, v1.7):
  ``test/test_interval.py::testA3`` — RP-1 method A3 on "Asset 1/2/3 from 2019 NCSL
  Symposium Tutorial on Intervals" and a made-up 42 of 50 case; and
  ``doc/API Manual/5 - API User Manual - Calibration Intervals.ipynb`` — its A3 output
  (from_assets, default target 0.9) and its method S2 table for "Table D-1 in RP-1"
  (weeks between calibrations, target 0.75).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core import intervals as iv
from jiliang.core.errors import InputError

A3_CASES = [
    # (pass/fail or (g, n), I0, target, conf, interval, rejection, low, high) — suncal testA3
    ([1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0], 365, 0.95, 0.5, 231, 0.9949, 0.6516, 0.8286),
    ([1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1], 365, 0.95, 0.5, 205, 0.9993, 0.6000, 0.7843),
    ([1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1], 730, 0.95, 0.5, 523, 0.9682, 0.7041, 0.8716),
    ((42, 50), 365, 0.90, 0.3, 329, 0.7557, 0.8067, 0.8664),
]


@pytest.mark.parametrize(("results", "i0", "target", "conf", "interval", "rejection", "low", "high"), A3_CASES)
def test_a3_reproduces_suncal_test_a3(results, i0, target, conf, interval, rejection, low, high):
    g, n = results if isinstance(results, tuple) else (sum(results), len(results))
    result = iv.a3_test(g, n, i0, target, confidence=conf)
    assert round(result.interval) == interval
    assert result.rejection == pytest.approx(rejection, abs=5e-5)
    assert result.reliability_range[0] == pytest.approx(low, abs=5e-5)
    assert result.reliability_range[1] == pytest.approx(high, abs=5e-5)
    assert result.changed


def test_a3_counts_only_results_found_near_the_assigned_interval():
    # Each pair starts from an in-tolerance verification; within min(56 d, I0/2) of I0 = 365.
    obs = iv.observations([1, 1, 1, 1, 2, 2, 2], [0, 365, 700, 1100, 0, 430, 800], [True] * 3 + [False] + [True, False, True])
    assert obs.interval.tolist() == [365.0, 335.0, 400.0, 430.0]  # 430 → 800 follows a failure
    assert iv.a3_counts(obs, 365) == (2, 3, 1)  # 365, 335 in; 400 out of tolerance; 430 left out


def test_a3_reproduces_the_api_manual_outputs():
    # API manual, "Method A3": 15 of 20 at 365 d, target 0.95 → 230.84604619402594 d;
    # from_assets with the default target 0.9 → 266.22277929443646, Q 0.9136510094310735,
    # range (0.6515597371677784, 0.8285696548152859).
    assert iv.a3_test(15, 20, 365, 0.95).interval == pytest.approx(230.84604619402594, rel=1e-12)
    result = iv.a3_test(15, 20, 365, 0.9)
    assert result.interval == pytest.approx(266.22277929443646, rel=1e-12)
    assert result.rejection == pytest.approx(0.9136510094310735, rel=1e-12)
    assert result.reliability_range == pytest.approx((0.6515597371677784, 0.8285696548152859), rel=1e-12)


def test_a3_keeps_the_interval_without_confidence_and_lengthens_above_target():
    kept = iv.a3_test(19, 20, 365, 0.9)  # 95 % observed against 90 %: not significant at 0.5
    assert (kept.interval, kept.changed) == (365, False)
    longer = iv.a3_test(200, 200, 365, 0.9)  # every one in tolerance: Q = 1 − b(n; n, Rt) ≈ 1
    assert longer.interval == 730 and longer.reliability_range[1] == 1.0  # capped at max_change × I0
    with pytest.raises(InputError) as bad:
        iv.a3_test(3, 2, 365)
    assert bad.value.field == "in_tolerance"
    with pytest.raises(InputError):
        iv.a3_test(1, 2, 365, target=1.0)


# RP-1 Table D-1 as the API manual enters it (weeks; n_i; observed reliability r_i).
D1_T = [4, 7, 10, 13, 21, 28, 40, 48]
D1_N = [4, 6, 14, 13, 22, 49, 18, 6]
D1_R = [1.0, 0.83333, 0.6429, 0.6154, 0.5455, 0.4082, 0.5000, 0.3333]
# suncal takes the in-tolerance counts as int(n_i · r_i), truncating 6 × 0.83333 to 4 and
# 6 × 0.3333 to 1; its published table follows from those counts, so they are given here.
D1_G = [4, 4, 9, 8, 12, 20, 9, 1]
# API manual, "All Reliability Models": (interval, rejection confidence %, F-test, figure of merit)
D1_TABLE = {
    "Random Walk": (7, 7.81, True, 199.89),
    "Mixed Exponential": (7, 11.65, True, 128.24),
    "Log Normal": (7, 12.10, True, 119.88),
    "Weibull": (6, 16.11, True, 87.45),
    "Exponential": (10, 24.09, True, 21.73),
    "Mortality Drift": (10, 34.52, True, 15.17),
    "Warranty": (0, 39.22, True, 13.61),
    "Drift": (0, 51.80, True, 10.29),
    "Modified Gamma": (17, 99.13, False, 2.43),
}


@pytest.fixture(scope="module")
def d1():
    assert [int(n * r) for n, r in zip(D1_N, D1_R, strict=True)] == D1_G
    return iv.s2_fit(iv.Bins.of(D1_T, D1_N, D1_G, r=D1_R), 0.75)


def test_s2_reproduces_the_rp1_table_d1_example(d1):
    for name, (interval, rejection, accepted, merit) in D1_TABLE.items():
        fit = d1.fit(name)
        assert fit.interval == interval, name
        assert round(100 * fit.rejection, 2) == pytest.approx(rejection, abs=0.006), name
        assert fit.accepted is accepted, name
        assert round(fit.merit, 2) == pytest.approx(merit, abs=0.006), name
    # The Restricted Walk (three parameters) lies in a flat valley of the likelihood on these
    # data; suncal publishes 7 weeks, 14.48 %, G 109.05 from its own stopping point. The
    # interval agrees; the rejection confidence only to its first digits.
    restricted = d1.fit("Restricted Walk")
    assert restricted.interval == 7 and restricted.rejection == pytest.approx(0.1448, abs=0.003)
    # Best fit: Random Walk, 7 weeks, 95 % confidence range 1.8 – 11.1.
    assert d1.best.model.name == "Random Walk" and d1.interval == 7
    assert (round(d1.limits[0], 1), round(d1.limits[1], 1)) == (1.8, 11.1)
    # The order of the published table is the order of merit.
    assert [f.model.name for f in d1.fits][:3] == ["Random Walk", "Mixed Exponential", "Log Normal"]


def test_s2_fitted_random_walk_meets_the_target_at_its_interval(d1):
    rw = d1.fit("Random Walk")
    crossing = iv._crossing(rw.reliability, 0.75, 100.0)
    assert crossing is not None and round(crossing) == 7
    assert float(rw.reliability(np.array([crossing]))[0]) == pytest.approx(0.75, abs=1e-9)


def test_observations_pair_each_verification_with_an_in_tolerance_predecessor():
    # instrument 1: pass, pass (365 d later), fail (300 d), pass (after repair, 10 d): only
    # the first two intervals count; instrument 2 contributes one pair.
    obs = iv.observations([1, 1, 1, 1, 2, 2], [0, 365, 665, 675, 0, 400], [True, True, False, True, True, True])
    assert obs.interval.tolist() == [365.0, 300.0, 400.0]
    assert obs.in_tolerance.tolist() == [True, False, True]
    assert (obs.instruments, obs.skipped) == (2, 3)
    bins = iv.bin_observations(obs, edges=[0, 350, 500])
    assert bins.t.tolist() == [350.0, 500.0] and bins.n.tolist() == [1.0, 2.0] and bins.g.tolist() == [0.0, 2.0]


def test_s2_on_simulated_exponential_history_recovers_the_interval():
    # Instruments failing at a constant rate λ: R(t) = exp(−λ t); the 95 % interval is
    # −ln(0.95)/λ. 4000 simulated verifications at intervals 100–800 d.
    rng = np.random.default_rng(7)
    lam = 1 / 3000
    t = rng.uniform(100, 800, 4000)
    found = rng.random(4000) < np.exp(-lam * t)
    obs = iv.Observations(t, found, 4000, 0)
    result = iv.s2_fit(iv.bin_observations(obs, bins=7), 0.95, models=["Exponential", "Weibull"])
    exact = -math.log(0.95) / lam
    assert result.fit("Exponential").interval == pytest.approx(exact, rel=0.15)
    assert result.limits[0] < result.interval < result.limits[1]


def test_staircase_lengthens_on_pass_shortens_on_fail_and_respects_a_maximum():
    assert iv.staircase([True, True], 12.0) == pytest.approx(12 * 1.1 * 1.1)
    assert iv.staircase([True, False], 12.0) == pytest.approx(12 * 1.1 * 0.55)
    assert iv.staircase([True] * 10, 12.0, maximum=12.0) == 12.0
