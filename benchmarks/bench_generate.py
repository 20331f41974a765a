"""Generate a province with full history into SQLite and PostgreSQL; print rows per second
and peak memory, with a per-row ORM save of the same kind of rows as the baseline.

    python benchmarks/bench_generate.py                  # 10^6 instruments, both databases
    python benchmarks/bench_generate.py --quick          # 10^5
    python benchmarks/bench_generate.py --databases sqlite

Target (issue 2): >= 50,000 events/s into PostgreSQL. The timed span is all of
``demo.generate``: reference data, the load, the index rebuilds and foreign-key checks at
its end, the commit and the ANALYZE after it. Each database runs in its own process so
that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from _databases import run_workers



def worker(database_url: str, instruments: int) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiliang.registry import demo, models

    call_command("migrate", interactive=False, verbosity=0)
    start = time.perf_counter()
    report = demo.generate(instruments=instruments, seed=2035, as_of=dt.date(2026, 11, 1))
    elapsed = time.perf_counter() - start
    rows = report.instruments + report.standard_devices + report.events * 2  # each event also writes its standard link

    # Baseline: the same kind of rows, one ORM save() per row (what a naive import does).
    instrument = models.Instrument.objects.filter(standard__isnull=True).first()
    standard = models.MeasurementStandard.objects.first()
    sample = 2000
    t0 = time.perf_counter()
    with transaction.atomic():
        for k in range(sample):
            event = models.CalibrationEvent(instrument=instrument, performer_id=instrument.owner_id, kind="verification", passed=True,
                                            performed_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31), certificate_number=f"BENCH-{k}")
            event.save()
            models.EventStandard(event=event, standard=standard).save()
        transaction.set_rollback(True)
    orm_events_per_s = sample / (time.perf_counter() - t0)
    return {
        "vendor": connection.vendor, "instruments": report.instruments, "events": report.events, "rows": rows,
        "seconds": elapsed, "events_per_s": report.events / elapsed, "rows_per_s": rows / elapsed,
        "orm_events_per_s": orm_events_per_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
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

    results = run_workers(__file__, args.databases, "jiliang_bench_generate", ["--instruments", str(instruments)])
    print(f"generate: {instruments:,} working instruments with five years of history")
    print(f"{'database':<11}{'events':>11}{'seconds':>9}{'events/s':>11}{'rows/s':>11}{'ORM save events/s':>19}{'ratio':>8}{'peak MB':>9}")
    for r in results:
        print(f"{r['vendor']:<11}{r['events']:>11,}{r['seconds']:>9.1f}{r['events_per_s']:>11,.0f}{r['rows_per_s']:>11,.0f}"
              f"{r['orm_events_per_s']:>19,.0f}{r['events_per_s'] / r['orm_events_per_s']:>7.0f}x{r['peak_rss_mb']:>9,.0f}")
        if r["vendor"] == "postgresql":
            verdict = "meets" if r["events_per_s"] >= 50_000 else "MISSES"
            print(f"  target >= 50,000 events/s into PostgreSQL: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
