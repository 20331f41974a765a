"""Generate a province with full history into SQLite and PostgreSQL; print rows per second
and peak memory, with a per-row ORM save of the same kind of rows as the baseline; then
export the province's own tables to CSV, empty them and time `jiliang import` of the
files, and time `jiliang audit verify` over the result (every row is on the ledger).

    python benchmarks/bench_generate.py                  # 10^6 instruments, both databases
    python benchmarks/bench_generate.py --quick          # 10^5
    python benchmarks/bench_generate.py --databases sqlite
    python benchmarks/bench_generate.py --no-import      # generate only

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

# The tables the generator fills (reference data and regions stay), in dependency order.
PROVINCE_TABLES = [
    "organisations",
    "primary_standards",
    "standards",
    "standard_specifications",
    "standard_catalog_items",
    "standard_status_changes",
    "capabilities",
    "reference_materials",
    "certified_values",
    "people",
    "qualifications",
    "type_approvals",
    "instruments",
    "events",
    "event_standards",
]


class _Stopwatch:
    """Wraps a function and adds up the seconds spent in it (the audit ledger's batches, so
    the run says what covering every row costs against the rest of the same run)."""

    def __init__(self, module, name):
        self.module, self.name, self.seconds = module, name, 0.0
        self.inner = getattr(module, name)
        setattr(module, name, self)

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def _import_round(demo) -> dict:
    """Export the province's tables, empty them, import the files: the import's seconds."""
    import tempfile

    from jiliang.registry import exchange
    from jiliang.registry.exchange import importer

    ledger = _Stopwatch(importer, "record_batches") if hasattr(importer, "record_batches") else None
    with tempfile.TemporaryDirectory(prefix="jiliang-bench-import-") as folder:
        exported = exchange.export_registry(folder, fmt="csv", tables=PROVINCE_TABLES)
        demo.clear_registry()
        start = time.perf_counter()
        counts = exchange.import_paths([folder])
        seconds = time.perf_counter() - start
    return {
        "import_rows": sum(counts.values()),
        "import_seconds": seconds,
        "exported_rows": sum(exported.values()),
        "import_ledger_seconds": ledger.seconds if ledger else 0.0,
    }


def _verify() -> dict:
    from jiliang.audit import services

    report = services.verify()
    return {
        "verify_seconds": report.seconds,
        "verify_entries": report.entries,
        "verify_rows": report.rows_checked,
        "verify_findings": len(report.findings),
    }


def worker(database_url: str, instruments: int, with_import: bool = True) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiliang.registry import demo, models

    call_command("migrate", interactive=False, verbosity=0)
    # The ledger's work: batches read back, digests computed from the written columns, batches of those.
    ledger = [
        _Stopwatch(demo, name) for name in ("record_batches", "digests_of_columns", "record_digests") if hasattr(demo, name)
    ]
    start = time.perf_counter()
    report = demo.generate(instruments=instruments, seed=2035, as_of=dt.date(2026, 11, 1))
    elapsed = time.perf_counter() - start
    ledger_seconds = sum(watch.seconds for watch in ledger)
    rows = report.instruments + report.standard_devices + report.events * 2  # each event also writes its standard link

    # Baseline: the same kind of rows, one ORM save() per row (what a naive import does).
    instrument = models.Instrument.objects.filter(standard__isnull=True).first()
    standard = models.MeasurementStandard.objects.first()
    sample = 2000
    t0 = time.perf_counter()
    with transaction.atomic():
        for k in range(sample):
            event = models.CalibrationEvent(
                instrument=instrument,
                performer_id=instrument.owner_id,
                kind="verification",
                passed=True,
                performed_on=dt.date(2026, 1, 1),
                valid_until=dt.date(2026, 12, 31),
                certificate_number=f"BENCH-{k}",
            )
            event.save()
            models.EventStandard(event=event, standard=standard).save()
        transaction.set_rollback(True)
    orm_events_per_s = sample / (time.perf_counter() - t0)
    extra = _verify()
    if with_import:
        extra.update(_import_round(demo))
    return {
        **extra,
        "ledger_seconds": ledger_seconds,
        "vendor": connection.vendor,
        "instruments": report.instruments,
        "events": report.events,
        "rows": rows,
        "seconds": elapsed,
        "events_per_s": report.events / elapsed,
        "rows_per_s": rows / elapsed,
        "orm_events_per_s": orm_events_per_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--no-import", dest="with_import", action="store_false", help="skip the export/import round")
    parser.add_argument("--pg-name", default="jiliang_bench_generate", help="the PostgreSQL database to create (and drop)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = 100_000 if args.quick else args.instruments
    if args.worker:
        print(json.dumps(worker(args.worker, instruments, args.with_import)))
        return 0

    extra = ["--instruments", str(instruments)] + ([] if args.with_import else ["--no-import"])
    results = run_workers(__file__, args.databases, args.pg_name, extra)
    print(
        f"generate: {instruments:,} working instruments with five years of history; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs (after the run)"
    )
    print(
        f"{'database':<11}{'events':>11}{'seconds':>9}{'events/s':>11}{'rows/s':>11}{'ORM save events/s':>19}{'ratio':>8}{'peak MB':>9}"
    )
    for r in results:
        print(
            f"{r['vendor']:<11}{r['events']:>11,}{r['seconds']:>9.1f}{r['events_per_s']:>11,.0f}{r['rows_per_s']:>11,.0f}"
            f"{r['orm_events_per_s']:>19,.0f}{r['events_per_s'] / r['orm_events_per_s']:>7.0f}x{r['peak_rss_mb']:>9,.0f}"
        )
        if r["vendor"] == "postgresql":
            verdict = "meets" if r["events_per_s"] >= 50_000 else "MISSES"
            print(f"  target >= 50,000 events/s into PostgreSQL: {verdict}")
        if r.get("ledger_seconds"):
            print(
                f"  of which the audit ledger's batches: {r['ledger_seconds']:.1f} s -> generate takes "
                f"{r['seconds'] / (r['seconds'] - r['ledger_seconds']):.2f}x the time without them"
            )
        print(
            f"  audit verify: {r['verify_entries']:,} entries, {r['verify_rows']:,} live rows in {r['verify_seconds']:.1f} s, "
            f"{r['verify_findings']} finding(s)"
        )
        if "import_seconds" in r:
            print(
                f"  import of the exported province: {r['import_rows']:,} rows in {r['import_seconds']:.1f} s "
                f"({r['import_rows'] / r['import_seconds']:,.0f} rows/s)"
            )
            if r.get("import_ledger_seconds"):
                print(
                    f"  of which the audit ledger's batches: {r['import_ledger_seconds']:.1f} s -> import takes "
                    f"{r['import_seconds'] / (r['import_seconds'] - r['import_ledger_seconds']):.2f}x the time without them"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
