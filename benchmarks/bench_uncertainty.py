"""Benchmark: Monte Carlo and GUM propagation (issue 20 "Honest benchmarks", targets 3 and 4).

    python benchmarks/bench_uncertainty.py          # 10^6 and 10^7 trials; GUM of 10, 50, 200 inputs
    python benchmarks/bench_uncertainty.py --quick  # 10^5 and 10^6 trials; suncal GUM only at 10 inputs

Every figure is min / median / max over repetitions, the project's and the baseline's
runs interleaved (one of each per round, so a change of load hits both); ratios are of
medians measured in the same run, printed with the 1-minute load average. Monte Carlo
is timed for Jiliang with its default threads and with one thread (suncal uses one),
against plain NumPy sampling of the same inputs and Sandia's ``suncal``; GUM propagation
against ``gtc`` (and ``suncal``), whose value, u and degrees of freedom must agree with
Jiliang's to 1e-12 relative. Peak memory is measured in a pass of its own, never inside a
timed one. Comparison packages: benchmarks/requirements-uncertainty.txt.
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import Timings, load_average, repeat, traced_peak  # noqa: E402
from jiliang.core.uncertainty import evaluate_document  # noqa: E402

# ---------------------------------------------------------------- models


def model_3() -> dict:
    return {
        "outputs": {"P": "V**2 / R * cos(phi)"},
        "inputs": {
            "V": {"value": 5.0, "u": 0.01},
            "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05},
            "phi": {"value": 0.3, "distribution": "triangular", "half_width": 0.01},
        },
    }


def model_20() -> dict:
    inputs = {}
    for i in range(20):
        kind = ("normal", "rectangular", "triangular")[i % 3]
        spec = {"value": 1.0 + 0.1 * i}
        spec.update({"u": 0.01} if kind == "normal" else {"distribution": kind, "half_width": 0.02})
        inputs[f"x{i}"] = spec
    first = " + ".join(f"x{i}" for i in range(10))
    second = " + ".join(f"x{i}" for i in range(10, 20))
    return {"outputs": {"y": f"({first}) * (1 + 0.001 * ({second})) / x0"}, "inputs": inputs}


def gum_model(n: int) -> dict:
    names = [f"x{i}" for i in range(n)]
    return {
        "outputs": {"y": " + ".join(f"{x}**2/(1 + {x})" for x in names)},
        "inputs": {x: {"value": 1.0, "u": 0.01, "dof": 10} for x in names},
    }


# ---------------------------------------------------------------- Monte Carlo runners


def run_jiliang(doc: dict, trials: int, threads: int | None = None) -> dict:
    return evaluate_document(doc, method="mc", trials=trials, seed=1, threads=threads)


def run_numpy(doc: dict, trials: int) -> None:
    """Plain NumPy: every input as one whole array, the model, mean, std, np.quantile."""
    rng = np.random.default_rng(1)
    env = {}
    for name, spec in doc["inputs"].items():
        kind = spec.get("distribution", "normal")
        if kind == "normal":
            env[name] = rng.normal(spec["value"], spec["u"], trials)
        elif kind == "rectangular":
            env[name] = rng.uniform(spec["value"] - spec["half_width"], spec["value"] + spec["half_width"], trials)
        else:
            env[name] = rng.triangular(
                spec["value"] - spec["half_width"], spec["value"], spec["value"] + spec["half_width"], trials
            )
    expr = next(iter(doc["outputs"].values()))
    y = eval(expr, {"cos": np.cos, "__builtins__": {}}, env)  # noqa: S307 - the benchmark's own fixed text
    y.mean(), y.std(ddof=1), np.quantile(y, [0.025, 0.975])


def run_suncal(doc: dict, trials: int) -> None:
    from suncal import Model

    name, expr = next(iter(doc["outputs"].items()))
    model = Model(f"{name} = {expr}")
    for var, spec in doc["inputs"].items():
        kind = spec.get("distribution", "normal")
        if kind == "normal":
            model.var(var).measure(spec["value"]).typeb(unc=spec["u"], dist="normal")
        else:
            model.var(var).measure(spec["value"]).typeb(
                a=spec["half_width"], dist="uniform" if kind == "rectangular" else "triangular"
            )
    result = model.monte_carlo(samples=trials)
    result.expand(conf=0.95)


def interleaved(runs: dict, repeats: int) -> dict[str, Timings]:
    """Time each of ``runs`` (label -> callable) ``repeats`` times, one of each per round."""
    timings = {label: Timings([], None) for label in runs}
    for _ in range(repeats):
        for label, fn in runs.items():
            once = repeat(fn, repeats=1)
            timings[label].seconds.extend(once.seconds)
            timings[label].result = once.result
    return timings


def ratio(baseline: Timings, ours: Timings) -> str:
    return f"{baseline.median / ours.median:6.2f}x"


def have(package: str) -> bool:
    try:
        __import__(package)
        return True
    except ImportError:
        return False


def available_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return math.inf


def bench_monte_carlo(sizes: list[int]) -> None:
    print("Monte Carlo (mean, u, 95 % probabilistically symmetric and shortest intervals, histogram)")
    print("  times in s as min / median / max; ratio = other median / Jiliang median (> 1: Jiliang faster)")
    suncal = have("suncal")
    if not suncal:
        print("  suncal skipped: not installed (pip install -r benchmarks/requirements-uncertainty.txt)")
    for label, doc in (("3-input nonlinear", model_3()), ("20-input", model_20())):
        for trials in sizes:
            repeats = 5 if trials <= 1_000_000 else 2
            run_jiliang(doc, min(trials, 100_000))  # warm up (compile, page in)
            runs = {
                "jiliang": lambda: run_jiliang(doc, trials),
                "jiliang-1": lambda: run_jiliang(doc, trials, threads=1),
                "numpy": lambda: run_numpy(doc, trials),
            }
            need = len(doc["inputs"]) * trials * 8 * 2.5 / 2**30
            if suncal and need < min(3.5, available_gib() / 2):
                runs["suncal"] = lambda: run_suncal(doc, trials)
            t = interleaved(runs, repeats)
            print(f"  {label}, M={trials:,d}, {repeats} repetitions, {load_average()}")
            print(f"    Jiliang (default threads) {t['jiliang'].spread()}")
            print(f"    Jiliang (1 thread)        {t['jiliang-1'].spread()}")
            print(
                f"    plain NumPy (1 thread)    {t['numpy'].spread()}   ratio {ratio(t['numpy'], t['jiliang'])} "
                f"(1 thread: {ratio(t['numpy'], t['jiliang-1'])})"
            )
            if "suncal" in t:
                one = t["suncal"].median / t["jiliang-1"].median
                print(
                    f"    suncal (1 thread)         {t['suncal'].spread()}   ratio {ratio(t['suncal'], t['jiliang'])} "
                    f"(1 thread: {one:.2f}x{', target >= 3x' if trials == 1_000_000 else ''})"
                )
            elif suncal:
                print(f"    suncal skipped: needs ~{need:.1f} GiB")
            print(flush=True)
    big = max(sizes)
    peak = traced_peak(run_jiliang, model_20(), big) / 2**30  # a pass of its own, untimed
    print(f"  peak memory (separate, untimed pass), Jiliang, 20-input model, M={big:,d}: {peak:.2f} GiB (target <= 2 GiB)")
    wall = repeat(run_jiliang, model_20(), big, repeats=3)
    print(f"  wall time, Jiliang, 20-input model, M={big:,d}: {wall.spread()} (target <= 5 s at 10^7), {load_average()}")


# ---------------------------------------------------------------- GUM runners


def gum_jiliang(n: int) -> tuple[float, float, float]:
    out = evaluate_document(gum_model(n), method="gum")["outputs"]["y"]
    return out["value"], out["u"], out["dof_unrounded"]


def gum_gtc(n: int) -> tuple[float, float, float]:
    """What a GTC user writes: one ureal per input with its dof, the model in plain
    arithmetic, then value, u and the Welch-Satterthwaite dof of the result."""
    from GTC import dof, uncertainty, ureal, value

    xs = [ureal(1.0, 0.01, df=10) for _ in range(n)]
    y = sum(x**2 / (1 + x) for x in xs)
    return value(y), uncertainty(y), dof(y)


def agreement(ours: tuple, theirs: tuple) -> float:
    """Largest relative difference of (value, u, dof)."""
    return max(abs(a - b) / max(abs(a), abs(b)) if a != b else 0.0 for a, b in zip(ours, theirs))


def gum_suncal(n: int) -> None:
    from suncal import Model

    names = [f"x{i}" for i in range(n)]
    model = Model("y = " + " + ".join(f"{x}**2/(1 + {x})" for x in names))
    for x in names:
        model.var(x).measure(1.0).typeb(unc=0.01, degf=10)
    model.calculate_gum()


def _suncal_child(n: int, queue) -> None:
    start = time.perf_counter()
    gum_suncal(n)
    queue.put(time.perf_counter() - start)


def suncal_with_timeout(n: int, timeout: float) -> float | None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_suncal_child, args=(n, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def bench_gum(sizes: list[int], suncal_sizes: list[int], timeout: float, repeats: int = 30) -> None:
    print("GUM propagation (document in: parse, validate, sensitivities, u_c, nu_eff, k, U, budget out)")
    print("  times in ms as min / median / max; ratio = other median / Jiliang median (> 1: Jiliang faster)")
    gtc, suncal = have("GTC"), have("suncal")
    if not gtc:
        print("  gtc skipped: not installed")
    if not suncal:
        print("  suncal skipped: not installed")
    for n in sizes:
        gum_jiliang(n)
        runs = {"jiliang": lambda: gum_jiliang(n)}
        if gtc:
            gum_gtc(n)
            runs["gtc"] = lambda: gum_gtc(n)
        t = interleaved(runs, repeats)
        print(f"  {n} inputs, {repeats} repetitions, {load_average()}")
        print(f"    Jiliang {t['jiliang'].spread('ms', 1e3)}")
        if gtc:
            target = "target >= 2x" if n >= 200 else "target >= 1x"
            differs = agreement(t["jiliang"].result, t["gtc"].result)
            print(
                f"    gtc     {t['gtc'].spread('ms', 1e3)}   ratio {ratio(t['gtc'], t['jiliang'])} ({target}); "
                f"value, u, dof agree to {differs:.1e} relative ({'ok' if differs <= 1e-12 else 'FAIL: > 1e-12'})"
            )
        if suncal and n in suncal_sizes:
            t_suncal = suncal_with_timeout(n, timeout)
            print(
                f"    suncal  {t_suncal * 1e3:.1f} ms (one run)   ratio {t_suncal / t['jiliang'].median:8.1f}x"
                if t_suncal is not None
                else f"    suncal  > {timeout:.0f} s (stopped)"
            )
        elif suncal:
            print("    suncal  skipped (its symbolic path takes minutes" + ("; run without --quick)" if n <= 50 else ")"))
        print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    args = parser.parse_args()
    # Load the baselines (suncal brings SymPy and Matplotlib: ~170 000 objects), then move
    # everything loaded so far out of the collector's reach, as a long-running server does:
    # otherwise a full collection walks those objects at random points of either side's runs.
    have("suncal"), have("GTC")
    gc.collect()
    gc.freeze()
    print(
        f"bench_uncertainty  cores={os.cpu_count()}  numpy={np.__version__}  mode={'quick' if args.quick else 'full'}  "
        f"{load_average()}"
    )
    if args.quick:
        bench_monte_carlo([100_000, 1_000_000])
        bench_gum([10, 50, 200], [10], timeout=60)
    else:
        bench_monte_carlo([1_000_000, 10_000_000])
        bench_gum([10, 50, 200], [10, 50], timeout=240)


if __name__ == "__main__":
    main()
