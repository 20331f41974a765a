"""Energy metering of a key energy user (重点用能单位): the meters GB 17167-2006 asks for, and
the month's energy and carbon with their uncertainty.

GB 17167-2006《用能单位能源计量器具配备和管理通则》 (4.3.2–4.3.5 and 4.3.8 mandatory):

- 表1 and 表2 the consumption or power from which a secondary unit (次级用能单位) or a piece
  of equipment counts as "main" (主要) and needs its own meter;
- 表3 the equipping rate (配备率, 3.2: meters installed over the number needed to measure all
  the energy at a level) per metering level and energy type;
- 表4 the accuracy classes of the meters at the unit's boundary (进出用能单位).

(The table numbers too are as remembered; the issue's brief named 表1/表2/表3.)

The published text could not be read in full while this was written: the figures below are
the tables as the platform's authors know them and are kept as configuration
(``REQUIREMENTS``), each with its source and ``confirmed = False`` until someone checks it
against the standard (a bureau overrides them in settings, JILIANG_ENERGY_REQUIREMENTS).

The month's energy is the sum over the unit's boundary meters of each energy type, converted
to standard coal (GB/T 2589-2020 coefficients, ``FACTORS``) and to CO₂ by emission factors
(configuration with their sources). Its uncertainty comes from the meters' classes: a meter of
class c reads within ±c % (its MPE), a rectangular distribution of half-width c % of the
reading (GUM 4.3.7, u = a/√3), propagated through the core's GUM engine
(:func:`jiliang.core.uncertainty.propagate`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from jiliang.core.errors import InputError

ENTRY, SECONDARY, EQUIPMENT = "entry", "secondary", "equipment"
LEVELS = (ENTRY, SECONDARY, EQUIPMENT)  # 进出用能单位, 次级用能单位, 主要用能设备
ENERGY_TYPES = ("electricity", "gas", "coal", "oil", "heat", "water")

UNCONFIRMED = "GB 17167-2006 %s（数值待与标准文本核对）"  # value to be confirmed against the published text

# 表3 能源计量器具配备率要求 (%), per level and energy type. Gas is natural gas (煤气 is 90 %
# at the boundary); heat is steam (蒸汽); oil the liquid fuels (原油、成品油、重油、渣油).
EQUIPPING_RATE = {
    ENTRY: {"electricity": 100, "coal": 100, "oil": 100, "gas": 100, "heat": 80, "water": 100},
    SECONDARY: {"electricity": 100, "coal": 100, "oil": 100, "gas": 100, "heat": 80, "water": 95},
    EQUIPMENT: {"electricity": 95, "coal": 90, "oil": 95, "gas": 90, "heat": 70, "water": 80},
}

# 表1/表2 (the "main" limits, 4.3.2–4.3.3): a secondary unit counts as main from an annual
# consumption (electricity from a connected power), a piece of equipment from a power or an
# hourly rate. A point records its size in the unit the table names.
MAIN_LIMITS = {
    SECONDARY: {  # 表1 主要次级用能单位能源消耗量（或功率）限定值
        "electricity": (10.0, "kW"),
        "coal": (100.0, "t/a"),
        "oil": (40.0, "t/a"),
        "gas": (10_000.0, "m3/a"),
        "heat": (5_000.0, "GJ/a"),
        "water": (5_000.0, "t/a"),
    },
    EQUIPMENT: {  # 表2 主要用能设备能源消耗量（或功率）限定值
        "electricity": (100.0, "kW"),
        "coal": (1.0, "t/h"),
        "oil": (0.5, "t/h"),
        "gas": (100.0, "m3/h"),
        "heat": (7.0, "MW"),
        "water": (1.0, "t/h"),
    },
}

# 表4 用能单位能源计量器具准确度等级要求 at the unit's boundary: the worst class allowed (a number,
# smaller is better; "S" classes rank just better than the plain class).
ENTRY_CLASS = {
    # Electricity by the user's category of electrical energy metering (I–V, DL/T 448).
    ("electricity", "I"): "0.5S",
    ("electricity", "II"): "0.5",
    ("electricity", "III"): "1.0",
    ("electricity", "IV"): "2.0",
    ("electricity", "V"): "2.0",
    ("coal", ""): "0.5",  # 衡器, dynamic weighing of fuel (static: 0.1)
    ("oil", ""): "0.5",  # 成品油 (重油、渣油: 1.0)
    ("gas", ""): "2.0",  # 天然气
    ("heat", ""): "2.5",  # 蒸汽
    ("water", ""): "2.5",  # 管径 ≤ 250 mm (> 250 mm: 1.5)
}

# Verified or calibrated on time (检定率 / 完好率): GB 17167-2006 5.2 and JJF 1356-2012 6 ask
# every meter in use to be verified or calibrated within its interval; the rate the check
# requires is the platform's reading of "every" (100 %), kept as configuration.
ON_TIME_RATE = 100
ON_TIME_SOURCE = "GB 17167-2006 5.2.3；JJF 1356-2012 第6章（“应按规定检定/校准”，未给比率：取 100 %）"


@dataclass(frozen=True)
class Requirement:
    value: object
    source: str
    confirmed: bool = False


def requirements() -> dict:
    """The configuration the checks read, with the source of each table."""
    return {
        "main_limits": Requirement(MAIN_LIMITS, UNCONFIRMED % "表1、表2"),
        "equipping_rate": Requirement(EQUIPPING_RATE, UNCONFIRMED % "表3"),
        "entry_class": Requirement(ENTRY_CLASS, UNCONFIRMED % "表4"),
        "on_time_rate": Requirement(ON_TIME_RATE, ON_TIME_SOURCE),
    }


_CLASS = re.compile(r"(\d+(?:\.\d+)?)\s*(S?)", re.IGNORECASE)


def class_rank(text: str) -> float | None:
    """A class written as "1.0级", "0.5S", "2" → a number to compare (smaller is better;
    0.5S ranks before 0.5). None when no class can be read."""
    found = _CLASS.search(str(text or ""))
    if not found:
        return None
    value = float(found.group(1))
    return value - 1e-3 if found.group(2) else value


def class_percent(text: str) -> float | None:
    """The class as the relative MPE in % (0.5S → 0.5)."""
    found = _CLASS.search(str(text or ""))
    return float(found.group(1)) if found else None


# -- the configuration check -------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A metering point: what needs measuring (an entry of an energy type, a secondary unit,
    a piece of equipment), at a level, and whether it is "main" (needs a meter)."""

    key: object
    level: str
    energy_type: str
    required: bool = True


@dataclass(frozen=True)
class Meter:
    key: object
    point: object  # the Point.key it measures
    accuracy: str
    in_use: bool = True
    on_time: bool = True  # verified or calibrated within its interval on the date checked


@dataclass(frozen=True)
class Gap:
    code: str  # equipping_rate, accuracy_class, on_time_rate, no_class
    level: str
    energy_type: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RateRow:
    level: str
    energy_type: str
    required: int
    installed: int
    rate: float  # %
    threshold: float  # %
    ok: bool


@dataclass(frozen=True)
class ConfigurationResult:
    rates: list[RateRow]
    on_time: float | None  # % of meters in use verified or calibrated on time
    gaps: list[Gap]

    @property
    def ok(self) -> bool:
        return not self.gaps


def check_configuration(points, meters, *, electricity_category: str = "III", table: dict | None = None) -> ConfigurationResult:
    """The GB 17167 check of one unit: per level and energy type, the equipping rate
    (main points with a meter in use over main points) against 表1; each boundary meter's class
    against 表3; the share of meters in use verified or calibrated on time. The gaps list what
    falls short, each naming its rule."""
    rates_table = table or EQUIPPING_RATE
    by_point: dict = {}
    for m in meters:
        by_point.setdefault(m.point, []).append(m)
    counts: dict[tuple[str, str], list[int]] = {}
    for p in points:
        if p.level not in LEVELS:
            raise InputError("level", f"one of {', '.join(LEVELS)}", code="one_of", options=", ".join(LEVELS), got=p.level)
        if p.energy_type not in ENERGY_TYPES:
            raise InputError(
                "energy_type", "unknown energy type", code="one_of", options=", ".join(ENERGY_TYPES), got=p.energy_type
            )
        if not p.required:
            continue
        row = counts.setdefault((p.level, p.energy_type), [0, 0])
        row[0] += 1
        row[1] += any(m.in_use for m in by_point.get(p.key, ()))
    gaps: list[Gap] = []
    rows = []
    for (level, energy), (required, installed) in sorted(counts.items(), key=lambda kv: (LEVELS.index(kv[0][0]), kv[0][1])):
        threshold = float(rates_table.get(level, {}).get(energy, 100))
        rate = 100.0 * installed / required
        ok = rate + 1e-9 >= threshold
        rows.append(RateRow(level, energy, required, installed, rate, threshold, ok))
        if not ok:
            gaps.append(Gap("equipping_rate", level, energy, {"rate": round(rate, 1), "threshold": threshold}))
    points_by_key = {p.key: p for p in points}
    in_use = [m for m in meters if m.in_use]
    for m in in_use:
        p = points_by_key.get(m.point)
        if p is None or p.level != ENTRY:
            continue
        wanted = ENTRY_CLASS.get((p.energy_type, electricity_category if p.energy_type == "electricity" else ""))
        if wanted is None:
            continue
        rank, wanted_rank = class_rank(m.accuracy), class_rank(wanted)
        if wanted_rank is None:
            continue
        if rank is None:
            gaps.append(Gap("no_class", p.level, p.energy_type, {"meter": m.key, "required": wanted}))
        elif rank > wanted_rank + 1e-9:
            gaps.append(Gap("accuracy_class", p.level, p.energy_type, {"meter": m.key, "class": m.accuracy, "required": wanted}))
    on_time = None
    if in_use:
        on_time = 100.0 * sum(m.on_time for m in in_use) / len(in_use)
        if on_time + 1e-9 < ON_TIME_RATE:
            late = [m.key for m in in_use if not m.on_time]
            gaps.append(Gap("on_time_rate", "", "", {"rate": round(on_time, 1), "threshold": ON_TIME_RATE, "meters": late}))
    return ConfigurationResult(rows, on_time, gaps)


def is_main(level: str, energy_type: str, size: float | None) -> bool:
    """Whether a point needs its own meter: every boundary point does; a secondary unit or a
    piece of equipment from the 表1/表2 limit (a point of unknown size is taken as main)."""
    limit = MAIN_LIMITS.get(level, {}).get(energy_type)
    return limit is None or size is None or size >= limit[0]


# -- conversion and emission factors --------------------------------------------------------

# Per energy type: the physical unit metered, kgce per unit (GB/T 2589-2020 附录A, 当量值),
# and kg CO₂ per unit with its source. Water is a carrier (载能工质), not counted in energy.
# The coefficients, like the tables above, are as the authors know them: to be confirmed
# against GB/T 2589-2020 附录A (the search found no copy of its text).
FACTORS = {
    "electricity": {"unit": "kWh", "kgce": 0.1229, "source_kgce": "GB/T 2589-2020 附录A 电力（当量值）"},
    "gas": {"unit": "m3", "kgce": 1.2143, "source_kgce": "GB/T 2589-2020 附录A 天然气（1.1000–1.3300，取 1.2143）"},
    "coal": {"unit": "t", "kgce": 714.3, "source_kgce": "GB/T 2589-2020 附录A 原煤 0.7143 kgce/kg"},
    "oil": {"unit": "t", "kgce": 1457.1, "source_kgce": "GB/T 2589-2020 附录A 柴油 1.4571 kgce/kg"},
    "heat": {"unit": "GJ", "kgce": 34.12, "source_kgce": "GB/T 2589-2020 附录A 热力 0.03412 kgce/MJ"},
    "water": {"unit": "t", "kgce": 0.0, "source_kgce": "载能工质，不计入综合能耗"},
}
EMISSION_FACTORS = {
    "electricity": {
        "kgco2": 0.5366,
        "source": "生态环境部、国家统计局《关于发布2022年电力二氧化碳排放因子的公告》全国电力平均（数值待核对）",
    },
    "gas": {"kgco2": 2.162, "source": "《省级温室气体清单编制指南》天然气缺省值 21.62 tCO2/10^4 Nm3（数值待核对）"},
    "coal": {"kgco2": 1900.0, "source": "GB/T 32150-2015 附录 缺省值折算（原煤，数值待核对）"},
    "oil": {"kgco2": 3096.0, "source": "GB/T 32150-2015 附录 缺省值折算（柴油，数值待核对）"},
    "heat": {"kgco2": 110.0, "source": "《企业温室气体排放核算方法与报告指南 发电设施》热力 0.11 tCO2/GJ（数值待核对）"},
    "water": {"kgco2": 0.0, "source": "—"},
}


@dataclass(frozen=True)
class Reading:
    """One boundary meter's energy over the month: amount in its type's unit and class (%)."""

    name: str
    energy_type: str
    amount: float
    class_percent: float


@dataclass(frozen=True)
class Figure:
    value: float
    u: float  # standard uncertainty
    U: float  # expanded, at the model's coverage probability
    k: float
    budget: list  # (meter, contribution |c_i| u_i)


@dataclass(frozen=True)
class MonthFigures:
    tce: Figure  # tonnes of standard coal
    co2: Figure  # tonnes of CO₂
    by_type: dict  # energy type → amount in its unit


def _input_name(i: int) -> str:
    return f"q{i}"


def monthly_figures(readings: list[Reading], *, factors=None, emission=None, p: float = 0.95) -> MonthFigures:
    """The month's energy (tce) and CO₂ (t) of a unit from its boundary meters, with the
    uncertainty of each propagated from the meters' classes through the GUM engine."""
    from jiliang.core.uncertainty import load_model, propagate

    factors = factors or FACTORS
    emission = emission or EMISSION_FACTORS
    if not readings:
        zero = Figure(0.0, 0.0, 0.0, 0.0, [])
        return MonthFigures(zero, zero, {})
    inputs, tce_terms, co2_terms = {}, [], []
    by_type: dict[str, float] = {}
    for i, r in enumerate(readings):
        if r.energy_type not in factors:
            raise InputError("energy_type", "unknown energy type", code="one_of", options=", ".join(factors), got=r.energy_type)
        if not (math.isfinite(r.amount) and r.amount >= 0):
            raise InputError("amount", "must not be negative", code="must_not_be_negative", got=r.amount)
        half = r.class_percent / 100.0 * r.amount
        name = _input_name(i)
        # A meter read exactly (half-width 0) still enters the model, as a narrow rectangle.
        inputs[name] = {"distribution": "rectangular", "value": r.amount, "half_width": half if half > 0 else 1e-12}
        tce_terms.append(f"{factors[r.energy_type]['kgce'] / 1000.0!r}*{name}")
        co2_terms.append(f"{emission[r.energy_type]['kgco2'] / 1000.0!r}*{name}")
        by_type[r.energy_type] = by_type.get(r.energy_type, 0.0) + r.amount
    doc = {
        "inputs": inputs,
        "outputs": {"tce": " + ".join(tce_terms), "co2": " + ".join(co2_terms)},
        "coverage_probability": p,
    }
    result = propagate(load_model(doc))

    def figure(key: str) -> Figure:
        out = result.outputs[key]
        budget = [(readings[int(row.input[1:])].name, row.contribution) for row in out.budget]
        return Figure(out.value, out.u, out.U, out.k, budget)

    return MonthFigures(figure("tce"), figure("co2"), by_type)


def combined(figures) -> tuple[float, float]:
    """A region's total of independent units' figures: values add, variances add (GUM 5.1.2
    with unit sensitivities and no correlation between units' meters)."""
    value = sum(f.value for f in figures)
    u = math.sqrt(sum(f.u**2 for f in figures))
    return value, u
