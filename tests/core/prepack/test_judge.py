"""Judgement of a sample (附表4 计量检验抽样方案 of 国家质检总局令第75号 = JJF 1070-2005 5.4.3
and 6.1.2): mean criterion q̄ ≥ Qn − λ·s with s the sample standard deviation
s = sqrt(Σ(qi − q̄)²/(n − 1)); units short by more than T (T < shortfall ≤ 2T) at most the
tabulated number; none short by more than 2T. Expected values below are computed
independently with the statistics module or by hand."""

import statistics

import numpy as np
import pytest

from jiliang.core.prepack import PrepackError, judge, judge_batch, judge_document, net_from_gross, sampling_plan

JSON_KEYS = ["edition", "T", "n", "lambda", "mean", "s", "mean_ok", "short_T", "short_2T", "allowed_short_T", "pass", "reasons"]

# batch 60 -> n = 13, λ = 0.848, one unit may be short by more than T; Qn 500 g -> T = 15 g
GOOD_13 = [501.2, 499.8, 502.5, 500.0, 498.7, 503.1, 500.4, 499.9, 501.7, 500.6, 502.0, 499.5, 500.9]


def test_a_good_sample_passes():
    result = judge(GOOD_13, nominal=500, unit="g", batch_size=60)
    out = result.to_json()
    assert list(out) == JSON_KEYS
    assert out["edition"] == "JJF 1070-2005"
    assert (out["T"], out["n"], out["lambda"], out["allowed_short_T"]) == (15.0, 13, 0.848, 1)
    assert out["mean"] == pytest.approx(statistics.fmean(GOOD_13), rel=1e-15)
    assert out["s"] == pytest.approx(statistics.stdev(GOOD_13), rel=1e-12)
    assert out["mean_ok"] is True and out["pass"] is True
    assert (out["short_T"], out["short_2T"], out["reasons"]) == (0, 0, [])


def test_mean_criterion_fails_with_its_reason():
    # every unit within T but the mean well below Qn − λ·s
    values = [492.0, 493.5, 491.0, 494.0, 492.5, 493.0, 491.5, 492.0, 494.5, 493.0, 492.0, 491.0, 493.5]
    mean, s = statistics.fmean(values), statistics.stdev(values)
    assert mean < 500 - 0.848 * s  # the case really is below the limit
    result = judge(values, nominal=500, unit="g", batch_size=60)
    assert result.mean_ok is False and result.passed is False
    assert result.short_T == 0
    assert len(result.reasons) == 1 and "Qn − λ·s" in result.reasons[0]


def test_mean_just_above_the_limit_passes():
    values = list(GOOD_13)
    values[-1] = 470.0  # one unit short by 30 g = 2T exactly: counted over T, not over 2T
    s = statistics.stdev(values)
    assert statistics.fmean(values) >= 500 - 0.848 * s
    result = judge(values, nominal=500, unit="g", batch_size=60)
    assert (result.short_T, result.short_2T) == (1, 0)
    assert result.passed  # one unit over T is allowed for n = 13


def test_too_many_units_short_by_more_than_T():
    values = list(GOOD_13)
    values[0], values[1] = 484.9, 480.0  # shortfalls 15.1 and 20 g: both over T, under 2T
    result = judge(values, nominal=500, unit="g", batch_size=60)
    assert (result.short_T, result.short_2T) == (2, 0)
    assert not result.passed
    assert any("more than T" in reason and "at most 1 allowed" in reason for reason in result.reasons)


def test_a_unit_short_by_more_than_2T_fails():
    values = list(GOOD_13)
    values[0] = 469.9  # shortfall 30.1 g > 2T
    result = judge(values, nominal=500, unit="g", batch_size=60)
    assert (result.short_T, result.short_2T) == (1, 1)
    assert not result.passed
    assert any("more than 2T" in reason for reason in result.reasons)


def test_exactly_T_short_is_not_short_despite_binary_floating_point():
    # Qn 12.3 g -> T = 9 % = 1.107 -> 1.1 g; 12.3 − 11.2 is 1.1000000000000014 in binary
    values = [12.5] * 9 + [11.2]
    result = judge(values, nominal=12.3, unit="g", batch_size=40)
    assert result.T == 1.1
    assert result.short_T == 0
    values[-1] = 11.19
    assert judge(values, nominal=12.3, unit="g", batch_size=40).short_T == 1


def test_batch_of_ten_or_fewer_is_checked_unit_by_unit():
    # 附表4 注2: no mean criterion for batches of 1~10; every unit is judged
    result = judge([495.0, 490.0, 488.0], nominal=500, unit="g", batch_size=3)
    out = result.to_json()
    assert (out["n"], out["lambda"], out["mean"], out["s"], out["mean_ok"]) == (3, None, None, None, True)
    assert out["pass"] is True  # all within T = 15 g even though the mean is 9 g low
    failing = judge([495.0, 484.0, 488.0], nominal=500, unit="g", batch_size=3)
    assert (failing.short_T, failing.passed) == (1, False)  # none allowed over T for N ≤ 10


def test_no_shortfall_allowed_for_small_counts():
    # 附表3: count Qn ≤ 50 -> T = 0: a single missing piece fails the batch
    result = judge([24, 24, 23, 25, 24], nominal=24, unit="count", batch_size=5)
    assert result.T == 0 and result.short_2T == 1 and not result.passed


def test_kilograms():
    values = [2.005, 1.998, 2.010, 2.001, 1.996, 2.003, 2.000, 1.999, 2.004, 2.002]
    result = judge(values, nominal=2, unit="kg", batch_size=30)
    assert result.T == pytest.approx(0.03)
    assert result.mean == pytest.approx(statistics.fmean(values)) and result.passed


def test_vectorised_batch_agrees_with_single_judgement():
    rng = np.random.default_rng(20260)
    plan = sampling_plan(1000)  # n = 80
    samples = 500 + rng.normal(-1.0, 6.0, size=(300, plan.n))
    batch = judge_batch(samples, 500, 15.0, plan)
    assert batch.passed.any() and not batch.passed.all()  # both verdicts exercised
    for i in range(0, 300, 7):
        one = judge(samples[i].tolist(), nominal=500, unit="g", batch_size=1000)
        assert one.passed == bool(batch.passed[i])
        assert one.short_T == batch.short_T[i] and one.short_2T == batch.short_2T[i]
        assert one.mean == pytest.approx(statistics.fmean(samples[i]), rel=1e-12)
        assert one.s == pytest.approx(statistics.stdev(samples[i]), rel=1e-9)


def test_vectorised_batch_takes_a_nominal_per_sample():
    plan = sampling_plan(30)
    samples = np.array([[100.0] * 10, [200.0] * 10])
    samples[1, 0] = 190.0  # 10 g short of 200 g, T = 9 g
    batch = judge_batch(samples, [100.0, 200.0], [4.5, 9.0], plan)
    assert batch.short_T.tolist() == [0, 1]
    assert batch.passed.tolist() == [True, False]


# ---- bad input names the field


def test_sample_smaller_than_the_plan_asks():
    with pytest.raises(PrepackError, match=r"^values: the sample has 12 units, smaller than the plan .* \(n = 13\)"):
        judge(GOOD_13[:12], nominal=500, unit="g", batch_size=60)


def test_sample_larger_than_the_plan_asks():
    with pytest.raises(PrepackError, match=r"^values: the sample has 14 units, more than"):
        judge(GOOD_13 + [500.0], nominal=500, unit="g", batch_size=60)


def test_negative_net_content_names_the_unit():
    values = list(GOOD_13)
    values[4] = -1.0
    with pytest.raises(PrepackError, match=r"^values\[4\]: net content is negative"):
        judge(values, nominal=500, unit="g", batch_size=60)


def test_non_numeric_values():
    with pytest.raises(PrepackError, match="^values"):
        judge(["a"] * 13, nominal=500, unit="g", batch_size=60)
    with pytest.raises(PrepackError, match=r"^values\[2\]: must be a finite number"):
        judge([500.0, 500.0, float("nan")], nominal=500, unit="g", batch_size=3)


def test_unknown_unit_in_a_judgement():
    with pytest.raises(PrepackError, match="^unit: unknown unit"):
        judge(GOOD_13, nominal=500, unit="oz", batch_size=60)


def test_values_and_gross_together_are_refused():
    with pytest.raises(PrepackError, match="^values: give either"):
        judge(GOOD_13, nominal=500, unit="g", batch_size=60, gross=GOOD_13, tare=GOOD_13)


# ---- tare


def test_individual_tare():
    tare = [12.0, 12.4, 11.8, 12.1, 12.3, 11.9, 12.0, 12.2, 12.1, 11.7, 12.5, 12.0, 11.9]
    gross = [q + t for q, t in zip(GOOD_13, tare)]
    result = judge(nominal=500, unit="g", batch_size=60, gross=gross, tare=tare)
    assert result.tare.method == "individual"
    np.testing.assert_allclose(result.tare.net, GOOD_13, rtol=1e-12)
    assert result.passed


def test_average_tare_when_tare_is_small():
    # ten packagings of ~12 g, well under 10 % of Qn = 500 g: the average may be used
    tare = [12.0, 12.4, 11.8, 12.1, 12.3, 11.9, 12.0, 12.2, 12.1, 11.7]
    gross = [q + 12.0 for q in GOOD_13]
    result = judge(nominal=500, unit="g", batch_size=60, gross=gross, tare=tare)
    assert result.tare.method == "average"
    assert result.tare.mean_tare == pytest.approx(statistics.fmean(tare))
    np.testing.assert_allclose(result.tare.net, np.array(gross) - statistics.fmean(tare))


def test_average_tare_refused_when_heavy_and_variable():
    # glass jars: mean 120 g > 10 % of 500 g and s ≈ 9.5 g > 0.25 × T = 3.75 g
    tare = [110.0, 125.0, 118.0, 131.0, 105.0, 122.0, 127.0, 115.0, 129.0, 118.0]
    assert statistics.stdev(tare) > 3.75 and statistics.fmean(tare) > 50
    with pytest.raises(PrepackError, match="^tare: the average-tare method is not permitted"):
        net_from_gross([620.0] * 13, tare, 500, "g")


def test_average_tare_allowed_when_heavy_but_uniform():
    tare = [120.0, 120.5, 119.8, 120.2, 120.1, 119.9, 120.0, 120.3, 119.7, 120.0]
    result = net_from_gross([620.0] * 13, tare, 500, "g")
    assert result.method == "average" and result.s_tare <= 3.75


def test_average_tare_needs_enough_packagings():
    with pytest.raises(PrepackError, match="^tare: the average-tare method needs at least 10"):
        net_from_gross([512.0] * 13, [12.0] * 5, 500, "g")


def test_tare_heavier_than_gross_is_a_negative_net_content():
    with pytest.raises(PrepackError, match=r"^gross\[1\]: net content \(gross − tare\) is negative"):
        net_from_gross([512.0, 10.0], [12.0, 12.0], 500, "g")


def test_bad_tare_method():
    with pytest.raises(PrepackError, match="^tare_method: "):
        net_from_gross([512.0] * 3, [12.0] * 3, 500, "g", method="guess")


# ---- the JSON document of `jiliang prepack judge`


def test_document():
    doc = {"nominal": 500, "unit": "g", "batch_size": 60, "values": GOOD_13}
    assert judge_document(doc).to_json()["pass"] is True


@pytest.mark.parametrize("missing", ["nominal", "unit", "batch_size"])
def test_document_missing_field(missing):
    doc = {"nominal": 500, "unit": "g", "batch_size": 60, "values": GOOD_13}
    del doc[missing]
    with pytest.raises(PrepackError, match=f"^{missing}: is required"):
        judge_document(doc)


def test_document_unknown_field():
    with pytest.raises(PrepackError, match="^valeus: unknown field"):
        judge_document({"nominal": 500, "unit": "g", "batch_size": 60, "valeus": GOOD_13})
