"""Two-significant-digit rounding of reported results (GUM 7.2.6, H.1.6)."""

import pytest

from jiliang.core.uncertainty.rounding import round_uncertainty, rounded_result


@pytest.mark.parametrize(
    "u, expected",
    [
        (0.0754321, 0.075),
        (0.0755, 0.076),
        (0.0996, 0.10),
        (9.96, 10.0),
        (31.67, 32.0),
        (123456.0, 120000.0),
    ],
)
def test_round_uncertainty(u, expected):
    assert round_uncertainty(u)[0] == pytest.approx(expected)


def test_value_rounded_at_the_last_digit_of_U():
    r = rounded_result(50.000837999, 31.67e-6, 2.9208 * 31.67e-6)
    assert r == {
        "value": 50.000838,
        "u": 3.2e-05,
        "U": 9.3e-05,
        "text": "50.000838 ± 0.000093",
    }  # GUM H.1.6: 2.92 x 32 nm = 93 nm
