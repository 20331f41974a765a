"""Numbers on the pages: never Python's 1e+08 or 2e-06 (issue #23 item 9)."""

import pytest

from jiliang.core.numbers import scientific, short


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (1e8, 6, "1×10⁸"),
        (2e-6, 4, "2×10⁻⁶"),
        (1.5e-5, 6, "1.5×10⁻⁵"),
        (123456789, 4, "1.235×10⁸"),
        (60000, 4, "60000"),
        (0.0025, 6, "0.0025"),
        (0.5, 6, "0.5"),
        (0, 6, "0"),
        (-3.5e-7, 6, "-3.5×10⁻⁷"),
    ],
)
def test_short(value, digits, text):
    assert short(value, digits) == text


def test_scientific_keeps_its_digits():
    assert scientific(9.7e-6, 3) == "9.70×10⁻⁶"
