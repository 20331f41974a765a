"""The plan indicators page's computation over a whole province on PostgreSQL, against a
per-region loop measured in the same run.

    python benchmarks/bench_indicators.py                          # 10^6 instruments
    python benchmarks/bench_indicators.py --instruments 10000000   # the issue's size (generation takes long)
    python benchmarks/bench_indicators.py --quick                  # 10^5
    python benchmarks/bench_indicators.py --keep / --reuse NAME    # keep a province, measure it again

Target (issue 21): the indicators page at 10^7 instruments on PostgreSQL answers in <= 2 s.
Timed: ``plans.exports.context`` for the province, the year and the year before (what the
page computes: every indicator for the province and its cities, the standards' breakdown),
repeated (min / median / max), twice: counted from the registry with nothing kept (the day's
first visit, or the nightly ``jiliang plans snapshot``), and from the day's kept figures
(``plans.IndicatorFigure``, every other visit). Baseline: ``plans.indicators.per_region_loop``, the same
definitions asked one region at a time (a ledger and one aggregate per indicator for each
region of the province) — how a report is written region by region; run once, it is slow.
Both agree on every figure (checked here on the province and its first city).

The province is generated (``registry.demo.generate``, COPY into PostgreSQL) into a scratch
database made for this run and dropped at its end (benchmarks/_databases.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _databases import scratch_postgres
from _timing import Timings, load_average, repeat

SEED = 2035


def _setup(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("JILIANG_DATA_DIR", str(Path(tempfile.gettempdir()) / "jiliang_bench_indicators_data"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()


def prepare(url: str, instruments: int) -> dict:
    _setup(url)
    from django.core.management import call_command

    from jiliang.registry import demo

    call_command("migrate", interactive=False, verbosity=0)
    generated = 0.0
    if demo.registry_is_empty():
        start = time.perf_counter()
        demo.generate(instruments=instruments, seed=SEED, as_of=dt.date.today(), progress=sys.stderr.isatty())
        generated = time.perf_counter() - start
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"generated_s": generated}


def measure(url: str, repeats: int, loop: bool) -> dict:
    _setup(url)
    from django.db import connection

    from jiliang.plans import exports
    from jiliang.plans import indicators as ind
    from jiliang.registry import models as reg

    year = dt.date.today().year
    province = reg.Region.objects.filter(level="province", instruments__isnull=False).values_list("code", flat=True).first()
    n = reg.Instrument.objects.filter(standard__isnull=True).count()
    from jiliang.plans.models import IndicatorFigure

    def first_visit():
        # The day's first visit (or a nightly `jiliang plans snapshot`): nothing kept yet,
        # every figure counted from the registry, then kept.
        IndicatorFigure.objects.all().delete()
        return exports.context(province, year)

    first_visit()  # warm: connections, imports, the region cache
    live = repeat(first_visit, repeats=repeats)
    kept = repeat(exports.context, province, year, repeats=repeats)  # the day's other visits
    table = live.result["table"]
    out = {
        "database": connection.vendor,
        "instruments": n,
        "regions": len(ind.region_tree()),
        "province": province,
        "live_s": live.seconds,
        "kept_s": kept.seconds,
        "figures": {i.key: table.get(year, province, i.key).to_json()["value"] for i in ind.INDICATORS},
    }
    if loop:
        start = time.perf_counter()
        looped = ind.per_region_loop([year - 1, year], province)
        out["loop_s"] = time.perf_counter() - start
        city = next(c for c in sorted(table.figures[year]) if c != province and c.endswith("00"))
        out["agree"] = all(
            looped.get(y, code, i.key).value == table.get(y, code, i.key).value
            for y in (year - 1, year)
            for code in (province, city)
            for i in ind.INDICATORS
        )
    return out


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--instruments", type=int, default=None, help="default 10^6; the issue's target is 10^7")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-loop", action="store_true", help="skip the per-region loop baseline")
    parser.add_argument("--keep", action="store_true", help="keep the generated province and print its name")
    parser.add_argument("--reuse", help="measure a province kept by --keep")
    parser.add_argument("--child", choices=("prepare", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = args.instruments or (100_000 if args.quick else 1_000_000)
    if args.child == "prepare":
        print(json.dumps(prepare(args.url, instruments)))
        return 0
    if args.child == "measure":
        print(json.dumps(measure(args.url, args.repeats, not args.no_loop)))
        return 0

    print(f"bench_indicators: {instruments:,} instruments; {load_average()}")
    with scratch_postgres(f"indicators_{instruments}", keep=args.keep, reuse=args.reuse) as url:
        if url is None:
            return 0
        common = ["--url", url, "--instruments", str(instruments), "--repeats", str(args.repeats)]
        prep = _child("--child", "prepare", *common)
        r = _child("--child", "measure", *common, *(["--no-loop"] if args.no_loop else []))
    live, kept = Timings(r["live_s"], None), Timings(r["kept_s"], None)
    print(
        f"\n== {r['database']}: {r['instruments']:,} working instruments, {r['regions']} regions, province {r['province']}"
        f" (generated in {prep['generated_s']:.0f} s{'' if prep['generated_s'] else ', reused'})"
    )
    print(f"indicators page, counted from the registry (first visit of the day): min / median / max {live.spread()}")
    print(f"indicators page, the day's kept figures (every other visit)       : min / median / max {kept.spread()}")
    if "loop_s" in r:
        print(
            f"per-region loop baseline, counted (once)                          : {r['loop_s']:.3f} s"
            f"   ratio {r['loop_s'] / live.median:.1f}x the counted page   same figures: {r['agree']}"
        )
    print("province figures: " + ", ".join(f"{k}={v}" for k, v in r["figures"].items()))
    print(f"{load_average()} at the end")
    for label, t in (("counted", live), ("kept", kept)):
        verdict = "meets" if t.median <= 2.0 else "misses"
        print(f"target (<= 2 s on PostgreSQL; the issue's size is 10^7 instruments), {label}: {verdict} at {r['instruments']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
