"""D-SI unit strings (``\\metre\\second\\tothe{-1}``), checked in code because the XSD does not.

Grammar after the D-SI guide (PTB, D-SI 2.x, "si:unit"): a unit is a sequence of
components ``[\\per] [\\prefix] \\unit [\\tothe{exponent}]``; ``\\per`` inverts the one component
that follows it. Parsing returns a canonical tuple so ``\\metre\\per\\second`` and
``\\metre\\second\\tothe{-1}`` compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from jiliang.core.dcc.errors import UnitError

# SI prefixes (SI Brochure 9th ed. 2019 + 2022 CGPM: ronna, quetta, ronto, quecto) with their pint names.
PREFIXES: dict[str, str] = {
    "quecto": "quecto",
    "ronto": "ronto",
    "yocto": "yocto",
    "zepto": "zepto",
    "atto": "atto",
    "femto": "femto",
    "pico": "pico",
    "nano": "nano",
    "micro": "micro",
    "milli": "milli",
    "centi": "centi",
    "deci": "deci",
    "deca": "deca",
    "hecto": "hecto",
    "kilo": "kilo",
    "mega": "mega",
    "giga": "giga",
    "tera": "tera",
    "peta": "peta",
    "exa": "exa",
    "zetta": "zetta",
    "yotta": "yotta",
    "ronna": "ronna",
    "quetta": "quetta",
    "kibi": "kibi",
    "mebi": "mebi",
    "gibi": "gibi",
    "tebi": "tebi",
    "pebi": "pebi",
    "exbi": "exbi",
}

# D-SI unit token -> pint unit name. SI base, coherent derived, and the units D-SI accepts with the SI.
UNITS: dict[str, str] = {
    "metre": "meter",
    "kilogram": "kilogram",
    "gram": "gram",
    "second": "second",
    "ampere": "ampere",
    "kelvin": "kelvin",
    "mole": "mole",
    "candela": "candela",
    "one": "dimensionless",
    "radian": "radian",
    "steradian": "steradian",
    "hertz": "hertz",
    "newton": "newton",
    "pascal": "pascal",
    "joule": "joule",
    "watt": "watt",
    "coulomb": "coulomb",
    "volt": "volt",
    "farad": "farad",
    "ohm": "ohm",
    "siemens": "siemens",
    "weber": "weber",
    "tesla": "tesla",
    "henry": "henry",
    "degreecelsius": "degree_Celsius",
    "lumen": "lumen",
    "lux": "lux",
    "becquerel": "becquerel",
    "sievert": "sievert",
    "gray": "gray",
    "katal": "katal",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "degree": "degree",
    "arcminute": "arcminute",
    "arcsecond": "arcsecond",
    "hectare": "hectare",
    "litre": "liter",
    "tonne": "metric_ton",
    "electronvolt": "electron_volt",
    "dalton": "dalton",
    "astronomicalunit": "astronomical_unit",
    "neper": "neper",
    "bel": "bel",
    "decibel": "decibel",
    "percent": "percent",
    "ppm": "ppm",
    "byte": "byte",
    "bit": "bit",
}
# Tokens a prefix may not precede (kilogram carries one already; the rest are not decimal-prefixable).
_UNPREFIXABLE = {
    "kilogram",
    "one",
    "percent",
    "ppm",
    "degreecelsius",
    "day",
    "hour",
    "minute",
    "degree",
    "arcminute",
    "arcsecond",
    "hectare",
    "decibel",
    "astronomicalunit",
}
_PINT_TO_DSI = {v: k for k, v in UNITS.items()}
_PINT_TO_DSI.update(
    {
        "metre": "metre",
        "litre": "litre",
        "degC": "degreecelsius",
        "tonne": "tonne",
        "eV": "electronvolt",
        "Da": "dalton",
        "au": "astronomicalunit",
    }
)

_TOKEN = re.compile(r"\\([A-Za-z]+)(\{[^{}]*\})?")


@dataclass(frozen=True)
class UnitComponent:
    prefix: str | None
    unit: str
    exponent: Fraction

    def format(self) -> str:
        text = f"\\{self.prefix}" if self.prefix else ""
        text += f"\\{self.unit}"
        if self.exponent != 1:
            exp = self.exponent
            text += "\\tothe{" + (str(exp.numerator) if exp.denominator == 1 else repr(float(exp))) + "}"
        return text


def _parse_exponent(raw: str, unit_text: str) -> Fraction:
    try:
        value = Fraction(raw.strip())
    except (ValueError, ZeroDivisionError):
        raise UnitError(
            f"si:unit {unit_text!r}: bad exponent '\\tothe{{{raw}}}' (expected a number)",
            code="dsi_bad_exponent",
            unit=repr(unit_text),
            exponent=raw,
        ) from None
    if value == 0:
        raise UnitError(
            f"si:unit {unit_text!r}: exponent '\\tothe{{{raw}}}' is zero", code="dsi_zero_exponent", unit=repr(unit_text)
        )
    return value


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> tuple[UnitComponent, ...]:
    """Parse a D-SI unit string into components; raises UnitError naming the bad token."""
    if not isinstance(text, str) or not text.strip():
        raise UnitError("si:unit: empty unit string", code="dsi_empty")
    stripped = text.strip()
    components: list[UnitComponent] = []
    pos = 0
    pending_prefix: str | None = None
    invert_next = False
    exponent_set = False
    for match in _TOKEN.finditer(stripped):
        if match.start() != pos:
            raise UnitError(
                f"si:unit {text!r}: unexpected text {stripped[pos : match.start()]!r} at position {pos}",
                code="dsi_unexpected_text",
                unit=repr(text),
                got=repr(stripped[pos : match.start()]),
                position=pos,
            )
        pos = match.end()
        name, arg = match.group(1), match.group(2)
        if name == "tothe":
            if arg is None:
                raise UnitError(
                    f"si:unit {text!r}: '\\tothe' needs an exponent in braces", code="dsi_tothe_braces", unit=repr(text)
                )
            if pending_prefix or invert_next or not components or exponent_set:
                raise UnitError(
                    f"si:unit {text!r}: '\\tothe{arg}' must follow a unit (once)", code="dsi_tothe_place", unit=repr(text)
                )
            last = components[-1]
            sign = -1 if last.exponent < 0 else 1
            components[-1] = UnitComponent(last.prefix, last.unit, sign * _parse_exponent(arg[1:-1], text))
            exponent_set = True
            continue
        if arg is not None:
            raise UnitError(
                f"si:unit {text!r}: token '\\{name}' takes no argument",
                code="dsi_no_argument",
                unit=repr(text),
                token=f"\\{name}",
            )
        if name == "per":
            if invert_next or pending_prefix:
                raise UnitError(f"si:unit {text!r}: '\\per' must be followed by a unit", code="dsi_per_unit", unit=repr(text))
            invert_next = True
            continue
        if name in PREFIXES and name not in UNITS:
            if pending_prefix:
                raise UnitError(
                    f"si:unit {text!r}: two prefixes '\\{pending_prefix}\\{name}' in a row",
                    code="dsi_two_prefixes",
                    unit=repr(text),
                    token=f"\\{pending_prefix}\\{name}",
                )
            pending_prefix = name
            continue
        if name not in UNITS:
            raise UnitError(
                f"si:unit {text!r}: unknown token '\\{name}'", code="dsi_unknown_token", unit=repr(text), token=f"\\{name}"
            )
        if pending_prefix and name in _UNPREFIXABLE:
            raise UnitError(
                f"si:unit {text!r}: unit '\\{name}' takes no prefix ('\\{pending_prefix}')",
                code="dsi_no_prefix",
                unit=repr(text),
                token=f"\\{name}",
                prefix=f"\\{pending_prefix}",
            )
        if pending_prefix == "kilo" and name == "gram":
            pending_prefix, name = None, "kilogram"  # \\kilo\\gram is the kilogram
        components.append(UnitComponent(pending_prefix, name, Fraction(-1 if invert_next else 1)))
        pending_prefix, invert_next, exponent_set = None, False, False
    if pos != len(stripped):
        raise UnitError(
            f"si:unit {text!r}: unexpected text {stripped[pos:]!r} at position {pos}",
            code="dsi_unexpected_text",
            unit=repr(text),
            got=repr(stripped[pos:]),
            position=pos,
        )
    if pending_prefix:
        raise UnitError(
            f"si:unit {text!r}: prefix '\\{pending_prefix}' has no unit",
            code="dsi_prefix_alone",
            unit=repr(text),
            prefix=f"\\{pending_prefix}",
        )
    if invert_next:
        raise UnitError(f"si:unit {text!r}: '\\per' has no unit after it", code="dsi_per_unit", unit=repr(text))
    return tuple(components)


def canonical_unit(text: str) -> str:
    """The canonical D-SI form: no ``\\per``, negative exponents instead."""
    return "".join(c.format() for c in parse_unit(text))


def check_unit(text: str) -> str:
    """Validate and return the string unchanged (for use while building)."""
    parse_unit(text)
    return text


@lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


def to_pint(text: str):
    """The pint unit of a D-SI unit string."""
    ureg = _registry()
    unit = ureg.dimensionless
    for c in parse_unit(text):
        name = UNITS[c.unit]
        if c.prefix:
            name = PREFIXES[c.prefix] + name
        exp = c.exponent
        power = exp.numerator if exp.denominator == 1 else float(exp)
        try:
            unit = unit * ureg.Unit(name) ** power
        except Exception as exc:  # pint's offset-unit and lookup errors are not ValueErrors
            raise UnitError(
                f"si:unit {text!r}: pint cannot represent '{c.format()}' ({exc})",
                code="dsi_not_representable",
                unit=repr(text),
                token=c.format(),
            ) from None
    return unit


def from_pint(unit) -> str:
    """The D-SI unit string of a pint unit (or a unit expression pint can parse)."""
    ureg = _registry()
    if isinstance(unit, str):
        unit = ureg.Unit(unit)
    if unit.dimensionless and not unit._units:
        return "\\one"
    parts: list[str] = []
    for name, exp in unit._units.items():
        candidates = ureg.parse_unit_name(name)
        if not candidates:
            raise UnitError("pint does not know it", field=f"unit {name!r}", code="dsi_pint_unknown", unit=repr(name))
        prefix, base, _suffix = candidates[0]
        dsi = _PINT_TO_DSI.get(base)
        if dsi is None:
            raise UnitError("no D-SI equivalent", field=f"unit {name!r}", code="dsi_no_equivalent", unit=repr(name))
        if base == "gram" and prefix == "kilo":
            prefix, dsi = "", "kilogram"
        text = (f"\\{prefix}" if prefix else "") + f"\\{dsi}"
        frac = Fraction(exp).limit_denominator(1000)
        if frac != 1:
            text += "\\tothe{" + (str(frac.numerator) if frac.denominator == 1 else repr(float(exp))) + "}"
        parts.append(text)
    result = "".join(parts)
    parse_unit(result)
    return result


def same_unit(a: str, b: str) -> bool:
    """Same unit written alike or differently (``\\per`` vs negative exponent)."""
    return canonical_unit(a) == canonical_unit(b)
