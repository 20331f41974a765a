"""Benchmark of the audit ledger (issue 3): `jiliang audit verify` over 10^6 entries.

For each database (SQLite in a temporary folder; PostgreSQL too when reachable at
postgres://postgres@127.0.0.1:5432, in a scratch database it creates and drops):

1. write N live instrument rows with COPY / executemany and record one ``import`` entry
   per row with ``record_many`` (read back, hashed, chained, written in bulk);
2. run ``jiliang audit verify`` in a fresh process (chain walk streamed in chunks, plus
   every object's live row against its recorded digest), timed, with its CPU time and peak
   RSS: once in one process (the default) and once with two forked workers (run second,
   so it finds the database pages already cached);
3. a naive verify on a sample in the same database, for the ratio: one ORM object per
   entry, ``json.loads`` of its values, and one ``get()`` per live row.

Target: verify of 10^6 entries in under 30 s.

    python benchmarks/bench_audit.py [--quick] [--entries N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _databases import scratch_postgres  # noqa: E402  (the benchmarks folder is on the path of a script run from it)

# ---------------------------------------------------------------- child: build / naive


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build(n: int) -> dict:
    _django()
    import numpy as np
    from django.db import transaction

    from jiliang.audit import services
    from jiliang.core.identifiers import make_credit_code
    from jiliang.registry import bulk
    from jiliang.registry import models as m

    province = m.Region.objects.create(code="330000", name="浙江省", level="province")
    owner = m.Organisation.objects.create(
        name="杭州某燃气公司", credit_code=make_credit_code("91330100MA2C00001"), kind="enterprise", region=province
    )
    ids = np.arange(1, n + 1, dtype=np.int64)
    started = time.perf_counter()
    with transaction.atomic():
        for start in range(0, n, 200_000):
            part = ids[start : start + 200_000]
            k = len(part)
            codes = np.char.add("I", np.char.zfill(part.astype(str), 9))
            bulk.write_columns(
                "registry_instrument",
                [
                    "id",
                    "code",
                    "name",
                    "legal_purpose",
                    "owner_id",
                    "region_id",
                    "manufacturer",
                    "model",
                    "serial_number",
                    "type_approval_number",
                    "accuracy",
                    "range_min",
                    "range_max",
                    "unit",
                    "status",
                    "installed_on",
                ],
                [
                    part,
                    codes,
                    ["燃气表"] * k,
                    ["none"] * k,
                    [owner.pk] * k,
                    [province.pk] * k,
                    ["金卡智能"] * k,
                    ["G2.5"] * k,
                    np.char.add("S", part.astype(str)),
                    [""] * k,
                    ["1.5级"] * k,
                    [0.016] * k,
                    (2.5 + (part % 7)).astype(float),
                    ["m³/h"] * k,
                    ["in_use"] * k,
                    ["2024-05-01"] * k,
                ],
            )
        bulk.reset_sequences(m.Instrument)
    rows_s = time.perf_counter() - started
    started = time.perf_counter()
    with services.audit_context(actor="bench:import"):
        count = services.record_many("import", m.Instrument, ({"id": int(i)} for i in ids))
    record_s = time.perf_counter() - started
    return {"rows_s": rows_s, "record_s": record_s, "entries": count}


def naive(sample: int) -> dict:
    """A straightforward verify: ORM objects, parsed JSON re-serialised, a query per row."""
    _django()
    from django.apps import apps

    from jiliang.audit.models import AuditEntry
    from jiliang.audit.rows import columns as _columns
    from jiliang.core import ledger

    started = time.perf_counter()
    previous = ledger.GENESIS
    bad = 0
    for entry in AuditEntry.objects.order_by("sequence")[:sample]:
        content = {
            "sequence": entry.sequence,
            "timestamp": entry.timestamp,
            "actor_id": entry.actor_user_id,
            "actor": entry.actor,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "natural_key": entry.natural_key,
            "reason": entry.reason,
            "row_digest": entry.row_digest,
            "previous_hash": entry.previous_hash,
            "old": None if entry.old is None else ledger.canonical_json(entry.old),
            "new": None if entry.new is None else ledger.canonical_json(entry.new),
        }
        bad += ledger.entry_hash(content) != entry.entry_hash or entry.previous_hash != previous
        previous = entry.entry_hash
        if entry.row_digest:
            model = apps.get_model(entry.object_type)
            obj = model.objects.get(pk=int(entry.object_id))
            row = {name: getattr(obj, name) for name in _columns(model)}  # the ledger's columns (derived ones left out)
            bad += ledger.row_digest(row) != entry.row_digest
    elapsed = time.perf_counter() - started
    return {"sample": sample, "seconds": elapsed, "bad": int(bad)}


# ---------------------------------------------------------------- parent


def _run_measured(args: list[str], env: dict) -> tuple[str, float, int, int, float]:
    """Run a child; (stdout, wall seconds, peak RSS in bytes, exit code, CPU seconds). Reaped
    with wait4 to read the child's own resource usage."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with tempfile.TemporaryFile() as out_buf, tempfile.TemporaryFile() as err_buf:
        # Drain the pipes into files so wait4 can reap the child (and report its rusage).
        pumps = [
            threading.Thread(target=shutil.copyfileobj, args=(proc.stdout, out_buf)),
            threading.Thread(target=shutil.copyfileobj, args=(proc.stderr, err_buf)),
        ]
        for t in pumps:
            t.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        for t in pumps:
            t.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_buf.seek(0)
        err_buf.seek(0)
        out, err = out_buf.read().decode(), err_buf.read().decode()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"child {' '.join(args[1:4])} failed ({proc.returncode}):\n{err[-3000:]}")
    return out, elapsed, usage.ru_maxrss * 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def _child_json(args: list[str], env: dict) -> tuple[dict, float, int]:
    out, elapsed, peak, _, _ = _run_measured(args, env)
    return json.loads(out.strip().splitlines()[-1]), elapsed, peak


def bench_backend(name: str, env: dict, n: int, sample: int) -> None:
    me = [sys.executable, str(Path(__file__).resolve())]
    built, build_s, build_peak = _child_json([*me, "--child", "build", "--entries", str(n)], env)
    print(
        f"[{name}] built {n:,} instruments in {built['rows_s']:.1f} s; record_many of {built['entries']:,} entries "
        f"in {built['record_s']:.1f} s ({built['entries'] / built['record_s']:,.0f} entries/s), peak RSS {build_peak / 2**20:.0f} MiB"
    )

    inner_rate = 0.0
    for workers in ("default 1", "2"):
        extra = [] if workers.startswith("default") else ["--workers", workers]
        out, verify_s, verify_peak, code, verify_cpu = _run_measured(
            [
                sys.executable,
                "-c",
                "import sys; from jiliang.cli import main; sys.exit(main(sys.argv[1:]))",
                "audit",
                "verify",
                "--json",
                *extra,
            ],
            env,
        )
        report = json.loads(out)
        rate = report["entries"] / verify_s
        inner_rate = max(inner_rate, report["entries"] / report["seconds"])
        met = "n/a (smaller run)" if report["entries"] < 10**6 else "met" if verify_s < 30 else "MISSED"
        print(
            f"[{name}] jiliang audit verify (workers {workers}): {report['entries']:,} entries + {report['rows_checked']:,} live rows "
            f"in {verify_s:.1f} s wall ({report['seconds']:.1f} s in verify, {verify_cpu:.1f} s CPU) = {rate:,.0f} entries/s, "
            f"exit {code}, intact={report['intact']}, peak RSS {verify_peak / 2**20:.0f} MiB  [target 10^6 entries < 30 s: {met}]"
        )

    slow, _, _ = _child_json([*me, "--child", "naive", "--sample", str(sample)], env)
    naive_rate = slow["sample"] / slow["seconds"]
    print(
        f"[{name}] naive per-entry ORM verify on {slow['sample']:,} entries: {naive_rate:,.0f} entries/s "
        f"(found {slow['bad']} bad) -> streaming verify is {inner_rate / naive_rate:.1f}x faster"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 entries")
    parser.add_argument("--entries", type=int, help="number of entries (default 10^6)")
    parser.add_argument("--sample", type=int, default=5_000, help="entries in the naive baseline's sample")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", choices=["build", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps(build(args.entries)))
        return 0
    if args.child == "naive":
        print(json.dumps(naive(args.sample)))
        return 0

    n = args.entries or (10_000 if args.quick else 1_000_000)
    sample = min(args.sample, n, 1_000 if args.quick else args.sample)
    print(
        f"audit ledger benchmark: {n:,} entries, naive sample {sample:,}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="jiliang-bench-audit-") as data_dir:
        env = dict(os.environ, JILIANG_DATA_DIR=data_dir, PYTHONPATH=str(ROOT / "src"))
        env.pop("DATABASE_URL", None)
        bench_backend("sqlite", env, n, sample)
        if args.no_postgres:
            print("[postgresql] skipped: --no-postgres")
        else:
            with scratch_postgres("audit") as url:
                if url is None:
                    print("[postgresql] skipped: no server reachable")
                else:
                    bench_backend("postgresql", dict(env, DATABASE_URL=url), n, sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
