"""Registry API under concurrent load on loopback: gunicorn with the production settings
over a generated province; requests/s and p50/p99 latency of the instrument and event
list and detail endpoints (as the province's administrator, and the event list also as an
institution's verifier and as an enterprise user), as ratios to a bare Django view
returning a constant.

    python benchmarks/bench_api.py            # 10^6 instruments, a scratch PostgreSQL database on 127.0.0.1
    python benchmarks/bench_api.py --quick    # 10^5 instruments
    python benchmarks/bench_api.py --database sqlite       # a fresh SQLite file in a temp data dir
    python benchmarks/bench_api.py --keep     # keep the PostgreSQL province; --reuse NAME measures it again

Targets: list and detail p99 under 50 ms at 200 requests/s on 2 cores (issue 3); every
list and detail ≤ 3 ms of server+database CPU per request at 10^6 instruments (issue 20).

First pass, CPU per request (benchmarks/_api_cpu.py): one Django process calls the WSGI
handler and counts its own CPU time and its PostgreSQL backend's, not wall time (the
machine is shared, load 8-12, and wall figures say more about the neighbours), for each
endpoint and for two baselines measured in the same process: plain DRF generic views and
hand-written values()+orjson views (bench_api_urls.py says what they do). Min/median/max
over repetitions, the load average, memory in a separate pass.

Second pass (skip with --cpu-only), under load through gunicorn: an open-loop run at a
fixed rate (latency measured from the scheduled send time, so queueing counts) and a
closed-loop run with a few concurrent clients (the throughput); wall-clock figures, only
meaningful on a quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _databases import PG_ADMIN_URL, scratch_postgres

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = r"""
import datetime as dt, json, os, sys, django
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from jiliang.registry import demo, models
from jiliang.accounts.models import ApiToken, Membership
call_command("migrate", interactive=False, verbosity=0)
if demo.registry_is_empty():
    demo.generate(instruments=int(sys.argv[1]), seed=2035, as_of=dt.date(2025, 6, 30), progress=True)
user = get_user_model().objects.filter(username="bench-province-admin").first()
if user is None:
    user = get_user_model().objects.create_user("bench-province-admin", password=None)
    Membership.objects.create(user=user, role="region_admin", region=models.Region.objects.get(code="330000"))
token = ApiToken.issue(user, "bench")[1]
top_i = models.Instrument.objects.order_by("-id").values_list("id", flat=True).first()
top_e = models.CalibrationEvent.objects.order_by("-id").values_list("id", flat=True).first()
counties = list(models.Region.objects.filter(code__startswith="33", level="county").values_list("id", flat=True))
# The organisation-scoped roles: an institution's verifier (sees the events it performed
# or whose instrument it owns) and an enterprise user (the events of its instruments).
def member(username, **membership):
    person = get_user_model().objects.filter(username=username).first()
    if person is None:
        person = get_user_model().objects.create_user(username, password=None)
        Membership.objects.create(user=person, **membership)
    return ApiToken.issue(person, "bench")[1]
performer = models.CalibrationEvent.objects.filter(pk__gte=top_e // 2).order_by("pk").values_list("performer_id", flat=True).first()
owner = models.Instrument.objects.filter(pk__gte=top_i // 2).order_by("pk").values_list("owner_id", flat=True).first()
tokens = {"institution": member("bench-institution-verifier", role="institution_staff", organisation_id=performer, is_verifier=True),
          "enterprise": member("bench-enterprise-user", role="enterprise_user", organisation_id=owner)}
print("BENCH " + json.dumps({"token": token, "tokens": tokens, "instruments": models.Instrument.objects.count(), "events": top_e,
      "top_instrument": top_i, "top_event": top_e, "counties": counties}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict, instruments: int) -> dict:
    started = time.perf_counter()
    out = subprocess.run([PYTHON, "-c", SETUP, str(instruments)], env=env, check=True, capture_output=True, text=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH "))
    info = json.loads(line[6:])
    print(f"prepared {info['instruments']:,} instruments, ~{info['top_event']:,} events in {time.perf_counter() - started:.0f} s")
    return info


def start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "--pythonpath",
            str(ROOT / "benchmarks"),
            "bench_api_urls:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--preload",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/bench/constant/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("bench_api: gunicorn did not start")


class Client(threading.local):
    """One keep-alive connection per thread. A path is a URL, or (role, URL) to send it
    with that role's token instead of the province administrator's."""

    def __init__(self, port, headers, role_headers=None):
        self.port, self.headers, self.role_headers, self.connection = port, headers, role_headers or {}, None

    def get(self, path) -> int:
        headers = self.headers
        if isinstance(path, tuple):
            role, path = path
            headers = self.role_headers[role]
        for attempt in (0, 1):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.connection.request("GET", path, headers=headers)
                response = self.connection.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        return 0


def open_loop(client: Client, paths, rate: float, seconds: float, threads: int = 32) -> dict:
    """Send at a fixed rate; latency from the scheduled send time (queueing included)."""
    count = int(rate * seconds)
    jobs: queue.Queue = queue.Queue()
    latencies, statuses = [], []
    lock = threading.Lock()

    def work():
        while True:
            job = jobs.get()
            if job is None:
                return
            scheduled, path = job
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif -delay > seconds:  # hopelessly behind: count it as dropped, keep the run bounded
                with lock:
                    statuses.append("dropped")
                continue
            status = client.get(path)
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start = time.perf_counter() + 0.05
    for i in range(count):
        jobs.put((start + i / rate, paths[i % len(paths)]))
    for _ in pool:
        jobs.put(None)
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - start
    return summarise(latencies, statuses, wall)


def closed_loop(client: Client, paths, seconds: float, concurrency: int = 8) -> dict:
    latencies, statuses = [], []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def work(offset):
        i = offset
        while time.perf_counter() < stop:
            began = time.perf_counter()
            status = client.get(paths[i % len(paths)])
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses.append(status)
            i += concurrency

    start = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(concurrency)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return summarise(latencies, statuses, time.perf_counter() - start)


def summarise(latencies, statuses, wall) -> dict:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    bad = sum(1 for s in statuses if s != 200)
    if not ordered:
        return {"requests": 0, "rps": 0.0, "p50": float("inf"), "p99": float("inf"), "errors": bad}
    return {"requests": len(ordered), "rps": len(ordered) / wall, "p50": pick(0.50), "p99": pick(0.99), "errors": bad}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pids) -> float:
    """CPU seconds (user + system) the processes have used so far, from /proc."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


class CpuMeter:
    """CPU used by the server's workers, the database's backends and this client during a
    run: what one request costs the machine, whatever else runs on it."""

    def __init__(self, server_pid: int, database_url: str | None):
        self.server = [server_pid, *children(server_pid)]
        self.admin = None
        self.database = database_url.rsplit("/", 1)[-1] if database_url else None
        if database_url:
            import psycopg

            self.admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)

    def database_cpu(self) -> dict[int, float]:
        """CPU so far of each backend of the benchmark database, looked up at every
        snapshot: the workers' connections are replaced when they reach their maximum
        age (CONN_MAX_AGE), and the new backends are counted from their start."""
        if self.admin is None:
            return {}
        pids = [
            r[0] for r in self.admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchall()
        ]
        return {pid: process_cpu([pid]) for pid in pids}

    def snapshot(self) -> tuple[float, dict, float]:
        return process_cpu(self.server), self.database_cpu(), time.process_time()

    @staticmethod
    def per_request(before, after, requests: int) -> tuple[float, ...]:
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        spent = (after[0] - before[0], database, after[2] - before[2])
        return tuple(1000 * x / max(requests, 1) for x in spent)

    def close(self) -> None:
        if self.admin is not None:
            self.admin.close()


def endpoint_paths(info, rng: random.Random) -> dict:
    top_i, top_e, counties = info["top_instrument"], info["top_event"], info["counties"]
    return {
        "bare view (baseline)": ["/bench/constant/"],
        "instruments list": [f"/api/instruments/?page_size={rng.choice([20, 50, 100])}" for _ in range(100)],
        "instruments by county": [f"/api/instruments/?region={rng.choice(counties)}" for _ in range(100)],
        "instruments detail": [f"/api/instruments/{rng.randint(1, top_i)}/" for _ in range(2000)],
        "events list": [f"/api/events/?page_size={rng.choice([20, 50, 100])}" for _ in range(100)],
        # Events carry their instrument's region (indexed with the id): no join.
        "events by county": [f"/api/events/?region={rng.choice(counties)}" for _ in range(100)],
        "events detail": [f"/api/events/{rng.randint(1, top_e)}/" for _ in range(2000)],
        # Organisation-scoped roles: the events they performed or whose instruments they own.
        "events (institution)": [("institution", f"/api/events/?page_size={rng.choice([20, 50, 100])}") for _ in range(100)],
        "events (enterprise)": [("enterprise", f"/api/events/?page_size={rng.choice([20, 50, 100])}") for _ in range(100)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^5 instruments, shorter runs")
    # PostgreSQL is the production database (and keeps connections; the SQLite default of
    # the settings opens one per request, which this load mostly measures).
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests per second")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated parts of endpoint names to run (the baseline always runs)")
    parser.add_argument("--cpu-only", action="store_true", help="only the CPU-per-request pass (no gunicorn load runs)")
    parser.add_argument("--cpu-repeats", type=int, default=3)
    parser.add_argument("--cpu-requests", type=int, default=150, help="requests per repetition of the CPU pass")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the generated province and print its name")
    parser.add_argument(
        "--reuse", metavar="NAME", help="PostgreSQL: measure a province kept by --keep (generation takes minutes at 10^6)"
    )
    args = parser.parse_args()
    instruments = 100_000 if args.quick else args.instruments
    seconds = args.seconds or (5.0 if args.quick else 15.0)

    data_dir = Path(tempfile.mkdtemp(prefix="jiliang-bench-api-"))
    env = {
        **os.environ,
        "JILIANG_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "jiliang.settings",
        "PYTHONPATH": str(ROOT / "src"),
        "JILIANG_API_USER_RATE": "100000000/minute",
    }
    env.pop("JILIANG_DEBUG", None)  # production settings
    with contextlib.ExitStack() as scratch:
        if args.database == "postgresql":
            url = scratch.enter_context(scratch_postgres("api", keep=args.keep, reuse=args.reuse))
            if url is None:
                return 1
            env["DATABASE_URL"] = url
        else:
            env.pop("DATABASE_URL", None)
        return measure(args, env, data_dir, instruments, seconds)


def measure(args, env: dict, data_dir: Path, instruments: int, seconds: float) -> int:
    server = None
    try:
        info = prepare(env, instruments)
        cpu_pass = [PYTHON, str(ROOT / "benchmarks" / "_api_cpu.py"), json.dumps(info)]
        cpu_pass += ["--repeats", str(args.cpu_repeats), "--requests", str(args.cpu_requests), "--only", args.only]
        subprocess.run(cpu_pass, env=env, check=True)
        if args.cpu_only:
            return 0
        port = free_port()
        server = start_server(env, port, args.workers, args.threads)
        bearer = lambda token: {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}  # noqa: E731
        client = Client(port, bearer(info["token"]), {role: bearer(token) for role, token in info["tokens"].items()})
        paths = endpoint_paths(info, random.Random(7))
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        paths = {
            name: p for name, p in paths.items() if name == "bare view (baseline)" or not wanted or any(w in name for w in wanted)
        }
        for path in paths.values():  # warm every worker's caches and the page cache
            for p in path[:20]:
                client.get(p)
        print(f"\nload average before the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine is shared)")
        print(
            f"{args.database}, {info['instruments']:,} instruments, gunicorn {args.workers} workers × {args.threads} threads, "
            f"{os.cpu_count()} CPUs; open loop at {args.rate:.0f} req/s and closed loop (8 clients), {seconds:.0f} s each"
        )
        # Warming opened every worker's database connection: the meter can find them now.
        meter = CpuMeter(server.pid, env.get("DATABASE_URL"))
        print(
            f"{'endpoint':<22}{'max req/s':>10}{'× bare':>8}{'@rate p50 ms':>14}{'p99 ms':>9}{'× bare p99':>11}{'errors/dropped':>16}"
            f"{'CPU ms/req server+db+client':>30}"
        )
        results = {}
        for name, path in paths.items():
            before = meter.snapshot()
            closed = closed_loop(client, path, seconds)
            cpu = meter.per_request(before, meter.snapshot(), closed["requests"])
            opened = open_loop(client, path, args.rate, seconds)
            results[name] = (closed, opened)
            base_closed, base_open = results["bare view (baseline)"]
            print(
                f"{name:<22}{closed['rps']:>10.0f}{closed['rps'] / base_closed['rps']:>8.2f}{opened['p50']:>14.1f}{opened['p99']:>9.1f}"
                f"{opened['p99'] / base_open['p99']:>11.2f}{closed['errors'] + opened['errors']:>16}"
                f"{'':>8}{cpu[0]:.2f} + {cpu[1]:.2f} + {cpu[2]:.2f}"
            )
        meter.close()
        print(f"load average after the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        verdict = all(results[n][1]["p99"] < 50 and not results[n][1]["errors"] for n in results if n != "bare view (baseline)")
        print(f"\ntarget p99 < 50 ms at {args.rate:.0f} req/s on list and detail: {'met' if verdict else 'NOT met'}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
