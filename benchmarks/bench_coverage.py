"""The coverage ledger and the due list over a whole province, from PostgreSQL and SQLite,
against a per-instrument Python loop measured on a sample in the same run.

    python benchmarks/bench_coverage.py              # 10^7 instruments (generation takes a while)
    python benchmarks/bench_coverage.py --quick      # 10^5
    python benchmarks/bench_coverage.py --instruments 1000000 --databases postgres

Target (issue 7): the full ledger from PostgreSQL in <= 10 s on 2 cores, and >= 50x the
per-instrument loop. Each database gets its own process for generation and another for the
measurement; memory is measured in a third process of its own (tracemalloc slows what it
watches, so no timed figure is taken with it on). The province goes into a scratch database
(PostgreSQL) or file (SQLite) made for this run and dropped at its end; --keep keeps it and
prints its name, --reuse NAME measures one kept earlier (never dropped by that run).

Two baselines, both extrapolated from the sample to the whole province:
- "ORM loop": one instrument at a time with the ORM, the way a first implementation reads
  (its region chain, then a query for a covering standard; its latest verification);
- "row loop": the rows fetched once, then counted in a Python dict per instrument (the
  fastest a Python loop gets; shown so the speed-up is not only the ORM's overhead).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _databases import scratch_postgres

SEED = 2035


def _setup(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("JILIANG_DATA_DIR", str(Path(tempfile.gettempdir()) / "jiliang_bench_coverage_data"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()


def _working_instruments() -> int:
    from jiliang.registry import models

    return models.Instrument.objects.filter(standard__isnull=True).count()


def prepare(url: str, instruments: int) -> dict:
    """Migrate the database and generate the province, unless a kept one is being reused."""
    _setup(url)
    from django.core.management import call_command

    from jiliang.registry import demo

    call_command("migrate", interactive=False, verbosity=0)
    generated = 0.0
    if demo.registry_is_empty():
        start = time.perf_counter()
        demo.generate(instruments=instruments, seed=SEED, as_of=dt.date.today(), progress=sys.stderr.isatty())
        generated = time.perf_counter() - start
    return {"generated_s": generated}


# -- the baselines -------------------------------------------------------------------


def orm_loop_ledger(sample_ids: range, today: dt.date) -> dict:
    """One instrument at a time: walk up its regions, ask the database whether a public
    standard there covers its item (memoised per region and item, as a careful loop would)."""
    from jiliang.registry import models
    from jiliang.verification.coverage import mandatory_in_use

    counts: dict[tuple[int, int], int] = {}
    covered: dict[tuple[int, int], bool] = {}
    for inst in (
        mandatory_in_use().filter(id__gte=sample_ids.start, id__lt=sample_ids.stop).select_related("region__parent__parent")
    ):
        region = inst.region
        while region is not None:
            key = (region.id, inst.catalog_item_id)
            counts[key] = counts.get(key, 0) + 1
            if key not in covered:
                covered[key] = models.MeasurementStandard.objects.filter(
                    tier="public",
                    status="active",
                    valid_from__lte=today,
                    valid_until__gte=today,
                    holder__region_id=region.id,
                    catalog_items=inst.catalog_item_id,
                ).exists()
            region = region.parent
    return {"pairs": len(counts), "covered": sum(covered.values())}


def row_loop_ledger(sample_ids: range) -> int:
    from jiliang.registry import models
    from jiliang.verification.coverage import mandatory_in_use

    parents = dict(models.Region.objects.values_list("id", "parent_id"))
    counts: dict[tuple[int, int], int] = {}
    for region_id, item_id in (
        mandatory_in_use()
        .filter(id__gte=sample_ids.start, id__lt=sample_ids.stop)
        .values_list("region_id", "catalog_item_id")
        .iterator(chunk_size=5000)
    ):
        while region_id is not None:
            counts[(region_id, item_id)] = counts.get((region_id, item_id), 0) + 1
            region_id = parents[region_id]
    return len(counts)


def orm_loop_due(sample_ids: range, today: dt.date, days: int) -> int:
    from jiliang.verification.coverage import mandatory_in_use

    horizon = today + dt.timedelta(days=days)
    due = 0
    for inst in mandatory_in_use().filter(id__gte=sample_ids.start, id__lt=sample_ids.stop):
        last = inst.events.filter(kind="verification").order_by("-performed_on", "-id").first()
        until = last.valid_until if last else inst.installed_on
        due += until is None or until <= horizon
    return due


# -- one measurement ---------------------------------------------------------------


def measure_memory(url: str) -> dict:
    """Peak traced Python memory of the ledger and the due list, in a process of its own."""
    import tracemalloc

    _setup(url)
    from jiliang.verification import coverage, scheduling

    today = dt.date.today()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    coverage.build_ledger(today)
    ledger_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    scheduling.due_list(today, days=30)
    due_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "ledger_traced_mb": ledger_traced / 2**20,
        "due_traced_mb": due_traced / 2**20,
        "rss_before_mb": rss_before / 1024,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(url: str, sample: int) -> dict:
    """The timed pass: ledger (cold, then again), due list, and the loop baselines."""
    _setup(url)
    import numpy as np
    from django.db import connection

    from jiliang.verification import coverage, scheduling

    today = dt.date.today()
    n = _working_instruments()
    t0 = time.perf_counter()
    ledger = coverage.build_ledger(today)
    ledger_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ledger_again = coverage.build_ledger(today)
    ledger_warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    due = scheduling.due_list(today, days=30)
    due_s = time.perf_counter() - t0

    from jiliang.registry import models

    # A contiguous block of ids at a random place: the generator writes instruments in random
    # order of region and item, so a block is a fair sample and reads as one index range.
    ids = models.Instrument.objects.filter(standard__isnull=True)
    low = ids.order_by("id").values_list("id", flat=True).first()
    high = ids.order_by("-id").values_list("id", flat=True).first()
    start = int(np.random.default_rng(7).integers(low, max(low + 1, high - sample)))
    sample_ids = range(start, start + sample)
    t0 = time.perf_counter()
    orm_loop_ledger(sample_ids, today)
    orm_ledger_per = (time.perf_counter() - t0) / len(sample_ids)
    t0 = time.perf_counter()
    row_loop_ledger(sample_ids)
    row_ledger_per = (time.perf_counter() - t0) / len(sample_ids)
    due_sample = sample_ids[: max(200, len(sample_ids) // 4)]  # a range again
    t0 = time.perf_counter()
    orm_loop_due(due_sample, today, 30)
    orm_due_per = (time.perf_counter() - t0) / len(due_sample)
    province = ledger.region("330000")
    return {
        "database": connection.vendor,
        "instruments": n,
        "sample": len(sample_ids),
        "ledger_s": ledger_s,
        "ledger_warm_s": ledger_warm_s,
        "due_s": due_s,
        "orm_loop_ledger_s": orm_ledger_per * n,
        "row_loop_ledger_s": row_ledger_per * n,
        "orm_loop_due_s": orm_due_per * n,
        "province_rollup_rate": province.rollup_rate,
        "province_rate": province.rate,
        "province_below_province_rate": province.below_province_rate,
        "gaps": len(ledger.gaps),
        "same_again": ledger_again.to_json() == ledger.to_json(),
        "overdue": due.overdue,
        "due": due.due,
        "replacement": due.replacement,
    }


def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def province_database(database: str, instruments: int, keep: bool, reuse: str | None):
    """The database URL to measure: a kept one (reused, never dropped), or a scratch one
    made for this run and dropped at its end unless kept."""
    if database == "postgres":
        with scratch_postgres(f"coverage_{instruments}", keep=keep, reuse=reuse) as url:
            yield url
        return
    if reuse:
        yield f"sqlite:///{reuse}"
        return
    folder = Path(tempfile.mkdtemp(prefix="jiliang_bench_coverage_"))
    try:
        yield f"sqlite:///{folder / 'province.sqlite3'}"
    finally:
        if keep:
            print(f"kept {folder / 'province.sqlite3'} (reuse it with --reuse PATH)")
        else:
            shutil.rmtree(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--instruments", type=int, default=None)
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument("--sample", type=int, default=None, help="instruments in the loop baselines' sample")
    parser.add_argument("--keep", action="store_true", help="keep the generated province and print its name")
    parser.add_argument("--reuse", help="measure a province kept by --keep (a PostgreSQL name or an SQLite path)")
    parser.add_argument("--child", choices=("prepare", "measure", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = args.instruments or (100_000 if args.quick else 10_000_000)
    sample = args.sample or (1000 if args.quick else 5000)
    if args.child == "prepare":
        print(json.dumps(prepare(args.url, instruments)))
        return 0
    if args.child == "measure":
        print(json.dumps(measure(args.url, sample)))
        return 0
    if args.child == "memory":
        print(json.dumps(measure_memory(args.url)))
        return 0

    print(f"bench_coverage: {instruments:,} instruments, loop sample {sample:,}; load average {os.getloadavg()[0]:.2f}")
    for database in args.databases.split(","):
        with province_database(database, instruments, args.keep, args.reuse) as url:
            if url is None:
                continue
            common = ["--url", url, "--instruments", str(instruments), "--sample", str(sample)]
            prep = _run_child("--child", "prepare", *common)
            r = _run_child("--child", "measure", *common)
            r.update(_run_child("--child", "memory", *common))
            print(
                f"\n== {r['database']} ({r['instruments']:,} working instruments; generated in {prep['generated_s']:.0f} s"
                f"{'' if prep['generated_s'] else ', reused'})"
            )
            print(
                f"ledger   : {r['ledger_s']:8.2f} s cold, {r['ledger_warm_s']:.2f} s again   "
                f"province rollup {100 * (r['province_rollup_rate'] or 0):.1f} %, 省域 {100 * (r['province_rate'] or 0):.1f} %, "
                f"省级以下 {100 * (r['province_below_province_rate'] or 0):.1f} %, {r['gaps']} gaps, repeatable: {r['same_again']}"
            )
            print(
                f"  ORM loop (extrapolated from {r['sample']:,}): {r['orm_loop_ledger_s']:10.1f} s   ratio {r['orm_loop_ledger_s'] / r['ledger_s']:8.1f}x"
            )
            print(
                f"  row loop (extrapolated)               : {r['row_loop_ledger_s']:10.1f} s   ratio {r['row_loop_ledger_s'] / r['ledger_s']:8.1f}x"
            )
            print(
                f"due list : {r['due_s']:8.2f} s   ({r['overdue']:,} overdue, {r['due']:,} due in 30 days, {r['replacement']:,} end of life)"
            )
            print(
                f"  ORM loop (extrapolated)               : {r['orm_loop_due_s']:10.1f} s   ratio {r['orm_loop_due_s'] / r['due_s']:8.1f}x"
            )
            print(
                f"memory   : peak RSS {r['rss_peak_mb']:.0f} MB (after Django start-up {r['rss_before_mb']:.0f} MB); traced Python peak "
                f"ledger {r['ledger_traced_mb']:.1f} MB, due list {r['due_traced_mb']:.1f} MB"
            )
            if r["database"] == "postgresql":
                verdict = "meets" if r["ledger_s"] <= 10 and r["orm_loop_ledger_s"] / r["ledger_s"] >= 50 else "misses"
                print(f"target (ledger <= 10 s from PostgreSQL, >= 50x the loop): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
