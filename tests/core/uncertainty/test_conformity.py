"""Conformity decisions (JCGM 106:2012, ILAC-G8:09/2019)."""

import math

import pytest
from scipy import integrate, stats

from jiliang.core.uncertainty import ModelError, conformity, evaluate_document


def test_simple_and_guard_banded_acceptance():
    # result inside the tolerance but within U of the limit: simple accept, guarded reject
    simple = conformity.decide(9.5, 0.4, 0.8, lower=-10, upper=10, rule="simple")
    guarded = conformity.decide(9.5, 0.4, 0.8, lower=-10, upper=10, rule="guard_band")
    assert simple.accept and not guarded.accept
    assert guarded.acceptance_interval == pytest.approx((-9.2, 9.2))
    half = conformity.decide(9.5, 0.4, 0.8, lower=-10, upper=10, rule="guard_band", r=0.5)
    assert half.accept and half.guard_band == pytest.approx(0.4)
    # with w = U (k = 2) the probability of conformity at the acceptance limit is >= 97.7 % (JCGM 106 8.3.2)
    at_limit = conformity.conformance_probability(9.2, 0.4, -10, 10)
    assert at_limit == pytest.approx(stats.norm.cdf(2.0), abs=1e-6)


def test_mpe_adequacy_ratio():
    assert conformity.adequacy(U=0.3, mpe=1.0)
    assert not conformity.adequacy(U=0.4, mpe=1.0)
    assert conformity.adequacy(U=0.4, mpe=1.0, ratio=2.5)
    with pytest.raises(ModelError):
        conformity.adequacy(U=0.4, mpe=1.0, ratio=0)


def test_global_risks_against_direct_double_integral():
    prior_mean, prior_u, u_m, lo, hi = 0.0, 1.0, 0.25, -2.0, 2.0
    risks = conformity.global_risks(prior_mean, prior_u, u_m, lo, hi)
    g0 = stats.norm(prior_mean, prior_u).pdf

    def accept(eta):
        return stats.norm.cdf((hi - eta) / u_m) - stats.norm.cdf((lo - eta) / u_m)

    pfa = 2 * integrate.quad(lambda e: g0(e) * accept(e), hi, 12)[0]
    pfr = integrate.quad(lambda e: g0(e) * (1 - accept(e)), lo, hi)[0]
    assert risks["pfa"] == pytest.approx(pfa, rel=1e-6)
    assert risks["pfr"] == pytest.approx(pfr, rel=1e-6)
    # guard banding trades false accepts for false rejects
    guarded = conformity.global_risks(prior_mean, prior_u, u_m, lo, hi, w=2 * u_m)
    assert guarded["pfa"] < risks["pfa"] and guarded["pfr"] > risks["pfr"]


def test_zero_measurement_uncertainty_has_no_risk():
    risks = conformity.global_risks(0.0, 1.0, 0.0, -1.0, 1.0)
    assert risks["pfa"] == pytest.approx(0.0, abs=1e-12) and risks["pfr"] == pytest.approx(0.0, abs=1e-12)


def test_conformity_section_in_a_document():
    doc = {
        "outputs": {"E": "x"},
        "inputs": {"x": {"value": 0.8, "u": 0.1}},
        "conformity": {"E": {"mpe": 1.0, "rule": "guard_band", "prior": {"mean": 0.0, "u": 0.5}}},
    }
    c = evaluate_document(doc)["conformity"]["E"]
    assert c["decision"] == "accept"  # 0.8 <= 1.0 - 0.196
    assert c["adequate"] is True  # U = 0.196 <= 1/3
    assert c["probability_of_conformity"] == pytest.approx(stats.norm.cdf(2.0) - stats.norm.cdf(-18.0))
    assert 0 <= c["pfa"] < 0.01 and c["pfr"] > 0
    with pytest.raises(ModelError, match="conformity.Q"):
        evaluate_document(dict(doc, conformity={"Q": {"mpe": 1.0}}))


def test_bad_specifications():
    with pytest.raises(ModelError, match="specification"):
        conformity.conformance_probability(0, 1)
    with pytest.raises(ModelError, match="guard_band"):
        conformity.decide(0, 1, 5, -1, 1, rule="guard_band")
    assert math.isclose(conformity.conformance_probability(0.5, 0.0, 0, 1), 1.0)
