"""Credit grading (jiliang.credit) of 10^6 organisations from their evidence on PostgreSQL,
against a per-organisation ORM loop measured on a sample in the same run.

    python benchmarks/bench_credit.py                    # 10^6 organisations, 3 pieces each
    python benchmarks/bench_credit.py --organisations 100000 --repeats 3

Target (issue 19): grading 10^6 organisations from their evidence in <= 10 s on PostgreSQL.
The benchmark makes its own database (``jiliang_bench_credit_<pid>``), plants the
organisations and the evidence with set-based SQL, and drops that database at the end.

- set-based: ``services.grade_all`` (one aggregate over the evidence with the rule set's
  weights, windows and caps in the SQL; the changed grades written with INSERT … SELECT),
  timed from an empty grade history (every organisation gets a row: the worst case), then
  once more with nothing changed (the nightly case);
- baseline: what a competent Django user writes first: for each organisation, its evidence
  and exclusions through the ORM, ``rules.grade_of`` in Python, its current grade read and
  a new row saved when it changed. Measured on a sample and extrapolated to the whole set
  (said so in the output); the sample's grades are checked equal to the set-based ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _databases import PG_ADMIN_URL, fresh_postgres  # noqa: E402

KINDS = (
    "prepack_pass",
    "prepack_fail",
    "telemetry_confirmed",
    "complaint_substantiated",
    "instrument_overdue",
    "commitment_kept",
    "commitment_broken",
    "inspection_clean",
    "inspection_finding",
    "penalty_decision",
    "case_filed",
)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) the database backend has used: on a shared machine the
    wall time waits for CPUs others hold, the CPU time does not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server is on another machine
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def _plant(organisations: int, per_org: int) -> None:
    from django.db import connection

    from jiliang.registry.models import Region

    province = Region.objects.create(code="990000", name="基准省", level="province")
    cities = [Region.objects.create(code=f"99{i:02d}00", name=f"基准市{i}", level="city", parent=province) for i in range(1, 11)]
    first_city = cities[0].pk
    kinds_sql = "ARRAY[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    sectors = "ARRAY['enterprise', 'enterprise', 'enterprise', 'laboratory', 'authorised_institute']"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.19)")
        cursor.execute(
            "INSERT INTO registry_organisation (name, credit_code, kind, region_id, address) "
            f"SELECT 'org ' || i, lpad(i::text, 18, '0'), ({sectors})[1 + mod(i, 5)], %s + mod(i, 10), '' "
            "FROM generate_series(1, %s) i",
            [first_city, organisations],
        )
        cursor.execute("SELECT min(id) FROM registry_organisation WHERE credit_code = lpad('1', 18, '0')")
        first_org = cursor.fetchone()[0]
        cursor.execute(
            # In organisation order, as ``services.collect`` writes it.
            "INSERT INTO credit_evidence (organisation_id, kind, occurred_on, reference) "
            f"SELECT %s + (random() * (%s - 1))::int, ({kinds_sql})[1 + (random() * {len(KINDS) - 1})::int], "
            "current_date - (random() * 1400)::int, 'R' || i FROM generate_series(1, %s) i ORDER BY 1",
            [first_org, organisations, organisations * per_org],
        )
        cursor.execute("ANALYZE")


def _grade_loop(organisation_ids, on):
    """The baseline: one organisation at a time through the ORM."""
    from jiliang.credit import rules, services
    from jiliang.credit.models import CreditGrade, Evidence, Exclusion

    rs = services.rule_set_on(on)
    out = {}
    for org_id in organisation_ids:
        excluded = set(Exclusion.objects.filter(organisation_id=org_id, effective_on__lte=on).values_list("kind", "reference"))
        pieces = [
            (kind, day)
            for kind, day, ref in Evidence.objects.filter(organisation_id=org_id).values_list("kind", "occurred_on", "reference")
            if (kind, ref) not in excluded
        ]
        result = rules.grade_of(rs, pieces, on)
        current = CreditGrade.objects.filter(organisation_id=org_id, current=True).first()
        if current is None or current.grade != result.grade or current.rule_version != rs.version:
            if current is not None:
                current.current = False
                current.save(update_fields=["current"])
            CreditGrade.objects.create(
                organisation_id=org_id,
                grade=result.grade,
                previous=current.grade if current else "",
                score=result.score,
                graded_on=on,
                rule_version=rs.version,
                current=True,
                created_at=time_now(),
            )
        out[org_id] = result.grade
    return out


def time_now():
    from django.utils import timezone

    return timezone.now()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=1_000_000)
    parser.add_argument("--per-org", type=int, default=3, help="pieces of evidence per organisation on average")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=2_000, help="organisations the loop baseline grades")
    args = parser.parse_args()

    name = f"jiliang_bench_credit_{os.getpid()}"
    url = fresh_postgres(name)
    if url is None:
        return 0
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("JILIANG_DATA_DIR", tempfile.mkdtemp(prefix="jiliang_bench_credit_"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    try:
        return _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")


def _run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from jiliang.credit import services
    from jiliang.credit.models import CreditGrade

    call_command("migrate", verbosity=0, interactive=False)
    n = args.organisations
    print(f"credit grading benchmark: {n:,} organisations, ~{args.per_org} pieces of evidence each, PostgreSQL")
    print(f"load average before: {_load()} on {os.cpu_count()} CPUs (the machine is shared)")
    started = time.perf_counter()
    _plant(n, args.per_org)
    print(f"planted in {time.perf_counter() - started:.1f} s (not timed below)")
    today = timezone.localdate()

    def empty_history():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE credit_creditgrade")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    full, cpu, loads = [], [], []
    for _ in range(args.repeats):
        empty_history()
        cpu_before = _backend_cpu(backend)
        started = time.perf_counter()
        written = services.grade_all(today)
        full.append(time.perf_counter() - started)
        cpu_after = _backend_cpu(backend)
        if cpu_before is not None and cpu_after is not None:
            cpu.append(cpu_after - cpu_before)
        loads.append(os.getloadavg()[0])
    started = time.perf_counter()
    unchanged = services.grade_all(today)
    steady = time.perf_counter() - started
    graded = CreditGrade.objects.filter(current=True).count()

    # The loop baseline on a sample, from an empty history too (in a rolled-back transaction).
    sample_ids = list(
        CreditGrade.objects.filter(current=True)
        .order_by("organisation_id")
        .values_list("organisation_id", flat=True)[: args.sample]
    )
    expected = dict(
        CreditGrade.objects.filter(organisation_id__in=sample_ids, current=True).values_list("organisation_id", "grade")
    )
    with transaction.atomic():
        CreditGrade.objects.filter(organisation_id__in=sample_ids).delete()
        started = time.perf_counter()
        looped = _grade_loop(sample_ids, today)
        loop_sample = time.perf_counter() - started
        transaction.set_rollback(True)
    assert looped == expected, "the loop and the set-based grades differ"
    loop_estimate = loop_sample * graded / max(len(sample_ids), 1)

    print(f"graded organisations: {graded:,} (rows written a run: {written:,})")
    print(f"set-based, from an empty history, min / median / max of {args.repeats}: {_spread(full)}")
    if cpu:
        print(f"  database backend CPU time of those runs, min / median / max: {_spread(cpu)} (what the load does not inflate)")
    print(f"set-based, nothing changed (rows written: {unchanged}): {steady:.2f} s")
    print(
        f"baseline (per-organisation ORM loop): {loop_sample:.2f} s for a sample of {len(sample_ids):,}, "
        f"extrapolated to {graded:,}: {loop_estimate:,.0f} s (extrapolated, not run in full)"
    )
    print(f"speed-up (median set-based vs extrapolated loop): {loop_estimate / statistics.median(full):,.0f}x")
    print(f"target <= 10 s: {'met' if statistics.median(full) <= 10 else 'NOT met'}")
    print(f"load average during the runs (1 min): {' '.join(f'{x:.2f}' for x in loads)}; after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
