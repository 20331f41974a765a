"""Shewhart control charts (GB/T 17989.2-2020 = ISO 7870-2:2013, MOD) and the repeatability
and stability evaluations of a measurement standard (JJF 1033-2023).

A standard's in-service checks (期间核查) measure a check standard (核查标准) again and again;
JJF 1033-2023 lets the stability evaluation rest on a control chart of those checks once the
measurement process is under statistical control. This module computes:

- the three variables charts the holder uses: X̄–R and X̄–s (subgroups of 2–25) and X–MR
  (individuals with moving ranges of 2), with limits from the first ``baseline`` points
  (GB/T 17989.2 §5.2, "no standard values given") or from given standard values μ0, σ0
  (§5.3);
- the eight tests for special causes (GB/T 17989.2 §8, 检验 1–8, the zones A/B/C of one σ
  each on the chart of location; test 1 also on the chart of dispersion);
- the repeatability test (重复性试验) and the stability evaluation (稳定性考核) of JJF 1033.

Pure: floats and dates in, dataclasses out, no Django. Errors are ``InputError`` with the
field and a catalogue code (``jiliang.messages``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jiliang.core.errors import InputError

STANDARD = "GB/T 17989.2-2020"

# -- the factors for control limits ------------------------------------------------------
#
# GB/T 17989.2-2020 表 2 (ISO 7870-2:2013 Table 2), subgroup sizes n = 2…25, as printed
# (A2, A3, B3, B4, D3, D4 to three decimals, c4 to four, d2 and d3 to three). The printed
# table leaves D3 and B3 blank ("—") where the lower limit would be negative: 0 here.
# tests/core/test_control_charts.py recomputes every column from its definition (c4 from
# the gamma function, d2 and d3 by integrating the distribution of the normal range).
#        n:  A2     A3     B3     B4     D3     D4     d2     d3     c4
_TABLE = """
        2  1.880  2.659  0      3.267  0      3.267  1.128  0.853  0.7979
        3  1.023  1.954  0      2.568  0      2.574  1.693  0.888  0.8862
        4  0.729  1.628  0      2.266  0      2.282  2.059  0.880  0.9213
        5  0.577  1.427  0      2.089  0      2.114  2.326  0.864  0.9400
        6  0.483  1.287  0.030  1.970  0      2.004  2.534  0.848  0.9515
        7  0.419  1.182  0.118  1.882  0.076  1.924  2.704  0.833  0.9594
        8  0.373  1.099  0.185  1.815  0.136  1.864  2.847  0.820  0.9650
        9  0.337  1.032  0.239  1.761  0.184  1.816  2.970  0.808  0.9693
       10  0.308  0.975  0.284  1.716  0.223  1.777  3.078  0.797  0.9727
       11  0.285  0.927  0.321  1.679  0.256  1.744  3.173  0.787  0.9754
       12  0.266  0.886  0.354  1.646  0.283  1.717  3.258  0.778  0.9776
       13  0.249  0.850  0.382  1.618  0.307  1.693  3.336  0.770  0.9794
       14  0.235  0.817  0.406  1.594  0.328  1.672  3.407  0.763  0.9810
       15  0.223  0.789  0.428  1.572  0.347  1.653  3.472  0.756  0.9823
       16  0.212  0.763  0.448  1.552  0.363  1.637  3.532  0.750  0.9835
       17  0.203  0.739  0.466  1.534  0.378  1.622  3.588  0.744  0.9845
       18  0.194  0.718  0.482  1.518  0.391  1.608  3.640  0.739  0.9854
       19  0.187  0.698  0.497  1.503  0.403  1.597  3.689  0.734  0.9862
       20  0.180  0.680  0.510  1.490  0.415  1.585  3.735  0.729  0.9869
       21  0.173  0.663  0.523  1.477  0.425  1.575  3.778  0.724  0.9876
       22  0.167  0.647  0.534  1.466  0.434  1.566  3.819  0.720  0.9882
       23  0.162  0.633  0.545  1.455  0.443  1.557  3.858  0.716  0.9887
       24  0.157  0.619  0.555  1.445  0.451  1.548  3.895  0.712  0.9892
       25  0.153  0.606  0.565  1.435  0.459  1.541  3.931  0.708  0.9896
"""


@dataclass(frozen=True)
class Factors:
    n: int
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float
    d2: float
    d3: float
    c4: float

    # Factors for charts with given standard values (§5.3), from the same columns.
    @property
    def A(self) -> float:
        return 3 / math.sqrt(self.n)

    @property
    def D1(self) -> float:
        return max(0.0, self.d2 - 3 * self.d3)

    @property
    def D2(self) -> float:
        return self.d2 + 3 * self.d3

    @property
    def B5(self) -> float:
        return max(0.0, self.c4 - 3 * math.sqrt(1 - self.c4**2))

    @property
    def B6(self) -> float:
        return self.c4 + 3 * math.sqrt(1 - self.c4**2)

    @property
    def E2(self) -> float:
        """Individuals chart: X̄ ± E2·R̄m with moving ranges of n points (3/1.128 = 2.660 for n = 2)."""
        return 3 / self.d2


FACTORS: dict[int, Factors] = {
    int(row[0]): Factors(int(row[0]), *(float(x) for x in row[1:]))
    for row in (line.split() for line in _TABLE.strip().splitlines())
}
SUBGROUP_SIZES = range(2, 26)


def factors(n: int) -> Factors:
    if n not in FACTORS:
        raise InputError("subgroup_size", f"must be an integer from 2 to 25 (got {n})", code="integer_at_least", minimum=2, got=n)
    return FACTORS[n]


# -- the tests for special causes --------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str  # "test1" … "test8": the standard's numbering
    clause: str
    description: str  # English; the shell translates by code


RULES: tuple[Rule, ...] = (
    Rule("test1", f"{STANDARD} §8 检验1", "1 point beyond zone A (outside the 3σ control limits)"),
    Rule("test2", f"{STANDARD} §8 检验2", "9 points in a row in zone C or beyond on one side of the centre line"),
    Rule("test3", f"{STANDARD} §8 检验3", "6 points in a row steadily increasing or decreasing"),
    Rule("test4", f"{STANDARD} §8 检验4", "14 points in a row alternating up and down"),
    Rule("test5", f"{STANDARD} §8 检验5", "2 out of 3 points in a row in zone A or beyond (beyond 2σ, same side)"),
    Rule("test6", f"{STANDARD} §8 检验6", "4 out of 5 points in a row in zone B or beyond (beyond 1σ, same side)"),
    Rule("test7", f"{STANDARD} §8 检验7", "15 points in a row in zone C (within 1σ), above and below the centre line"),
    Rule("test8", f"{STANDARD} §8 检验8", "8 points in a row on both sides of the centre line with none in zone C"),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}


@dataclass(frozen=True)
class Signal:
    """A test for special causes that fired: at ``index`` (0-based, the point that completes
    the pattern) on the chart of ``chart`` ("location" or "dispersion")."""

    rule: str
    clause: str
    index: int
    chart: str = "location"


def _windows(mask: np.ndarray, width: int, need: int) -> np.ndarray:
    """Indexes i where at least ``need`` of the ``width`` points ending at i are True."""
    if mask.size < width:
        return np.empty(0, dtype=int)
    counts = np.convolve(mask.astype(int), np.ones(width, dtype=int), mode="valid")
    return np.flatnonzero(counts >= need) + width - 1


def special_causes(values: Sequence[float], centre: float, sigma: float, rules: Sequence[str] | None = None) -> list[Signal]:
    """The tests of GB/T 17989.2 §8 on a chart of location with centre line ``centre`` and
    the σ of the plotted statistic ``sigma`` (zones of one σ each). Each test reports every
    point that completes its pattern."""
    x = np.asarray(values, dtype=float)
    chosen = set(rules) if rules is not None else set(RULE_BY_CODE)
    unknown = chosen - set(RULE_BY_CODE)
    if unknown:
        raise InputError(
            "rules", f"unknown tests {sorted(unknown)}", code="one_of", options=", ".join(RULE_BY_CODE), got=sorted(unknown)
        )
    if sigma <= 0 or not math.isfinite(sigma):
        # A process without spread: only points off the centre line can signal.
        z = np.where(x == centre, 0.0, np.sign(x - centre) * np.inf)
    else:
        z = (x - centre) / sigma
    above, below = z > 0, z < 0
    step = np.sign(np.diff(x))
    found: dict[str, np.ndarray] = {}
    found["test1"] = np.flatnonzero(np.abs(z) > 3)
    found["test2"] = np.union1d(_windows(above, 9, 9), _windows(below, 9, 9))
    # Six points in a row increasing: five rises in a row (the index is the sixth point).
    found["test3"] = np.union1d(_windows(step > 0, 5, 5), _windows(step < 0, 5, 5)) + 1
    # Fourteen points alternating: thirteen steps each of the opposite sign of the one before.
    flips = (step[1:] * step[:-1]) < 0
    found["test4"] = _windows(flips, 12, 12) + 2
    found["test5"] = np.union1d(_windows(z > 2, 3, 2), _windows(z < -2, 3, 2))
    found["test6"] = np.union1d(_windows(z > 1, 5, 4), _windows(z < -1, 5, 4))
    found["test7"] = _windows(np.abs(z) < 1, 15, 15)
    found["test8"] = _windows(np.abs(z) > 1, 8, 8)
    signals = [Signal(rule.code, rule.clause, int(i)) for rule in RULES if rule.code in chosen for i in found[rule.code].tolist()]
    return sorted(signals, key=lambda s: (s.index, s.rule))


# -- the charts --------------------------------------------------------------------------

XBAR_R = "xbar_r"
XBAR_S = "xbar_s"
X_MR = "x_mr"
CHART_KINDS = (XBAR_R, XBAR_S, X_MR)


@dataclass(frozen=True)
class Limits:
    centre: float
    lower: float
    upper: float


@dataclass
class Chart:
    """A pair of charts: location (X̄ or X) and dispersion (R, s or moving range)."""

    kind: str
    subgroup_size: int  # 1 for individuals
    baseline: int  # how many points the limits came from (0: from standard values)
    location: list[float]
    dispersion: list[float | None]  # None where a moving range has no predecessor
    location_limits: Limits
    dispersion_limits: Limits
    sigma: float  # the process σ the limits rest on
    signals: list[Signal] = field(default_factory=list)

    @property
    def sigma_location(self) -> float:
        return (self.location_limits.upper - self.location_limits.centre) / 3

    @property
    def out_of_control(self) -> list[int]:
        """Indexes of points with any signal, in order."""
        return sorted({s.index for s in self.signals})

    def signals_at(self, index: int) -> list[Signal]:
        return [s for s in self.signals if s.index == index]

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "subgroup_size": self.subgroup_size,
            "baseline": self.baseline,
            "sigma": self.sigma,
            "location": self.location,
            "dispersion": self.dispersion,
            "location_limits": vars(self.location_limits),
            "dispersion_limits": vars(self.dispersion_limits),
            "signals": [vars(s) for s in self.signals],
            "out_of_control": self.out_of_control,
        }


def _finite_matrix(subgroups, n: int | None) -> np.ndarray:
    rows = [list(row) for row in subgroups]
    if not rows:
        raise InputError("values", "no subgroups", code="required")
    size = n or len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != size:
            raise InputError(
                f"values[{i}]",
                f"a subgroup of {len(row)} values; the chart takes {size}",
                code="integer_at_least",
                minimum=size,
                got=len(row),
            )
    try:
        data = np.asarray(rows, dtype=float)
    except (TypeError, ValueError):
        raise InputError("values", "not numbers", code="number_required", got="…") from None
    bad = np.argwhere(~np.isfinite(data))
    if bad.size:
        i, j = bad[0]
        raise InputError(f"values[{i}][{j}]", "not a finite number", code="number_finite", got=str(data[i, j]))
    return data


def _baseline(count: int, baseline: int | None, minimum: int) -> int:
    chosen = count if baseline is None else baseline
    if chosen < minimum or chosen > count:
        raise InputError(
            "baseline",
            f"limits need {minimum} to {count} points (got {chosen})",
            code="integer_at_least",
            minimum=minimum,
            got=chosen,
        )
    return chosen


def subgroup_chart(
    subgroups,
    kind: str = XBAR_R,
    *,
    baseline: int | None = None,
    mean: float | None = None,
    sigma: float | None = None,
    rules: Sequence[str] | None = None,
) -> Chart:
    """X̄–R or X̄–s of equal subgroups (GB/T 17989.2 §6.4).

    Without standard values, the limits come from the first ``baseline`` subgroups (all by
    default): X̄ chart X̿ ± A2·R̄ (or ± A3·s̄), R chart D3·R̄ … D4·R̄, s chart B3·s̄ … B4·s̄
    (表 1). With ``mean`` and ``sigma`` given (μ0, σ0): μ0 ± A·σ0, d2σ0 between D1σ0 and
    D2σ0, c4σ0 between B5σ0 and B6σ0."""
    if kind not in (XBAR_R, XBAR_S):
        raise InputError("chart", f"unknown chart {kind!r}", code="one_of", options=f"{XBAR_R}, {XBAR_S}", got=kind)
    data = _finite_matrix(subgroups, None)
    f = factors(data.shape[1])
    xbar = data.mean(axis=1)
    spread = np.ptp(data, axis=1) if kind == XBAR_R else data.std(axis=1, ddof=1)
    if (mean is None) != (sigma is None):
        raise InputError("sigma" if sigma is None else "mean", "standard values need both μ0 and σ0", code="required")
    if mean is not None and sigma is not None:
        used = 0
        if kind == XBAR_R:
            dispersion = Limits(f.d2 * sigma, f.D1 * sigma, f.D2 * sigma)
        else:
            dispersion = Limits(f.c4 * sigma, f.B5 * sigma, f.B6 * sigma)
        location = Limits(mean, mean - f.A * sigma, mean + f.A * sigma)
        process_sigma = sigma
    else:
        used = _baseline(len(xbar), baseline, 2)
        grand = float(xbar[:used].mean())
        centre = float(spread[:used].mean())
        if kind == XBAR_R:
            location = Limits(grand, grand - f.A2 * centre, grand + f.A2 * centre)
            dispersion = Limits(centre, f.D3 * centre, f.D4 * centre)
            process_sigma = centre / f.d2
        else:
            location = Limits(grand, grand - f.A3 * centre, grand + f.A3 * centre)
            dispersion = Limits(centre, f.B3 * centre, f.B4 * centre)
            process_sigma = centre / f.c4
    chart = Chart(kind, data.shape[1], used, xbar.tolist(), spread.tolist(), location, dispersion, process_sigma)
    chart.signals = _signals(chart, rules)
    return chart


def individuals_chart(
    values: Sequence[float],
    *,
    baseline: int | None = None,
    mean: float | None = None,
    sigma: float | None = None,
    rules: Sequence[str] | None = None,
) -> Chart:
    """X–MR (GB/T 17989.2 §6.5): moving ranges of two successive values; limits X̄ ± E2·R̄m
    (E2 = 3/d2 = 2.660) and R̄m·D4 (3.267), or from μ0, σ0 when given."""
    data = _finite_matrix([[v] for v in values], 1)[:, 0]
    f = factors(2)
    moving = np.abs(np.diff(data))
    if (mean is None) != (sigma is None):
        raise InputError("sigma" if sigma is None else "mean", "standard values need both μ0 and σ0", code="required")
    if mean is not None and sigma is not None:
        used = 0
        location = Limits(mean, mean - 3 * sigma, mean + 3 * sigma)
        dispersion = Limits(f.d2 * sigma, f.D1 * sigma, f.D2 * sigma)
        process_sigma = sigma
    else:
        used = _baseline(data.size, baseline, 2)
        centre = float(data[:used].mean())
        mr_bar = float(moving[: used - 1].mean())
        location = Limits(centre, centre - f.E2 * mr_bar, centre + f.E2 * mr_bar)
        dispersion = Limits(mr_bar, f.D3 * mr_bar, f.D4 * mr_bar)
        process_sigma = mr_bar / f.d2
    chart = Chart(X_MR, 1, used, data.tolist(), [None, *moving.tolist()], location, dispersion, process_sigma)
    chart.signals = _signals(chart, rules)
    return chart


def build_chart(kind: str, subgroups, **options) -> Chart:
    """One entry for every chart: ``subgroups`` is a list of lists (one value each for X–MR)."""
    if kind == X_MR:
        return individuals_chart([row[0] if isinstance(row, (list, tuple)) else row for row in subgroups], **options)
    return subgroup_chart(subgroups, kind, **options)


def _signals(chart: Chart, rules: Sequence[str] | None) -> list[Signal]:
    found = special_causes(chart.location, chart.location_limits.centre, chart.sigma_location, rules)
    if rules is None or "test1" in rules:
        # Test 1 on the chart of dispersion: a range (s, moving range) beyond its limits.
        lim = chart.dispersion_limits
        rule = RULE_BY_CODE["test1"]
        for i, value in enumerate(chart.dispersion):
            if value is not None and (value > lim.upper or (lim.lower > 0 and value < lim.lower)):
                found.append(Signal(rule.code, rule.clause, i, "dispersion"))
    return sorted(found, key=lambda s: (s.index, s.chart, s.rule))


# -- JJF 1033-2023: repeatability and stability ------------------------------------------
#
# The method is JJF 1033-2023 附录 C, as it stood in JJF 1033-2016 C.2.2.2 and C.2.2.3 and in the
# implementation guidance (实施指南 §7.2); the 2023 full text was not at hand to confirm its
# sub-clause numbers, so the clause cited is the annex:
# - 重复性试验: under repeatability conditions measure a routine item n times (n ≥ 10 as a
#   rule), the experimental standard deviation s is the repeatability; for a standard in
#   service the test is repeated at least once a year and conforms when s is not larger
#   than the repeatability used in the uncertainty evaluation (else the uncertainty is
#   evaluated again).
# - 稳定性考核 with a check standard: a new standard is measured in m ≥ 4 groups more than a
#   month apart, the stability is the largest group mean minus the smallest; a standard in
#   service is measured at least once a year, the stability is the difference of adjacent
#   years' results. It must be smaller than |MPE| when the standard is used at its nominal
#   value (按"级"使用), or smaller than the expanded uncertainty U (k = 2) of the correction
#   when used with corrections (按"等"使用).

REPEATABILITY_MINIMUM = 10  # JJF 1033-2023 附录 C: "n 一般不少于 10 次"
STABILITY_GROUPS_NEW = 4  # m ≥ 4 groups for a new standard
STABILITY_GAP_DAYS = 30  # the groups more than a month apart
NOMINAL = "nominal"  # used at nominal value / indication: compared with |MPE|
CORRECTED = "corrected"  # used with corrections: compared with U (k = 2)
REPEATABILITY_CLAUSE = "JJF 1033-2023 附录C 计量标准的重复性试验"
STABILITY_CLAUSE = "JJF 1033-2023 附录C 计量标准的稳定性考核"


@dataclass(frozen=True)
class Repeatability:
    n: int
    mean: float
    s: float  # experimental standard deviation, Bessel (JJF 1059.1 4.3.2.2)
    used_in_uncertainty: float | None
    conforms: bool | None  # None: nothing to compare with (a new standard provides the data)
    enough: bool  # n ≥ 10
    clause: str = REPEATABILITY_CLAUSE


def repeatability(values: Sequence[float], used_in_uncertainty: float | None = None) -> Repeatability:
    data = _finite_matrix([[v] for v in values], 1)[:, 0]
    if data.size < 2:
        raise InputError("values", "at least 2 measurements", code="integer_at_least", minimum=2, got=int(data.size))
    s = float(data.std(ddof=1))
    conforms = None if used_in_uncertainty is None else s <= used_in_uncertainty
    return Repeatability(int(data.size), float(data.mean()), s, used_in_uncertainty, conforms, data.size >= REPEATABILITY_MINIMUM)


@dataclass(frozen=True)
class Stability:
    method: str  # "range_of_groups" (new standard) or "adjacent_years" (in service)
    value: float | None  # the stability found (None: not enough groups yet)
    allowed: float | None
    basis: str  # NOMINAL or CORRECTED
    conforms: bool | None
    groups: int
    problems: tuple[str, ...] = ()  # codes: "too_few_groups", "groups_too_close"
    clause: str = STABILITY_CLAUSE


def stability(
    groups: Sequence[tuple[dt.date, float]], allowed: float | None, *, basis: str = NOMINAL, in_service: bool = True
) -> Stability:
    """The stability of a standard from the means of its check groups (date, mean).

    In service: the difference between the last result of the latest year and that of the
    year before (adjacent years). New: the range of m ≥ 4 group means taken more than a
    month apart. ``allowed`` is |MPE| (basis NOMINAL) or U, k = 2 (basis CORRECTED); the
    stability must be smaller than it."""
    if basis not in (NOMINAL, CORRECTED):
        raise InputError("basis", f"unknown basis {basis!r}", code="one_of", options=f"{NOMINAL}, {CORRECTED}", got=basis)
    ordered = sorted(groups)
    problems: list[str] = []
    value: float | None = None
    if in_service:
        method = "adjacent_years"
        by_year: dict[int, float] = {}
        for day, mean in ordered:
            by_year[day.year] = mean  # the year's last result
        years = sorted(by_year)
        if len(years) >= 2:
            value = abs(by_year[years[-1]] - by_year[years[-2]])
        else:
            problems.append("too_few_groups")
    else:
        method = "range_of_groups"
        if len(ordered) < STABILITY_GROUPS_NEW:
            problems.append("too_few_groups")
        if any((b[0] - a[0]).days <= STABILITY_GAP_DAYS for a, b in zip(ordered, ordered[1:])):
            problems.append("groups_too_close")
        if ordered:
            means = [mean for _, mean in ordered]
            value = max(means) - min(means)
        if problems:
            value = value if ordered else None
    conforms = None if value is None or allowed is None or "too_few_groups" in problems else value < allowed
    return Stability(method, value, allowed, basis, conforms, len(ordered), tuple(problems))
