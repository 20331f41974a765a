"""Property tests: a linear model's MC and GUM agree; scaling an input scales u(y)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.core.uncertainty import evaluate_document, load_model, propagate, simulate

coefficient = st.floats(min_value=-5, max_value=5).filter(lambda c: abs(c) > 0.05)
uncertainty = st.floats(min_value=0.01, max_value=10)
kind = st.sampled_from(["normal", "rectangular", "triangular", "arcsine"])


def _input(k, u):
    if k == "normal":
        return {"value": 1.0, "u": u}
    factor = {"rectangular": math.sqrt(3), "triangular": math.sqrt(6), "arcsine": math.sqrt(2)}[k]
    return {"value": 1.0, "distribution": k, "half_width": u * factor}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(coefficient, uncertainty, kind), min_size=1, max_size=5), st.integers(0, 2**31))
def test_linear_model_monte_carlo_agrees_with_gum(terms, seed):
    names = [f"x{i}" for i in range(len(terms))]
    doc = {
        "outputs": {"y": " + ".join(f"({c!r})*{n}" for (c, _, _), n in zip(terms, names))},
        "inputs": {n: _input(k, u) for (_, u, k), n in zip(terms, names)},
    }
    model = load_model(doc)
    gum = propagate(model).outputs["y"]
    mc = simulate(model, trials=100_000, seed=seed).outputs["y"]
    # For a linear model the GUM u is exact; MC agrees within its sampling noise
    assert mc.value == pytest.approx(gum.value, abs=6 * gum.u / math.sqrt(100_000))
    assert mc.u == pytest.approx(gum.u, rel=0.03)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=0.01, max_value=1.0))
def test_scaling_an_input_scales_the_output_uncertainty(scale, u):
    def doc(s):
        return {"outputs": {"P": "V**2 / R"}, "inputs": {"V": {"value": 5.0 * s, "u": u * s}, "R": {"value": 10.0, "u": 0.1}}}

    # P scales with s^2, and so does its relative uncertainty-preserving u: u(P; sV) = s^2 u(P; V)
    base = evaluate_document(doc(1.0))["outputs"]["P"]
    scaled = evaluate_document(doc(scale))["outputs"]["P"]
    assert scaled["value"] == pytest.approx(base["value"] * scale**2, rel=1e-10)
    assert scaled["u"] == pytest.approx(base["u"] * scale**2, rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=-100, max_value=100).filter(lambda c: abs(c) > 1e-3), uncertainty)
def test_linear_scaling_of_sensitivity(c, u):
    out = evaluate_document({"outputs": {"y": f"({c!r}) * x"}, "inputs": {"x": {"value": 2.0, "u": u}}})["outputs"]["y"]
    assert out["u"] == pytest.approx(abs(c) * u, rel=1e-12)
    assert out["budget"][0]["sensitivity"] == pytest.approx(c)
