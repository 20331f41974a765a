"""31 simulated provinces publishing a day of changes through the local federation (issue 26).

    python benchmarks/bench_federation.py [--quick] [--fraction F] [--repeats N] [--database postgres|sqlite]

What runs: the centre's 3-node JetStream cluster (stream FED_CHANGES replicated 3 times), one
leaf node per province (31), each province publishing its signed records through its own
leaf (``transport.Publisher``: record id as ``Nats-Msg-Id``, acks awaited a window at a
time), and the centre's consumer (``transport.Consumer``: durable pull consumer, one
transaction per batch through ``apply_record``, acks after the commit) on a scratch
database created and dropped by the run. Printed: the centre's apply rate (records/s, from
the first publication to the last commit), and the lag p99 (seconds from a record's
publication to the commit that applied it), min/median/max over the repetitions, with the
load average.

Baseline, measured in the same run on the same records: one plain nats-server (no cluster,
no leaf nodes), one stream (replicas 1) taking every province's subject, the publishers
connected to it directly, and one plain consumer as nats-py's documentation writes it
(``pull_subscribe`` + ``fetch``; each record applied in its own transaction with
``apply_record``, then ``msg.ack()``). The ratio says what replication over three nodes,
the leaf hop and the federation's consumer cost or save against the simplest setup.

Both phases publish everything at once (a burst: the day's records as after a centre
outage), so the lag p99 is the time to drain a backlog, not a steady-state latency;
the steady rate of a real day is far below the apply rate (see the arithmetic below).

Sizing: a day of changes, from real province figures
-----------------------------------------------------
- 浙江 completes "300余万台件" (3.0 × 10^6) mandatory verifications a year with its public
  standards (浙江省质监局 2018, reported at https://cncal.com/article/165783 "浙江已建立社会公用
  计量标准3308项"). Each verification issues one certificate (检定证书, or a 检定结果通知书 on
  a fail), and its index entry is one ``certificate`` record to the centre.
- Other provinces scale by population (2022 year-end 常住人口, 万人, 国家统计局; cited from
  memory, confirmed: false — see POPULATION_2022): 浙江 6577 of 141,256 (4.66 %), so the
  nation verifies ≈ 3.0e6 / 0.0466 ≈ 6.4 × 10^7 instruments a year.
- Working days: 250 a year. A day: 6.4e7 / 250 ≈ 258,000 certificate records nationally
  (浙江 12,000; 广东 23,100; 西藏 660), plus registrations: a province's registrations move
  its coverage ledger and indicators, sent as ``coverage`` snapshots, one an hour over a
  10-hour working day (310 records).
- A day's total ≈ 258,000 records ≈ 9 records/s averaged over 8 working hours, ≈ 3 records/s
  over 24 h. Record size ≈ 1.9 kB (signed JSON with the seal certificate): ≈ 0.5 GB a day
  into the stream, × 3 replicas on disk.

The full day (``--fraction 1``) takes the centre's apply time: at the rates measured here
(hundreds of records/s) minutes; the default runs a sample of the day (every province's
first ``fraction`` of its records, keeping the proportions), and prints how long the whole
day would take at the measured rate. It creates and removes only its own servers (in a
temporary folder, on free ports), streams (on those servers) and database.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _timing import load_average  # noqa: E402

# 2022 year-end resident population, 万人 (国家统计局, 中国统计年鉴 2023; cited from memory, confirmed: false).
POPULATION_2022 = {
    "11": 2184, "12": 1363, "13": 7420, "14": 3481, "15": 2401, "21": 4197, "22": 2348, "23": 3099,
    "31": 2475, "32": 8515, "33": 6577, "34": 6127, "35": 4188, "36": 4528, "37": 10163,
    "41": 9872, "42": 5844, "43": 6604, "44": 12657, "45": 5047, "46": 1027,
    "50": 3213, "51": 8374, "52": 3856, "53": 4693, "54": 364,
    "61": 3956, "62": 2492, "63": 595, "64": 728, "65": 2587,
}  # fmt: skip
ZHEJIANG_VERIFICATIONS_PER_YEAR = 3_000_000  # "300余万台件" (see the docstring)
WORKING_DAYS = 250
COVERAGE_SNAPSHOTS_PER_DAY = 10


def day_certificates(code: str) -> int:
    return round(ZHEJIANG_VERIFICATIONS_PER_YEAR * POPULATION_2022[code] / POPULATION_2022["33"] / WORKING_DAYS)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


# ---- one run --------------------------------------------------------------------------------


def reset_database() -> None:
    """Empty the federation's tables of what the previous run applied (enrolments kept)."""
    from jiliang.federation import models

    models.AppliedRecord.objects.all().delete()
    models.RefusedRecord.objects.all().delete()
    models.FederatedCertificate.objects.all().delete()
    models.FederatedCoverage.objects.all().delete()
    models.ProvinceStatus.objects.update(
        applied_through=0, highest_seq=0, published_seq=0, applied_count=0, duplicate_count=0, refused_count=0
    )


def reset_streams(urls: list[str], *, replicas: int, single_stream: bool) -> None:
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    from jiliang.federation import transport

    async def go():
        nc = await transport._connect(urls)
        js = transport.jetstream(nc)
        try:
            for name in (transport.CHANGES_STREAM, transport.NATIONAL_STREAM, "BASELINE"):
                try:
                    await js.delete_stream(name)
                except NotFoundError:
                    pass
            if single_stream:
                await js.add_stream(StreamConfig(name="BASELINE", subjects=["jiliang.fed.>"], num_replicas=1))
            else:
                await transport.ensure_streams(js, replicas=replicas)
        finally:
            await nc.close()

    asyncio.run(go())


def publish_all(urls_of: dict[str, str], records: dict[str, list], result: dict) -> None:
    """Every province publishes its records at once, each over its own connection."""
    from jiliang.federation import transport

    async def province(code):
        nc = await transport._connect([urls_of[code]])
        try:
            publisher = transport.Publisher(transport.jetstream(nc), window=256)
            await publisher.publish(records[code])
            return publisher.stats.acked
        finally:
            await nc.close()

    async def everyone():
        return await asyncio.gather(*(province(code) for code in records))

    started = time.perf_counter()
    result["acked"] = sum(asyncio.run(everyone()))
    result["publish_seconds"] = time.perf_counter() - started


def plain_consumer(url: str, total: int, stats: dict) -> None:
    """The baseline consumer, as nats-py's documentation writes one: fetch, apply each
    record in its own transaction, ack it."""
    import nats

    from jiliang.federation.apply import apply_record
    from jiliang.federation.transport import PUBLISHED_HEADER

    lags = stats.setdefault("lag", [])

    async def connect():
        nc = await nats.connect(url)
        js = nc.jetstream(domain="centre")
        return nc, await js.pull_subscribe("jiliang.fed.>", durable="plain", stream="BASELINE")

    loop = asyncio.new_event_loop()
    nc, sub = loop.run_until_complete(connect())
    handled = 0
    try:
        while handled < total:
            try:
                msgs = loop.run_until_complete(sub.fetch(256, timeout=0.5))
            except Exception:  # noqa: BLE001 - nothing yet (nats-py raises a timeout)
                continue
            for msg in msgs:
                apply_record(msg.data)  # autocommit: its own transaction(s)
                loop.run_until_complete(msg.ack())
                lags.append((time.time_ns() - int(msg.headers[PUBLISHED_HEADER])) / 1e9)
                handled += 1
    finally:
        loop.run_until_complete(nc.close())
        loop.close()


def one_run(setup: str, fed, records: dict[str, list], total: int) -> dict:
    """Publish every province's records and apply them at the centre; the figures."""
    from jiliang.federation import transport

    reset_database()
    single = setup == "baseline"
    reset_streams(fed.centre_urls, replicas=len(fed.centre), single_stream=single)
    urls_of = {code: (fed.centre_urls[0] if single else fed.leaf_url(code)) for code in records}
    published: dict = {}
    publishers = threading.Thread(target=publish_all, args=(urls_of, records, published))
    started = time.perf_counter()
    publishers.start()
    if single:
        stats: dict = {}
        plain_consumer(fed.centre_urls[0], total, stats)
        lags, handled = stats["lag"], total
    else:
        consumer = transport.Consumer(fed.centre_urls, batch=256, keep_lag_samples=True)
        consumer.run(until=lambda s: s.handled >= total, seconds=3600)
        lags, handled = consumer.stats.lag_seconds, consumer.stats.handled
    seconds = time.perf_counter() - started
    publishers.join()
    from jiliang.federation.models import AppliedRecord

    applied = AppliedRecord.objects.count()
    if applied != total or published.get("acked") != total:
        raise SystemExit(f"{setup}: {applied} applied and {published.get('acked')} acknowledged of {total} published")
    return {"rate": handled / seconds, "p99": percentile(lags, 0.99), "p50": percentile(lags, 0.5), "seconds": seconds}


# ---- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small sample (0.2 %% of a day), 2 repetitions")
    parser.add_argument("--fraction", type=float, default=0.01, help="the share of a day's records published (default 0.01)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--no-partition",
        action="store_true",
        help="PostgreSQL: keep the centre's tables unpartitioned (docs/federation-partition.sql)",
    )
    args = parser.parse_args()
    if args.quick:
        args.fraction, args.repeats = 0.002, 2

    import contextlib
    import tempfile

    from _databases import scratch_postgres

    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="jiliang-bench-federation-"))
        if args.database == "postgres":
            url = stack.enter_context(scratch_postgres("federation"))
            if url is None:
                return
        else:
            url = f"sqlite:///{data_dir}/centre.sqlite3"
        os.environ.update(
            DATABASE_URL=url, JILIANG_DATA_DIR=data_dir, JILIANG_MODE="national", DJANGO_SETTINGS_MODULE="jiliang.settings"
        )
        os.environ.pop("JILIANG_PROVINCE", None)
        run(args, stack)


def run(args, stack) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from jiliang.federation.localnet import LocalFederation
    from jiliang.federation.simulate import day_of_changes, enrol, make_provinces

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"centre database migrated in {time.perf_counter() - started:.1f} s ({os.environ['DATABASE_URL'].split('://')[0]})")
    if args.database == "postgres" and not args.no_partition:
        from django.db import connection

        # The documented deployment: the certificate index and the record ledger partitioned by province.
        with connection.cursor() as cursor:
            cursor.execute((HERE.parent / "docs" / "federation-partition.sql").read_text(encoding="utf-8"))
        print("centre tables partitioned by province (docs/federation-partition.sql)")

    codes = sorted(POPULATION_2022)
    day = {code: day_certificates(code) for code in codes}
    day_total = sum(day.values()) + COVERAGE_SNAPSHOTS_PER_DAY * len(codes)
    provinces = make_provinces(codes)
    enrol(provinces.values())
    started = time.perf_counter()
    records = {
        code: day_of_changes(
            provinces[code],
            certificates=max(1, round(day[code] * args.fraction)),
            coverage_snapshots=max(1, round(COVERAGE_SNAPSHOTS_PER_DAY * args.fraction)),
        )
        for code in codes
    }
    total = sum(len(r) for r in records.values())
    size = sum(len(r.raw) for rs in records.values() for r in rs) / total
    print(
        f"a day: {day_total:,} records from 31 provinces (浙江 {day['33']:,}, 广东 {day['44']:,}, 西藏 {day['54']:,}); "
        f"this run: {total:,} ({args.fraction:g} of each province's day), {size:,.0f} bytes each, "
        f"signed in {time.perf_counter() - started:.1f} s"
    )

    results: dict[str, list[dict]] = {"federation": [], "baseline": []}
    for setup in ("federation", "baseline"):
        if setup == "federation":
            fed = LocalFederation.create(codes)
        else:
            fed = LocalFederation.create([], nodes=1)
        stack.callback(fed.remove)
        started = time.perf_counter()
        fed.start(timeout=60)
        label = "3-node cluster, R3 stream, 31 leaf nodes" if setup == "federation" else "1 node, 1 stream R1, plain consumer"
        print(f"{setup}: {label}; servers up in {time.perf_counter() - started:.1f} s")
        for i in range(args.repeats):
            figures = one_run(setup, fed, records, total)
            results[setup].append(figures)
            print(
                f"  run {i + 1}: {figures['rate']:,.0f} records/s, lag p50 {figures['p50']:.2f} s, p99 {figures['p99']:.2f} s "
                f"({figures['seconds']:.1f} s; {load_average()})"
            )
        fed.remove()

    def spread(setup: str, key: str) -> str:
        values = [r[key] for r in results[setup]]
        return f"{min(values):,.2f} / {statistics.median(values):,.2f} / {max(values):,.2f}"

    fed_rate = statistics.median(r["rate"] for r in results["federation"])
    base_rate = statistics.median(r["rate"] for r in results["baseline"])
    print()
    print(f"{'':<12}{'apply rate, records/s (min / median / max)':<46}{'lag p99, s (min / median / max)'}")
    for setup in ("federation", "baseline"):
        print(f"{setup:<12}{spread(setup, 'rate'):<46}{spread(setup, 'p99')}")
    print(f"ratio federation / baseline (median apply rate): {fed_rate / base_rate:.2f}")
    print(
        f"a whole day ({day_total:,} records) at the federation's median rate: {day_total / fed_rate / 60:,.1f} min "
        f"(a day's changes arrive over ~8 working hours: {day_total / 8 / 3600:.1f} records/s)"
    )
    print(load_average())


if __name__ == "__main__":
    main()
