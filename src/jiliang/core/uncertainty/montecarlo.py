"""Propagation of distributions by Monte Carlo (JCGM 101:2008, GUM-S1).

Inputs are sampled in chunks that fit the CPU cache, each chunk from its own
generator spawned from one SeedSequence, so results are reproducible for a seed
whatever the number of threads. The model is compiled once into vectorised NumPy
code. Coverage intervals use selection (``np.partition``) and sort only the two 1−p
tails, never the whole sample.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import expression as ex
from .errors import ModelError
from .limits import MAX_SAMPLE_VALUES
from .model import Model

CHUNK = 1 << 16
DEFAULT_TRIALS = 1_000_000
MAX_ADAPTIVE_TRIALS = 50_000_000
HISTOGRAM_SAMPLE = 250_000  # plenty for 100 bins


@dataclass
class McOutput:
    name: str
    value: float
    u: float
    interval: tuple[float, float]  # probabilistically symmetric (JCGM 101 7.7.2)
    shortest: tuple[float, float]  # shortest (JCGM 101 7.7.3)
    histogram: tuple[np.ndarray, np.ndarray]  # counts, edges


@dataclass
class McResult:
    outputs: dict[str, McOutput]
    trials: int
    seed: int
    coverage_probability: float
    converged: bool | None = None  # adaptive procedure only


class _Sampler:
    """Compiled model plus input samplers, run chunk by chunk."""

    def __init__(self, model: Model):
        self.model = model
        self.names = model.input_names
        self.output_names = [n for n, _ in model.outputs]
        constants = {k: ex.const(v) for k, v in model.constants.items()}
        steps = [(n, ex.substitute(node, constants)) for n, node in model.derived]
        steps += [("\0out_" + n, ex.substitute(node, constants)) for n, node in model.outputs]
        self.program = ex.compile_program(self.names, steps, ["\0out_" + n for n in self.output_names])
        flat = model.flattened()
        point = {n: d.value for n, d in model.inputs.items()}
        self.estimates = []
        self.failing = None  # the first output that cannot be evaluated at the estimates
        for name in self.output_names:
            try:
                value = float(ex.evaluate(flat[name], point))
            except (ValueError, TypeError, ArithmeticError):
                value = 0.0
                self.failing = self.failing or name
            self.estimates.append(value if math.isfinite(value) else 0.0)
        corr = model.correlation
        self.correlated: list[int] = []
        self.factor = None
        if corr is not None:
            off = np.abs(corr - np.eye(len(self.names))).sum(axis=1) > 0
            self.correlated = [i for i in np.flatnonzero(off)]
            sub = corr[np.ix_(self.correlated, self.correlated)]
            self.factor = _root(sub)

    def chunk(self, seed: np.random.SeedSequence, n: int) -> list[np.ndarray]:
        rng = np.random.Generator(np.random.SFC64(seed))
        arrays: list[np.ndarray | None] = [None] * len(self.names)
        if self.correlated:
            # JCGM 101 6.4.8: correlated inputs as a multivariate Gaussian
            z = rng.standard_normal((n, len(self.correlated))) @ self.factor.T
            for col, i in enumerate(self.correlated):
                dist = self.model.inputs[self.names[i]]
                arrays[i] = z[:, col] * dist.u + dist.value
        for i, name in enumerate(self.names):
            if arrays[i] is None:
                arrays[i] = self.model.inputs[name].sample(rng, n)
        try:
            with np.errstate(all="ignore"):
                results = self.program(*arrays)
        except ArithmeticError as exc:  # Python floats in the program (constant sub-expressions) raise
            where = f"outputs.{self.failing or self.output_names[0]}"
            raise ModelError(where, f"cannot be evaluated ({exc})", code="evaluation_overflow", detail=str(exc)) from None
        return [np.broadcast_to(np.asarray(r, dtype=float), (n,)) for r in results]


def _root(corr: np.ndarray) -> np.ndarray:
    """A factor L with L Lᵀ = corr (Cholesky, or eigen-decomposition if only semi-definite)."""
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(corr)
        return v * np.sqrt(np.clip(w, 0.0, None))


def _run(
    sampler: _Sampler, seeds: list, trials: int, threads: int, deadline: float | None = None
) -> tuple[list[np.ndarray], list[tuple]]:
    """Fill one array per output with ``trials`` values; also (n, mean, M2) per output.

    Moments are accumulated per chunk, while the chunk is in cache, as sums of
    deviations from the GUM estimate (a shift close to the mean, so no cancellation).
    """
    outs = [np.empty(trials) for _ in sampler.output_names]
    shifts = sampler.estimates
    n_chunks = len(seeds)
    sums = np.zeros((len(outs), n_chunks))
    squares = np.zeros((len(outs), n_chunks))

    def work(j: int) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ModelError(
                "trials", "the Monte Carlo run took longer than this service allows; ask for fewer trials", code="time_limit"
            )
        start = j * CHUNK
        n = min(CHUNK, trials - start)
        for k, values in enumerate(sampler.chunk(seeds[j], n)):
            target = outs[k][start : start + n]
            np.subtract(values, shifts[k], out=target)
            sums[k, j] = target.sum()
            squares[k, j] = np.einsum("i,i->", target, target)  # one pass, no BLAS threads
            target += shifts[k]

    if threads > 1 and n_chunks > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(n_chunks)))
    else:
        for j in range(n_chunks):
            work(j)
    moments = []
    for k in range(len(outs)):
        total, squared = float(sums[k].sum()), float(squares[k].sum())
        mean_shift = total / trials
        moments.append((trials, shifts[k] + mean_shift, max(squared - trials * mean_shift**2, 0.0)))
    return outs, moments


def coverage_intervals(values: np.ndarray, p: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Probabilistically symmetric and shortest 100p % intervals (JCGM 101 7.7).

    Reorders ``values`` in place (selection, then a sort of the two tails only).
    """
    m = values.size
    q = int(p * m) if float(p * m).is_integer() else int(math.floor(p * m + 0.5))
    tail = m - q  # number of candidate left ends
    if tail < 1:
        raise ModelError(
            "trials", f"too few trials ({m}) for a {p:.0%} coverage interval", code="too_few_trials", m=m, p=f"{p:.0%}"
        )
    if tail - 1 < q:
        # two single-k selections are much cheaper than one with two k's
        values.partition(tail - 1)
        values[tail:].partition(q - tail)
        values[:tail].sort()
        values[q:].sort()
    else:
        values.sort()
    r = tail // 2 if tail % 2 == 0 else (tail + 1) // 2  # 1-based, 7.7.2
    symmetric = (float(values[r - 1]), float(values[r + q - 1]))
    widths = values[q : q + tail] - values[:tail]
    best = int(np.argmin(widths))
    shortest = (float(values[best]), float(values[best + q]))
    return symmetric, shortest


def _histogram(values: np.ndarray, mean: float, u: float, bins: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of (the first 250 000 of) the trials over mean ± 5u, clipped to the data."""
    sample = values[:HISTOGRAM_SAMPLE]
    lo, hi = float(sample.min()), float(sample.max())
    if u > 0:
        lo, hi = max(lo, mean - 5.0 * u), min(hi, mean + 5.0 * u)
    if not hi > lo:
        hi = lo + (abs(lo) * 1e-9 or 1e-12)
    return np.histogram(sample, bins=bins, range=(lo, hi))


def _summarise(name: str, values: np.ndarray, moments: tuple, p: float) -> McOutput:
    n, mean, m2 = moments
    if not np.isfinite(mean):
        raise ModelError(
            f"outputs.{name}",
            "the Monte Carlo samples include non-finite values (division by zero or a function outside its domain)",
            code="mc_non_finite",
        )
    u = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
    hist = _histogram(values, mean, u)  # before the in-place reordering below
    symmetric, shortest = coverage_intervals(values, p)
    return McOutput(name, mean, u, symmetric, shortest, hist)


def simulate(
    model: Model,
    trials: int | None = None,
    seed: int | None = None,
    adaptive: bool | None = None,
    threads: int | None = None,
    deadline: float | None = None,
) -> McResult:
    """Run the Monte Carlo method for every output of ``model``.

    ``trials`` fixes the number of trials (default 10⁶); ``adaptive`` runs the JCGM 101
    7.9 procedure instead, stopping at the numerical tolerance of ``validation_digits``
    significant digits of u.
    """
    adaptive = model.options.adaptive if adaptive is None else adaptive
    if trials is not None and (not isinstance(trials, (int, np.integer)) or isinstance(trials, bool) or trials < 2):
        raise ModelError("trials", f"must be an integer >= 2, got {trials!r}", code="integer_at_least", minimum=2, got=trials)
    if trials is not None and trials * len(model.outputs) > MAX_SAMPLE_VALUES:
        limit = MAX_SAMPLE_VALUES // len(model.outputs)
        raise ModelError(
            "trials",
            f"{trials} trials of {len(model.outputs)} output(s) need "
            f"{trials * len(model.outputs) * 8 / 1e9:.3g} GB of memory; at most {limit} trials",
            code="too_many_trials",
            trials=trials,
            limit=limit,
        )
    seq = np.random.SeedSequence(seed)
    sampler = _Sampler(model)
    p = model.coverage_probability
    if adaptive and trials is None:
        return _adaptive(model, sampler, seq, p, threads or 1, deadline)
    trials = int(trials or DEFAULT_TRIALS)
    # The RNG and ufuncs release the GIL, so chunks run on every core; measured on 2 cores,
    # a second thread pays for its start-up from about 5·10^5 trials (10^6: 1.3–1.5x faster).
    threads = threads or (min(os.cpu_count() or 1, 4) if trials >= 500_000 else 1)
    seeds = seq.spawn(-(-trials // CHUNK))
    outs, moments = _run(sampler, seeds, trials, threads, deadline)
    results = {name: _summarise(name, outs[k], moments[k], p) for k, name in enumerate(sampler.output_names)}
    return McResult(results, trials, int(seq.entropy), p)


def _tolerance(u: float, digits: int) -> float:
    """δ = ½·10^l where u = c·10^l with c a ``digits``-digit integer (JCGM 101 7.9.2)."""
    if u <= 0.0 or not math.isfinite(u):
        return 0.0
    exponent = math.floor(math.log10(u)) - (digits - 1)
    return 0.5 * 10.0**exponent


def _adaptive(model: Model, sampler: _Sampler, seq, p: float, threads: int, deadline: float | None = None) -> McResult:
    batch = max(int(math.ceil(100.0 / (1.0 - p))), 10_000)
    batch = -(-batch // CHUNK) * CHUNK if batch > CHUNK else batch
    digits = model.options.validation_digits
    per_batch: list[list[tuple]] = []
    stored: list[list[np.ndarray]] = []
    converged = False
    h = 0
    while h * batch < MAX_ADAPTIVE_TRIALS:
        seeds = seq.spawn(-(-batch // CHUNK))
        outs, moments = _run(sampler, seeds, batch, threads, deadline)
        stats = []
        for k in range(len(outs)):
            n, mean, m2 = moments[k]
            (lo, hi), _ = coverage_intervals(outs[k].copy(), p)
            stats.append((mean, math.sqrt(m2 / (n - 1)), lo, hi))
        per_batch.append(stats)
        stored.append(outs)
        h += 1
        if h < 2:
            continue
        ok = True
        for k in range(len(outs)):
            arr = np.array([b[k] for b in per_batch])  # h x 4
            s = arr.std(axis=0, ddof=1) / math.sqrt(h)
            delta = _tolerance(float(arr[:, 1].mean()), digits)
            ok &= bool(np.all(2.0 * s <= delta))
        if ok:
            converged = True
            break
    trials = h * batch
    results = {}
    for k, name in enumerate(sampler.output_names):
        values = np.concatenate([outs[k] for outs in stored])
        mean = float(values.mean())
        dev = values - mean
        np.square(dev, out=dev)
        results[name] = _summarise(name, values, (values.size, mean, float(dev.sum())), p)
    return McResult(results, trials, int(seq.entropy), p, converged)


def validate(gum_value: float, gum_u: float, gum_U: float, mc_interval: tuple[float, float], digits: int = 2) -> dict:
    """JCGM 101 §8: is the GUM interval validated by the Monte Carlo interval?"""
    delta = _tolerance(gum_u, digits)
    d_low = abs(gum_value - gum_U - mc_interval[0])
    d_high = abs(gum_value + gum_U - mc_interval[1])
    return {"delta": delta, "d_low": d_low, "d_high": d_high, "validated": bool(d_low <= delta and d_high <= delta)}
