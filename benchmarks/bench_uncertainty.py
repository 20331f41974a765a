"""Benchmark: Monte Carlo and GUM propagation (issue 4 "Bars").

    python benchmarks/bench_uncertainty.py          # 10^6 and 10^7 trials; GUM of 10, 50, 200 inputs
    python benchmarks/bench_uncertainty.py --quick  # 10^5 and 10^6 trials; suncal GUM only at 10 inputs

Prints trials per second (95 % coverage intervals included) for Jiliang, for plain NumPy
sampling of the same inputs (the raw limit: whole arrays, ``np.quantile``) and for
Sandia's ``suncal``; and GUM propagation times against ``suncal`` and ``gtc``. Ratios are
against baselines measured in the same run. Comparison packages are optional
(benchmarks/requirements-uncertainty.txt).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

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


def run_jiliang(doc: dict, trials: int) -> None:
    evaluate_document(doc, method="mc", trials=trials, seed=1)


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


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def have(package: str) -> bool:
    try:
        __import__(package)
        return True
    except ImportError:
        return False


def peak_memory_jiliang(doc: dict, trials: int) -> float:
    tracemalloc.start()
    run_jiliang(doc, trials)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**30


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
    print("Monte Carlo (95 % coverage intervals included); rate = trials/s; ratio = Jiliang rate / other rate")
    suncal = have("suncal")
    if not suncal:
        print("  skipped: suncal not installed (pip install -r benchmarks/requirements-uncertainty.txt)")
    for label, doc in (("3-input nonlinear", model_3()), ("20-input", model_20())):
        for trials in sizes:
            repeat = 3 if trials <= 1_000_000 else 1
            run_jiliang(doc, min(trials, 100_000))  # warm up (compile, page in)
            t_ours = best_time(lambda: run_jiliang(doc, trials), repeat)
            t_numpy = best_time(lambda: run_numpy(doc, trials), repeat)
            line = (
                f"  {label:18s} M={trials:>9,d}: Jiliang {t_ours:7.3f} s ({trials / t_ours:12,.0f}/s) | "
                f"NumPy {t_numpy:7.3f} s  ratio {t_numpy / t_ours:5.2f}x"
            )
            need = len(doc["inputs"]) * trials * 8 * 2.5 / 2**30
            if suncal and need < min(3.5, available_gib() / 2):
                t_suncal = best_time(lambda: run_suncal(doc, trials), repeat)
                line += f" | suncal {t_suncal:7.3f} s  ratio {t_suncal / t_ours:5.2f}x"
            elif suncal:
                line += f" | suncal skipped: needs ~{need:.1f} GiB"
            print(line, flush=True)
    big = max(sizes)
    peak = peak_memory_jiliang(model_20(), big)
    print(f"  peak memory, Jiliang, 20-input model, M={big:,d}: {peak:.2f} GiB (target <= 2 GiB)")
    start = time.perf_counter()
    run_jiliang(model_20(), big)
    print(f"  wall time, Jiliang, 20-input model, M={big:,d}: {time.perf_counter() - start:.2f} s (target <= 5 s at 10^7)")


# ---------------------------------------------------------------- GUM runners


def gum_jiliang(n: int) -> None:
    evaluate_document(gum_model(n), method="gum")


def gum_gtc(n: int) -> None:
    from GTC import dof, uncertainty, ureal, value

    xs = [ureal(1.0, 0.01, df=10) for _ in range(n)]
    y = sum(x**2 / (1 + x) for x in xs)
    value(y), uncertainty(y), dof(y)


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


def bench_gum(sizes: list[int], suncal_sizes: list[int], timeout: float) -> None:
    print("GUM propagation (parse, exact derivatives, u_c, nu_eff, k, U); ratio = other time / Jiliang time")
    gtc, suncal = have("GTC"), have("suncal")
    if not gtc:
        print("  skipped: gtc not installed")
    if not suncal:
        print("  skipped: suncal not installed")
    for n in sizes:
        gum_jiliang(n)
        t_ours = best_time(lambda: gum_jiliang(n), 20)
        line = f"  {n:4d} inputs: Jiliang {t_ours * 1e3:8.3f} ms" + ("  (target <= 5 ms)" if n == 50 else "")
        if gtc:
            gum_gtc(n)
            t_gtc = best_time(lambda: gum_gtc(n), 20)
            line += f" | gtc {t_gtc * 1e3:8.3f} ms  ratio {t_gtc / t_ours:6.2f}x"
        if suncal and n in suncal_sizes:
            t_suncal = suncal_with_timeout(n, timeout)
            line += (
                f" | suncal {t_suncal * 1e3:10.1f} ms  ratio {t_suncal / t_ours:8.1f}x"
                if t_suncal is not None
                else f" | suncal > {timeout:.0f} s (stopped)"
            )
        elif suncal:
            line += " | suncal skipped (symbolic path takes minutes" + (
                "; run without --quick)" if n <= 50 else "; not run at 200 inputs)"
            )
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    args = parser.parse_args()
    print(f"bench_uncertainty  cores={os.cpu_count()}  numpy={np.__version__}  mode={'quick' if args.quick else 'full'}")
    if args.quick:
        bench_monte_carlo([100_000, 1_000_000])
        bench_gum([10, 50, 200], [10], timeout=60)
    else:
        bench_monte_carlo([1_000_000, 10_000_000])
        bench_gum([10, 50, 200], [10, 50], timeout=240)


if __name__ == "__main__":
    main()
