"""Accuracy statements as numbers, and the class of the standard that verifies an instrument."""

from __future__ import annotations

import math

import pytest

from jiliang.core.accuracy import relative_mpe, standard_for


@pytest.mark.parametrize(
    "text, expected",
    [("±0.3%", 0.003), ("1.6级", 0.016), ("2级", 0.02), ("0.5S级", None), ("Ⅲ级", None), ("±0.5 kPa", None), ("0.01级", None)],
)
def test_relative_mpe_reads_percent_and_class_indices(text, expected):
    assert relative_mpe(text) == (pytest.approx(expected) if expected is not None else None)


def test_a_16_class_pressure_gauge_is_verified_with_a_04_class_precision_gauge():
    # JJG 52-2013: the standard's MPE at most 1/4 of the gauge's: for a 1.6级 gauge, a 0.4级
    # precision gauge (JJG 49-2013). Read as the project's rule (U·ratio ≤ MPE, U = 2·MPE_std/√3)
    # with the default ratio 3, the same 0.4级 comes out; with ratio 4 the finer 0.25级.
    klass, u = standard_for(0.016, 3)
    assert klass == pytest.approx(0.004) and u == pytest.approx(2 * 0.004 / math.sqrt(3))
    assert u * 3 <= 0.016
    klass4, u4 = standard_for(0.016, 4)
    assert klass4 == pytest.approx(0.0025) and u4 * 4 <= 0.016


@pytest.mark.parametrize("mpe", [0.003, 0.005, 0.01, 0.015, 0.02, 0.05, 0.1])
@pytest.mark.parametrize("ratio", [2.0, 3.0, 4.0])
def test_the_chosen_standard_always_keeps_the_ratio_and_is_the_coarsest_that_does(mpe, ratio):
    klass, u = standard_for(mpe, ratio)
    assert u * ratio <= mpe * (1 + 1e-9)
    coarser = [
        c / 100
        for c in (0.01, 0.02, 0.05, 0.1, 0.16, 0.2, 0.25, 0.4, 0.5, 0.6, 1.0, 1.5, 1.6, 2.0, 2.5, 4.0, 5.0)
        if c / 100 > klass
    ]
    assert all(2 * c / math.sqrt(3) * ratio > mpe for c in coarser)
