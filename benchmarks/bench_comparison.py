"""Benchmark of jiliang.core.comparison (issue 5).

1. A proficiency-testing round with 10^5 participants: ISO 13528 Algorithm A, then
   d, U(d), En, z, zeta and verdicts for everyone. Target ≤ 1 s.
2. Cox 2002 procedure B for 50 participants with 10^6 Monte Carlo trials. Target ≤ 10 s.

Each is compared, in the same run, with a naive baseline (pure Python loops for the round;
a per-trial loop for procedure B, timed on fewer trials and scaled per trial). Peak
memory is the tracemalloc peak of the step (NumPy allocations included).

    python benchmarks/bench_comparison.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jiliang.core.comparison import make_results  # noqa: E402
from jiliang.core.comparison.document import evaluate  # noqa: E402
from jiliang.core.comparison.reference import procedure_b  # noqa: E402


def measure(fn, *args, **kwargs):
    tracemalloc.start()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    args = parser.parse_args(argv)
    n_round = 10_000 if args.quick else 100_000
    trials = 100_000 if args.quick else 1_000_000
    naive_trials = 2_000 if args.quick else 20_000

    print(f"PT round: {n_round} participants, Algorithm A + d, U(d), En, z, zeta, verdicts")
    labs, values, u = pt_round(n_round)
    (x_star, s_star, z_verdicts, _), t_fast, peak_fast = measure(vectorised_round, labs, values, u)
    (x_naive, s_naive, _), t_naive, _ = measure(naive_round, values, u)
    assert abs(x_star - x_naive) < 1e-9 * abs(x_star) and abs(s_star - s_naive) < 1e-9 * s_star
    counts = {k: int((z_verdicts == k).sum()) for k in ("satisfactory", "questionable", "unsatisfactory")}
    print(f"  x* = {x_star:.6f}, s* = {s_star:.6f}; z verdicts {counts}")
    print(
        f"  jiliang   {t_fast:8.3f} s   peak memory {peak_fast / 2**20:7.1f} MiB   (target ≤ 1 s: {'met' if t_fast <= 1 else 'MISSED'})"
    )
    print(f"  naive     {t_naive:8.3f} s   (pure Python loops)")
    print(f"  speed-up  {t_naive / t_fast:8.1f} ×")

    print(f"\nProcedure B: 50 participants, {trials} Monte Carlo trials")
    rng = np.random.default_rng(7)
    x50 = rng.normal(10.0, 0.05, 50)
    u50 = rng.uniform(0.02, 0.08, 50)
    dof50 = np.where(rng.random(50) < 0.2, rng.integers(4, 30, 50), np.inf)
    result, t_b, peak_b = measure(procedure_b, x50, u50, dof50, trials=trials, seed=1)
    _, t_b_naive, _ = measure(naive_procedure_b, x50, u50, naive_trials, 1)
    naive_scaled = t_b_naive * trials / naive_trials
    print(f"  x_ref = {result.value:.6f}, u = {result.u:.6f}, 95 % interval [{result.interval[0]:.6f}, {result.interval[1]:.6f}]")
    print(
        f"  jiliang   {t_b:8.3f} s   peak memory {peak_b / 2**20:7.1f} MiB   (target ≤ 10 s: {'met' if t_b <= 10 else 'MISSED'})"
    )
    print(f"  naive     {naive_scaled:8.3f} s   (per-trial loop, timed on {naive_trials} trials and scaled)")
    print(f"  speed-up  {naive_scaled / t_b:8.1f} ×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
