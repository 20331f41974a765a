"""Traceability from the database: the demo province at 10^6 instruments in SQLite and in
PostgreSQL; snapshot build (bulk reads, then solving) and question times printed apart,
with the engine's own question time as the reference for the service layer around it.

    python benchmarks/bench_traceability_db.py             # 10^6 instruments, both databases
    python benchmarks/bench_traceability_db.py --quick     # 10^5
    python benchmarks/bench_traceability_db.py --databases sqlite

The array engine alone, against DuckDB and a per-item walk at 10^7, is in
bench_traceability.py. Each database runs in its own process (its own peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from _databases import run_workers


def _timed(fn, repeat=1):
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def worker(database_url: str, instruments: int) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import datetime as dt

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiliang.registry import bulk, demo, models
    from jiliang.registry import graph as loader
    from jiliang.registry import validity as services

    as_of = dt.date(2026, 11, 1)
    call_command("migrate", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    report = demo.generate(instruments=instruments, seed=2035, as_of=as_of)
    generate_s = time.perf_counter() - t0

    # Bulk reads alone, then the full build (reads + solving every event's stored verdict).
    read_s, _ = _timed(
        lambda: (
            loader._standards_table(loader.to_day(as_of)),
            loader._event_batch(
                0,
                0,
                loader._item_plans(int(models.Instrument.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1),
            ),
        )
    )
    build_s, graph = _timed(lambda: loader.build_graph(as_of))
    engine = graph.engine
    day = loader.to_day(as_of)
    validity_s, v = _timed(lambda: engine.validity_at(day), repeat=3)
    working = graph.item_working
    services._graph = graph  # the service reuses this snapshot
    summary_s, summary = _timed(lambda: services.validity_summary(as_of))
    item = int(np.flatnonzero(working & v.valid)[0])
    chain_engine_s, _ = _timed(lambda: engine.chain(item, day), repeat=5)
    chain_service_s, _ = _timed(lambda: services.item_chain(models.Instrument.objects.get(pk=item), as_of), repeat=5)
    faulty = models.MeasurementStandard.objects.get(certificate_number=report.defects.out_of_tolerance_standard)
    found = dt.date.fromisoformat(report.defects.out_of_tolerance_found_on)
    impact_s, found_impact = _timed(lambda: services.impact(faulty, found_on=found), repeat=3)

    # Incremental refresh: 10^4 new verification events, then the next question.
    sample = models.Instrument.objects.filter(standard__isnull=True).values_list("id", "region_id")[:10_000]
    standard = models.MeasurementStandard.objects.filter(level="county", status="active").first()
    first_id = bulk.next_id(models.CalibrationEvent)
    first_link = bulk.next_id(models.EventStandard)
    with transaction.atomic():
        ids = np.arange(first_id, first_id + len(sample))
        bulk.write_columns(
            "registry_calibrationevent",
            [
                "id",
                "instrument_id",
                "performer_id",
                "kind",
                "performed_on",
                "valid_until",
                "passed",
                "results",
                "certificate_number",
                "external_source",
                "region_id",
            ],
            [
                ids,
                [i for i, _ in sample],
                [standard.holder_id] * len(sample),
                ["verification"] * len(sample),
                [str(as_of)] * len(sample),
                [str(as_of + dt.timedelta(days=364))] * len(sample),
                [True] * len(sample),
                ["[]"] * len(sample),
                [f"BENCH-{k}" for k in ids.tolist()],
                [""] * len(sample),
                [r for _, r in sample],
            ],
        )
        bulk.write_columns(
            "registry_eventstandard",
            ["id", "event_id", "standard_id"],
            [np.arange(first_link, first_link + len(sample)), ids, [standard.id] * len(sample)],
        )
    refresh_s, refreshed = _timed(lambda: loader.refresh_graph(graph))
    assert refreshed is graph, "refresh rebuilt instead of appending"
    return {
        "vendor": connection.vendor,
        "instruments": report.instruments,
        "events": engine.n_events,
        "generate_s": generate_s,
        "read_s": read_s,
        "build_s": build_s,
        "validity_s": validity_s,
        "summary_s": summary_s,
        "traceable": summary["share"],
        "chain_engine_ms": chain_engine_s * 1e3,
        "chain_service_ms": chain_service_s * 1e3,
        "impact_s": impact_s,
        "impact_events": int(found_impact["result"].events.size),
        "refresh_s": refresh_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = 100_000 if args.quick else args.instruments
    if args.worker:
        print(json.dumps(worker(args.worker, instruments)))
        return 0
    results = run_workers(__file__, args.databases, "traceability", ["--instruments", str(instruments)])
    print(f"traceability from the database: {instruments:,} working instruments (demo province)")
    for r in results:
        print(
            f"\n{r['vendor']}: {r['events']:,} events; generated in {r['generate_s']:.1f} s; peak memory {r['peak_rss_mb']:,.0f} MB"
        )
        print(f"  snapshot: bulk reads {r['read_s']:.2f} s, full build (reads + solving) {r['build_s']:.2f} s")
        print(f"  validity of every item at a date   {r['validity_s'] * 1e3:8.1f} ms  (traceable share {r['traceable']:.1%})")
        print(f"  region summary (service)           {r['summary_s'] * 1e3:8.1f} ms")
        print(
            f"  one chain: engine {r['chain_engine_ms']:.2f} ms, service with registry lookups {r['chain_service_ms']:.2f} ms "
            f"(ratio {r['chain_service_ms'] / max(r['chain_engine_ms'], 1e-9):.1f}x)"
        )
        print(f"  impact of the provincial mass standard: {r['impact_events']:,} events in {r['impact_s'] * 1e3:.1f} ms")
        print(
            f"  incremental refresh after 10^4 new events: {r['refresh_s']:.2f} s "
            f"(vs full build {r['build_s']:.2f} s: {r['build_s'] / max(r['refresh_s'], 1e-9):.0f}x faster)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
