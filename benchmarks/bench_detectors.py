"""Detection quality of the supervision detectors (issue 11) on simulated traffic with
injected frauds: precision and recall per rule against the ground-truth labels, over
several seeds. Target for the rule-based detectors: recall ≥ 0.95 at precision ≥ 0.9.

The baseline in the same run is a random flagger that flags as many units as the
detector did: its precision is the fraud prevalence, so "lift" = precision / prevalence.
Throughput is units judged per second by the vectorised rule.

    python benchmarks/bench_detectors.py [--quick] [--seeds N] [--scale F]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jiliang.core.detectors.simulate import SCENARIOS, precision_recall, scenario  # noqa: E402

TARGET_RECALL, TARGET_PRECISION = 0.95, 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 seed at the default size")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per rule (default 5, quick 1)")
    parser.add_argument(
        "--scale", type=float, default=None, help="units per seed as a multiple of the default (default 4, quick 1)"
    )
    args = parser.parse_args()
    seeds = args.seeds or (1 if args.quick else 5)
    scale = args.scale or (1.0 if args.quick else 4.0)
    print(f"detectors on simulated traffic: {seeds} seed(s) × {scale:g}× default size per rule")
    print(
        f"{'rule':36s} {'unit':15s} {'units':>8s} {'frauds':>7s} {'prec':>6s} {'recall':>6s} {'tp':>6s} {'fp':>5s} {'fn':>5s} {'lift':>7s} {'units/s':>10s}  target"
    )
    failed = []
    for rule in SCENARIOS:
        tp = fp = fn = units = frauds = 0
        elapsed = 0.0
        unit = ""
        for seed in range(seeds):
            case = scenario(rule, 1000 + seed, scale_factor=scale)
            unit = case.unit
            t0 = time.perf_counter()
            detection = case.run()
            elapsed += time.perf_counter() - t0
            _, _, a, b, c = precision_recall(detection.flags, case.labels)
            tp, fp, fn = tp + a, fp + b, fn + c
            units += case.labels.size
            frauds += int(case.labels.sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        prevalence = frauds / units if units else 0.0
        lift = precision / prevalence if prevalence else float("nan")
        ok = recall >= TARGET_RECALL and precision >= TARGET_PRECISION
        if not ok:
            failed.append(rule)
        print(
            f"{rule:36s} {unit:15s} {units:8d} {frauds:7d} {precision:6.3f} {recall:6.3f} {tp:6d} {fp:5d} {fn:5d} "
            f"{lift:6.1f}× {units / max(elapsed, 1e-9):10.3g}  {'met' if ok else 'MISSED'}"
        )
    print(
        f"rules meeting recall ≥ {TARGET_RECALL} at precision ≥ {TARGET_PRECISION}: {len(SCENARIOS) - len(failed)}/{len(SCENARIOS)}"
        + (f"; missed: {', '.join(failed)}" if failed else "")
    )
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
