"""Tolerable shortfall and sampling plan against the published tables.

Sources (edition JJF 1070-2005):
- 国家质检总局令第75号《定量包装商品计量监督管理办法》附表3 允许短缺量, with its notes
  * (rounding of T: to 0.1 g/mL for Qn ≤ 1 kg(L), to 1 g/mL above) and ** (count: 1 % of Qn
  carried up to the next whole number);
- 附表4 计量检验抽样方案 (the sampling plan of JJF 1070-2005 5.4.3), with its notes
  (confidence 99.5 %, λ = t0.995/√n, batches of 1–10 checked unit by unit, no mean).
"""

import math

import pytest
from scipy import stats

from jiliang.core import prepack
from jiliang.core.prepack import PrepackError, sampling_plan, tolerable_shortfall

# 附表3, mass or volume: each band edge approached from both sides and hit exactly.
# Percentage rows give T rounded to 0.1 g (Qn ≤ 1000 g) or to 1 g (Qn > 1000 g).
MASS_VOLUME_EDGES = [
    (0.1, 0.0),  # 9 % of 0.1 = 0.009 -> 0.0: the table gives no floor
    (10, 0.9),
    (49.9, 4.5),  # 4.491 -> 4.5
    (50, 4.5),  # 9 % of 50
    (50.1, 4.5),  # fixed 4.5
    (99.9, 4.5),
    (100, 4.5),
    (100.1, 4.5),  # 4.5 % -> 4.5045 -> 4.5
    (199.9, 9.0),  # 8.9955 -> 9.0
    (200, 9.0),
    (200.1, 9.0),  # fixed 9
    (299.9, 9.0),
    (300, 9.0),
    (300.1, 9.0),  # 3 % -> 9.003 -> 9.0
    (499.9, 15.0),  # 14.997 -> 15.0
    (500, 15.0),
    (500.1, 15.0),  # fixed 15
    (999.9, 15.0),
    (1000, 15.0),
    (1000.1, 15.0),  # 1.5 % -> 15.0015 -> 15 (whole grams above 1 kg)
    (9999, 150.0),  # 149.985 -> 150
    (10000, 150.0),
    (10001, 150.0),  # fixed 150
    (14999, 150.0),
    (15000, 150.0),
    (15001, 150.0),  # 1 % -> 150.01 -> 150
    (49999, 500.0),  # 499.99 -> 500
    (50000, 500.0),
]


@pytest.mark.parametrize("unit", ["g", "mL"])
@pytest.mark.parametrize(("nominal", "expected"), MASS_VOLUME_EDGES)
def test_mass_volume_band_edges(nominal, expected, unit):
    assert tolerable_shortfall(nominal, unit).T == pytest.approx(expected, abs=1e-12)


def test_table_is_continuous_at_every_edge():
    # The published bands read '0~50', '50~100', …; at every edge the two rows give the same
    # T, so which side is inclusive changes no result. Checked from the data file itself.
    bands = prepack.load_edition().tolerance["mass_volume"]["bands"]
    for below, above in zip(bands, bands[1:]):
        edge = below["upper"]
        assert above["lower"] == edge

        def value(band):
            return float(band["fixed"]) if "fixed" in band else edge * float(band["percent"]) / 100

        assert value(below) == pytest.approx(value(above))


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [
        (12.34, 1.1),  # 1.1106 -> 1.1
        (33, 3.0),  # 2.97 -> 3.0
        (110, 5.0),  # 4.95 -> 5.0 (GB/T 8170: 5, odd digit before, rounds up)
        (130, 5.8),  # 5.85 -> 5.8 (GB/T 8170: 5, even digit before, dropped) — not rounded up
        (150, 6.8),  # 6.75 -> 6.8
        (1030, 15.0),  # 15.45 -> 15 (whole grams above 1 kg)
        (1234, 19.0),  # 18.51 -> 19
        (2500, 38.0),  # 37.5 -> 38 (odd 7 before the 5)
        (4500, 68.0),  # 67.5 -> 68
        (16050, 160.0),  # 160.5 -> 160 (even 0 before the 5)
    ],
)
def test_rounding_of_T_note_star(nominal, expected):
    # 附表3 注*: "T值的0.01g(mL)位修约至0.1g(mL)" / "0.1g(mL)位修约至g(mL)" — 修约 is
    # rounding after GB/T 8170-2008 §3.2/3.3, not rounding up (contrast note ** for count).
    assert tolerable_shortfall(nominal, "g").T == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("nominal", "unit", "expected"),
    [
        (1, "kg", 0.015),  # = 1000 g, fixed 15 g
        (1.001, "kg", 0.015),  # 15.015 g -> 15 g
        (2, "kg", 0.030),
        (2, "L", 0.030),
        (0.25, "L", 0.009),  # 250 mL, fixed 9 mL
        (12, "kg", 0.150),
        (50, "kg", 0.500),
    ],
)
def test_kilograms_and_litres_convert_to_the_table(nominal, unit, expected):
    result = tolerable_shortfall(nominal, unit)
    assert result.unit == unit
    assert result.T == pytest.approx(expected, abs=1e-12)


def test_above_the_table_is_an_error():
    with pytest.raises(PrepackError, match="nominal"):
        tolerable_shortfall(50001, "g")
    with pytest.raises(PrepackError, match="nominal"):
        tolerable_shortfall(50.001, "L")


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [(1, 0.0), (5, 0.0), (5.01, 0.1002), (10, 0.2), (100, 2.0)],
)
def test_length(nominal, expected):
    # 附表3: Qn ≤ 5 m no shortfall allowed; Qn > 5 m: T = Qn × 2 %
    assert tolerable_shortfall(nominal, "m").T == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("nominal", "expected"), [(0.5, 0.015), (1, 0.03), (20, 0.6)])
def test_area(nominal, expected):
    # 附表3: all Qn: T = Qn × 3 %
    assert tolerable_shortfall(nominal, "m2").T == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [(1, 0), (50, 0), (51, 1), (100, 1), (101, 2), (250, 3), (1000, 10)],
)
def test_count(nominal, expected):
    # 附表3: Qn ≤ 50 no shortfall; Qn > 50: T = Qn × 1 %, 注** any fraction carried up
    # to the next whole number (51 -> 0.51 -> 1; 101 -> 1.01 -> 2).
    assert tolerable_shortfall(nominal, "count").T == expected


def test_count_must_be_whole():
    with pytest.raises(PrepackError, match="nominal: a count must be a whole number"):
        tolerable_shortfall(100.5, "count")


@pytest.mark.parametrize("unit", ["oz", "lb", "", "G "])
def test_unknown_unit_names_the_field(unit):
    with pytest.raises(PrepackError, match="^unit: unknown unit"):
        tolerable_shortfall(100, unit)


def test_unit_aliases():
    assert tolerable_shortfall(500, "ml").unit == "mL"
    assert tolerable_shortfall(1, "l").T == pytest.approx(0.015)


@pytest.mark.parametrize("nominal", [0, -1, -500, float("nan"), float("inf"), "abc", None, True])
def test_bad_nominal_names_the_field(nominal):
    with pytest.raises(PrepackError, match="^nominal: "):
        tolerable_shortfall(nominal, "g")


# 附表4: (batch size, n, λ, units allowed short by more than T and at most 2T)
PLAN_BOUNDARIES = [
    (1, 1, None, 0),
    (10, 10, None, 0),
    (11, 10, 1.028, 0),
    (50, 10, 1.028, 0),
    (51, 13, 0.848, 1),
    (99, 13, 0.848, 1),
    (100, 50, 0.379, 3),
    (500, 50, 0.379, 3),
    (501, 80, 0.295, 5),
    (3200, 80, 0.295, 5),
    (3201, 125, 0.234, 7),
    (10**7, 125, 0.234, 7),
]


@pytest.mark.parametrize(("batch", "n", "lam", "allowed"), PLAN_BOUNDARIES)
def test_sampling_plan_boundaries(batch, n, lam, allowed):
    plan = sampling_plan(batch)
    assert (plan.n, plan.lambda_, plan.allowed_short_T, plan.allowed_short_2T) == (n, lam, allowed, 0)
    assert plan.edition == "JJF 1070-2005"


def test_small_batches_are_checked_in_full():
    # 附表4: batch 1~10 -> n = N; 注2: only single units judged, no mean criterion
    for batch in range(1, 11):
        plan = sampling_plan(batch)
        assert plan.n == batch and plan.full_check


def test_lambda_matches_its_formula():
    # 附表4 column 3: λ = t0.995(n−1)/√n. The tabulated values agree to 0.001 (the
    # published 0.848 for n = 13 is 0.8472 by the formula; the table value is what applies).
    for row in prepack.load_edition().plans:
        if row.lambda_ is None:
            continue
        exact = stats.t.ppf(0.995, row.n - 1) / math.sqrt(row.n)
        assert abs(row.lambda_ - exact) <= 0.001, row


@pytest.mark.parametrize("batch", [0, -5, 2.5, "ten", None, True])
def test_bad_batch_size_names_the_field(batch):
    with pytest.raises(PrepackError, match="^batch_size: "):
        sampling_plan(batch)


def test_edition_names_and_aliases():
    assert prepack.DEFAULT_EDITION == "JJF 1070-2005"
    for alias in ["2005", "JJF1070-2005", "jjf 1070-2005", "JJF 1070-2005"]:
        assert tolerable_shortfall(500, "g", alias).edition == "JJF 1070-2005"


def test_edition_2023_is_refused_not_guessed():
    with pytest.raises(PrepackError, match="^edition: JJF 1070-2023: the tables of JJF 1070-2023 are not available"):
        sampling_plan(100, "JJF 1070-2023")


def test_unknown_edition():
    with pytest.raises(PrepackError, match="^edition: unknown edition"):
        sampling_plan(100, "JJF 9999-2001")


def test_results_print_their_edition():
    assert tolerable_shortfall(500, "g").to_json() == {"edition": "JJF 1070-2005", "T": 15.0}
    assert sampling_plan(1000).to_json() == {"edition": "JJF 1070-2005", "n": 80, "lambda": 0.295, "allowed_short_T": 5}
