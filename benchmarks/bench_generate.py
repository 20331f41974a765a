"""Generate a province with full history into SQLite and PostgreSQL, then export the
province's own tables to CSV, empty them and `jiliang import` the files: each timed with
the audit ledger (every row covered by batch entries and their leaves, issue 16 item 8)
and without it (the bulk paths as they were before), in turn in one process, so the ratio
compares runs under the same load; min / median / max of ``--repeats`` runs and the load
average are printed. Memory is measured in a separate pass (one generate and one import
with the ledger, then `jiliang audit verify` over the result).

    python benchmarks/bench_generate.py                  # 10^6 instruments, both databases
    python benchmarks/bench_generate.py --quick          # 10^5
    python benchmarks/bench_generate.py --databases postgresql --repeats 2
    python benchmarks/bench_generate.py --no-import      # generate only

Targets: >= 50,000 events/s into PostgreSQL (issue 2); generate and import with the
ledger <= 1.5x the time without it at 10^6 (issue 16). The timed span is all of
``demo.generate``: reference data, the load, the index rebuilds and foreign-key checks at
its end, the ledger's batches, the commit and the ANALYZE after it; and all of
``exchange.import_paths``. Each database runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext

from _databases import run_workers

# The tables the generator fills (reference data and regions stay), in dependency order.
PROVINCE_TABLES = [
    "organisations",
    # the authorisation register: without it every mandatory verification of the round trip
    # is refused (计量法 第二十条: only an authorised institution verifies)
    "authorisations",
    "authorised_items",
    "authorised_areas",
    "authorisation_changes",
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


@contextmanager
def _without_ledger():
    """The bulk paths as they were before they covered their rows on the audit ledger: no
    column digests, no batches (the reference data's per-row entries stay, as they were)."""
    from jiliang.audit.batches import ColumnDigests
    from jiliang.registry import demo
    from jiliang.registry.exchange import importer

    saved = [
        (demo, "record_batches", demo.record_batches),
        (importer, "record_batches", importer.record_batches),
        (demo._LedgerDigests, "__init__", demo._LedgerDigests.__init__),
        (demo._LedgerDigests, "covering", demo._LedgerDigests.covering),
        (demo._LedgerDigests, "record", demo._LedgerDigests.record),
    ]

    def no_digests(self):
        self.digests = ColumnDigests(processes=0)

    demo.record_batches = importer.record_batches = lambda *args, **kwargs: 0
    demo._LedgerDigests.__init__ = no_digests
    demo._LedgerDigests.covering = lambda self, sink: sink
    demo._LedgerDigests.record = lambda self: None
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def _timed(function, ledger: bool) -> tuple[float, object]:
    with nullcontext() if ledger else _without_ledger():
        start = time.perf_counter()
        result = function()
        return time.perf_counter() - start, result


def _generate(instruments: int):
    import datetime as dt

    from jiliang.registry import demo

    return demo.generate(instruments=instruments, seed=2035, as_of=dt.date(2026, 11, 1))


def _verify() -> dict:
    from jiliang.audit import services

    report = services.verify()
    return {
        "verify_seconds": report.seconds,
        "verify_entries": report.entries,
        "verify_rows": report.rows_checked,
        "verify_findings": len(report.findings),
    }


def _setup(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _orm_events_per_s() -> float:
    """Baseline: the same kind of rows, one ORM save() per row (what a naive import does)."""
    import datetime as dt

    from django.db import transaction

    from jiliang.registry import models

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
    return sample / (time.perf_counter() - t0)


def _copy_floor(repeats: int) -> list[float] | None:
    """The floor of any loader (PostgreSQL): the generated province's rows written back with
    a raw binary COPY into bare copies of its tables, then the same indexes built on them,
    then ANALYZE, in one transaction; seconds per run. No audit entries, no checks: what the
    database itself needs to take these rows. (SQLite has no COPY: None.)"""
    from django.db import connection

    from jiliang.registry.exchange.tables import TABLES

    if connection.vendor != "postgresql":
        return None
    tables = [TABLES[name].model._meta.db_table for name in PROVINCE_TABLES]
    dumps: dict[str, bytes] = {}
    with connection.cursor() as cursor:
        for table in tables:
            with cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as copy:
                dumps[table] = b"".join(bytes(chunk) for chunk in copy)
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)", [tables])
        indexes = cursor.fetchall()
    seconds = []
    for _ in range(repeats):
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            start = time.perf_counter()
            cursor.execute("CREATE SCHEMA bench_floor")
            for table in tables:
                cursor.execute(f'CREATE TABLE bench_floor."{table}" (LIKE public."{table}" INCLUDING DEFAULTS)')
                with cursor.copy(f'COPY bench_floor."{table}" FROM STDIN (FORMAT BINARY)') as copy:
                    copy.write(dumps[table])
            for table, definition in indexes:
                cursor.execute(
                    definition.replace(f" ON public.{table} ", f' ON bench_floor."{table}" ').replace("INDEX ", "INDEX floor_", 1)
                )
            for table in tables:
                cursor.execute(f'ANALYZE bench_floor."{table}"')
            seconds.append(time.perf_counter() - start)
            cursor.execute("ROLLBACK")  # the schema was this run's own: nothing is left behind
    return seconds


def timing_worker(database_url: str, instruments: int, repeats: int, with_import: bool) -> dict:
    """Generate (and import) ``repeats`` times with the ledger and as many without, in turn,
    in this one process: the ratio compares runs under the same load."""
    _setup(database_url)
    import tempfile

    from django.db import connection

    from jiliang.registry import demo, exchange, reference_data

    # The reference data first: the first generate into an empty database would pay for it alone.
    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
    times: dict[str, list[float]] = {"generate": [], "generate_bare": [], "import": [], "import_bare": []}
    loads = [os.getloadavg()[0]]
    for k in range(repeats):
        for ledger in (True, False) if k % 2 == 0 else (False, True):  # alternate which goes first
            if not demo.registry_is_empty():
                demo.clear_registry()
            seconds, report = _timed(lambda: _generate(instruments), ledger)
            times["generate" if ledger else "generate_bare"].append(seconds)
            loads.append(os.getloadavg()[0])
    result: dict = {"vendor": connection.vendor, "instruments": instruments, "times": times}
    result.update(events=report.events, rows=report.instruments + report.standard_devices + report.events * 2)
    result["orm_events_per_s"] = _orm_events_per_s()
    result["copy_floor"] = _copy_floor(repeats)
    if with_import:
        with tempfile.TemporaryDirectory(prefix="jiliang-bench-import-") as folder:
            exported = exchange.export_registry(folder, fmt="csv", tables=PROVINCE_TABLES)
            result["import_rows"] = sum(exported.values())
            for k in range(repeats):
                for ledger in (True, False) if k % 2 == 0 else (False, True):
                    demo.clear_registry()
                    seconds, _ = _timed(lambda: exchange.import_paths([folder]), ledger)
                    times["import" if ledger else "import_bare"].append(seconds)
                    loads.append(os.getloadavg()[0])
    result["load"] = {"min": min(loads), "max": max(loads), "cpus": os.cpu_count()}
    return result


def memory_worker(database_url: str, instruments: int, with_import: bool) -> dict:
    """One generate (and one import of its export) with the ledger, on its own: the peak
    memory of this process and of the digest worker it forks; then verify over the result."""
    _setup(database_url)
    import tempfile

    from jiliang.registry import demo, exchange

    _generate(instruments)
    from django.db import connection

    result = {"vendor": connection.vendor, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if with_import:
        with tempfile.TemporaryDirectory(prefix="jiliang-bench-import-") as folder:
            exchange.export_registry(folder, fmt="csv", tables=PROVINCE_TABLES)
            demo.clear_registry()
            exchange.import_paths([folder])
        result["peak_rss_mb_with_import"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["digest_worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result.update(_verify())
    return result


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs with the ledger, and as many without")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--no-import", dest="with_import", action="store_false", help="skip the export/import round")
    parser.add_argument("--no-memory", dest="with_memory", action="store_false", help="skip the memory pass")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--pass", dest="pass_", default="timing", choices=["timing", "memory"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = 100_000 if args.quick else args.instruments
    if args.worker:
        if args.pass_ == "memory":
            print(json.dumps(memory_worker(args.worker, instruments, args.with_import)))
        else:
            print(json.dumps(timing_worker(args.worker, instruments, args.repeats, args.with_import)))
        return 0

    extra = ["--instruments", str(instruments), "--repeats", str(args.repeats)] + ([] if args.with_import else ["--no-import"])
    results = run_workers(__file__, args.databases, "generate", extra)
    memory = run_workers(__file__, args.databases, "generate", [*extra, "--pass", "memory"]) if args.with_memory else []
    print(
        f"generate: {instruments:,} working instruments with five years of history, {args.repeats} run(s) with the audit "
        f"ledger and as many without it (the bulk paths as before the ledger), in turn in one process"
    )
    for r in results:
        t, load = r["times"], r["load"]
        print(
            f"{r['vendor']}: {r['events']:,} events, {r['rows']:,} bulk rows; load average {load['min']:.1f}-{load['max']:.1f} on {load['cpus']} CPUs"
        )
        print(f"  {'':<28}{'min / median / max s':>24}{'ratio (median)':>16}")
        for what in ("generate", "import"):
            if not t[what]:
                continue
            ratio = statistics.median(t[what]) / statistics.median(t[what + "_bare"])
            verdict = "meets" if ratio <= 1.5 else "MISSES"
            print(f"  {what + ' with the ledger':<28}{_spread(t[what]):>24}{ratio:>15.2f}x  (bar <= 1.5x: {verdict})")
            print(f"  {what + ' without':<28}{_spread(t[what + '_bare']):>24}")
        best = min(t["generate"])
        print(
            f"  generate: {r['events'] / best:,.0f} events/s, {r['rows'] / best:,.0f} rows/s (fastest run with the ledger); "
            f"ORM save {r['orm_events_per_s']:,.0f} events/s (the project's own per-row path: audit entry and refresh per row)"
        )
        if r.get("copy_floor"):
            floor = r["copy_floor"]
            print(
                f"  floor (raw binary COPY of the same rows + the same indexes + ANALYZE): {_spread(floor)} s, "
                f"{r['events'] / statistics.median(floor):,.0f} events/s; generate with the ledger reaches "
                f"{statistics.median(floor) / statistics.median(t['generate']):.2f}x of it (medians)"
            )
        if r["vendor"] == "postgresql":
            print(f"  target >= 50,000 events/s into PostgreSQL: {'meets' if r['events'] / best >= 50_000 else 'MISSES'}")
        if t["import"]:
            print(
                f"  import: {r['import_rows']:,} rows, {r['import_rows'] / min(t['import']):,.0f} rows/s (fastest with the ledger)"
            )
    for m in memory:
        line = f"{m['vendor']} memory pass: peak {m['peak_rss_mb']:,.0f} MB after generate"
        if "peak_rss_mb_with_import" in m:
            line += f", {m['peak_rss_mb_with_import']:,.0f} MB after import"
        print(line + f"; digest worker {m['digest_worker_peak_rss_mb']:,.0f} MB")
        print(
            f"  audit verify: {m['verify_entries']:,} entries, {m['verify_rows']:,} live rows in {m['verify_seconds']:.1f} s, "
            f"{m['verify_findings']} finding(s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
