"""ISO 13528 Algorithm A.

Published numbers: the 12-laboratory example of ISO 13528:2015 Annex E.3 as worked
step by step in S. Subramanian, "The Algorithm A in detail" (2025, slides citing
ISO 5725-5:1998 §6.2 and ISO 13528:2015 Annex E.3): start x* = 1.510, s* = 0.3559;
iteration 1: 1.475, 0.4072; iteration 2: 1.460, 0.4486 (digits as printed there).
The converged values of that example were not available to cite.
"""

import numpy as np
import pytest

from jiliang.core.comparison import algorithm_a

E3 = [1.69, 0.74, 2.05, 1.14, 2.19, 1.39, 1.52, 1.50, 1.58, 0.80, 1.21, 1.63]


def test_iterations_match_published_example():
    result = algorithm_a(E3, keep_history=True)
    (x0, s0), (x1, s1), (x2, s2) = result.history[:3]
    assert round(x0, 3) == 1.510 and round(s0, 4) == 0.3559
    assert round(x1, 3) == 1.475 and round(s1, 4) == 0.4072
    assert round(x2, 3) == 1.460 and round(s2, 4) == 0.4486


def test_converged_values_are_the_fixed_point_of_c4_to_c6():
    result = algorithm_a(E3)
    x = np.clip(E3, result.mean - 1.5 * result.sd, result.mean + 1.5 * result.sd)
    assert result.mean == pytest.approx(x.mean(), rel=1e-10)
    assert result.sd == pytest.approx(1.134 * x.std(ddof=1), rel=1e-10)
    assert result.u_mean(len(E3)) == pytest.approx(1.25 * result.sd / np.sqrt(12))


def test_huge_outlier_barely_moves_the_robust_mean():
    rng = np.random.default_rng(1)
    x = rng.normal(100.0, 1.0, 200)
    clean = algorithm_a(x)
    x[0] = 1e9
    dirty = algorithm_a(x)
    assert abs(dirty.mean - clean.mean) < 0.05
    assert abs(dirty.sd - clean.sd) < 0.05


def test_normal_data_give_about_sigma():
    x = np.random.default_rng(7).normal(5.0, 2.0, 100_000)
    result = algorithm_a(x)
    assert result.mean == pytest.approx(5.0, abs=0.03)
    assert result.sd == pytest.approx(2.0, rel=0.02)


def test_identical_values_give_zero_sd():
    result = algorithm_a([3.0] * 5)
    assert (result.mean, result.sd, result.iterations) == (3.0, 0.0, 0)
