"""Energy metering in the core (issue 22): the GB 17167 configuration rules, the data-quality
checks of a month of readings, the balance check and the month's energy with its uncertainty,
each on a constructed case with the finding expected by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core import energy_metering as em
from jiliang.core import energy_quality as eq


def _month(meters: int = 3, slots: int = 96 * 3, step: float = 2.0) -> np.ndarray:
    """Registers rising ``step`` a slot with a little noise, all clean."""
    rng = np.random.default_rng(7)
    inc = step + rng.uniform(-0.5, 0.5, size=(meters, slots - 1))
    return np.concatenate([np.full((meters, 1), 1000.0), 1000.0 + np.cumsum(inc, axis=1)], axis=1)


def test_clean_month_raises_nothing():
    checks = eq.check_month(_month())
    assert [d.count for d in checks.detections] == [0, 0, 0]
    assert checks.energy == pytest.approx(_month()[:, -1] - 1000.0)


def test_gap_of_an_hour_is_found_and_three_slots_are_not():
    r = _month()
    r[0, 10:14] = np.nan  # 4 slots = 1 hour: at the limit
    r[1, 50:53] = np.nan  # 3 slots: below
    d = eq.gaps(r)
    assert d.flags.tolist() == [True, False, False]
    assert d.score.tolist() == [4.0, 0.0, 0.0]  # the run is counted where it is flagged
    # The month's energy still spans the gap (last − first reading).
    assert eq.month_energy(r)[0] == pytest.approx(r[0, -1] - r[0, 0])


def test_stuck_register_for_a_day_is_found_but_an_idle_meter_is_not():
    r = _month()
    r[1, 100:197] = r[1, 100]  # 96 equal increments (zero) in a row: a day frozen
    r[1, 197:] += r[1, 100] - r[1, 197] + 2.0  # then it moves again from there
    idle = np.full((1, r.shape[1]), 500.0)  # never moves: nothing to freeze
    d = eq.stuck(np.vstack([r, idle]))
    assert d.flags.tolist() == [False, True, False, False]
    assert d.score[1] == 96.0


def test_jump_and_backwards_step_are_found():
    r = _month()
    # One increment of ~102 among 287: the typical (mean positive) increment is
    # (286 × 2 + 102) / 287 ≈ 2.35, so the ratio is ≈ 43 > 20.
    r[0, 200:] += 100.0
    r[2, 150:] -= 5.0  # the register falls
    d = eq.jumps(r)
    assert d.flags.tolist() == [True, False, True]
    assert 40 < d.score[0] < 47
    assert d.score[2] == np.inf


def test_balance_against_hand_computation():
    # Parent: 10 000 kWh, class 1.0 → MPE 100 kWh. Children: 6 000 kWh (class 1.0 → 60) and
    # 3 500 kWh (class 2.0 → 70). Σ children = 9 500; d = 500 kWh.
    # Allowed: losses 3 % × 10 000 = 300, plus √(100² + 60² + 70²) = √18 500 = 136.01;
    # A = 436.01 < 500 → flagged; d / E_p = 0.05.
    # A second parent, 1 000 kWh class 0.5 (MPE 5), one child 1 010 kWh class 0.5 (MPE 5.05):
    # d = −10 < −√(5² + 5.05²) = −7.107 → flagged (children read more than their parent).
    # A third, 2 000 kWh, one child 1 960: d = 40 ≤ 60 + √(20² + 19.6²) → clean.
    d = eq.balance(
        [10_000.0, 1_000.0, 2_000.0], [1.0, 0.5, 1.0], [6_000.0, 3_500.0, 1_010.0, 1_960.0], [1.0, 2.0, 0.5, 1.0], [0, 0, 1, 2]
    )
    assert d.flags.tolist() == [True, True, False]
    assert d.score[0] == pytest.approx(0.05)
    assert d.extra["allowed_errors"][0] == pytest.approx(math.sqrt(18_500))
    assert d.extra["allowed_errors"][1] == pytest.approx(math.sqrt(25 + 5.05**2))


def test_intensity_against_the_units_history():
    energy = [[100, 110, 105, 150], [100, 100, 100, 101]]
    output = [[10, 11, 10.5, 10], [10, 10, 10, 10]]
    d = eq.intensity(energy, output)
    # Unit 0: history 10, 10, 10 → baseline 10; this month 15 → +50 %. Unit 1: +1 %.
    assert d.flags.tolist() == [True, False]
    assert d.score[0] == pytest.approx(0.5)


def test_per_meter_loop_agrees_with_the_arrays():
    r = _month(meters=6)
    r[2, 30:40] = np.nan
    r[4, 60:] += 80.0
    whole = eq.check_month(r)
    for i in range(r.shape[0]):
        one = eq.check_month(r[i : i + 1])
        for a, b in zip(whole.detections, one.detections):
            assert a.flags[i] == b.flags[0]


# -- GB 17167 configuration -------------------------------------------------------------


def _unit():
    points = [
        em.Point("in-e", em.ENTRY, "electricity"),
        em.Point("in-g", em.ENTRY, "gas"),
        *(em.Point(f"ws{i}", em.SECONDARY, "electricity") for i in range(4)),
        *(em.Point(f"eq{i}", em.EQUIPMENT, "electricity") for i in range(20)),
    ]
    meters = [
        em.Meter("M-in-e", "in-e", "0.5S级"),
        em.Meter("M-in-g", "in-g", "2.0"),
        *(em.Meter(f"M-ws{i}", f"ws{i}", "1.0") for i in range(4)),
        *(em.Meter(f"M-eq{i}", f"eq{i}", "2.0") for i in range(19)),  # 19 of 20: 95 %
    ]
    return points, meters


def test_configuration_meeting_the_tables_has_no_gaps():
    points, meters = _unit()
    result = em.check_configuration(points, meters, electricity_category="I")
    assert result.ok, result.gaps
    equipment = next(r for r in result.rates if r.level == em.EQUIPMENT)
    assert (equipment.required, equipment.installed, equipment.rate, equipment.threshold) == (20, 19, 95.0, 95.0)
    assert result.on_time == 100.0


def test_configuration_gaps_are_listed_with_their_rule():
    points, meters = _unit()
    meters = [m for m in meters if m.key not in ("M-eq0", "M-ws3")]  # 18/20 = 90 % < 95; 3/4 < 100
    meters[0] = em.Meter("M-in-e", "in-e", "1.0")  # category I needs 0.5S
    meters[1] = em.Meter("M-in-g", "in-g", "2.0", on_time=False)
    result = em.check_configuration(points, meters, electricity_category="I")
    codes = sorted((g.code, g.level, g.energy_type) for g in result.gaps)
    assert codes == [
        ("accuracy_class", "entry", "electricity"),
        ("equipping_rate", "equipment", "electricity"),
        ("equipping_rate", "secondary", "electricity"),
        ("on_time_rate", "", ""),
    ]
    late = next(g for g in result.gaps if g.code == "on_time_rate")
    assert late.detail["meters"] == ["M-in-g"]
    # Category III accepts the 1.0 meter at the boundary.
    assert not any(g.code == "accuracy_class" for g in em.check_configuration(points, meters).gaps)


def test_main_points_follow_the_limits_and_classes_rank():
    assert em.is_main(em.EQUIPMENT, "electricity", 150.0) and not em.is_main(em.EQUIPMENT, "electricity", 50.0)
    assert em.is_main(em.ENTRY, "coal", 0.0)
    assert em.class_rank("0.5S") < em.class_rank("0.5级") < em.class_rank("1") and em.class_rank("—") is None
    assert all(not r.confirmed for k, r in em.requirements().items() if k != "on_time_rate")


def test_monthly_energy_uncertainty_against_hand_computation():
    # Two boundary electricity meters: 100 000 kWh of class 1.0 and 50 000 kWh of class 0.5.
    # Half-widths a = 1 000 and 250 kWh; u = a/√3 = 577.350 and 144.338 kWh (rectangular);
    # u(E) = √(577.350² + 144.338²) = √354 166.7 = 595.119 kWh. In tce (0.1229 kgce/kWh):
    # E = 150 000 × 0.1229 / 1000 = 18.435 tce, u = 595.119 × 0.0001229 = 0.073140 tce.
    # CO₂ at 0.5366 kg/kWh: 80.49 t, u = 595.119 × 0.0005366 = 0.319341 t.
    figures = em.monthly_figures([em.Reading("A", "electricity", 100_000.0, 1.0), em.Reading("B", "electricity", 50_000.0, 0.5)])
    assert figures.tce.value == pytest.approx(18.435)
    assert figures.tce.u == pytest.approx(0.073140, rel=1e-4)
    assert figures.co2.value == pytest.approx(80.49)
    assert figures.co2.u == pytest.approx(0.319341, rel=1e-4)
    assert figures.tce.U == pytest.approx(figures.tce.k * figures.tce.u)
    value, u = em.combined([figures.tce, figures.tce])
    assert value == pytest.approx(36.87) and u == pytest.approx(0.073140 * math.sqrt(2), rel=1e-4)
