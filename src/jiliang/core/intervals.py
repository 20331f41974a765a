"""Calibration and verification intervals from as-found results (检定/校准间隔的确定).

What the platform knows of an instrument family is, per verification, the time since the
instrument's previous verification and whether it was found in tolerance (合格) when it came
back. From that history this module computes what the texts ask:

- JJF 1139-2005《计量器具检定周期确定原则和方法》 sets the principles: a measurement
  reliability target R is stated first (一般 R ≥ 90 %), and the period is computed by a
  reaction method (反应法: respond to the latest results by a simple rule) or a
  maximum-likelihood method (最大似然估计法: fit the probability of being found in
  tolerance against time); control charts (管理图法) and check standards (核查标准法,
  "黑匣子") are for instruments with variables data or check standards. [JJF 1139-2005
  第 4 章 原则与 第 5 章 方法, confirmed: false — read from a secondary summary of the text,
  the clause numbers are cited from memory.] ILAC-G24:2022 / OIML D 10:2022 §6 names the
  same families: Method 1 automatic adjustment or "staircase" (calendar time), Method 2
  control chart, Method 3 "in-use" time, Method 4 in-service checking ("black box"),
  Method 5 other statistical approaches (the RP-1 methods below).
- NCSLI RP-1 (Establishment and Adjustment of Calibration Intervals) gives the methods
  implemented here: A1 simple response (the staircase, ``staircase``), A3 the interval
  test (``a3_test``: is the observed reliability at the assigned interval consistent with
  the target, and if not, what interval), and S2 the binomial method (``s2_fit``: maximum
  likelihood fits of the reliability models of its Appendix D to reliability binned by
  interval, each judged by an F test, the recommended interval where the best model meets
  the target, with its confidence limits from the model's variance, RP-1 eq. D-29).

Control charts and "in-use" time need variables data (as-found values) and hours of use,
which a verification verdict does not carry: they are not computed here.

This is an independent implementation from the formulas of RP-1 (Sandia's suncal, GPL-3,
served as the published anchor: tests/core/test_intervals.py reproduces its examples to
their digits; none of its code is copied). Times are in any one unit (days on the
platform); reliabilities are fractions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from jiliang.core.errors import InputError

# JJF 1139-2005 (原则): a measurement reliability target is stated before a period is set;
# for general instruments R ≥ 90 %. The platform's default asks for more (0.95); a caller
# may set any target in (0, 1).
JJF1139_MINIMUM_TARGET = 0.90
DEFAULT_TARGET = 0.95


def _target(value: float, name: str = "target") -> float:
    value = float(value)
    if not 0.0 < value < 1.0 or not math.isfinite(value):
        raise InputError(name, f"must lie strictly between 0 and 1 (got {value})", code="open_unit_interval", got=value)
    return value


def _positive(value: float, name: str) -> float:
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise InputError(name, f"must be positive (got {value})", code="must_be_positive", got=value)
    return value


# -- as-found history → pairs (interval, in tolerance)


@dataclass(frozen=True)
class Observations:
    """One row per verification that followed an in-tolerance one of the same instrument:
    the time since it (``interval``) and whether the instrument was found in tolerance."""

    interval: np.ndarray  # float, time since the previous (in-tolerance) verification
    in_tolerance: np.ndarray  # bool
    instruments: int  # how many instruments contributed
    skipped: int  # verifications without a usable predecessor (first ones, after a failure)

    @property
    def count(self) -> int:
        return int(self.interval.size)


def observations(
    instrument: Sequence[int] | np.ndarray, day: Sequence[int] | np.ndarray, passed: Sequence[bool] | np.ndarray
) -> Observations:
    """Pairs from a history of verifications (instrument id, day number, verdict), in any order.

    A verification counts when the same instrument's previous one passed: the instrument
    went back into service in tolerance, and this result is its as-found state after the
    interval. After a failure the instrument was repaired or adjusted before its next
    verification, so that interval starts from no known state and is left out (RP-1 counts
    intervals from an in-tolerance as-left state). Vectorised: one sort, no loop per row.
    """
    inst = np.asarray(instrument, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    ok = np.asarray(passed, dtype=bool)
    if not (inst.shape == days.shape == ok.shape):
        raise InputError("history", "instrument, day and passed must have the same length", code="invalid")
    if inst.size == 0:
        return Observations(np.zeros(0), np.zeros(0, dtype=bool), 0, 0)
    order = np.lexsort((days, inst))
    inst, days, ok = inst[order], days[order], ok[order]
    same = inst[1:] == inst[:-1]
    usable = same & ok[:-1] & (days[1:] > days[:-1])
    interval = (days[1:] - days[:-1])[usable].astype(float)
    found = ok[1:][usable]
    return Observations(interval, found, int(np.unique(inst).size), int(inst.size - interval.size))


# -- RP-1 method A1 / ILAC-G24 Method 1: the staircase


def staircase(
    results: Sequence[bool], initial: float, *, lengthen: float = 0.1, shorten: float = 0.45, maximum: float | None = None
) -> float:
    """The interval after a sequence of as-found results of one instrument (RP-1 A1, simple
    response; ILAC-G24:2022 §6.2 "staircase"): each in-tolerance result lengthens the
    interval by the fraction ``lengthen``, each out-of-tolerance one shortens it by
    ``shorten``; never beyond ``maximum`` when one is given. The fractions are the
    user's choice (RP-1 quotes a = 0.1, b = 0.45 as typical, cited from memory)."""
    interval = _positive(initial, "initial")
    for found in results:
        interval *= (1 + lengthen) if found else (1 - shorten)
        if maximum is not None:
            interval = min(interval, maximum)
    return interval


# -- RP-1 method A3: the interval test


@dataclass(frozen=True)
class A3Result:
    interval: float  # the recommended interval (the assigned one when the test keeps it)
    calculated: float  # the interval the test computes before its acceptance rule
    rejection: float  # confidence that the assigned interval's reliability is not the target
    reliability_range: tuple[float, float]  # confidence limits of the true reliability
    observed: float  # in tolerance / total
    in_tolerance: int
    total: int
    changed: bool


def a3_test(
    in_tolerance: int,
    total: int,
    assigned: float,
    target: float = DEFAULT_TARGET,
    *,
    max_change: float = 2.0,
    confidence: float = 0.5,
    min_delta: float = 5.0,
    min_interval: float = 14.0,
    max_interval: float = 1826.0,
) -> A3Result:
    """RP-1 method A3 (interval test) for ``in_tolerance`` of ``total`` results found at the
    ``assigned`` interval.

    The rejection confidence Q is the binomial test of the observed reliability R0 = g/n
    against the target Rt: below the target Q = 1 − 2·B(g; n, Rt), above it
    Q = 2·B(g − 1; n, Rt) − 1 (B the binomial distribution function); at R0 = 0 or 1,
    Q = 1 − b(g; n, Rt). The new interval is I0·10^((R0 − Rt)·Q) when shortening (not below
    I0/max_change) and I0·10^((R0 − Rt)/(1 − Q)) when lengthening (not beyond
    I0·max_change); it replaces I0 only when Q exceeds ``confidence`` and the change is at
    least ``min_delta``, within [min_interval, max_interval]. The reliability range is the
    Clopper–Pearson interval of R at the same confidence.

    Above the target this is the symmetric form of the binomial test (confirmed: false —
    RP-1's text was not at hand); suncal 1.7 computes B(g; n, Rt) − 1 there, which is never
    positive, so it never lengthens an interval. Below the target, where every published
    example lies, the two agree.
    """
    rt = _target(target)
    i0 = _positive(assigned, "assigned")
    n = int(total)
    g = int(in_tolerance)
    if n < 1:
        raise InputError("total", f"at least one result is needed (got {n})", code="integer_at_least", minimum=1, got=n)
    if not 0 <= g <= n:
        raise InputError("in_tolerance", f"must lie between 0 and {n} (got {g})", code="upper_below_lower", upper=n, lower=g)
    conf = _target(confidence, "confidence")
    r0 = g / n
    if g in (0, n):
        q = 1.0 - float(stats.binom.pmf(g, n, rt))
    elif r0 > rt:
        q = 2.0 * float(stats.binom.cdf(g - 1, n, rt)) - 1.0
    else:
        q = 1.0 - 2.0 * float(stats.binom.cdf(g, n, rt))
    q = max(q, 0.0)
    if r0 > rt:
        exponent = math.inf if q >= 1.0 else (r0 - rt) / (1.0 - q)
        factor = max_change if exponent >= math.log10(max_change) else 10.0**exponent
    else:
        factor = max(10.0 ** ((r0 - rt) * q), 1.0 / max_change)
    calculated = factor * i0
    changed = q > conf and abs(calculated - i0) >= min_delta
    interval = min(max(calculated, min_interval), max_interval) if changed else i0
    low = 0.0 if g == 0 else float(stats.beta.ppf((1 - conf) / 2, g, n - g + 1))
    high = 1.0 if g == n else float(stats.beta.ppf((1 + conf) / 2, g + 1, n - g))
    return A3Result(interval, calculated, q, (low, high), r0, g, n, changed)


def a3_counts(obs: Observations, assigned: float, *, tolerance: float = 56.0, threshold: float = 0.5) -> tuple[int, int, int]:
    """(in tolerance, used, left out) of the observations whose interval lies within
    min(tolerance, threshold·assigned) of the assigned interval: A3 judges one interval, so
    results found after a much shorter or longer time are left out."""
    width = min(tolerance, threshold * assigned)
    use = np.abs(obs.interval - assigned) <= width
    return int(np.count_nonzero(obs.in_tolerance[use])), int(np.count_nonzero(use)), int(obs.count - np.count_nonzero(use))


# -- RP-1 method S2: the binomial method, reliability models of RP-1 Appendix D


@dataclass(frozen=True)
class ReliabilityModel:
    name: str
    name_zh: str
    function: Callable[..., np.ndarray]
    bounds: tuple[tuple[float, float], ...]

    @property
    def parameters(self) -> int:
        return len(self.bounds)


def _phi2(q):
    return 2.0 * special.ndtr(q) - 1.0


def _r_exponential(t, a):
    return np.exp(-a * t)


def _r_weibull(t, a, b):
    return np.exp(-((a * t) ** b))


def _r_mixed_exponential(t, a, b):
    return (1.0 + a * t) ** (-b)


def _r_random_walk(t, a, b):
    return _phi2(1.0 / np.sqrt(a + b * t))


def _r_restricted_walk(t, a, b, c):
    return _phi2(1.0 / np.sqrt(a + b * (1.0 - np.exp(-c * t))))


def _r_modified_gamma(t, a):
    x = a * t
    return np.exp(-x) * (1.0 + x + x**2 / 2.0 + x**3 / 6.0)


def _r_mortality_drift(t, a, b):
    return np.exp(-(a * t + b * t**2))


def _r_warranty(t, a, b):
    return 1.0 / (1.0 + np.exp(a * (t - b)))


def _r_drift(t, a, b, c):
    return special.ndtr(a + c * t) + special.ndtr(b - c * t) - 1.0


def _r_lognormal(t, a, b):
    with np.errstate(divide="ignore"):
        return 1.0 - special.ndtr(np.log(a * t) / b)


MODELS: tuple[ReliabilityModel, ...] = (
    ReliabilityModel("Exponential", "指数", _r_exponential, ((1e-9, 10.0),)),
    ReliabilityModel("Weibull", "威布尔", _r_weibull, ((1e-9, 10.0), (0.05, 100.0))),
    ReliabilityModel("Mixed Exponential", "混合指数", _r_mixed_exponential, ((1e-9, 1e4), (1e-6, 100.0))),
    ReliabilityModel("Random Walk", "随机游走", _r_random_walk, ((0.0, 100.0), (1e-9, 100.0))),
    ReliabilityModel("Restricted Walk", "受限随机游走", _r_restricted_walk, ((0.0, 1e6), (1e-9, 1e6), (1e-9, 10.0))),
    ReliabilityModel("Modified Gamma", "修正伽马", _r_modified_gamma, ((1e-9, 10.0),)),
    ReliabilityModel("Mortality Drift", "死亡率漂移", _r_mortality_drift, ((0.0, 10.0), (0.0, 10.0))),
    ReliabilityModel("Warranty", "保证期", _r_warranty, ((1e-9, 1e5), (0.0, 1e5))),
    ReliabilityModel("Drift", "漂移", _r_drift, ((0.0, 1e5), (0.0, 1e5), (1e-9, 1e5))),
    ReliabilityModel("Log Normal", "对数正态", _r_lognormal, ((1e-9, 1e5), (1e-3, 1e5))),
)
MODEL_NAMES = tuple(m.name for m in MODELS)


@dataclass(frozen=True)
class Bins:
    """Reliability by interval bin: right edge ``t`` (the bin's interval, RP-1 t_i), results
    ``n`` and in-tolerance results ``g``; ``r`` the observed reliability (g/n unless a
    published table gives it rounded apart from the counts); ``left`` the bins' left edges."""

    t: np.ndarray
    n: np.ndarray
    g: np.ndarray
    r: np.ndarray
    left: np.ndarray

    @classmethod
    def of(cls, t, n, g, r=None, left=None) -> Bins:
        t_ = np.asarray(t, dtype=float)
        n_ = np.asarray(n, dtype=float)
        g_ = np.asarray(g, dtype=float)
        if not (t_.shape == n_.shape == g_.shape) or t_.ndim != 1:
            raise InputError("bins", "t, n and g must be lists of the same length", code="invalid")
        if np.any(n_ <= 0) or np.any(g_ < 0) or np.any(g_ > n_):
            raise InputError("bins", "every bin needs n > 0 and 0 ≤ g ≤ n", code="invalid")
        r_ = g_ / n_ if r is None else np.asarray(r, dtype=float)
        left_ = np.concatenate(([0.0], t_[:-1])) if left is None else np.asarray(left, dtype=float)
        return cls(t_, n_, g_, r_, left_)


def bin_observations(obs: Observations, edges: Sequence[float] | None = None, bins: int = 8) -> Bins:
    """Reliability per interval bin (empty bins dropped). Without ``edges``, ``bins`` equal
    widths over the observed range; a bin holds the intervals in (left, right]."""
    if obs.count == 0:
        raise InputError("history", "no verification follows an in-tolerance one", code="observations_too_few")
    x = obs.interval
    e = np.histogram_bin_edges(x, bins=bins) if edges is None else np.asarray(edges, dtype=float)
    index = np.clip(np.searchsorted(e, x, side="left") - 1, 0, len(e) - 2)
    n = np.bincount(index, minlength=len(e) - 1).astype(float)
    g = np.bincount(index, weights=obs.in_tolerance.astype(float), minlength=len(e) - 1)
    keep = n > 0
    return Bins.of(e[1:][keep], n[keep], g[keep], left=e[:-1][keep])


@dataclass
class ModelFit:
    model: ReliabilityModel
    theta: np.ndarray
    interval: float | None  # where R(t) = target, rounded to a whole time unit; None: no crossing
    f_statistic: float
    f_critical: float
    rejection: float  # F-test rejection confidence, 0..1 (RP-1: reject the model if high)
    accepted: bool  # F < F(0.95)
    t_r: float  # where R(t) = 1 − target (RP-1's "t_R" in the figure of merit)
    group: int = 0  # models whose interval lies in the same group (N_G)
    merit: float = 0.0  # RP-1 figure of merit G = N_G / C · t_R^(1/4)

    def reliability(self, t) -> np.ndarray:
        return self.model.function(np.asarray(t, dtype=float), *self.theta)


@dataclass
class S2Result:
    bins: Bins
    target: float
    fits: list[ModelFit]  # best first (highest figure of merit)
    confidence: float
    limits: tuple[float, float] = (0.0, math.inf)  # of the best model's interval
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> ModelFit:
        """The highest figure of merit among the models that give an interval at all."""
        return next((f for f in self.fits if f.interval), self.fits[0])

    @property
    def interval(self) -> float | None:
        return self.best.interval

    def fit(self, name: str) -> ModelFit:
        return next(f for f in self.fits if f.model.name == name)


def _neg_log_likelihood(theta, model: ReliabilityModel, b: Bins) -> float:
    """−ln L of RP-1 eq. D-5 without its constant binomial coefficients."""
    with np.errstate(all="ignore"):
        r = np.clip(model.function(b.t, *theta), 1e-300, 1.0 - 1e-16)
        value = -float(np.sum(b.g * np.log(r) + (b.n - b.g) * np.log1p(-r)))
    return value if math.isfinite(value) else 1e300


def _starts(model: ReliabilityModel, b: Bins) -> list[np.ndarray]:
    """Starting points: a least-squares fit of R(t) to the observed reliabilities from a
    few scales of the time axis (the likelihood surface of the two- and three-parameter
    models has flat valleys: several starts keep the fit from stopping on a shoulder)."""
    scale = 1.0 / float(np.mean(b.t))
    r = np.clip(b.r, 1e-4, 1 - 1e-4)
    guesses: dict[str, list[tuple[float, ...]]] = {
        "Exponential": [(scale,)],
        "Weibull": [(scale, 1.0), (scale, 0.5), (scale * 0.5, 2.0)],
        "Mixed Exponential": [(scale, 1.0), (scale * 10, 0.3), (scale * 0.1, 5.0)],
        "Random Walk": [(0.1, scale), (0.5, scale), (0.01, 5 * scale)],
        "Restricted Walk": [(0.1, 1.0, scale), (0.2, 5.0, 0.1 * scale), (0.01, 1.0, 2 * scale)],
        "Modified Gamma": [(scale,), (4 * scale,)],
        "Mortality Drift": [(scale, 0.0), (0.5 * scale, scale * scale)],
        "Warranty": [(scale, float(np.mean(b.t))), (5 * scale, float(np.median(b.t)))],
        "Drift": [(2.0, 2.0, 2.0 * scale), (1.0, 1.0, scale)],
        "Log Normal": [(scale, 1.0), (scale, 2.0), (2 * scale, 0.5)],
    }
    lo = np.array([bd[0] for bd in model.bounds])
    hi = np.array([bd[1] for bd in model.bounds])
    starts = []
    for guess in guesses[model.name]:
        p0 = np.clip(np.asarray(guess, dtype=float), lo, hi)
        try:
            p, _ = optimize.curve_fit(model.function, b.t, r, p0=p0, bounds=(lo, hi), maxfev=2000)
            starts.append(np.asarray(p))
        except (RuntimeError, ValueError):
            pass
        starts.append(p0)
    return starts


def _fit(model: ReliabilityModel, b: Bins) -> np.ndarray:
    """The maximum-likelihood parameters: TNC (bounded Newton; no BLAS threads) from the likeliest starts, then a Nelder-Mead
    polish of the best (it walks the flat valleys where the gradient method stops)."""
    best, best_value = None, math.inf
    starts = sorted(_starts(model, b), key=lambda p: _neg_log_likelihood(p, model, b))
    for start in starts[:2]:  # the two likeliest starts; the rest only cost time
        result = optimize.minimize(_neg_log_likelihood, start, args=(model, b), method="TNC", bounds=model.bounds)
        if result.fun < best_value:
            best, best_value = np.asarray(result.x, dtype=float), float(result.fun)
    assert best is not None
    polish = optimize.minimize(
        _neg_log_likelihood,
        best,
        args=(model, b),
        method="Nelder-Mead",
        bounds=model.bounds,
        options={"maxiter": 400, "xatol": 1e-10, "fatol": 1e-12},
    )
    return np.asarray(polish.x, dtype=float) if polish.fun < best_value else best


def _crossing(function: Callable[[np.ndarray], np.ndarray], level: float, upper: float) -> float | None:
    """The first t in (0, upper] where the (falling) reliability reaches ``level``: the
    function (vectorised over t) on a grid, then Brent's method in the first step that
    crosses. 0 when it is below the level from the start; None when it never gets there."""
    # Geometric steps: fine near 0 (short intervals) and still reaching far (t_R of a
    # slowly falling model lies many times beyond the data).
    grid = np.geomspace(upper * 1e-6, upper, 4000)
    with np.errstate(all="ignore"):
        values = np.nan_to_num(np.asarray(function(grid), dtype=float) - level, nan=1.0)
    below = np.nonzero(values <= 0)[0]
    if below.size == 0:
        return None

    def scalar(x: float) -> float:
        return float(np.asarray(function(np.array([x]))).ravel()[0]) - level

    k = int(below[0])
    if k == 0:
        if scalar(1e-9) <= 0:
            return 0.0  # below the level from the start: the model allows no interval
        return float(optimize.brentq(scalar, 1e-9, grid[0], xtol=1e-12))
    return float(optimize.brentq(scalar, grid[k - 1], grid[k], xtol=1e-10))


def _groups(intervals: np.ndarray) -> np.ndarray:
    """N_G: how many models gave an interval in the same group as each one. Sorted
    intervals split into groups where the step to the next exceeds 1.5 × the mean step
    (a model without a crossing counts as 0)."""
    x = np.maximum(np.nan_to_num(intervals, nan=0.0), 0.0)
    order = np.argsort(x, kind="stable")
    steps = np.diff(x[order])
    gap = steps > 1.5 * steps.mean() if steps.size else np.zeros(0, dtype=bool)
    label_sorted = np.concatenate(([0], np.cumsum(gap)))
    labels = np.empty_like(label_sorted)
    labels[order] = label_sorted
    counts = np.bincount(labels)
    return counts[labels]


def _reliability_variance(fit: ModelFit, b: Bins, tau: np.ndarray) -> np.ndarray:
    """Var R(τ) by the delta method with the information of the binomial likelihood
    (RP-1 eq. D-29): dᵀ (Dᵀ W D)⁻¹ d, W = diag(n_i / (R_i (1 − R_i))) at the fitted R; the
    derivatives by forward differences of step √ε in each parameter."""
    theta = fit.theta
    f = fit.model.function
    step = math.sqrt(np.finfo(float).eps)

    def gradient(t: np.ndarray) -> np.ndarray:
        base = f(t, *theta)
        columns = []
        for j in range(theta.size):
            moved = theta.copy()
            moved[j] += step
            columns.append((f(t, *moved) - base) / step)
        return np.stack(columns, axis=-1)

    r = np.clip(f(b.t, *theta), 1e-12, 1 - 1e-12)
    w = b.n / (r * (1 - r))
    d_bins = gradient(b.t)
    information = d_bins.T @ (w[:, None] * d_bins)
    d = gradient(np.asarray(tau, dtype=float))
    return np.einsum("ij,ij->i", d, np.linalg.solve(information, d.T).T)


def s2_fit(
    bins: Bins, target: float = DEFAULT_TARGET, *, confidence: float = 0.95, models: Sequence[str] | None = None
) -> S2Result:
    """RP-1 method S2 on reliability binned by interval.

    Each model is fitted by maximum likelihood (RP-1 eq. D-5); its fit is judged by the
    F test of RP-1 eqs. D-19 to D-23 (lack-of-fit variance over the binomial variance,
    degrees of freedom k − m and n − k); its interval is where R(t) = target. The models
    are ranked by RP-1's figure of merit G = N_G / C · t_R^(1/4) (C the rejection
    confidence, N_G how many models agree on the interval, t_R where R = 1 − target); the
    recommended interval is the best's, with confidence limits where R(t) ∓ z·σ_R(t)
    crosses the target (σ_R from eq. D-29, z the normal quantile of ``confidence``).
    """
    rt = _target(target)
    conf = _target(confidence, "confidence")
    k = bins.t.size
    n_total = float(bins.n.sum())
    if k < 2:
        raise InputError("bins", "at least two interval bins with results are needed", code="observations_too_few")
    chosen = MODELS if models is None else tuple(m for m in MODELS if m.name in set(models))
    se2 = float(np.sum(bins.n * bins.r * (1 - bins.r))) / (n_total - k) if n_total > k else math.nan  # eq. D-19
    upper = float(bins.t.max()) * 1000.0
    fits: list[ModelFit] = []
    for model in chosen:
        theta = _fit(model, bins)
        m = model.parameters

        def reliability(x, model=model, theta=theta):
            return model.function(x, *theta)

        interval = _crossing(reliability, rt, upper)
        t_r = _crossing(reliability, 1 - rt, upper)
        t_r = upper if t_r is None else t_r  # never that low within reach: as far as we looked
        dfn, dfd = k - m, n_total - k
        if interval is not None and dfn > 0 and dfd > 0 and se2 > 0:
            sl2 = float(np.sum(bins.n * (bins.r - model.function(bins.t, *theta)) ** 2)) / dfn  # eq. D-23
            f_stat = sl2 / se2
            f_crit = float(stats.f.ppf(0.95, dfn, dfd))
            rejection = float(stats.f.cdf(f_stat, dfn, dfd))
            interval = float(np.round(interval))
        else:
            f_stat, f_crit, rejection = math.inf, 0.0, 1.0
        fits.append(ModelFit(model, theta, interval, f_stat, f_crit, rejection, f_stat < f_crit, t_r))
    counts = _groups(np.array([f.interval if f.interval is not None else 0.0 for f in fits], dtype=float))
    for fit, count in zip(fits, counts, strict=True):
        fit.group = int(count)
        fit.merit = fit.group / max(fit.rejection, 1e-12) * fit.t_r**0.25 if fit.interval is not None else 0.0
    fits.sort(key=lambda f: f.merit, reverse=True)
    result = S2Result(bins, rt, fits, conf)
    best = result.best
    if best.interval:
        z = float(stats.norm.ppf(0.5 + conf / 2))
        top = max(float(bins.t.max()), 2.0 * best.interval)

        def band(sign: float) -> Callable[[np.ndarray], np.ndarray]:
            return lambda tau: best.reliability(tau) - sign * z * np.sqrt(np.maximum(_reliability_variance(best, bins, tau), 0.0))

        low = _crossing(band(1.0), rt, top)
        high = _crossing(band(-1.0), rt, top)
        result.limits = (low if low is not None else 0.0, high if high is not None else math.inf)
    else:
        result.notes.append("no reliability model reaches the target within the observed intervals")
    return result
