"""Net content of prepackaged goods (定量包装商品净含量): tolerable shortfall, sampling plan,
tare and judgement of a sample, after JJF 1070 and the prepackaged-goods measures.

The tables live in data files keyed by edition (``prepack_tables/<edition>.json``); every
result carries the edition it was computed under. Judgement is vectorised over a 2-D array
(samples × units) so that a whole campaign is judged in one pass.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

import numpy as np

from jiliang.core.errors import InputError

DEFAULT_EDITION = "JJF 1070-2005"

# Edition name -> table file. JJF 1070-2023 is absent on purpose: its tables could not be
# obtained, and inventing them would make every result under that edition a guess.
_EDITION_FILES = {"JJF 1070-2005": "jjf1070-2005.json"}
_UNAVAILABLE_EDITIONS = {
    "JJF 1070-2023": "the tables of JJF 1070-2023 are not available in Jiliang (the published text could not be obtained)",
}

# The day each edition came into force; an inspection is judged by the edition in force on
# its sampling date. JJF 1070-2005: 实施 2006-01-01. JJF 1070-2023: published 2023-10-12; its
# amendment No. 1 (市场监管总局公告2024年第13号) set 实施日期 2024-10-12.
EDITIONS_IN_FORCE: tuple[tuple[str, dt.date], ...] = (
    ("JJF 1070-2005", dt.date(2006, 1, 1)),
    ("JJF 1070-2023", dt.date(2024, 10, 12)),
)
RULE_EDITION = "JJF 1070-2023 (实施 2024-10-12, 市场监管总局公告2024年第13号)"


def edition_in_force(on: dt.date) -> str:
    """The edition of JJF 1070 in force on a date (the earliest known before its start)."""
    current = EDITIONS_IN_FORCE[0][0]
    for name, start in EDITIONS_IN_FORCE:
        if on >= start:
            current = name
    return current


@dataclass(frozen=True)
class EditionChoice:
    judged_under: str  # the edition whose tables judge the inspection
    in_force: str  # the edition in force on the sampling date
    provisional: bool  # the edition in force has no tables shipped: judged under an older one

    @property
    def note(self) -> str:
        if not self.provisional:
            return ""
        return (
            f"{self.in_force} is in force on the sampling date but its tables are not shipped with Jiliang; "
            f"judged provisionally under {self.judged_under}"
        )


def choose_edition(on: dt.date, requested: str | None = None, *, without_tables: str = "provisional") -> EditionChoice:
    """The edition an inspection on ``on`` is judged by. A requested edition other than the
    one in force is refused (RULE_EDITION). When the edition in force has no tables here,
    ``without_tables`` decides: "refuse", or "provisional" (the newest shipped edition before
    it, the result marked provisional on the page and the report)."""
    in_force = edition_in_force(on)
    if in_force in _EDITION_FILES:
        chosen = EditionChoice(in_force, in_force, False)
    elif without_tables == "refuse":
        raise PrepackError(
            "edition",
            f"{RULE_EDITION}: {in_force} is in force on {on.isoformat()}; {_UNAVAILABLE_EDITIONS[in_force]}",
            code="prepack_edition_without_tables",
            rule=RULE_EDITION,
            edition=in_force,
            date=on.isoformat(),
        )
    else:
        older = [name for name, _start in EDITIONS_IN_FORCE if name in _EDITION_FILES and name < in_force]
        chosen = EditionChoice(older[-1], in_force, True)
    if requested:
        key = "".join(str(requested).split()).upper().removeprefix("JJF1070-")
        name = f"JJF 1070-{key}"
        if name == chosen.in_force and chosen.provisional:
            raise PrepackError(
                "edition",
                f"{RULE_EDITION}: {_UNAVAILABLE_EDITIONS[name]}",
                code="prepack_edition_unavailable",
                rule=RULE_EDITION,
                edition=name,
            )
        if name != chosen.judged_under:
            raise PrepackError(
                "edition",
                f"{RULE_EDITION}: an inspection on {on.isoformat()} is judged by the edition in force then "
                f"({in_force}), not {requested}",
                code="prepack_edition_not_in_force",
                rule=RULE_EDITION,
                date=on.isoformat(),
                edition=in_force,
                requested=requested,
            )
    return chosen


# unit -> (kind, factor to the table's base unit: g, mL, m, m2, count)
UNITS = {
    "g": ("mass", Decimal(1)),
    "kg": ("mass", Decimal(1000)),
    "mL": ("volume", Decimal(1)),
    "L": ("volume", Decimal(1000)),
    "m": ("length", Decimal(1)),
    "m2": ("area", Decimal(1)),
    "count": ("count", Decimal(1)),
}
_UNIT_ALIASES = {"ml": "mL", "l": "L", "m²": "m2", "pcs": "count", "piece": "count", "pieces": "count"}

# Comparisons of measured values with limits allow for binary floating point only
# (1e-9 relative), far below any weighing resolution.
_REL_EPS = 1e-9


class PrepackError(InputError):
    """Bad input for a prepackaged-goods computation; names the field and the reason."""


# --------------------------------------------------------------------------- editions


@dataclass(frozen=True)
class PlanRow:
    batch_min: int
    batch_max: int | None  # None: no upper limit
    n: int | None  # None: the whole batch (n = N)
    lambda_: float | None
    allowed_short_T: int
    allowed_short_2T: int


@dataclass(frozen=True)
class Edition:
    name: str
    tolerance: dict
    plans: tuple[PlanRow, ...]
    average_tare: dict


def edition_names() -> list[str]:
    return list(_EDITION_FILES)


def normalize_edition(name: str | None) -> str:
    """'2005', 'jjf1070-2005', 'JJF 1070-2005' -> 'JJF 1070-2005'."""
    if name is None:
        return DEFAULT_EDITION
    key = "".join(str(name).split()).upper()
    if key.startswith("JJF1070-"):
        key = key[len("JJF1070-") :]
    candidate = f"JJF 1070-{key}"
    if candidate in _EDITION_FILES:
        return candidate
    if candidate in _UNAVAILABLE_EDITIONS:
        raise PrepackError(
            "edition",
            f"{candidate}: {_UNAVAILABLE_EDITIONS[candidate]}; use {DEFAULT_EDITION}",
            code="prepack_edition_use_default",
            edition=candidate,
            default=DEFAULT_EDITION,
        )
    raise PrepackError(
        "edition",
        f"unknown edition {name!r}; known: {', '.join(_EDITION_FILES)}",
        code="prepack_unknown_edition",
        got=repr(name),
        options=", ".join(_EDITION_FILES),
    )


@cache
def _load(name: str) -> Edition:
    text = resources.files("jiliang.core.prepack_tables").joinpath(_EDITION_FILES[name]).read_text(encoding="utf-8")
    data = json.loads(text)
    plans = tuple(
        PlanRow(
            batch_min=int(row["batch_min"]),
            batch_max=None if row["batch_max"] is None else int(row["batch_max"]),
            n=None if row["n"] == "N" else int(row["n"]),
            lambda_=None if row["lambda"] is None else float(row["lambda"]),
            allowed_short_T=int(row["allowed_short_T"]),
            allowed_short_2T=int(row["allowed_short_2T"]),
        )
        for row in data["sampling"]["plans"]
    )
    return Edition(name=data["edition"], tolerance=data["tolerance"], plans=plans, average_tare=data["average_tare"])


def load_edition(name: str | None = None) -> Edition:
    return _load(normalize_edition(name))


# --------------------------------------------------------------------------- units


def normalize_unit(unit: str) -> str:
    if unit in UNITS:
        return unit
    alias = _UNIT_ALIASES.get(str(unit).strip().lower()) if unit is not None else None
    if alias:
        return alias
    raise PrepackError(
        "unit",
        f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}",
        code="one_of",
        options=", ".join(UNITS),
        got=repr(unit),
    )


def _positive_decimal(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise PrepackError(field, f"must be a number, got {value}", code="number_required", got=value)
    try:
        # str() keeps the decimal digits the user wrote (500.1 stays 500.1, not its binary neighbour)
        number = Decimal(str(value))
    except ArithmeticError:
        raise PrepackError(field, f"must be a number, got {value}", code="number_required", got=value) from None
    if not number.is_finite():
        raise PrepackError(field, f"must be finite, got {value}", code="number_finite", got=value)
    if number <= 0:
        raise PrepackError(field, f"must be greater than zero, got {value}", code="must_be_positive", got=value)
    return number


# --------------------------------------------------------------------------- tolerable shortfall


@dataclass(frozen=True)
class Tolerance:
    edition: str
    nominal: float
    unit: str
    kind: str
    T: float  # in `unit`
    rule: str  # the table row that gave T

    def to_json(self) -> dict:
        return {"edition": self.edition, "T": self.T}


_ROUNDING = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "ceiling": ROUND_CEILING}


def _mass_volume_T(qn: Decimal, table: dict) -> tuple[Decimal, str]:
    bands = table["bands"]
    for band in bands:
        lower, upper = Decimal(str(band["lower"])), Decimal(str(band["upper"]))
        if lower < qn <= upper:
            if "fixed" in band:
                return Decimal(band["fixed"]), f"{lower} < Qn <= {upper}: T = {band['fixed']}"
            raw = qn * Decimal(band["percent"]) / 100
            rounding = table["rounding"]
            step = Decimal(rounding["step_at_or_below"] if qn <= Decimal(str(rounding["threshold"])) else rounding["step_above"])
            value = raw.quantize(step, rounding=_ROUNDING[rounding["method"]])
            return value, f"{lower} < Qn <= {upper}: T = {band['percent']} % of Qn = {raw.normalize():f} -> {value}"
    top = bands[-1]["upper"]
    raise PrepackError(
        "nominal",
        f"{qn.normalize()} is above the largest nominal quantity of the table ({top} g or mL)",
        code="prepack_nominal_above_table",
        got=qn.normalize(),
        top=top,
    )


def tolerable_shortfall(nominal, unit: str, edition: str | None = None) -> Tolerance:
    """T for a nominal quantity `nominal` in `unit`, returned in the same unit."""
    ed = load_edition(edition)
    unit = normalize_unit(unit)
    kind, factor = UNITS[unit]
    qn = _positive_decimal(nominal, "nominal")
    base = qn * factor
    tables = ed.tolerance
    if kind in ("mass", "volume"):
        t_base, rule = _mass_volume_T(base, tables["mass_volume"])
    elif kind == "length":
        table = tables["length"]
        if base <= Decimal(table["no_shortfall_up_to"]):
            t_base, rule = Decimal(0), f"Qn <= {table['no_shortfall_up_to']} m: no shortfall allowed"
        else:
            t_base, rule = (
                base * Decimal(table["percent"]) / 100,
                f"Qn > {table['no_shortfall_up_to']} m: T = {table['percent']} % of Qn",
            )
    elif kind == "area":
        table = tables["area"]
        t_base, rule = base * Decimal(table["percent"]) / 100, f"all Qn: T = {table['percent']} % of Qn"
    else:  # count
        table = tables["count"]
        if base != base.to_integral_value():
            raise PrepackError("nominal", f"a count must be a whole number, got {nominal}", code="whole_number", got=nominal)
        if base <= Decimal(table["no_shortfall_up_to"]):
            t_base, rule = Decimal(0), f"Qn <= {table['no_shortfall_up_to']}: no shortfall allowed"
        else:
            raw = base * Decimal(table["percent"]) / 100
            t_base = raw.quantize(Decimal(1), rounding=_ROUNDING[table["rounding"]])
            rule = f"Qn > {table['no_shortfall_up_to']}: T = {table['percent']} % of Qn = {raw.normalize():f} -> {t_base}"
    return Tolerance(edition=ed.name, nominal=float(qn), unit=unit, kind=kind, T=float(t_base / factor), rule=rule)


# --------------------------------------------------------------------------- sampling plan


@dataclass(frozen=True)
class SamplingPlan:
    edition: str
    batch_size: int
    n: int
    lambda_: float | None  # None: batch checked in full, no mean criterion
    allowed_short_T: int
    allowed_short_2T: int

    @property
    def full_check(self) -> bool:
        return self.lambda_ is None

    def to_json(self) -> dict:
        return {"edition": self.edition, "n": self.n, "lambda": self.lambda_, "allowed_short_T": self.allowed_short_T}


def _whole_number(value, field: str, minimum: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer))
        or (isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()))
    ):
        raise PrepackError(field, f"must be a whole number, got {value!r}"[:200], code="whole_number", got=repr(value)[:40])
    if value < minimum:
        raise PrepackError(field, f"must be at least {minimum}, got {value}", code="at_least", minimum=minimum, got=value)
    if value > 10**15:  # beyond any batch, and beyond exact float arithmetic
        raise PrepackError(field, "is beyond 10^15", code="number_too_large", limit="10^15")
    return int(value)


def sampling_plan(batch_size, edition: str | None = None) -> SamplingPlan:
    ed = load_edition(edition)
    size = _whole_number(batch_size, "batch_size", 1)
    for row in ed.plans:
        if row.batch_min <= size and (row.batch_max is None or size <= row.batch_max):
            return SamplingPlan(
                edition=ed.name,
                batch_size=size,
                n=size if row.n is None else row.n,
                lambda_=row.lambda_,
                allowed_short_T=row.allowed_short_T,
                allowed_short_2T=row.allowed_short_2T,
            )
    raise PrepackError(
        "batch_size",
        f"{size} is not covered by the sampling plan of {ed.name}",
        code="prepack_batch_not_covered",
        got=size,
        edition=ed.name,
    )


# --------------------------------------------------------------------------- tare


@dataclass(frozen=True)
class TareResult:
    net: np.ndarray
    method: str  # "individual" or "average"
    mean_tare: float
    s_tare: float | None


def _as_vector(values, field: str) -> np.ndarray:
    # true/false are not weighings: NumPy would read them as 1 and 0 (and a sample of
    # "true" passed as 1 g). Strings are not numbers here either.
    if isinstance(values, (list, tuple)):
        for index, item in enumerate(values):
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, float, np.integer, np.floating, Decimal)):
                raise PrepackError(
                    f"{field}[{index}]", f"must be a number, got {item!r}"[:200], code="prepack_not_number", got=repr(item)[:40]
                )
    elif isinstance(values, np.ndarray) and values.dtype.kind not in "iuf":
        raise PrepackError(
            field, f"must be numbers, got an array of {values.dtype}", code="prepack_not_number", got=str(values.dtype)
        )
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise PrepackError(field, "must be a list of numbers", code="prepack_not_list") from None
    if array.ndim != 1:
        raise PrepackError(field, "must be a flat list of numbers", code="prepack_not_list")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise PrepackError(
            f"{field}[{bad[0]}]",
            f"must be a finite number, got {values[bad[0]]!r}",
            code="number_finite",
            got=repr(values[bad[0]]),
        )
    return array


_NEGATIVE_CODES = {"gross value": "prepack_negative_gross", "tare": "prepack_negative_tare"}  # else a net content


def _check_non_negative(array: np.ndarray, field: str, what: str) -> None:
    bad = np.flatnonzero(array < 0)
    if bad.size:
        raise PrepackError(
            f"{field}[{bad[0]}]",
            f"{what} is negative ({array[bad[0]]:g})",
            code=_NEGATIVE_CODES.get(what, "prepack_negative_net"),
            got=f"{array[bad[0]]:g}",
        )


def net_from_gross(gross, tare, nominal, unit: str, edition: str | None = None, method: str | None = None) -> TareResult:
    """Net contents from gross values and tares.

    `method` "individual": tare[i] belongs to gross[i]. "average": `tare` is a separate
    sample of packagings whose mean is subtracted from every gross value; allowed only when
    the edition's conditions hold (at least min(10, n) packagings, and mean tare at most
    10 % of Qn or tare standard deviation at most 0.25 T). Default: individual when both
    lists have the same length, else average.
    """
    g = _as_vector(gross, "gross")
    t = _as_vector(tare, "tare")
    if g.size == 0:
        raise PrepackError("gross", "is empty", code="prepack_empty")
    if t.size == 0:
        raise PrepackError("tare", "is empty", code="prepack_empty")
    _check_non_negative(g, "gross", "gross value")
    _check_non_negative(t, "tare", "tare")
    if method is None:
        method = "individual" if t.size == g.size else "average"
    if method == "individual":
        if t.size != g.size:
            raise PrepackError(
                "tare",
                f"individual tare needs one tare per gross value: {g.size} gross, {t.size} tare",
                code="prepack_tare_count",
                gross=g.size,
                tare=t.size,
            )
        net = g - t
        _check_non_negative(net, "gross", "net content (gross − tare)")
        return TareResult(net=net, method=method, mean_tare=float(t.mean()), s_tare=float(t.std(ddof=1)) if t.size > 1 else None)
    if method != "average":
        raise PrepackError(
            "tare_method",
            f"must be 'individual' or 'average', got {method}",
            code="one_of",
            options="individual, average",
            got=method,
        )

    ed = load_edition(edition)
    rules = ed.average_tare
    needed = min(int(rules["min_tare_units"]), g.size)
    if t.size < max(needed, 2):
        raise PrepackError(
            "tare",
            f"the average-tare method needs at least {max(needed, 2)} weighed packagings, got {t.size}",
            code="prepack_tare_sample_small",
            minimum=max(needed, 2),
            got=t.size,
        )
    tol = tolerable_shortfall(nominal, unit, ed.name)
    mean_tare = float(t.mean())
    s_tare = float(t.std(ddof=1))
    tare_limit = float(Decimal(rules["max_mean_tare_fraction_of_nominal"])) * tol.nominal
    sd_limit = float(Decimal(rules["max_tare_sd_fraction_of_T"])) * tol.T
    if not (mean_tare <= tare_limit * (1 + _REL_EPS) or s_tare <= sd_limit * (1 + _REL_EPS)):
        raise PrepackError(
            "tare",
            f"the average-tare method is not permitted: mean tare {mean_tare:g} {tol.unit} exceeds "
            f"{rules['max_mean_tare_fraction_of_nominal']} × Qn = {tare_limit:g} and tare standard deviation "
            f"{s_tare:g} exceeds {rules['max_tare_sd_fraction_of_T']} × T = {sd_limit:g}; weigh each unit's tare",
            code="prepack_average_tare_refused",
            mean=f"{mean_tare:g}",
            unit=tol.unit,
            mean_fraction=rules["max_mean_tare_fraction_of_nominal"],
            mean_limit=f"{tare_limit:g}",
            sd=f"{s_tare:g}",
            sd_fraction=rules["max_tare_sd_fraction_of_T"],
            sd_limit=f"{sd_limit:g}",
        )
    net = g - mean_tare
    _check_non_negative(net, "gross", "net content (gross − average tare)")
    return TareResult(net=net, method=method, mean_tare=mean_tare, s_tare=s_tare)


# --------------------------------------------------------------------------- judgement


@dataclass(frozen=True)
class BatchJudgement:
    """Per-sample results of :func:`judge_batch`, one entry per row of the input."""

    mean: np.ndarray
    s: np.ndarray
    mean_ok: np.ndarray
    short_T: np.ndarray
    short_2T: np.ndarray
    passed: np.ndarray


def judge_batch(values, nominal, T, plan: SamplingPlan) -> BatchJudgement:
    """Judge many samples at once: `values` is (samples × n) net contents, `nominal` and `T`
    scalars or one per sample. No validation here beyond shapes: this is the hot path."""
    q = np.asarray(values, dtype=float)
    if q.ndim != 2 or q.shape[1] != plan.n:
        raise PrepackError(
            "values", f"must have shape (samples, {plan.n}), got {q.shape}", code="prepack_shape", n=plan.n, got=str(q.shape)
        )
    qn = np.asarray(nominal, dtype=float).reshape(-1, 1) if np.ndim(nominal) else float(nominal)
    t = np.asarray(T, dtype=float).reshape(-1, 1) if np.ndim(T) else float(T)
    eps = _REL_EPS * np.abs(qn)
    # a unit is short by more than T when Qn − q > T, i.e. q < Qn − T
    short_T = np.count_nonzero(q < qn - t - eps, axis=1)
    short_2T = np.count_nonzero(q < qn - 2 * t - eps, axis=1)
    mean = q.mean(axis=1)
    if plan.n > 1:
        s = q.std(axis=1, ddof=1)
    else:
        s = np.full(q.shape[0], np.nan)
    if plan.lambda_ is None:  # batch checked in full: no mean criterion (附表4 注2)
        mean_ok = np.ones(q.shape[0], dtype=bool)
    else:
        limit = np.ravel(qn) - plan.lambda_ * s
        mean_ok = mean >= limit - np.ravel(eps)
    passed = mean_ok & (short_2T <= plan.allowed_short_2T) & (short_T - short_2T <= plan.allowed_short_T)
    return BatchJudgement(mean=mean, s=s, mean_ok=mean_ok, short_T=short_T, short_2T=short_2T, passed=passed)


@dataclass(frozen=True)
class Judgement:
    edition: str
    nominal: float
    unit: str
    T: float
    plan: SamplingPlan
    mean: float | None
    s: float | None
    mean_ok: bool
    short_T: int
    short_2T: int
    passed: bool
    reasons: tuple[str, ...]
    tare: TareResult | None = None

    def to_json(self) -> dict:
        return {
            "edition": self.edition,
            "T": self.T,
            "n": self.plan.n,
            "lambda": self.plan.lambda_,
            "mean": self.mean,
            "s": self.s,
            "mean_ok": self.mean_ok,
            "short_T": self.short_T,
            "short_2T": self.short_2T,
            "allowed_short_T": self.plan.allowed_short_T,
            "pass": self.passed,
            "reasons": list(self.reasons),
        }


def judge(
    values=None,
    *,
    nominal,
    unit: str,
    batch_size,
    edition: str | None = None,
    gross=None,
    tare=None,
    tare_method: str | None = None,
) -> Judgement:
    """Judge one inspection sample: net contents `values`, or `gross` and `tare`."""
    ed = load_edition(edition)
    tol = tolerable_shortfall(nominal, unit, ed.name)
    plan = sampling_plan(batch_size, ed.name)
    tare_result = None
    if values is not None and (gross is not None or tare is not None):
        raise PrepackError(
            "values", "give either values (net contents) or gross and tare, not both", code="prepack_values_or_gross"
        )
    if values is None:
        if gross is None or tare is None:
            raise PrepackError("values", "give the net contents (values) or both gross and tare", code="prepack_values_needed")
        tare_result = net_from_gross(gross, tare, nominal, tol.unit, ed.name, tare_method)
        q = tare_result.net
        field = "gross"
    else:
        q = _as_vector(values, "values")
        _check_non_negative(q, "values", "net content")
        field = "values"
    if q.size < plan.n:
        raise PrepackError(
            field,
            f"the sample has {q.size} units, smaller than the plan for batch size {plan.batch_size} asks (n = {plan.n})",
            code="prepack_sample_small",
            count=q.size,
            batch=plan.batch_size,
            n=plan.n,
        )
    if q.size > plan.n:
        raise PrepackError(
            field,
            f"the sample has {q.size} units, more than the plan for batch size {plan.batch_size} asks (n = {plan.n})",
            code="prepack_sample_large",
            count=q.size,
            batch=plan.batch_size,
            n=plan.n,
        )

    result = judge_batch(q.reshape(1, -1), tol.nominal, tol.T, plan)
    mean_ok, short_T, short_2T = bool(result.mean_ok[0]), int(result.short_T[0]), int(result.short_2T[0])
    mean = None if plan.full_check else float(result.mean[0])
    s = None if plan.full_check else float(result.s[0])
    u = tol.unit
    reasons = []
    if not mean_ok:
        limit = tol.nominal - plan.lambda_ * s
        reasons.append(
            f"mean net content {mean:.6g} {u} is below Qn − λ·s = {tol.nominal:g} − {plan.lambda_} × {s:.4g} = {limit:.6g} {u} (平均实际含量不合格)"
        )
    between = short_T - short_2T
    if between > plan.allowed_short_T:
        reasons.append(
            f"{between} units short by more than T = {tol.T:g} {u} (and at most 2T), at most {plan.allowed_short_T} allowed (单件实际含量不合格)"
        )
    if short_2T > plan.allowed_short_2T:
        reasons.append(
            f"{short_2T} units short by more than 2T = {2 * tol.T:g} {u}, {plan.allowed_short_2T} allowed (单件实际含量不合格)"
        )
    return Judgement(
        edition=ed.name,
        nominal=tol.nominal,
        unit=u,
        T=tol.T,
        plan=plan,
        mean=mean,
        s=s,
        mean_ok=mean_ok,
        short_T=short_T,
        short_2T=short_2T,
        passed=bool(result.passed[0]),
        reasons=tuple(reasons),
        tare=tare_result,
    )


_DOCUMENT_KEYS = {"nominal", "unit", "batch_size", "values", "gross", "tare", "tare_method", "edition"}


def judge_document(document: dict, edition: str | None = None) -> Judgement:
    """Judge a sample given as a JSON-like document
    ``{"nominal": 500, "unit": "g", "batch_size": 1000, "values": [...]}`` (or "gross" and
    "tare" lists instead of "values"). `edition` overrides the document's own "edition"."""
    if not isinstance(document, dict):
        raise PrepackError("", "the sample must be a JSON object", code="must_be_object")
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if unknown:
        raise PrepackError(
            unknown[0],
            f"unknown field; expected {', '.join(sorted(_DOCUMENT_KEYS))}",
            code="prepack_unknown_field",
            options=", ".join(sorted(_DOCUMENT_KEYS)),
        )
    for key in ("nominal", "unit", "batch_size"):
        if key not in document:
            raise PrepackError(key, "is required", code="required")
    return judge(
        document.get("values"),
        nominal=document["nominal"],
        unit=document["unit"],
        batch_size=document["batch_size"],
        edition=edition or document.get("edition"),
        gross=document.get("gross"),
        tare=document.get("tare"),
        tare_method=document.get("tare_method"),
    )
