"""Traceability from the database: the demo province at 10^6 instruments in SQLite and in
PostgreSQL. The cold snapshot (bulk reads, engine build, the first validity question)
through the loader's reads (fetchmany of tuples), and on PostgreSQL also through binary
COPY out parsed by NumPy; then the questions on the snapshot, with the engine's own
question time as the reference for the service layer around it.

    python benchmarks/bench_traceability_db.py             # 10^6 instruments, both databases
    python benchmarks/bench_traceability_db.py --quick     # 10^5
    python benchmarks/bench_traceability_db.py --databases postgresql --repeats 3

Times are min / median / max over --repeats runs, with the 1-minute load average when
taken. The array engine alone, against DuckDB, Polars and a per-item walk, is in
bench_traceability.py. Each database runs in its own process (its own peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys

import numpy as np

from _databases import run_workers
from _timing import Timings, load_average, repeat

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))  # this checkout's jiliang

COPY_CHUNK = 1 << 18  # query rows per COPY row (one array per column)
PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def copy_fetch(sql: str, params=(), dtype=np.int64, columns: int = 1) -> np.ndarray:
    """What the loader's ``_fetch`` returns (rows as one 2-D integer array), read with binary
    COPY out and parsed by NumPy: no Python object per row or value.

    libpq hands COPY data over one COPY row per call, and psycopg loops over them in Python
    (slower than fetchmany). So the query's rows are packed server side into
    arrays of COPY_CHUNK values per column (plus the row numbers), one COPY row per chunk,
    and each array's
    elements (a 4-byte length and a big-endian integer each, all the same width) are one
    ``np.frombuffer`` with a structured dtype. Every column must be a non-null integer (the
    loader's queries COALESCE theirs); anything else raises."""
    from django.db import connection

    names = [f"c{k}" for k in range(columns)]
    packed = (
        f"SELECT {', '.join(f'array_agg({c})' for c in [*names, 'rn'])} "
        f"FROM (SELECT q.*, row_number() OVER () - 1 AS rn FROM ({sql}) AS q({', '.join(names)})) s "
        f"GROUP BY rn / {COPY_CHUNK} ORDER BY rn / {COPY_CHUNK}"
    )
    connection.ensure_connection()
    blocks = []
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY ({packed}) TO STDOUT (FORMAT BINARY)", params or None) as copy:
            for data in copy:
                buf = memoryview(data)
                if buf[:11] == PG_SIGNATURE:  # the stream's header comes with the first row
                    buf = buf[19 + int.from_bytes(buf[15:19], "big") :]
                if len(buf) < 2 or int.from_bytes(buf[:2], "big", signed=True) == -1:
                    continue  # the trailer
                at, block, position = 2, None, None
                for k in range(columns + 1):
                    size = int.from_bytes(buf[at : at + 4], "big", signed=True)
                    ndim, has_null = (int.from_bytes(buf[at + 4 + 4 * i : at + 8 + 4 * i], "big") for i in range(2))
                    n = int.from_bytes(buf[at + 16 : at + 20], "big")
                    if size < 0 or ndim != 1 or has_null:
                        raise ValueError(f"column {k}: NULL values")
                    width = int.from_bytes(buf[at + 24 : at + 28], "big", signed=True)  # the first element's
                    if width not in (2, 4, 8):
                        raise ValueError(f"column {k}: not an integer column")
                    cells = np.frombuffer(buf, np.dtype([("len", ">i4"), ("v", f">i{width}")]), count=n, offset=at + 24)
                    if block is None:
                        block = np.empty((n, columns), dtype)
                    if k < columns:
                        block[:, k] = cells["v"]
                    else:
                        position = cells["v"]
                    at += 4 + size
                # array_agg without ORDER BY (3x cheaper on the server) keeps the input order
                # in practice, not by contract: the row numbers travel along, to check.
                if np.any(position[1:] < position[:-1]):
                    block = block[np.argsort(position, kind="stable")]
                blocks.append(block)
    if not blocks:
        return np.zeros((0, columns), dtype=dtype)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def spread(t: Timings, scale=1.0, unit="s") -> str:
    return t.spread(unit, scale)


def timed(fn, repeats):
    load = os.getloadavg()[0]
    t = repeat(fn, repeats=repeats)
    return {"seconds": t.seconds, "load": max(load, os.getloadavg()[0])}, t.result


def worker(database_url: str, instruments: int, repeats: int) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import datetime as dt
    import time

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiliang.registry import bulk, demo, models
    from jiliang.registry import graph as loader
    from jiliang.registry import validity as snapshot
    from jiliang.traceability import services

    as_of = dt.date(2026, 11, 1)
    day = loader.to_day(as_of)
    call_command("migrate", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    report = demo.generate(instruments=instruments, seed=2035, as_of=as_of)
    generate_s = time.perf_counter() - t0
    last_instrument = int(models.Instrument.objects.order_by("-id").values_list("id", flat=True).first() or 0)

    def reads():  # the bulk reads alone
        standards = loader._standards_table(day)
        return standards, loader._event_batch(0, 0, loader._item_plans(last_instrument + 1))

    def cold():  # a snapshot from nothing, and the first question on it
        graph = loader.build_graph(as_of)
        return graph, graph.engine.validity_at(day)

    out = {"vendor": connection.vendor, "instruments": report.instruments, "generate_s": generate_s}
    out["read"], _ = timed(reads, repeats)
    out["cold"], (graph, first) = timed(cold, repeats)
    if connection.vendor == "postgresql":  # the same reads through binary COPY out
        fetch, loader._fetch = loader._fetch, copy_fetch
        try:
            out["read_copy"], _ = timed(reads, repeats)
            out["cold_copy"], (graph_copy, first_copy) = timed(cold, repeats)
        finally:
            loader._fetch = fetch
        out["copy_same"] = bool(
            np.array_equal(first.valid, first_copy.valid)
            and np.array_equal(first.flags, first_copy.flags)
            and np.array_equal(graph.item_region, graph_copy.item_region)
        )
        del graph_copy, first_copy
    engine = graph.engine
    out["events"] = engine.n_events
    out["validity"], v = timed(lambda: engine.validity_at(day), repeats)
    snapshot._graph = graph  # the service reuses this snapshot
    out["summary"], summary = timed(lambda: services.validity_summary(as_of), repeats)
    out["traceable"] = summary["share"]
    item = int(np.flatnonzero(graph.item_working & v.valid)[0])
    out["chain_engine"], _ = timed(lambda: engine.chain(item, day), 5)
    instrument = models.Instrument.objects.get(pk=item)
    out["chain_service"], _ = timed(lambda: services.item_chain(instrument, as_of), 5)
    faulty = models.MeasurementStandard.objects.get(certificate_number=report.defects.out_of_tolerance_standard)
    found = dt.date.fromisoformat(report.defects.out_of_tolerance_found_on)
    services.impact(faulty, found_on=found)  # the (standard, date) index is built on the first impact question
    out["impact"], found_impact = timed(lambda: services.impact(faulty, found_on=found), repeats)
    out["impact_events"] = int(found_impact["result"].events.size)

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
    out["refresh"], refreshed = timed(lambda: loader.refresh_graph(graph), 1)
    assert refreshed is graph, "refresh rebuilt instead of appending"
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    instruments = 100_000 if args.quick else args.instruments
    if args.worker:
        print(json.dumps(worker(args.worker, instruments, args.repeats)))
        return 0
    extra = ["--instruments", str(instruments), "--repeats", str(args.repeats)]
    results = run_workers(__file__, args.databases, "traceability", extra)
    print(f"traceability from the database: {instruments:,} working instruments (demo province); now {load_average()}")
    print(f"every time: min / median / max over {args.repeats} runs (chains: 5), with the 1-minute load average then")

    def line(label, figure, scale=1.0, unit="s"):
        t = Timings(figure["seconds"], None)
        print(f"  {label:44} {t.spread(unit, scale):>30}  (load {figure['load']:.2f})")

    for r in results:
        print(f"\n{r['vendor']}: {r['events']:,} events; generated in {r['generate_s']:.1f} s")
        line("bulk reads, the loader's fetchmany", r["read"])
        line("cold snapshot + first question, fetchmany", r["cold"])
        if "cold_copy" in r:
            line("bulk reads, binary COPY out", r["read_copy"])
            line("cold snapshot + first question, binary COPY", r["cold_copy"])
            base, copy = (Timings(r[k]["seconds"], None).median for k in ("cold", "cold_copy"))
            same = "the same verdicts" if r["copy_same"] else "DIFFERENT verdicts"
            print(f"  binary COPY: {base / copy:.1f}x faster cold snapshot (medians), {same}")
        line("validity of every item, again", r["validity"], 1e3, "ms")
        print(f"  {'':44} (traceable share {r['traceable']:.1%})")
        line("region summary (service)", r["summary"], 1e3, "ms")
        line("one chain, engine", r["chain_engine"], 1e3, "ms")
        line("one chain, service with registry lookups", r["chain_service"], 1e3, "ms")
        line(f"impact of the faulty standard ({r['impact_events']:,} events)", r["impact"], 1e3, "ms")
        line("incremental refresh after 10^4 new events", r["refresh"])
        print(f"  peak memory of the worker (timed passes included): {r['peak_rss_mb']:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
