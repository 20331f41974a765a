"""D-SI unit strings. Grammar per the D-SI guide (PTB, D-SI 2.x); conversion factors from
the SI Brochure, 9th ed. (2019), table 8 (units accepted for use with the SI)."""

import pytest

from jiliang.core.dcc.dsi import canonical_unit, from_pint, parse_unit, same_unit, to_pint
from jiliang.core.dcc.errors import UnitError


@pytest.mark.parametrize(
    "text, canonical",
    [
        (r"\metre\second\tothe{-1}", r"\metre\second\tothe{-1}"),
        (r"\metre\per\second", r"\metre\second\tothe{-1}"),
        (r"\kilo\gram", r"\kilogram"),
        (r"\kilogram", r"\kilogram"),
        (r"\degreecelsius", r"\degreecelsius"),
        (r"\percent", r"\percent"),
        (r"\one", r"\one"),
        (r"\milli\metre\tothe{2}", r"\milli\metre\tothe{2}"),
        (r"\metre\per\second\tothe{2}", r"\metre\second\tothe{-2}"),
        (r"\kilogram\metre\tothe{2}\per\second\tothe{2}", r"\kilogram\metre\tothe{2}\second\tothe{-2}"),
        (r"\mega\pascal", r"\mega\pascal"),
        (r"\micro\ohm", r"\micro\ohm"),
        (r"\metre\tothe{0.5}", r"\metre\tothe{0.5}"),
    ],
)
def test_good_units_parse_to_canonical_form(text, canonical):
    assert canonical_unit(text) == canonical


@pytest.mark.parametrize(
    "text, token",
    [
        (r"\meter", r"\meter"),  # American spelling is not D-SI
        (r"\metre\secnd", r"\secnd"),
        (r"\kilo\kilogram", r"\kilogram"),  # kilogram takes no prefix
        (r"\milli\percent", r"\percent"),
        (r"\metre\tothe{x}", r"\tothe{x}"),
        (r"\metre\tothe{2}\tothe{2}", r"\tothe{2}"),
        (r"\kilo", r"\kilo"),
        (r"\metre\per", r"\per"),
        (r"m/s", "m/s"),
        (r"\metre s", " s"),
    ],
)
def test_bad_units_name_the_offending_token(text, token):
    with pytest.raises(UnitError) as err:
        parse_unit(text)
    assert token in str(err.value)


def test_empty_unit_is_an_error():
    with pytest.raises(UnitError, match="empty"):
        parse_unit("  ")


def test_per_and_negative_exponent_are_the_same_unit():
    assert same_unit(r"\metre\per\second", r"\metre\second\tothe{-1}")
    assert not same_unit(r"\metre\per\second", r"\metre\second")


def test_to_pint_conversion_factors():
    # SI Brochure table 8: 1 km/h = 1/3.6 m/s; 1 L = 1e-3 m^3; 1 t = 1e3 kg.
    import pint

    q = 1 * to_pint(r"\kilo\metre\per\hour")
    assert q.to("m/s").magnitude == pytest.approx(1 / 3.6, rel=1e-12)
    assert (1 * to_pint(r"\litre")).to("m**3").magnitude == pytest.approx(1e-3, rel=1e-12)
    assert (1 * to_pint(r"\tonne")).to("kg").magnitude == pytest.approx(1e3, rel=1e-12)
    assert (50 * to_pint(r"\percent")).to("dimensionless").magnitude == pytest.approx(0.5)
    assert isinstance(to_pint(r"\one"), pint.Unit)


@pytest.mark.parametrize(
    "pint_text, dsi",
    [
        ("m/s", r"\metre\second\tothe{-1}"),
        ("kg", r"\kilogram"),
        ("mV", r"\milli\volt"),
        ("degC", r"\degreecelsius"),
        ("MPa", r"\mega\pascal"),
        ("dimensionless", r"\one"),
        ("km/h", r"\kilo\metre\hour\tothe{-1}"),
    ],
)
def test_from_pint(pint_text, dsi):
    assert same_unit(from_pint(pint_text), dsi)
    assert same_unit(from_pint(to_pint(dsi)), dsi)


def test_from_pint_rejects_units_without_a_dsi_name():
    with pytest.raises(UnitError, match="no D-SI equivalent"):
        from_pint("furlong")
