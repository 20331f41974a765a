"""Server time of the main pages on the demo province (10^5 instruments by default): p50
and p95 of each page through Django's test client (the whole middleware stack and the
template, no network), as ratios to a bare Django view returning a constant measured in
the same run.

    python benchmarks/bench_pages.py                         # 10^5 instruments, SQLite (the embedded default)
    python benchmarks/bench_pages.py --database postgresql   # a scratch PostgreSQL database of its own, dropped after
    python benchmarks/bench_pages.py --instruments 20000 --samples 20   # a quick look

Target (issue 8): every page under 300 ms server time at p95. Pages are sampled over many
records (random instruments, standards, events, counties); each page is warmed once
before timing. Wall time (server time) and the process's CPU time are both reported: on
a shared machine the first includes waiting for a core. The dashboards keep their two heavy figures (coverage ledger, due list of
the region) in the cache for five minutes: they are timed warm (as people meet them) and
cold (the cache emptied before every request: the page is then sent with those panels
left for htmx, and the panel requests are timed on their own).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
TARGET_MS = 300.0


def worker(database_url: str, instruments: int, samples: int) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    os.environ.pop("JILIANG_DEBUG", None)  # production settings
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import path
    from django.utils import timezone

    from jiliang.accounts.models import Membership
    from jiliang.registry import demo
    from jiliang.registry import models as reg

    sys.path.insert(0, str(ROOT))
    from tests.web import province as builder

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    demo.generate(instruments=instruments, seed=2035, as_of=timezone.localdate(), progress=False)
    p = builder.prepare()
    province_admin = get_user_model().objects.create_user("bench-province-admin", password=None)
    Membership.objects.create(user=province_admin, role="region_admin", region=p.province)
    prepared_s = time.perf_counter() - started

    def constant(request):
        return HttpResponse(b"ok", content_type="text/plain")

    urls = types.ModuleType("bench_pages_urls")
    from jiliang.urls import urlpatterns as site

    urls.urlpatterns = [path("bench/constant/", constant), *site]
    sys.modules["bench_pages_urls"] = urls

    rng = random.Random(7)
    instrument_ids = list(reg.Instrument.objects.filter(standard__isnull=True).values_list("id", flat=True))
    standard_ids = list(reg.MeasurementStandard.objects.values_list("id", flat=True))
    top_event = reg.CalibrationEvent.objects.order_by("-id").values_list("id", flat=True).first()
    counties = list(reg.Region.objects.filter(level="county", code__startswith=p.province.code[:2]).values_list("id", flat=True))
    institutes = list(reg.Organisation.objects.filter(kind="legal_institute").values_list("id", flat=True))
    codes = list(reg.Instrument.objects.order_by("?").values_list("code", flat=True)[:200])
    quantities = list(reg.Capability.objects.values_list("quantity_id", flat=True).distinct())
    pick = lambda seq, n=100: [rng.choice(seq) for _ in range(n)]  # noqa: E731

    users = {"anonymous": None, **p.users, "province_admin": province_admin}
    clients = {}
    for role, user in users.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        if user is not None:
            client.force_login(user)
        clients[role] = client
    hx = {"HTTP_HX_REQUEST": "true"}

    # (label, role, paths, mode, headers); mode: "warm", or "cold" (cache emptied before each request)
    pages = [
        ("bare view (baseline)", "anonymous", ["/bench/constant/"], "warm", {}),
        ("home", "anonymous", ["/"], "warm", {}),
        ("instrument list", "anonymous", ["/instruments/"], "warm", {}),
        ("instrument list, county filter", "anonymous", [f"/instruments/?region={c}" for c in pick(counties)], "warm", {}),
        ("instrument list, code search", "anonymous", [f"/instruments/?q={c}" for c in pick(codes)], "warm", {}),
        ("instrument detail + chain", "anonymous", [f"/instruments/{i}/" for i in pick(instrument_ids)], "warm", {}),
        ("standard detail + chain", "anonymous", [f"/standards/{i}/" for i in pick(standard_ids)], "warm", {}),
        ("event list", "anonymous", ["/events/"], "warm", {}),
        ("event detail + chain", "anonymous", [f"/events/{rng.randint(1, top_event)}/" for _ in range(100)], "warm", {}),
        ("organisation detail (institutes)", "anonymous", [f"/organisations/{i}/" for i in pick(institutes)], "warm", {}),
        ("portal search", "anonymous", [f"/portal/capabilities/?quantity={q}" for q in pick(quantities)], "warm", {}),
        ("dashboard county admin", "county_admin", ["/dashboard/"], "warm", {}),
        ("dashboard county admin, cold", "county_admin", ["/dashboard/"], "cold", {}),
        ("  coverage panel county, cold", "county_admin", ["/dashboard/?panel=coverage"], "cold", hx),
        ("  due panel county, cold", "county_admin", ["/dashboard/?panel=due&days=30"], "cold", hx),
        ("dashboard province admin", "province_admin", ["/dashboard/"], "warm", {}),
        ("dashboard province admin, cold", "province_admin", ["/dashboard/"], "cold", {}),
        ("  coverage panel province, cold", "province_admin", ["/dashboard/?panel=coverage"], "cold", hx),
        ("  due panel province, cold", "province_admin", ["/dashboard/?panel=due&days=30"], "cold", hx),
        ("dashboard national", "superuser", ["/dashboard/"], "warm", {}),
        ("dashboard institution", "institution_staff", ["/dashboard/"], "warm", {}),
        ("dashboard institution, cold", "institution_staff", ["/dashboard/"], "cold", {}),
        ("dashboard enterprise", "enterprise_user", ["/dashboard/"], "warm", {}),
        ("due list county", "county_admin", ["/dashboard/due/?kind=overdue"], "warm", {}),
        ("due list province", "province_admin", ["/dashboard/due/?kind=overdue"], "warm", {}),
        ("due list province, cold", "province_admin", ["/dashboard/due/?kind=overdue"], "cold", {}),
        ("due list enterprise", "enterprise_user", ["/dashboard/due/"], "warm", {}),
        ("verification overdue county", "county_admin", ["/verification/administrator/overdue/"], "warm", {}),
        ("verification overdue province", "province_admin", ["/verification/administrator/overdue/"], "warm", {}),
        ("verification coverage province", "province_admin", ["/verification/administrator/coverage/"], "warm", {}),
    ]
    results = []
    with override_settings(ROOT_URLCONF="bench_pages_urls"):
        for label, role, paths, mode, headers in pages:
            client = clients[role]
            cold = mode == "cold"
            n = max(5, samples // 4) if cold and ("province" in label or "national" in label) else samples
            for path in dict.fromkeys(paths[:20]):  # warm caches and connections
                response = client.get(path, **headers)
                assert response.status_code == 200, f"{label}: {path} answered {response.status_code}"
            times, cpu = [], []
            for i in range(n):
                if cold:
                    cache.clear()
                path = paths[i % len(paths)]
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.get(path, **headers)
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                assert response.status_code == 200, f"{label}: {path} answered {response.status_code}"
            times.sort()
            cpu.sort()
            p95 = lambda xs: xs[min(len(xs) - 1, int(0.95 * len(xs)))]  # noqa: E731
            results.append({"page": label, "n": n, "p50": statistics.median(times), "p95": p95(times), "cpu_p95": p95(cpu)})
    from django.db import connection

    return {
        "database": connection.vendor,
        "instruments": reg.Instrument.objects.count(),
        "prepared_s": prepared_s,
        "results": results,
        "load": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=60, help="requests timed per page")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.instruments, args.samples)))
        return 0

    from _databases import run_workers

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"bench_pages: {args.instruments:,} instruments, {args.samples} requests a page; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs (the machine is shared)"
    )
    failed = False
    for run in run_workers(
        __file__, databases, "pages", ["--instruments", str(args.instruments), "--samples", str(args.samples)]
    ):
        base = next(r for r in run["results"] if r["page"].startswith("bare view"))
        print(
            f"\n{run['database']}: {run['instruments']:,} instruments (province generated and prepared in {run['prepared_s']:.0f} s); "
            f"load average after: {' '.join(f'{x:.1f}' for x in run['load'])}"
        )
        print(f"{'page':<36}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p95 × bare':>12}{'CPU p95 ms':>12}  target")
        for r in run["results"]:
            verdict = "" if r is base else ("ok" if r["p95"] < TARGET_MS else "OVER")
            failed |= verdict == "OVER"
            print(
                f"{r['page']:<36}{r['n']:>5}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p95'] / base['p95']:>12.1f}{r['cpu_p95']:>12.1f}  {verdict}"
            )
        print(
            "(CPU p95: the process's own CPU time per request; on SQLite, in process, it is what an idle machine's "
            "server time would be, when other work shares the cores)"
        )
    print(f"\ntarget p95 < {TARGET_MS:.0f} ms on every page: {'NOT met (see OVER)' if failed else 'met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
