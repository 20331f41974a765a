"""Bad documents give one clear error naming the field (issue 4 "Bars")."""

import pytest

from jiliang.core.uncertainty import ModelError, evaluate_document


def base(**changes):
    doc = {
        "outputs": {"P": "V**2 / R"},
        "inputs": {"V": {"value": 5.0, "u": 0.01}, "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05}},
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    "doc, field, words",
    [
        (base(outputs={"P": "V**2 / Q"}), "outputs.P", "unknown name 'Q'"),
        (base(inputs={"V": {"value": 5.0, "u": -0.01}, "R": {"value": 10.0, "u": 0.1}}), "inputs.V.u", "negative"),
        (
            base(inputs={"V": {"value": 5.0, "u": 0.01}, "R": {"value": 0.0, "distribution": "rectangular", "half_width": 0.05}}),
            "outputs.P",
            "spans",
        ),
        (base(correlations=[["V", "R", 1.5]]), "correlations[0]", "[-1, 1]"),
        (
            base(
                inputs={"V": {"value": 5.0, "u": 0.01}, "R": {"value": 10.0, "u": 0.1}, "S": {"value": 1.0, "u": 0.1}},
                correlations=[["V", "R", 0.9], ["V", "S", 0.9], ["R", "S", -0.9]],
            ),
            "correlations",
            "positive semi-definite",
        ),
        (base(correlations=[["V", "W", 0.3]]), "correlations[0]", "unknown input 'W'"),
        (
            base(inputs={"V": {"value": 5.0, "distribution": "weibull", "u": 1}, "R": {"value": 1.0, "u": 0.1}}),
            "inputs.V.distribution",
            "unknown distribution",
        ),
        (base(inputs={"V": {"value": 5.0}, "R": {"value": 10.0, "u": 0.1}}), "inputs.V.u", "required"),
        (base(inputs={"V": {"value": "five", "u": 0.1}, "R": {"value": 10.0, "u": 0.1}}), "inputs.V.value", "number"),
        (base(inputs={"V": {"observations": [1.0]}, "R": {"value": 10.0, "u": 0.1}}), "inputs.V.observations", "two"),
        (
            base(inputs={"V": {"value": 5.0, "distribution": "t", "u": 0.1, "dof": 2}, "R": {"value": 10.0, "u": 0.1}}),
            "inputs.V.dof",
            "scale",
        ),
        (
            base(
                inputs={
                    "V": {"value": 5.0, "distribution": "trapezoidal", "half_width": 1, "beta": 2},
                    "R": {"value": 10.0, "u": 0.1},
                }
            ),
            "inputs.V.beta",
            "[0, 1]",
        ),
        (base(derived={"a": "b + 1", "b": "a * 2"}), "derived.a", "circular"),
        (base(coverage_probability=1.2), "coverage_probability", "between 0 and 1"),
        (base(inputs={"sin": {"value": 1.0, "u": 0.1}}), "inputs.sin", "reserved"),
        (base(outputs={"P": "V**2 / (R - R)"}), "outputs.P", "zero"),
    ],
)
def test_errors_name_the_field(doc, field, words):
    with pytest.raises(ModelError) as info:
        evaluate_document(doc)
    assert info.value.field == field
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unit_mismatch_is_named():
    doc = {
        "outputs": {"y": "a + b"},
        "inputs": {"a": {"value": 1, "u": 0.1, "unit": "m"}, "b": {"value": 1, "u": 0.1, "unit": "s"}},
    }
    with pytest.raises(ModelError, match=r"outputs\.y: inconsistent units"):
        evaluate_document(doc)


def test_bad_method_and_trials():
    with pytest.raises(ModelError, match="method"):
        evaluate_document(base(), method="bayes")
    with pytest.raises(ModelError, match="trials"):
        evaluate_document(base(), method="mc", trials=1)
