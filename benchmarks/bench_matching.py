"""Supply–demand matching (jiliang.matching) of 10^5 needs against a province's
capabilities, against a per-need ORM loop measured on a sample in the same run.

    python benchmarks/bench_matching.py                  # 10^5 needs, PostgreSQL scratch database
    python benchmarks/bench_matching.py --quick          # 5,000 needs
    python benchmarks/bench_matching.py --sqlite         # an SQLite file instead

Target (issue 25): matching 10^5 needs against a province's capabilities in <= 10 s.
The benchmark makes its own scratch database (benchmarks/_databases.py: created, marked
and dropped by this run), plants a province (its providers, standards, capabilities,
authorisations for mandatory verification, published terms) and the needs, then times:

- project: ``services.rank_needs`` over every open need — one bulk load of each side, the
  authorisation rule (jiliang.authorisation.rules) asked once per distinct piece of
  mandatory work, the NumPy core over (needs × capabilities) blocks per quantity;
- baseline: what a competent Django developer writes first: for each need, its candidate
  capabilities through the ORM (quantity, unit, range, standard in service, holder with
  terms), the ratio and factor scores in Python, the authorisation rule asked per
  candidate provider of a mandatory need, a sort. Measured on a sample of needs and
  extrapolated linearly (a per-need loop is linear), said so in the output; the sample's
  rankings are checked equal to the project's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _databases import scratch_postgres  # noqa: E402
from _timing import load_average, repeat  # noqa: E402

QUANTITIES = 24
UNITS = ("MPa", "kPa")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--providers", type=int, default=120)
    parser.add_argument("--standards", type=int, default=6, help="standards per provider (2 capabilities each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=500, help="needs the loop baseline ranks")
    parser.add_argument("--quick", action="store_true", help="5,000 needs")
    parser.add_argument("--sqlite", action="store_true", help="an SQLite file instead of a PostgreSQL scratch database")
    args = parser.parse_args()
    if args.quick:
        args.needs, args.sample, args.repeats = 5_000, 200, 2
    data_dir = tempfile.mkdtemp(prefix="jiliang_bench_matching_")
    os.environ["JILIANG_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
        return _run(args, "SQLite")
    with scratch_postgres("matching") as url:
        if url is None:
            return 0
        os.environ["DATABASE_URL"] = url
        try:
            return _run(args, "PostgreSQL")
        finally:
            from django.db import connections

            connections.close_all()


def _plant(args, rng: random.Random):
    """A province: providers in its cities, standards with capabilities over QUANTITIES
    quantities, authorisations of the verifying ones for their city (or the province),
    general terms; the needs of enterprises of its counties."""
    from django.utils import timezone

    from jiliang.authorisation.models import Authorisation, AuthorisedArea, AuthorisedItem
    from jiliang.core.identifiers import make_credit_code
    from jiliang.matching.models import Need, ServiceTerms
    from jiliang.registry import models as reg

    today = timezone.localdate()
    province = (
        reg.Region.objects.filter(level="province", code__startswith="33").first()
        or reg.Region.objects.filter(level="province").order_by("code").first()
    )
    prefix = province.code[:2]
    cities = list(reg.Region.objects.filter(level="city", code__startswith=prefix))
    counties = list(reg.Region.objects.filter(level="county", code__startswith=prefix))
    field = reg.MetrologyField.objects.order_by("pk").first()
    quantities = reg.Quantity.objects.bulk_create(
        [reg.Quantity(name=f"bench quantity {i}", field=field, unit=UNITS[0]) for i in range(QUANTITIES)]
    )
    items = reg.CatalogItem.objects.bulk_create(
        [
            reg.CatalogItem(
                code=f"BM-{i:04d}", name=f"bench item {i}", field=field, quantity=q, management_mode="periodic", period_months=12
            )
            for i, q in enumerate(quantities)
        ]
    )
    serial = iter(range(1, 10**7))

    def org(name, kind, region):
        return reg.Organisation(
            name=name, credit_code=make_credit_code(f"91{region.code}{next(serial):09d}"[:17]), kind=kind, region=region
        )

    bureau = org("bench bureau", "administration", province)
    bureau.save()
    kinds = ("legal_institute", "authorised_institute", "laboratory", "professional_station")
    providers = reg.Organisation.objects.bulk_create(
        [org(f"bench provider {i}", kinds[i % 4], rng.choice(cities + [province])) for i in range(args.providers)]
    )
    enterprises = reg.Organisation.objects.bulk_create(
        [org(f"bench enterprise {i}", "enterprise", rng.choice(counties)) for i in range(400)]
    )
    standards = reg.MeasurementStandard.objects.bulk_create(
        [
            reg.MeasurementStandard(
                name=f"bench standard {p.pk}-{s}",
                tier="public",
                level="city",
                holder=p,
                field=field,
                certificate_number=f"BENCH-{p.pk}-{s}",
                issuing_department=bureau,
                valid_from=today - dt.timedelta(days=300),
                valid_until=today + dt.timedelta(days=1500),
            )
            for p in providers
            for s in range(args.standards)
        ]
    )
    caps = []
    for standard in standards:
        for _ in range(2):
            q = rng.choice(quantities)
            relative = rng.random() < 0.25
            caps.append(
                reg.Capability(
                    standard=standard,
                    quantity=q,
                    range_min=rng.choice([0.0, 0.0, -1.0]),
                    range_max=rng.choice([10.0, 60.0, 100.0, 250.0]),
                    unit=rng.choice(UNITS) if rng.random() < 0.2 else UNITS[0],
                    uncertainty=rng.uniform(0.0002, 0.003) if relative else rng.uniform(0.002, 0.5),
                    k=2.0,
                    relative=relative,
                )
            )
    reg.Capability.objects.bulk_create(caps, batch_size=5000)
    verifying = [p for p in providers if p.kind != "laboratory"]
    auths = Authorisation.objects.bulk_create(
        [
            Authorisation(
                number=f"BENCH-AUTH-{p.pk}",
                institution=p,
                issuing_authority=bureau,
                form="established",
                valid_from=today - dt.timedelta(days=300),
                valid_until=today + dt.timedelta(days=1500),
            )
            for p in verifying
        ]
    )
    AuthorisedItem.objects.bulk_create(
        [
            AuthorisedItem(authorisation=a, catalog_item=item, added_on=a.valid_from)
            for a in auths
            for item in rng.sample(items, 10)
        ]
    )
    AuthorisedArea.objects.bulk_create(
        [AuthorisedArea(authorisation=a, region=a.institution.region, added_on=a.valid_from) for a in auths]
    )
    ServiceTerms.objects.bulk_create(
        [
            ServiceTerms(
                provider=p,
                quantity=None,
                turnaround_days=rng.randint(3, 30),
                fee_per_instrument=rng.choice([0, 80, 150, 220, 400]),
            )
            for p in providers
            if rng.random() < 0.9
        ]
    )
    needs = []
    for i in range(args.needs):
        q = rng.randrange(QUANTITIES)
        kind = rng.randrange(4)
        mandatory = kind >= 2 and rng.random() < 0.5
        needs.append(
            Need(
                number=f"BENCH-{i:07d}",
                poster=rng.choice(enterprises),
                title="bench need",
                quantity=quantities[q],
                catalog_item=items[q] if mandatory else None,
                range_min=0.0,
                range_max=rng.choice([5.0, 10.0, 40.0, 100.0]),
                unit=UNITS[0],
                requirement=kind,
                requirement_value=(rng.uniform(0.01, 2.0) if kind in (0, 2) else rng.uniform(0.001, 0.02)),
                required_ratio=rng.choice([3.0, 4.0]),
                instrument_count=rng.randint(1, 20),
                region=rng.choice(counties),
                deadline=today + dt.timedelta(days=rng.randint(5, 60)),
                mandatory=mandatory,
            )
        )
    Need.objects.bulk_create(needs, batch_size=5000)
    return len(caps)


def _loop(sample_ids, today):
    """The per-need baseline: the ORM and Python a developer would write for one need."""
    from jiliang.authorisation import rules
    from jiliang.core import matching as core
    from jiliang.matching.models import Need, ServiceTerms
    from jiliang.registry import models as reg

    w = core.Weights().as_array()
    result = {}
    for need in Need.objects.filter(pk__in=sample_ids).select_related("region", "catalog_item").order_by("pk"):
        x = max(abs(need.range_min), abs(need.range_max))
        relative_need = need.requirement in (core.U_RELATIVE, core.MPE_RELATIVE)
        threshold = need.required_ratio if need.requirement >= core.MPE_ABSOLUTE else 1.0
        required = need.requirement_value * x if relative_need else need.requirement_value
        days = (need.deadline - today).days
        caps = reg.Capability.objects.filter(
            quantity_id=need.quantity_id,
            unit=need.unit,
            range_min__lte=need.range_min,
            range_max__gte=need.range_max,
            standard__status="active",
            standard__valid_from__lte=today,
            standard__valid_until__gte=today,
            standard__published=True,
        ).select_related("standard__holder__region")
        best = {}
        for cap in caps:
            terms = (
                ServiceTerms.objects.filter(provider_id=cap.standard.holder_id, quantity_id=need.quantity_id).first()
                or ServiceTerms.objects.filter(provider_id=cap.standard.holder_id, quantity__isnull=True).first()
            )
            if terms is None:
                continue
            u = cap.uncertainty * 2.0 / cap.k
            offered = u * x if cap.relative else u
            if offered <= 0:
                continue
            margin = required / offered / threshold
            if margin < 1 - 1e-9:
                continue
            holder = cap.standard.holder
            if holder.pk not in best or margin > best[holder.pk][0]:
                best[holder.pk] = (margin, holder, terms)
        scored = []
        fees = {}
        for pk, (margin, holder, terms) in best.items():
            if need.mandatory:
                work = [
                    (
                        holder.pk,
                        holder.name,
                        holder.kind,
                        need.catalog_item_id,
                        need.catalog_item.code,
                        need.range_min,
                        need.range_max,
                        need.unit,
                        need.region.code,
                        need.poster_id,
                    )
                ]
                if rules.work_refusals(work, today)[0] is not None:
                    continue
            if terms.turnaround_days > days:
                continue
            fees[pk] = float(terms.fee_per_instrument) * need.instrument_count
            scored.append((pk, margin, holder, terms))
        if not scored:
            result[need.pk] = []
            continue
        cheapest = min(fees.values())
        ranked = []
        for pk, margin, holder, terms in scored:
            cap_score = min(1.0, max(0.0, 0.5 + 0.5 * math.log2(max(margin, 1.0))))
            a, b = int(need.region.code), int(holder.region.code)
            tier = 0 if a == b else 1 if a // 100 == b // 100 else 2 if a // 10000 == b // 10000 else 3
            slack = min(1.0, max(0.0, 1 - terms.turnaround_days / max(days, 1)))
            fee = cheapest / fees[pk] if fees[pk] > 0 else 1.0
            score = w[0] * cap_score + w[1] * (1 - tier / 3) + w[2] * slack + w[3] * fee
            ranked.append((-round(score, 9), pk))
        ranked.sort()
        result[need.pk] = [pk for _, pk in ranked[:5]]
    return result


def _run(args, backend: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from jiliang.matching import services
    from jiliang.matching.models import Need

    call_command("migrate", verbosity=0, interactive=False)
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.province_regions())
    print(f"matching benchmark: {args.needs:,} needs, {args.providers} providers × {args.standards} standards, {backend}")
    print(f"before: {load_average()}")
    started = time.perf_counter()
    capabilities = _plant(args, random.Random(2035))
    print(f"planted {capabilities:,} capabilities and the needs in {time.perf_counter() - started:.1f} s (not timed)")
    today = timezone.localdate()
    open_needs = Need.objects.filter(status=Need.Status.OPEN)

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("services.rank_needs(open_needs, on=today)", globals(), locals(), "/tmp/bench_matching.prof")
        pstats.Stats("/tmp/bench_matching.prof").sort_stats("cumulative").print_stats(25)
        return 0
    timed = repeat(services.rank_needs, open_needs, on=today, repeats=args.repeats)
    table, _, ranking = timed.result
    print(f"after the project's runs: {load_average()}")
    ids = table.ids.tolist()
    project = {ids[i]: [p for p in ranking.provider[i].tolist() if p >= 0] for i in range(len(ids))}
    rng = random.Random(7)
    sample = sorted(rng.sample(ids, min(args.sample, len(ids))))
    started = time.perf_counter()
    looped = _loop(sample, today)
    loop_sample = time.perf_counter() - started
    print(f"after the baseline: {load_average()}")
    differ = [pk for pk in sample if looped[pk] != project[pk]]
    assert not differ, f"the loop and the project rank {len(differ)} of the sample differently, e.g. need {differ[:3]}"
    estimate = loop_sample * len(ids) / len(sample)
    with_offers = int((ranking.candidates > 0).sum())
    unmet = int((ranking.capable == 0).sum())
    started = time.perf_counter()
    summary = services.match_open_needs(on=today)
    write = time.perf_counter() - started

    print(f"needs ranked: {len(ids):,} (with offers {with_offers:,}; unmet, no capable provider: {unmet:,})")
    print(f"project (rank_needs: load, authorisation rule, NumPy core), min / median / max of {args.repeats}: {timed.spread()}")
    print(f"project with the unmet counts written (match_open_needs, once): {write:.2f} s ({summary['needs']:,} needs)")
    print(
        f"baseline (per-need ORM loop): {loop_sample:.2f} s for a sample of {len(sample):,} "
        f"(rankings equal to the project's), extrapolated to {len(ids):,}: {estimate:,.0f} s (extrapolated, not run in full)"
    )
    print(f"speed-up (median project vs extrapolated loop): {estimate / timed.median:,.0f}x")
    if len(ids) >= 100_000:
        print(f"target <= 10 s for 10^5 needs: {'met' if timed.median <= 10 else 'NOT met'} (median {timed.median:.2f} s)")
    print(f"end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
