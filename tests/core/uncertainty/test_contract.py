"""The model file and JSON result contract of issue 4, and every input form."""

import json
import math

import numpy as np
import pytest

from jiliang.core.uncertainty import evaluate_document, load_model, simulate

ISSUE_DOC = {
    "outputs": {"P": "V**2 / R"},
    "inputs": {
        "V": {"value": 5.0, "distribution": "normal", "u": 0.01},
        "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05},
        "t": {"value": 20.1, "distribution": "t", "u": 0.02, "dof": 9},
        "L": {"observations": [50.0001, 49.9998, 50.0003]},
        "d": {"value": 0.0, "distribution": "normal", "U": 0.4, "k": 2},
        "a": {"value": 0.0, "distribution": "triangular", "half_width": 1.0},
        "b": {"value": 0.0, "distribution": "arcsine", "half_width": 1.0},
        "c": {"value": 1.0, "distribution": "normal", "u": 0.1, "dof": 50},
    },
    "correlations": [["V", "R", 0.3]],
    "coverage_probability": 0.95,
}


def test_issue_example_gum_shape():
    res = evaluate_document(ISSUE_DOC)
    assert res["method"] == "gum"
    out = res["outputs"]["P"]
    for key in ("value", "u", "dof", "k", "U", "interval", "budget"):
        assert key in out
    assert out["value"] == pytest.approx(2.5)
    # P = V^2/R: c_V = 2V/R = 1, c_R = -V^2/R^2 = -0.25; u(R) = 0.05/sqrt(3); r = 0.3
    u_v, u_r = 0.01, 0.05 / math.sqrt(3)
    expected = math.sqrt(u_v**2 + (0.25 * u_r) ** 2 + 2 * 0.3 * u_v * (-0.25 * u_r))
    assert out["u"] == pytest.approx(expected, rel=1e-12)
    assert out["dof"] is None and out["k"] == pytest.approx(1.959964, abs=1e-6)
    assert out["interval"] == pytest.approx([2.5 - out["U"], 2.5 + out["U"]])
    rows = {row["input"]: row for row in out["budget"]}
    assert rows["V"]["sensitivity"] == pytest.approx(1.0)
    assert rows["R"]["sensitivity"] == pytest.approx(-0.25)
    assert rows["t"]["sensitivity"] == 0.0
    json.dumps(res)  # plain JSON types only


def test_issue_example_both_shape():
    res = evaluate_document(ISSUE_DOC, method="both", trials=50_000, seed=1)
    assert set(res) >= {"gum", "mc", "validated"}
    assert res["gum"]["method"] == "gum" and res["mc"]["method"] == "mc"
    mc = res["mc"]["outputs"]["P"]
    assert mc["dof"] is None and len(mc["interval"]) == 2 and isinstance(res["validated"], bool)
    json.dumps(res)


def test_standard_uncertainties_of_every_form():
    doc = {
        "outputs": {"y": "a + b + c + d + e + f + g + h + i + j + k"},
        "inputs": {
            "a": {"distribution": "rectangular", "lower": 1.0, "upper": 3.0},
            "b": {"value": 0, "distribution": "t", "u": 0.3, "dof": 5},
            "c": {"value": 0, "distribution": "t", "scale": 0.3, "dof": 5},
            "d": {"value": 0, "distribution": "trapezoidal", "half_width": 1.0, "beta": 0.5},
            "e": {"value": 0, "distribution": "trapezoidal", "half_width": 1.0, "d": 0.1},
            "f": {"value": 2.0, "distribution": "exponential"},
            "g": {"value": 0, "distribution": "arcsine", "half_width": 1.0},
            "h": {"value": 0, "distribution": "triangular", "half_width": 1.0},
            "i": {"observations": [1.0, 2.0, 3.0, 4.0]},
            "j": {"value": 0, "U": 0.4, "k": 2},
            "k": {"value": 0, "u": 0.1, "dof": 50},
        },
    }
    model = load_model(doc)
    u = {n: d.u for n, d in model.inputs.items()}
    assert u["a"] == pytest.approx(1 / math.sqrt(3))  # JCGM 101 6.4.2
    assert u["b"] == pytest.approx(0.3)
    assert u["c"] == pytest.approx(0.3)  # GUM Type A convention for the scale
    assert u["d"] == pytest.approx(math.sqrt((1 + 0.25) / 6))  # 6.4.4.3
    assert u["e"] == pytest.approx(math.sqrt(1 / 3 + 0.01 / 9))  # 6.4.3.3
    assert u["f"] == pytest.approx(2.0)  # 6.4.10.3
    assert u["g"] == pytest.approx(1 / math.sqrt(2))  # 6.4.6.3
    assert u["h"] == pytest.approx(1 / math.sqrt(6))  # 6.4.5.3
    assert u["i"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)  # GUM 4.2.3
    assert model.inputs["i"].dof == 3 and model.inputs["i"].value == 2.5
    assert u["j"] == pytest.approx(0.2) and model.inputs["k"].dof == 50


@pytest.mark.parametrize(
    "spec, sd",
    [
        ({"distribution": "rectangular", "half_width": 1.0}, 1 / math.sqrt(3)),
        ({"distribution": "triangular", "half_width": 1.0}, 1 / math.sqrt(6)),
        ({"distribution": "arcsine", "half_width": 1.0}, 1 / math.sqrt(2)),
        ({"distribution": "trapezoidal", "half_width": 1.0, "beta": 0.5}, math.sqrt(1.25 / 6)),
        ({"distribution": "trapezoidal", "half_width": 1.0, "d": 0.2}, math.sqrt(1 / 3 + 0.04 / 9)),
        ({"distribution": "t", "u": 0.5, "dof": 6}, 0.5),
        ({"distribution": "t", "scale": 0.5, "dof": 6}, 0.5 * math.sqrt(6 / 4)),  # JCGM 101 6.4.9.4
    ],
)
def test_sampled_standard_deviation_matches_the_distribution(spec, sd):
    doc = {"outputs": {"y": "x"}, "inputs": {"x": dict(spec, value=0.0)}}
    mc = simulate(load_model(doc), trials=200_000, seed=5).outputs["y"]
    assert mc.value == pytest.approx(0.0, abs=5 * sd / math.sqrt(200_000))
    assert mc.u == pytest.approx(sd, rel=0.01)


def test_exponential_sampling():
    mc = simulate(
        load_model({"outputs": {"y": "x"}, "inputs": {"x": {"value": 2.0, "distribution": "exponential"}}}),
        trials=200_000,
        seed=5,
    ).outputs["y"]
    assert mc.value == pytest.approx(2.0, rel=0.01) and mc.u == pytest.approx(2.0, rel=0.01)
    assert mc.shortest[0] == pytest.approx(0.0, abs=1e-3)


def test_monte_carlo_is_reproducible_for_a_seed_and_thread_count_independent():
    model = load_model(ISSUE_DOC)
    a = simulate(model, trials=150_000, seed=42, threads=1).outputs["P"]
    b = simulate(model, trials=150_000, seed=42, threads=2).outputs["P"]
    c = simulate(model, trials=150_000, seed=43).outputs["P"]
    assert (a.value, a.u, a.interval) == (b.value, b.u, b.interval)
    assert a.value != c.value


def test_correlated_inputs_reproduce_their_correlation():
    doc = {
        "outputs": {"s": "x + y", "d": "x - y"},
        "inputs": {"x": {"value": 0, "u": 1.0}, "y": {"value": 0, "u": 2.0}},
        "correlations": [["x", "y", 0.6]],
    }
    res = evaluate_document(doc, method="both", trials=200_000, seed=3)
    # var(x+y) = 1 + 4 + 2*0.6*2 = 7.4; var(x-y) = 5 - 2.4 = 2.6
    assert res["gum"]["outputs"]["s"]["u"] == pytest.approx(math.sqrt(7.4))
    assert res["gum"]["outputs"]["d"]["u"] == pytest.approx(math.sqrt(2.6))
    assert res["mc"]["outputs"]["s"]["u"] == pytest.approx(math.sqrt(7.4), rel=0.01)
    assert res["mc"]["outputs"]["d"]["u"] == pytest.approx(math.sqrt(2.6), rel=0.01)


def test_constants_and_chained_derived_quantities():
    doc = {
        "constants": {"g": 9.80665},
        "derived": {"F": "m*g", "W": "F*h"},
        "outputs": {"E": "W / 1000"},
        "inputs": {"m": {"value": 2.0, "u": 0.01}, "h": {"value": 3.0, "u": 0.0}},
    }
    out = evaluate_document(doc)["outputs"]["E"]
    assert out["value"] == pytest.approx(2 * 9.80665 * 3 / 1000)
    assert out["u"] == pytest.approx(0.01 * 9.80665 * 3 / 1000)


def test_adaptive_procedure_stops_at_tolerance():
    doc = {
        "outputs": {"y": "x1 + x2"},
        "inputs": {"x1": {"value": 0, "u": 1}, "x2": {"value": 0, "u": 1}},
        "options": {"adaptive": True, "validation_digits": 1},
    }
    res = evaluate_document(doc, method="mc", seed=11)
    assert res["converged"] is True
    assert res["mc" if "mc" in res else "outputs"]["y"]["u"] == pytest.approx(math.sqrt(2), abs=0.05)


def test_keyword_and_greek_names():
    res = evaluate_document(
        {"outputs": {"f": "c0/lambda"}, "inputs": {"lambda": {"value": 500e-9, "u": 1e-9}}, "constants": {"c0": 299792458.0}}
    )
    out = res["outputs"]["f"]
    assert out["value"] == pytest.approx(299792458.0 / 500e-9)
    assert out["u"] == pytest.approx(299792458.0 / 500e-9**2 * 1e-9)
    greek = evaluate_document(
        {
            "outputs": {"l": "l_s*(1 + α*θ)"},
            "inputs": {
                "l_s": {"value": 50.0, "u": 0.0},
                "α": {"value": 1e-5, "u": 0.0},
                "θ": {"distribution": "triangular", "lower": -0.4, "upper": 0.6},
            },
        }
    )
    # θ triangular on [-0.4, 0.6]: estimate 0.1, u = 0.5/sqrt(6); c = l_s*α
    assert greek["outputs"]["l"]["value"] == pytest.approx(50.0 * (1 + 1e-6))
    assert greek["outputs"]["l"]["u"] == pytest.approx(50.0 * 1e-5 * 0.5 / math.sqrt(6))


def test_monte_carlo_notes_gaussian_sampling_of_correlated_non_normal_inputs():
    res = evaluate_document(ISSUE_DOC, method="mc", trials=10_000, seed=1)
    assert any("R" in note and "6.4.8" in note for note in res["notes"])
    plain = evaluate_document({"outputs": {"y": "x"}, "inputs": {"x": {"value": 1, "u": 1}}}, method="mc", trials=1000)
    assert "notes" not in plain
