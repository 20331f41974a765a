"""The hold-out generators of benchmarks/detector_holdout.py (issue 20 item 6) produce what
they claim: frauds labelled 1, honest anomalies present and labelled 0, inputs of the
detector's own shapes, and numbers of their own (not simulate's under another name)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from jiliang.core.detectors.simulate import SCENARIOS, scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from detector_holdout import HOLDOUT, holdout  # noqa: E402


@pytest.fixture(scope="module")
def cases():
    return {rule: holdout(rule, 7, scale_factor=0.5) for rule in HOLDOUT}


def test_every_rule_has_a_holdout_generator():
    assert set(HOLDOUT) == set(SCENARIOS)


# peer_drift's hold-out has group-wide power cuts: the detector's nanmedian warns on an
# all-missing period (and still judges the group); the benchmark prints the warning.
@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
@pytest.mark.parametrize("rule", sorted(HOLDOUT))
def test_frauds_and_honest_anomalies_are_labelled(cases, rule):
    case = cases[rule]
    anomaly = case.inputs["honest_anomaly"]
    assert case.labels.dtype == bool and anomaly.shape == case.labels.shape
    assert case.labels.any(), "no fraud generated"
    assert anomaly.any(), "no honest anomaly generated"
    assert not (anomaly & case.labels).any(), "an honest anomaly labelled fraud"
    detection = case.run()
    assert detection.rule == rule and detection.flags.shape == case.labels.shape
    # Not simulate's traffic: the same seed gives other units or other labels.
    own = scenario(rule, 7, scale_factor=0.5)
    assert own.labels.shape != case.labels.shape or not np.array_equal(own.labels, case.labels)


def test_a_seed_reproduces_the_holdout_set():
    a, b = holdout("taxi.distance_ratio", 3), holdout("taxi.distance_ratio", 3)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.run().score, b.run().score)
    assert not np.array_equal(a.labels, holdout("taxi.distance_ratio", 4).labels)


def test_k_factor_labels_follow_the_dispenser_mpe(cases):
    # A tampered sale shows K below the verified one by more than the JJG 443 MPE (0.30 %);
    # honest sales without a power cut stay within it, power-cut sales show a short pulse count.
    case = cases["fuel.k_factor_change"]
    i = case.inputs
    deviation = i["pulses"] / i["volume_l"] / i["verified_k"] - 1
    judged = i["volume_l"] >= 5
    assert np.median(deviation[case.labels & judged]) < -0.003
    honest = ~case.labels & ~i["honest_anomaly"] & judged
    assert np.abs(deviation[honest]).max() < 0.003
    assert (deviation[i["honest_anomaly"]] < -0.05).all()


def test_amount_frauds_overcharge_and_honest_truncation_undercharges(cases):
    case = cases["fuel.amount_mismatch"]
    i = case.inputs
    diff = i["amount"] - i["volume_l"] * i["unit_price"]
    assert (diff[case.labels] > 0).mean() > 0.95
    honest = ~case.labels & ~i["honest_anomaly"]
    assert np.abs(diff[honest]).max() <= i["unit_price"].max() * 0.0055 + 0.005
