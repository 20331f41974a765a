"""Control charts (GB/T 17989.2-2020 = ISO 7870-2:2013) and JJF 1033-2023's repeatability and
stability evaluations, against published worked examples.

- X̄–R, X̄–s: Montgomery, *Introduction to Statistical Quality Control*, Example 6.1 / Table 6.3
  (inside diameters of forged piston rings, 25 samples of 5, limits "from the first 25"), and the
  15 further samples of its Phase II (the data as distributed with R's qcc package, data/
  pistonrings.txt, trial TRUE/FALSE). Published: x̿ = 74.001, R̄ = 0.023, X̄ chart UCL 74.014,
  LCL 73.988, R chart UCL 0.049 (2.114 × 0.023), LCL 0.
- X–MR: NIST/SEMATECH e-Handbook of Statistical Methods §6.3.2.2 "Individuals control charts",
  example of ten batches (flow rate): x̄ = 50.81, R̄m = 1.8778, UCL 55.8041, LCL 45.8159, MR chart
  UCL 6.1347 (https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc322.htm).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import norm

from jiliang.core import control_charts as cc
from jiliang.core.errors import InputError

PISTON_RINGS = np.array(
    [
        # samples 1-25 (Phase I, Montgomery Table 6.3)
        [74.030, 74.002, 74.019, 73.992, 74.008], [73.995, 73.992, 74.001, 74.011, 74.004],
        [73.988, 74.024, 74.021, 74.005, 74.002], [74.002, 73.996, 73.993, 74.015, 74.009],
        [73.992, 74.007, 74.015, 73.989, 74.014], [74.009, 73.994, 73.997, 73.985, 73.993],
        [73.995, 74.006, 73.994, 74.000, 74.005], [73.985, 74.003, 73.993, 74.015, 73.988],
        [74.008, 73.995, 74.009, 74.005, 74.004], [73.998, 74.000, 73.990, 74.007, 73.995],
        [73.994, 73.998, 73.994, 73.995, 73.990], [74.004, 74.000, 74.007, 74.000, 73.996],
        [73.983, 74.002, 73.998, 73.997, 74.012], [74.006, 73.967, 73.994, 74.000, 73.984],
        [74.012, 74.014, 73.998, 73.999, 74.007], [74.000, 73.984, 74.005, 73.998, 73.996],
        [73.994, 74.012, 73.986, 74.005, 74.007], [74.006, 74.010, 74.018, 74.003, 74.000],
        [73.984, 74.002, 74.003, 74.005, 73.997], [74.000, 74.010, 74.013, 74.020, 74.003],
        [73.988, 74.001, 74.009, 74.005, 73.996], [74.004, 73.999, 73.990, 74.006, 74.009],
        [74.010, 73.989, 73.990, 74.009, 74.014], [74.015, 74.008, 73.993, 74.000, 74.010],
        [73.982, 73.984, 73.995, 74.017, 74.013],
        # samples 26-40 (Phase II)
        [74.012, 74.015, 74.030, 73.986, 74.000], [73.995, 74.010, 73.990, 74.015, 74.001],
        [73.987, 73.999, 73.985, 74.000, 73.990], [74.008, 74.010, 74.003, 73.991, 74.006],
        [74.003, 74.000, 74.001, 73.986, 73.997], [73.994, 74.003, 74.015, 74.020, 74.004],
        [74.008, 74.002, 74.018, 73.995, 74.005], [74.001, 74.004, 73.990, 73.996, 73.998],
        [74.015, 74.000, 74.016, 74.025, 74.000], [74.030, 74.005, 74.000, 74.016, 74.012],
        [74.001, 73.990, 73.995, 74.010, 74.024], [74.015, 74.020, 74.024, 74.005, 74.019],
        [74.035, 74.010, 74.012, 74.015, 74.026], [74.017, 74.013, 74.036, 74.025, 74.026],
        [74.010, 74.005, 74.029, 74.000, 74.020],
    ]
)  # fmt: skip
NIST_BATCHES = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


# -- the factor table against its definitions ---------------------------------------------


def _range_moments(n: int) -> tuple[float, float]:
    """d2 and d3 of the range W of n standard normal values, by integrating its distribution
    P(W ≤ w) = n ∫ φ(x) [Φ(x + w) − Φ(x)]^(n−1) dx."""
    x = np.linspace(-9, 9, 1801)[:, None]
    w = np.linspace(0, 14, 1401)
    cdf = n * np.trapezoid(norm.pdf(x) * (norm.cdf(x + w) - norm.cdf(x)) ** (n - 1), x[:, 0], axis=0)
    tail = 1 - cdf
    d2 = np.trapezoid(tail, w)
    ew2 = 2 * np.trapezoid(w * tail, w)
    return d2, math.sqrt(ew2 - d2**2)


@pytest.mark.parametrize("n", list(cc.SUBGROUP_SIZES))
def test_factor_table_matches_its_definitions(n):
    f = cc.FACTORS[n]
    d2, d3 = _range_moments(n)
    c4 = math.exp(0.5 * math.log(2 / (n - 1)) + gammaln(n / 2) - gammaln((n - 1) / 2))
    assert f.d2 == pytest.approx(d2, abs=6e-4)
    assert f.d3 == pytest.approx(d3, abs=6e-4)
    assert f.c4 == pytest.approx(c4, abs=6e-5)
    assert f.A2 == pytest.approx(3 / (d2 * math.sqrt(n)), abs=6e-4)
    assert f.A3 == pytest.approx(3 / (c4 * math.sqrt(n)), abs=6e-4)
    # D3 and D4 were printed from d2 and d3 already rounded: one unit in the last place more.
    assert f.D3 == pytest.approx(max(0.0, 1 - 3 * d3 / d2), abs=1.2e-3)
    assert f.D4 == pytest.approx(1 + 3 * d3 / d2, abs=1.2e-3)
    assert f.B3 == pytest.approx(max(0.0, 1 - 3 * math.sqrt(1 - c4**2) / c4), abs=6e-4)
    assert f.B4 == pytest.approx(1 + 3 * math.sqrt(1 - c4**2) / c4, abs=6e-4)


def test_e2_is_the_individuals_factor():
    assert round(cc.FACTORS[2].E2, 3) == 2.660


def test_subgroup_size_outside_the_table_is_refused():
    with pytest.raises(InputError) as err:
        cc.factors(26)
    assert err.value.field == "subgroup_size"


# -- Montgomery's piston rings ------------------------------------------------------------


def test_xbar_r_limits_from_the_first_25_samples_match_montgomery():
    chart = cc.subgroup_chart(PISTON_RINGS, cc.XBAR_R, baseline=25)
    assert round(chart.location_limits.centre, 3) == 74.001
    assert round(chart.dispersion_limits.centre, 3) == 0.023
    assert round(chart.location_limits.upper, 3) == 74.014
    assert round(chart.location_limits.lower, 3) == 73.988
    assert chart.dispersion_limits.lower == 0
    # The book multiplies the rounded R̄ (2.114 × 0.023 = 0.049); unrounded it is 0.0481.
    assert chart.dispersion_limits.upper == pytest.approx(0.049, abs=0.001)
    assert chart.baseline == 25


def test_phase_two_samples_37_to_39_fall_above_the_upper_limit():
    chart = cc.subgroup_chart(PISTON_RINGS, cc.XBAR_R, baseline=25, rules=["test1"])
    beyond = [s.index + 1 for s in chart.signals if s.rule == "test1" and s.chart == "location"]
    assert beyond == [37, 38, 39]
    assert all(s.clause.startswith("GB/T 17989.2-2020 §8") for s in chart.signals)
    # The first 25 samples are in control on both charts (Montgomery's conclusion).
    assert not [s for s in chart.signals if s.index < 25]


def test_xbar_s_limits_on_the_same_data():
    chart = cc.subgroup_chart(PISTON_RINGS[:25], cc.XBAR_S)
    f = cc.FACTORS[5]
    s_bar = float(np.mean(PISTON_RINGS[:25].std(axis=1, ddof=1)))
    assert chart.dispersion_limits.centre == pytest.approx(s_bar)
    assert chart.dispersion_limits.upper == pytest.approx(f.B4 * s_bar)
    assert round(chart.location_limits.upper, 3) == 74.014  # same as from R̄, as the book notes
    assert round(chart.location_limits.lower, 3) == 73.988
    assert chart.sigma == pytest.approx(s_bar / f.c4)


def test_standard_values_give_the_limits():
    chart = cc.subgroup_chart(PISTON_RINGS[:25], cc.XBAR_R, mean=74.0, sigma=0.01)
    assert chart.location_limits.upper == pytest.approx(74.0 + 3 * 0.01 / math.sqrt(5))
    assert chart.dispersion_limits.centre == pytest.approx(2.326 * 0.01)
    assert chart.baseline == 0


# -- NIST individuals example ---------------------------------------------------------------


def test_individuals_chart_matches_the_nist_example():
    chart = cc.individuals_chart(NIST_BATCHES)
    assert chart.location_limits.centre == pytest.approx(50.81)
    assert chart.dispersion_limits.centre == pytest.approx(1.8778, abs=5e-5)
    assert chart.location_limits.upper == pytest.approx(55.8041, abs=5e-4)
    assert chart.location_limits.lower == pytest.approx(45.8159, abs=5e-4)
    assert chart.dispersion_limits.upper == pytest.approx(6.1347, abs=5e-4)
    assert chart.dispersion[0] is None and chart.dispersion[1] == pytest.approx(2.0)
    assert not [s for s in chart.signals if s.rule == "test1"]


def test_individuals_limits_from_the_first_points_flag_a_later_jump():
    chart = cc.individuals_chart([*NIST_BATCHES, 59.0], baseline=10)
    assert [(s.rule, s.index, s.chart) for s in chart.signals if s.rule == "test1"] == [
        ("test1", 10, "dispersion"),
        ("test1", 10, "location"),
    ]
    assert chart.location_limits.upper == pytest.approx(55.8041, abs=5e-4)


# -- the eight tests, each on a sequence made to show it (centre 0, σ 1) --------------------


def _fires(values, rule):
    return [s.index for s in cc.special_causes(values, 0.0, 1.0, [rule])]


def test_each_rule_fires_on_its_pattern_and_not_on_a_near_miss():
    assert _fires([0, 0.5, 3.2, 0], "test1") == [2]
    assert _fires([0, 3.0, -3.0], "test1") == []  # on the limit is not beyond it
    assert _fires([0.2] * 9, "test2") == [8]
    assert _fires([0.2] * 8 + [-0.1], "test2") == []
    assert _fires([-1.0, -0.5, 0, 0.3, 0.6, 0.9], "test3") == [5]
    assert _fires([-1.0, -0.5, 0, 0.3, 0.6, 0.6], "test3") == []
    assert _fires([0.5, -0.5] * 7, "test4") == [13]
    assert _fires([0.5, -0.5] * 6 + [0.5], "test4") == []
    assert _fires([2.5, 0.0, 2.1], "test5") == [2]
    assert _fires([2.5, 0.0, -2.1], "test5") == []
    assert _fires([1.5, 1.2, 0.0, 1.1, 1.9], "test6") == [4]
    assert _fires([1.5, 1.2, 0.0, -1.1, 1.9], "test6") == []
    assert _fires([0.5, -0.5] * 7 + [0.1], "test7") == [14]
    assert _fires([0.5, -0.5] * 7 + [1.1], "test7") == []
    assert _fires([1.5, -1.5] * 4, "test8") == [7]
    assert _fires([1.5, -1.5] * 3 + [1.5, 0.5], "test8") == []


def test_every_rule_names_its_clause():
    assert [r.code for r in cc.RULES] == [f"test{i}" for i in range(1, 9)]
    assert all(r.clause == f"GB/T 17989.2-2020 §8 检验{i}" for i, r in enumerate(cc.RULES, 1))


def test_unknown_rule_and_ragged_subgroups_are_refused():
    with pytest.raises(InputError) as err:
        cc.special_causes([1, 2], 0, 1, ["test9"])
    assert err.value.field == "rules"
    with pytest.raises(InputError) as err:
        cc.subgroup_chart([[1, 2, 3], [1, 2]])
    assert err.value.field == "values[1]"
    with pytest.raises(InputError) as err:
        cc.individuals_chart([1.0, float("nan"), 2.0])
    assert err.value.field == "values[1][0]"
    with pytest.raises(InputError) as err:
        cc.individuals_chart([1.0, 2.0, 3.0], baseline=5)
    assert err.value.field == "baseline"


# -- JJF 1033-2023 ----------------------------------------------------------------------------


def test_repeatability_compares_s_with_the_value_in_the_uncertainty_budget():
    values = [10.0012, 10.0015, 10.0009, 10.0011, 10.0014, 10.0010, 10.0013, 10.0012, 10.0016, 10.0008]
    s = float(np.std(values, ddof=1))
    found = cc.repeatability(values, used_in_uncertainty=0.0003)
    assert found.s == pytest.approx(s) and found.n == 10 and found.enough
    assert found.conforms is True
    assert cc.repeatability(values, used_in_uncertainty=s * 0.9).conforms is False
    assert cc.repeatability(values).conforms is None
    assert cc.repeatability(values[:5]).enough is False


def test_stability_in_service_is_the_difference_of_adjacent_years():
    groups = [(dt.date(2024, 3, 1), 100.002), (dt.date(2025, 3, 1), 100.004), (dt.date(2026, 3, 1), 100.009)]
    found = cc.stability(groups, allowed=0.006)
    assert found.method == "adjacent_years" and found.value == pytest.approx(0.005) and found.conforms is True
    assert cc.stability(groups, allowed=0.0045).conforms is False
    one_year = cc.stability(groups[:1], allowed=0.006)
    assert one_year.conforms is None and one_year.problems == ("too_few_groups",)


def test_stability_of_a_new_standard_is_the_range_of_four_groups_a_month_apart():
    groups = [(dt.date(2026, m, 1), v) for m, v in zip((1, 3, 5, 7), (5.001, 5.003, 4.999, 5.002))]
    found = cc.stability(groups, allowed=0.005, basis=cc.CORRECTED, in_service=False)
    assert found.value == pytest.approx(0.004) and found.conforms is True and found.problems == ()
    close = cc.stability([(dt.date(2026, 1, 1), 5.0), (dt.date(2026, 1, 20), 5.0)] + groups[2:], 0.005, in_service=False)
    assert close.problems == ("groups_too_close",)
    few = cc.stability(groups[:3], 0.005, in_service=False)
    assert "too_few_groups" in few.problems and few.conforms is None


def test_chart_draws_as_svg_and_png_with_chinese_labels():
    from jiliang.core.control_chart_plot import chart_figure

    chart = cc.individuals_chart([*NIST_BATCHES, 59.0], baseline=10)
    svg = chart_figure(chart, [f"2026-{m:02d}-01" for m in range(1, 12)], labels={"flagged": "失控点"}, title="流量核查")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert chart_figure(chart, fmt="png").startswith(b"\x89PNG")
    with pytest.raises(InputError):
        chart_figure(chart, fmt="gif")
