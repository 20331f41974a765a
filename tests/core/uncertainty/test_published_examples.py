"""Published examples: GUM (JCGM 100:2008) Annex H, JCGM 101:2008 §9, JCGM 106:2012 §7.

Monte Carlo figures are compared within the JCGM 101 7.9 numerical tolerance for two
significant digits of u (δ = ½ in the last kept digit), since a run of 10⁶ trials
reproduces a published run only to that tolerance.
"""

import math

import numpy as np
import pytest

from jiliang.core.uncertainty import conformity, evaluate_document

# GUM H.1 end-gauge calibration, lengths in mm (H.1.3 table H.1 inputs).
END_GAUGE = {
    "outputs": {"l": "l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta)"},
    "inputs": {
        "l_s": {"value": 50.000623, "u": 25e-6, "dof": 18},
        "d": {"value": 215e-6, "u": 9.7e-6, "dof": 25.6},
        "alpha_s": {"value": 11.5e-6, "distribution": "rectangular", "half_width": 2e-6},
        "theta_bar": {"value": -0.1, "u": 0.2},
        "Delta": {"value": 0.0, "distribution": "arcsine", "half_width": 0.5},
        "delta_alpha": {"value": 0.0, "distribution": "rectangular", "half_width": 1e-6, "dof": 50},
        "delta_theta": {"value": 0.0, "distribution": "rectangular", "half_width": 0.05, "dof": 2},
    },
    "derived": {"theta": "theta_bar + Delta"},
    "coverage_probability": 0.99,
}


def test_gum_h1_end_gauge():
    out = evaluate_document(END_GAUGE)["outputs"]["l"]
    # GUM H.1.5/H.1.6: l = 50.000838 mm, u_c = 32 nm, nu_eff = 16 (truncated), k = 2.92, U99 = 93 nm
    assert round(out["value"], 6) == 50.000838
    assert round(out["u"] * 1e6) == 32
    assert out["dof"] == 16
    assert round(out["k"], 2) == 2.92
    assert out["rounded"]["U"] == pytest.approx(93e-6, abs=1e-12)
    assert out["rounded"]["value"] == 50.000838
    shares = {row["input"]: row["contribution"] for row in out["budget"]}
    # table H.1: u_i(l) = 25 nm (l_s), 9.7 nm (d), 2.9 nm (delta_alpha), 16.6 nm (delta_theta), 0 (alpha_s, theta)
    assert round(shares["l_s"] * 1e6, 1) == 25.0
    assert round(shares["delta_alpha"] * 1e6, 1) == 2.9
    assert round(shares["delta_theta"] * 1e6, 1) == 16.6
    assert shares["alpha_s"] == 0.0 and shares["theta_bar"] == 0.0


def test_gum_h1_second_order_and_fractional_dof():
    doc = dict(END_GAUGE, options={"second_order": True})
    # GUM H.1.7: with the second-order terms u_c = 34 nm
    assert round(evaluate_document(doc)["outputs"]["l"]["u"] * 1e6) == 34
    frac = evaluate_document(dict(END_GAUGE, options={"truncate_dof": False}))["outputs"]["l"]
    assert 16.5 < frac["dof"] < 17.0 and frac["k"] < 2.92


def test_gum_h1_with_units_mixed():
    doc = {
        "outputs": {"l": {"expression": "l_s + d", "unit": "mm"}},
        "inputs": {"l_s": {"value": 50.000623, "u": 25e-6, "unit": "mm"}, "d": {"value": 215, "u": 9.7, "unit": "nm"}},
    }
    out = evaluate_document(doc)["outputs"]["l"]
    assert out["unit"] == "mm"
    assert round(out["value"], 6) == 50.000838
    assert round(out["u"] * 1e6, 1) == round(math.hypot(25, 9.7), 1)


H2 = {
    "V": [5.007, 4.994, 5.005, 4.990, 4.999],
    "I": [19.663, 19.639, 19.640, 19.685, 19.678],
    "phi": [1.0456, 1.0438, 1.0468, 1.0428, 1.0433],
}


def test_gum_h2_resistance_reactance_impedance():
    r = np.corrcoef([H2["V"], H2["I"], H2["phi"]])
    doc = {
        "outputs": {"R": "V/I*cos(phi)*1000", "X": "V/I*sin(phi)*1000", "Z": "V/I*1000"},
        "inputs": {k: {"observations": v} for k, v in H2.items()},
        "correlations": [["V", "I", r[0, 1]], ["V", "phi", r[0, 2]], ["I", "phi", r[1, 2]]],
    }
    res = evaluate_document(doc)
    out = res["outputs"]
    # GUM H.2 table H.4: R = 127.732(71) ohm, X = 219.847(295) ohm, Z = 254.260(236) ohm
    assert round(out["R"]["value"], 3) == 127.732
    assert round(out["X"]["value"], 3) == 219.847
    assert round(out["Z"]["value"], 3) == 254.260
    assert out["R"]["u"] == pytest.approx(0.071, abs=0.0005)
    assert out["X"]["u"] == pytest.approx(0.295, abs=0.001)  # 0.2956 unrounded
    assert out["Z"]["u"] == pytest.approx(0.236, abs=0.0005)
    # table H.4 correlations: r(R,X) = -0.588, r(R,Z) = -0.485, r(X,Z) = 0.993
    corr = {(a, b): c for a, b, c in res["output_correlations"]}
    assert round(corr[("R", "X")], 3) == -0.588
    assert round(corr[("R", "Z")], 3) == -0.485
    assert round(corr[("X", "Z")], 3) == 0.993
    # table H.2: s(V)=0.0032 V, s(I)=0.0095 mA, s(phi)=0.00075 rad (standard deviations of the means)
    budget = {row["input"]: row["u"] for row in out["R"]["budget"]}
    assert round(budget["V"], 4) == 0.0032 and round(budget["I"], 4) == 0.0095
    assert round(budget["phi"], 5) == 0.00075


def _additive(kind):
    inputs = {f"X{i}": {"value": 0.0, "u": 1.0} for i in range(1, 5)}
    if kind == "rectangular":
        inputs = {f"X{i}": {"value": 0.0, "distribution": "rectangular", "half_width": math.sqrt(3)} for i in range(1, 5)}
    if kind == "mixed":
        inputs["X4"] = {"value": 0.0, "distribution": "rectangular", "half_width": 10 * math.sqrt(3)}
    return {"outputs": {"Y": "X1 + X2 + X3 + X4"}, "inputs": inputs}


@pytest.mark.parametrize(
    "kind, gum_u, gum_half, mc_u, mc_half",
    [
        ("normal", 2.00, 3.92, 2.00, 3.92),  # JCGM 101 9.2.2, table 2
        ("rectangular", 2.00, 3.92, 2.00, 3.88),  # JCGM 101 9.2.3, table 3
        ("mixed", 10.15, 19.9, 10.15, 17.0),  # JCGM 101 9.2.4, table 4
    ],
)
def test_jcgm101_additive_model(kind, gum_u, gum_half, mc_u, mc_half):
    res = evaluate_document(_additive(kind), method="both", trials=400_000, seed=2008)
    g, m = res["gum"]["outputs"]["Y"], res["mc"]["outputs"]["Y"]
    assert round(g["u"], 2) == pytest.approx(gum_u, abs=0.006)
    assert g["interval"][1] == pytest.approx(gum_half, abs=0.006 if gum_half < 10 else 0.06)
    assert m["u"] == pytest.approx(mc_u, abs=0.01 if mc_u < 10 else 0.05)
    tol = 0.02 if mc_half < 10 else 0.1
    assert m["interval"][0] == pytest.approx(-mc_half, abs=tol)
    assert m["interval"][1] == pytest.approx(mc_half, abs=tol)
    # JCGM 101 9.2.2-9.2.4: validated for normal and rectangular inputs, not for the mixed case
    assert res["validated"] is (kind != "mixed")


MASS = {
    "outputs": {"dm": "(m_Rc + dm_Rc)*(1 + (rho_a - rho_a0)*(1/rho_W - 1/rho_R)) - m_nom"},
    "inputs": {
        "m_Rc": {"value": 100000.000, "u": 0.050},
        "dm_Rc": {"value": 1.234, "u": 0.020},
        "rho_a": {"distribution": "rectangular", "lower": 1.10, "upper": 1.30},
        "rho_W": {"distribution": "rectangular", "lower": 7000, "upper": 9000},
        "rho_R": {"distribution": "rectangular", "lower": 7950, "upper": 8050},
    },
    "constants": {"rho_a0": 1.2, "m_nom": 100000.0},
}


def test_jcgm101_mass_calibration():
    res = evaluate_document(MASS, method="both", trials=1_000_000, seed=101)
    g, m = res["gum"]["outputs"]["dm"], res["mc"]["outputs"]["dm"]
    # JCGM 101 9.3 table 6, GUM first order: 1.2340 mg, u = 0.0539 mg, [1.1285, 1.3395] mg
    assert round(g["value"], 4) == 1.2340
    assert round(g["u"], 4) == 0.0539
    assert [round(x, 4) for x in g["interval"]] == [1.1285, 1.3395]
    # MCM: 1.2341 mg, u = 0.0754 mg, shortest 95 % interval [1.0834, 1.3825] mg (delta = 0.0005)
    assert m["value"] == pytest.approx(1.2341, abs=0.0005)
    assert m["u"] == pytest.approx(0.0754, abs=0.0005)
    assert m["shortest_interval"][0] == pytest.approx(1.0834, abs=0.0005)
    assert m["shortest_interval"][1] == pytest.approx(1.3825, abs=0.001)
    assert res["validated"] is False  # 9.3.2.5: first-order GUM not validated
    second = evaluate_document(dict(MASS, options={"second_order": True}))["outputs"]["dm"]
    # table 6, GUM higher order: u = 0.0750 mg, [1.0870, 1.3810] mg
    assert round(second["u"], 4) == 0.0750
    assert second["interval"][0] == pytest.approx(1.0870, abs=0.0001)
    assert second["interval"][1] == pytest.approx(1.3810, abs=0.0001)


def test_jcgm101_comparison_loss_uncorrelated():
    # JCGM 101 9.4: dY = X1^2 + X2^2, u(x1) = u(x2) = 0.005, x2 = 0
    for x1, mc_y, mc_u in ((0.0, 0.00005, 0.00005), (0.010, 0.00015, 0.000112)):
        doc = {"outputs": {"dY": "X1**2 + X2**2"}, "inputs": {"X1": {"value": x1, "u": 0.005}, "X2": {"value": 0.0, "u": 0.005}}}
        res = evaluate_document(doc, method="both", trials=400_000, seed=94)
        g, m = res["gum"]["outputs"]["dY"], res["mc"]["outputs"]["dY"]
        assert g["value"] == pytest.approx(x1**2)
        assert g["u"] == pytest.approx(2 * x1 * 0.005)  # first order: 0 at x1 = 0
        assert m["value"] == pytest.approx(mc_y, rel=0.01)
        assert m["u"] == pytest.approx(mc_u, rel=0.01)
    # x1 = 0: the MC shortest 95 % interval is [0, 0.00015] (an exponential with mean 2u^2)
    assert m is not None
    res = evaluate_document(
        {
            "outputs": {"dY": "X1**2 + X2**2"},
            "inputs": {"X1": {"value": 0.0, "u": 0.005}, "X2": {"value": 0.0, "u": 0.005}},
            "options": {"second_order": True},
        },
        method="both",
        trials=400_000,
        seed=9,
    )
    lo, hi = res["mc"]["outputs"]["dY"]["shortest_interval"]
    assert lo == pytest.approx(0.0, abs=1e-6) and hi == pytest.approx(0.00015, abs=0.000003)
    assert res["gum"]["outputs"]["dY"]["u"] == pytest.approx(0.00005)  # higher-order GUM


def test_jcgm106_conformance_probability_example():
    # JCGM 106 §7.4 example (as used in ILAC-G8 discussions): y = 13.6, u = 1.8, T_L = 12.5, T_U = 16.3
    p = conformity.conformance_probability(13.6, 1.8, 12.5, 16.3)
    assert round(p, 2) == 0.66
    # single upper limit: p_c = Phi((T_U - y)/u)
    assert conformity.conformance_probability(0.0, 1.0, None, 1.645) == pytest.approx(0.95, abs=1e-3)
