"""Benchmark of jiliang.core.prepack (issue 9): judge 10^5 inspection samples of n = 125
units each (batch size > 3200, JJF 1070-2005) in one vectorised call, against a per-sample
Python loop over the same samples in the same run. Targets: ≤ 1 s and ≥ 20×.

    python benchmarks/bench_prepack.py [--quick] [--samples N]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jiliang.core.prepack import judge_batch, sampling_plan, tolerable_shortfall  # noqa: E402


def make_samples(samples: int, n: int, seed: int = 2035) -> np.ndarray:
    """Net contents of 500 g packs: most lines fill well, some fill short."""
    rng = np.random.default_rng(seed)
    offset = rng.normal(1.0, 2.5, size=(samples, 1))  # each line's own fill level
    return 500.0 + offset + rng.normal(0.0, 5.0, size=(samples, n))


def per_sample_loop(values: np.ndarray, nominal: float, T: float, plan) -> np.ndarray:
    verdicts = np.empty(values.shape[0], dtype=bool)
    for i in range(values.shape[0]):
        verdicts[i] = judge_batch(values[i : i + 1], nominal, T, plan).passed[0]
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^4 samples instead of 10^5")
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args()
    samples = args.samples or (10_000 if args.quick else 100_000)

    plan = sampling_plan(10_000)  # > 3200: n = 125, λ = 0.234
    tol = tolerable_shortfall(500, "g")
    values = make_samples(samples, plan.n)
    print(f"prepack judgement, {plan.edition}: {samples:,} samples × n = {plan.n} (Qn 500 g, T = {tol.T:g} g)")
    print(f"  input array: {values.nbytes / 2**20:.0f} MiB")

    judge_batch(values[:100], tol.nominal, tol.T, plan)  # warm-up
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        batch = judge_batch(values, tol.nominal, tol.T, plan)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    judge_batch(values, tol.nominal, tol.T, plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    start = time.perf_counter()
    looped = per_sample_loop(values, tol.nominal, tol.T, plan)
    loop_time = time.perf_counter() - start

    if not np.array_equal(looped, batch.passed):
        print("ERROR: vectorised and per-sample verdicts differ")
        return 1
    failed = int((~batch.passed).sum())
    print(f"  verdicts agree; {failed:,} of {samples:,} samples fail ({failed / samples:.1%})")
    print(f"  vectorised     {best:8.3f} s   (best of 3; peak extra memory {peak / 2**20:.0f} MiB)")
    print(f"  per-sample loop{loop_time:8.3f} s")
    speedup = loop_time / best
    print(f"  speed-up       {speedup:8.1f} ×")
    time_ok = best <= 1.0
    ratio_ok = speedup >= 20
    print(f"  target ≤ 1 s: {'met' if time_ok else 'NOT met'}; target ≥ 20×: {'met' if ratio_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
