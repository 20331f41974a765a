"""The Monte Carlo histogram with the GUM result drawn over it."""

import pytest

from jiliang.core.uncertainty import evaluate_document, render_histogram

DOC = {"outputs": {"y": "x**2"}, "inputs": {"x": {"value": 1.0, "u": 0.1}}}


def test_histogram_png_and_svg_from_a_both_result():
    res = evaluate_document(DOC, method="both", trials=20_000, seed=1)
    hist = res["mc"]["outputs"]["y"]["histogram"]
    assert len(hist["edges"]) == len(hist["counts"]) + 1 and sum(hist["counts"]) > 19_000
    assert render_histogram(res, "y", "png")[:4] == b"\x89PNG"
    assert b"<svg" in render_histogram(res, "y", "svg")


def test_histogram_needs_a_monte_carlo_result():
    with pytest.raises(ValueError, match="output"):
        render_histogram(evaluate_document(DOC), "y")
    with pytest.raises(ValueError, match="format"):
        render_histogram(evaluate_document(DOC, method="mc", trials=1000, seed=1), "y", "gif")
