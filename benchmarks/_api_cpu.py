"""CPU per request of the API, measured in one server process (bench_api.py runs it).

The machine is shared (load 8-12 while other jobs run), so wall time and requests/s say
more about the neighbours than about the code. This pass counts CPU time instead: the
Django process's own (``time.process_time``, user + system of this process only) and the
PostgreSQL backend's serving it (``/proc/<pid>/schedstat``: nanoseconds on CPU of that
process only). Requests go through the WSGI handler as gunicorn calls it (all middleware,
authentication, throttling, rendering), without the HTTP parsing, which is the same for
every endpoint and the baselines.

Each endpoint is run ``repeats`` times over ``per_repeat`` requests cycling over its
URLs; the figure is ms of CPU per request, min / median / max over the repetitions.
Memory is a separate pass (tracemalloc slows what it watches): the peak allocated during
one request, after the timed runs.

    python benchmarks/_api_cpu.py INFO_JSON [--repeats 5] [--requests 200] [--profile NAME]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection  # noqa: E402

import bench_api_urls  # noqa: E402  (sets up Django with the baselines' URLs)


def environ(path: str, token: str) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(path: str, token: str) -> tuple[int, int]:
    status = []
    result = bench_api_urls.application(environ(path, token), lambda s, h, e=None: status.append(s))
    size = sum(len(chunk) for chunk in result)
    if hasattr(result, "close"):
        result.close()
    return int(status[0].split()[0]), size


def backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def backend_cpu(pid: int | None) -> float:
    """Seconds on CPU of the PostgreSQL backend (same machine), nanosecond resolution."""
    if pid is None:
        return 0.0
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except OSError:
        return float("nan")


def endpoints(info: dict, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """name → [(role, path)]. Baselines first; every project endpoint says which baseline
    it is compared with (the name after ``vs``)."""
    top_i, top_e, counties = info["top_instrument"], info["top_event"], info["counties"]
    sizes = [20, 50, 100]
    admin = "admin"
    some_i = [rng.randint(1, top_i) for _ in range(400)]
    some_e = [rng.randint(1, top_e) for _ in range(400)]
    lists_i = [f"?page_size={rng.choice(sizes)}" for _ in range(60)]
    lists_e = [f"?page_size={rng.choice(sizes)}" for _ in range(60)]
    return {
        "bare view": [(admin, "/bench/constant/")],
        "DRF instruments list": [(admin, f"/bench/drf/instruments/{q}") for q in lists_i],
        "values instruments list": [(admin, f"/bench/values/instruments/{q}") for q in lists_i],
        "DRF instruments detail": [(admin, f"/bench/drf/instruments/{i}/") for i in some_i],
        "values instruments detail": [(admin, f"/bench/values/instruments/{i}/") for i in some_i],
        "DRF events list": [(admin, f"/bench/drf/events/{q}") for q in lists_e],
        "values events list": [(admin, f"/bench/values/events/{q}") for q in lists_e],
        "DRF events detail": [(admin, f"/bench/drf/events/{i}/") for i in some_e],
        "values events detail": [(admin, f"/bench/values/events/{i}/") for i in some_e],
        "instruments list": [(admin, f"/api/instruments/{q}") for q in lists_i],
        "instruments by county": [(admin, f"/api/instruments/?region={rng.choice(counties)}") for _ in range(60)],
        "instruments detail": [(admin, f"/api/instruments/{i}/") for i in some_i],
        "events list": [(admin, f"/api/events/{q}") for q in lists_e],
        "events by county": [(admin, f"/api/events/?region={rng.choice(counties)}") for _ in range(60)],
        "events detail": [(admin, f"/api/events/{i}/") for i in some_e],
        "events (institution)": [("institution", f"/api/events/{q}") for q in lists_e],
        "events (enterprise)": [("enterprise", f"/api/events/{q}") for q in lists_e],
        "coverage": [(admin, "/api/verification/coverage/")],
    }


BASELINE_OF = {
    "instruments list": "instruments list",
    "instruments by county": "instruments list",
    "instruments detail": "instruments detail",
    "events list": "events list",
    "events by county": "events list",
    "events detail": "events detail",
    "events (institution)": "events list",
    "events (enterprise)": "events list",
}


def run(paths, tokens, count: int) -> tuple[float, float, set]:
    """One repetition; done again if the connection was replaced meanwhile (CONN_MAX_AGE):
    the backend whose CPU is counted must be the one that served every request."""
    while True:
        statuses = set()
        pid = backend_pid()
        cpu0, db0 = time.process_time(), backend_cpu(pid)
        for k in range(count):
            role, path = paths[k % len(paths)]
            statuses.add(call(path, tokens[role])[0])
        cpu1, db1 = time.process_time(), backend_cpu(pid)
        if backend_pid() == pid:
            return (cpu1 - cpu0) * 1000 / count, (db1 - db0) * 1000 / count, statuses


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("info")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="requests per repetition")
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", default="", help="cProfile this endpoint (name) and print the top functions")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one request of each endpoint")
    args = parser.parse_args()
    info = json.loads(args.info)
    tokens = {"admin": info["token"], **info["tokens"]}
    table = endpoints(info, random.Random(7))
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    if wanted:
        table = {n: p for n, p in table.items() if n == "bare view" or any(w in n for w in wanted)}
    # The first requests fill lazy caches (URL resolvers, serializer plans, gc.freeze after
    # JILIANG_GC_FREEZE_AFTER requests): warm every endpoint before any figure is taken.
    for paths in table.values():
        for role, path in paths[:40]:
            status, _ = call(path, tokens[role])
    for _ in range(250):
        call("/bench/constant/", tokens["admin"])

    if args.queries:
        from django.test.utils import CaptureQueriesContext

        for name, paths in table.items():
            role, path = paths[0]
            with CaptureQueriesContext(connection) as captured:
                call(path, tokens[role])
            print(f"{name}: {len(captured.captured_queries)} queries")
            for query in captured.captured_queries:
                print(f"    {query['sql'][:400]}")
        return 0

    if args.profile:
        role_paths = table[args.profile]
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for the database
        profiler.enable()
        for k in range(args.requests):
            role, path = role_paths[k % len(role_paths)]
            call(path, tokens[role])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(45)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
        return 0

    print(
        f"CPU per request, one Django process + its PostgreSQL backend, {args.repeats} × {args.requests} requests "
        f"per endpoint (process_time and /proc schedstat, not wall time: the machine is shared)"
    )
    print(f"{os.getloadavg()[0]:.2f} 1-min load average at start on {os.cpu_count()} CPUs")
    print(
        f"{'endpoint':<26}{'server ms (min/med/max)':>26}{'db ms med':>11}{'total med':>11}{'× bare':>8}"
        f"{'× DRF':>7}{'× values':>9}{'status':>8}"
    )
    medians: dict[str, float] = {}
    for name, paths in table.items():
        server, database, statuses = [], [], set()
        for _ in range(args.repeats):
            s, d, st = run(paths, tokens, args.requests)
            server.append(s)
            database.append(d)
            statuses |= st
        total = statistics.median(s + d for s, d in zip(server, database))
        medians[name] = total
        base = BASELINE_OF.get(name)
        drf = f"{total / medians[f'DRF {base}']:.2f}" if base and f"DRF {base}" in medians else ""
        values = f"{total / medians[f'values {base}']:.2f}" if base and f"values {base}" in medians else ""
        spread = f"{min(server):.2f}/{statistics.median(server):.2f}/{max(server):.2f}"
        print(
            f"{name:<26}{spread:>26}{statistics.median(database):>11.2f}{total:>11.2f}{total / medians['bare view']:>8.1f}"
            f"{drf:>7}{values:>9}{','.join(map(str, sorted(statuses))):>8}",
            flush=True,
        )
    print(f"{os.getloadavg()[0]:.2f} 1-min load average at end")

    print("\nmemory (separate pass, tracemalloc on): peak KiB allocated during one request")
    for name, paths in table.items():
        role, path = paths[0]
        tracemalloc.start()
        call(path, tokens[role])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {name:<26}{peak / 1024:>10.0f}")
    target = [n for n in medians if n in BASELINE_OF]
    worst = max(target, key=medians.__getitem__) if target else None
    if worst:
        verdict = "met" if medians[worst] <= 3.0 else "NOT met"
        print(
            f"\ntarget ≤ 3 ms server+db CPU per list/detail request: {verdict} "
            f"(worst: {worst} {medians[worst]:.2f} ms, at {info['instruments']:,} instruments)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
