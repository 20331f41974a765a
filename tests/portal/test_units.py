"""The registry's printed unit symbols through pint: values (affine) and intervals (linear)."""

import pytest

from jiliang.portal.units import UnitError, check_unit, convert, convert_difference, convertible


@pytest.mark.parametrize(
    ("value", "a", "b", "expected"),
    [
        (1.5, "MPa", "kPa", 1500),
        (1, "L", "mL", 1000),
        (3, "m³/h", "L/min", 50),
        (1, "kWh", "MJ", 3.6),
        (1, "µSv/h", "mSv/h", 1e-3),
        (2, "m⁻¹", "mm⁻¹", 2e-3),
        (3600, "″", "°", 1),
        (20, "°C", "K", 293.15),
        (5, "%", "1", 0.05),
        (10, "bar", "MPa", 1),
        (7, "kPa", "kPa", 7),
    ],
)
def test_convert(value, a, b, expected):
    assert convert(value, a, b) == pytest.approx(expected, rel=1e-12)


def test_intervals_scale_without_the_offset():
    assert convert_difference(0.5, "°C", "K") == pytest.approx(0.5)
    assert convert_difference(1, "°C", "°F") == pytest.approx(1.8)
    assert convert(0, "°C", "°F") == pytest.approx(32)


@pytest.mark.parametrize(("a", "b"), [("kg", "L"), ("%LEL", "%"), ("mGy", "mSv"), ("dB", "dBA"), ("kPa", "lx")])
def test_not_convertible(a, b):
    assert not convertible(a, b)
    with pytest.raises(UnitError):
        convert(1, a, b)


def test_opaque_units_match_themselves_and_unknown_symbols_are_refused():
    assert convert(20, "%LEL", "%LEL") == 20
    assert check_unit(" MPa ") == "MPa"
    assert check_unit("%LEL") == "%LEL"
    with pytest.raises(UnitError, match="furlongz"):
        check_unit("furlongz")
