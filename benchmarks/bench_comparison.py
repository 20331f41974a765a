"""Benchmark of jiliang.core.comparison (issue 5).

1. A proficiency-testing round with 10^5 participants: ISO 13528 Algorithm A, then
   d, U(d), En, z, zeta and verdicts for everyone. Target ≤ 1 s.
2. Cox 2002 procedure B for 50 participants with 10^6 Monte Carlo trials. Target ≤ 10 s.

Each is compared, in the same run, with a naive baseline (pure Python loops for the round;
a per-trial loop for procedure B, timed on fewer trials and scaled per trial). Both sides
are timed with tracing off, over repetitions (min / median / max; ratios of medians); peak
memory (tracemalloc, NumPy allocations included) is measured in a separate untimed pass.

    python benchmarks/bench_comparison.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _timing import load_average, repeat, traced_peak  # noqa: E402  (the benchmarks folder is on a script's path)
from jiliang.core.comparison import make_results  # noqa: E402
from jiliang.core.comparison.document import evaluate  # noqa: E402
from jiliang.core.comparison.reference import procedure_b  # noqa: E402


def pt_round(n: int, seed: int = 2035):
    rng = np.random.default_rng(seed)
    values = rng.normal(100.0, 1.0, n)
    outliers = rng.random(n) < 0.02
    values[outliers] += rng.normal(0.0, 20.0, outliers.sum())
    u = rng.uniform(0.2, 1.5, n)
    labs = [f"L{i:06d}" for i in range(n)]
    return labs, values, u


def vectorised_round(labs, values, u):
    results = make_results(labs, values, u)
    ev = evaluate(results, "algorithm-a")
    return ev.reference.value, ev.reference.s, ev.z_verdicts, ev.en_verdicts


def naive_round(values, u):
    """Algorithm A and scores with Python lists, one participant at a time."""
    x = list(map(float, values))
    us = list(map(float, u))
    mean = statistics.median(x)
    sd = 1.483 * statistics.median([abs(v - mean) for v in x])
    for _ in range(1000):
        delta = 1.5 * sd
        w = [min(max(v, mean - delta), mean + delta) for v in x]
        new_mean = sum(w) / len(w)
        new_sd = 1.134 * math.sqrt(sum((v - new_mean) ** 2 for v in w) / (len(w) - 1))
        done = abs(new_mean - mean) <= 1e-12 * new_sd and abs(new_sd - sd) <= 1e-12 * new_sd
        mean, sd = new_mean, new_sd
        if done:
            break
    u_ref = 1.25 * sd / math.sqrt(len(x))
    verdicts = []
    for v, ui in zip(x, us):
        d = v - mean
        u_d = math.sqrt(ui * ui + u_ref * u_ref)
        z = d / sd
        en = d / (2 * u_d)
        _zeta = d / u_d
        verdicts.append(("satisfactory" if abs(z) <= 2 else "questionable" if abs(z) < 3 else "unsatisfactory", abs(en) <= 1))
    return mean, sd, verdicts


def naive_procedure_b(values, u, trials, seed):
    rng = np.random.default_rng(seed)
    medians = []
    for _ in range(trials):
        medians.append(float(np.median(values + u * rng.standard_normal(values.size))))
    return float(np.std(medians, ddof=1))


def numpy_procedure_b(values, u, trials, seed, chunk=50_000):
    """What a NumPy user writes: the trials' medians in chunks of whole rows, then their
    standard deviation and 95 % interval (no per-participant degrees of equivalence, so it
    does less than procedure B)."""
    rng = np.random.default_rng(seed)
    medians = np.concatenate(
        [
            np.median(values + u * rng.standard_normal((min(chunk, trials - done), values.size)), axis=1)
            for done in range(0, trials, chunk)
        ]
    )
    return float(medians.std(ddof=1)), np.quantile(medians, [0.025, 0.975])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n_round = 10_000 if args.quick else 100_000
    trials = 100_000 if args.quick else 1_000_000
    naive_trials = 2_000 if args.quick else 20_000

    print(f"{load_average()}; repetitions: {args.repeats}")
    print(f"PT round: {n_round} participants, Algorithm A + d, U(d), En, z, zeta, verdicts")
    labs, values, u = pt_round(n_round)
    fast = repeat(vectorised_round, labs, values, u, repeats=args.repeats)
    naive = repeat(naive_round, values, u, repeats=args.repeats)
    peak_fast = traced_peak(vectorised_round, labs, values, u)
    (x_star, s_star, z_verdicts, _), (x_naive, s_naive, _) = fast.result, naive.result
    assert abs(x_star - x_naive) < 1e-9 * abs(x_star) and abs(s_star - s_naive) < 1e-9 * s_star
    counts = {k: int((z_verdicts == k).sum()) for k in ("satisfactory", "questionable", "unsatisfactory")}
    print(f"  x* = {x_star:.6f}, s* = {s_star:.6f}; z verdicts {counts}")
    print(
        f"  jiliang   {fast.spread()}   peak memory {peak_fast / 2**20:7.1f} MiB (separate pass)   "
        f"(target ≤ 1 s: {'met' if fast.median <= 1 else 'MISSED'})"
    )
    print(f"  naive     {naive.spread()}   (pure Python loops)")
    print(f"  speed-up  {naive.median / fast.median:8.1f} × (medians)")

    print(f"\nProcedure B: 50 participants, {trials} Monte Carlo trials")
    rng = np.random.default_rng(7)
    x50 = rng.normal(10.0, 0.05, 50)
    u50 = rng.uniform(0.02, 0.08, 50)
    dof50 = np.where(rng.random(50) < 0.2, rng.integers(4, 30, 50), np.inf)
    fast_b = repeat(procedure_b, x50, u50, dof50, trials=trials, seed=1, repeats=args.repeats)
    naive_b = repeat(naive_procedure_b, x50, u50, naive_trials, 1, repeats=args.repeats)
    numpy_b = repeat(numpy_procedure_b, x50, u50, trials, 1, repeats=args.repeats)
    peak_b = traced_peak(procedure_b, x50, u50, dof50, trials=trials, seed=1)
    scale = trials / naive_trials
    result = fast_b.result
    print(f"  x_ref = {result.value:.6f}, u = {result.u:.6f}, 95 % interval [{result.interval[0]:.6f}, {result.interval[1]:.6f}]")
    print(
        f"  jiliang   {fast_b.spread()}   peak memory {peak_b / 2**20:7.1f} MiB (separate pass)   "
        f"(target ≤ 10 s: {'met' if fast_b.median <= 10 else 'MISSED'})"
    )
    print(f"  naive     {naive_b.spread(scale=scale)}   (per-trial loop, timed on {naive_trials} trials and scaled)")
    print(f"  speed-up  {naive_b.median * scale / fast_b.median:8.1f} × (medians)")
    print(f"  NumPy     {numpy_b.spread()}   (chunked medians, normal draws only: less work than procedure B)")
    print(f"  ratio     {numpy_b.median / fast_b.median:8.2f} × (medians; the best a NumPy user writes)")
    print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
