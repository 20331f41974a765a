"""Benchmark of jiliang.core.energy_quality (issue 22): the data-quality checks (gaps, frozen
registers, jumps, and the balance of each meter against its sub-meters) over one month of
15-minute readings from 10^5 meters (31 × 96 = 2 976 readings each, about 3×10^8), against a
per-meter Python loop over a sample of the same meters, measured in the same run.
Target: ≤ 60 s on 2 cores.

The readings are generated in chunks of meters (the month of 10^5 meters would be 2.4 GB of
float64), each chunk checked while it is in memory; the timed figure is the checks alone,
the chunks' generation left out. Two threads check two chunks at once (NumPy releases the
GIL in its loops).

    python benchmarks/bench_energy.py [--quick] [--meters N] [--threads T]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jiliang.core import energy_quality as eq  # noqa: E402

SLOTS = 31 * 96
CHUNK = 2_000
CHILDREN = 9  # each tenth meter is the parent of the next nine


def make_chunk(start: int, meters: int, seed: int = 2035) -> np.ndarray:
    """Registers of ``meters`` meters from meter ``start``: each its own load, with 0.2 % missing
    readings, every 300th meter silent for two hours, every 500th frozen for a day, every
    700th with a jump."""
    rng = np.random.default_rng((seed, start))
    load = rng.uniform(0.5, 50.0, size=(meters, 1))
    inc = load * rng.uniform(0.6, 1.4, size=(meters, SLOTS - 1))
    ids = np.arange(start, start + meters)
    frozen = np.flatnonzero(ids % 500 == 0)
    inc[frozen, 1000:1100] = 0.0
    jumped = np.flatnonzero(ids % 700 == 0)
    inc[jumped, 2000] *= 100.0
    register = np.empty((meters, SLOTS))
    register[:, 0] = rng.uniform(0, 1e6, size=meters)
    np.cumsum(inc, axis=1, out=register[:, 1:])
    register[:, 1:] += register[:, :1]
    register[rng.random(register.shape) < 0.002] = np.nan
    register[np.flatnonzero(ids % 300 == 0), 500:508] = np.nan  # two hours lost
    return register


def check_chunk(register: np.ndarray) -> tuple[int, int, int, int]:
    month = eq.check_month(register)
    parents = np.arange(0, register.shape[0], CHILDREN + 1)
    is_child = np.ones(register.shape[0], bool)
    is_child[parents] = False
    children = np.flatnonzero(is_child)
    energy = np.nan_to_num(month.energy)
    parent_energy = energy[children].reshape(-1, CHILDREN).sum(axis=1)[: parents.size] * 1.01  # 1 % losses
    parent_energy[::50] *= 1.2  # every 50th parent feeds an unmetered branch
    bal = eq.balance(
        parent_energy,
        np.full(parents.size, 1.0),
        energy[children],
        np.full(children.size, 2.0),
        np.minimum(np.arange(children.size) // CHILDREN, parents.size - 1),
    )
    return month.gap.count, month.stuck.count, month.jump.count, bal.count


def per_meter_loop(register: np.ndarray) -> tuple[int, int, int]:
    """What a competent per-meter script does: the same checks, one meter's row at a time."""
    found = [0, 0, 0]
    for i in range(register.shape[0]):
        month = eq.check_month(register[i : i + 1])
        for k, d in enumerate(month.detections):
            found[k] += d.count
    return tuple(found)


def timed_pass(meters: int, threads: int) -> tuple[float, tuple[int, ...]]:
    """Check every chunk; returns the seconds spent checking (generation excluded) and counts."""
    starts = list(range(0, meters, CHUNK))
    totals = np.zeros(4, dtype=np.int64)
    spent = 0.0

    def work(start: int):
        register = make_chunk(start, min(CHUNK, meters - start))
        t0 = time.perf_counter()
        counts = check_chunk(register)
        return time.perf_counter() - t0, counts

    with ThreadPoolExecutor(threads) as pool:
        wall0 = time.perf_counter()
        for seconds, counts in pool.map(work, starts):
            spent += seconds
            totals += counts
        wall = time.perf_counter() - wall0
    # With threads the check calls overlap: their summed seconds over the number of threads
    # is the wall time the checks take, the chunks' generation left out.
    return spent, wall, tuple(int(x) for x in totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^4 meters instead of 10^5")
    parser.add_argument("--meters", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=300, help="meters in the per-meter loop's sample")
    args = parser.parse_args()
    meters = args.meters or (10_000 if args.quick else 100_000)
    print(f"energy data quality: {meters:,} meters × {SLOTS} readings = {meters * SLOTS:,} readings, chunks of {CHUNK}")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    check_chunk(make_chunk(0, 100))  # warm-up
    sample = make_chunk(0, args.sample)
    vector_sample, loop_sample = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        check_chunk(sample)
        vector_sample.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        per_meter_loop(sample)
        loop_sample.append(time.perf_counter() - t0)

    def stats(xs):
        return f"min {min(xs):.3f} s, median {statistics.median(xs):.3f} s, max {max(xs):.3f} s"

    print(f"  sample of {args.sample} meters, {args.repeats} repetitions each:")
    print(f"    arrays:         {stats(vector_sample)}")
    print(f"    per-meter loop: {stats(loop_sample)}")
    ratio = statistics.median(loop_sample) / statistics.median(vector_sample)
    print(f"    ratio of medians (loop / arrays): {ratio:.1f}×")
    per_meter = statistics.median(loop_sample) / args.sample
    print(f"    per-meter loop extrapolated to {meters:,} meters: {per_meter * meters:.0f} s")

    walls, checks = [], []
    counts = None
    for _ in range(args.repeats):
        spent, wall, counts = timed_pass(meters, args.threads)
        checks.append(spent)
        walls.append(wall)
    print(f"  full month, {args.threads} threads, {args.repeats} repetitions:")
    print(f"    checks (seconds inside the check calls, summed over threads): {stats(checks)}")
    print(f"    wall time including generating the readings:                  {stats(walls)}")
    print(f"    checks per core on {args.threads} threads ≈ {statistics.median(checks) / args.threads:.1f} s (target ≤ 60 s)")
    print(f"    findings: gaps {counts[0]}, frozen {counts[1]}, jumps {counts[2]}, unbalanced parents {counts[3]}")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    tracemalloc.start()
    check_chunk(make_chunk(0, CHUNK))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  memory (separate pass, one chunk generated and checked): peak {peak / 2**20:.0f} MiB traced")
    return 0


if __name__ == "__main__":
    sys.exit(main())
