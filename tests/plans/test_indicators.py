"""The plan indicators (jiliang.plans.indicators) on a province built by hand, where each
answer is known: Hangzhou (330100) with two districts, a handful of instruments, standards,
events, certificates, registrations, complaints and inspections. Also the drill-down (the
rows behind a figure are as many as the figure counts), the policy per role, the per-region
loop (the benchmark's baseline) giving the same figures, the exports, and the signed report
upward with its check. One province per module."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.plans import exports, reporting
from jiliang.plans import indicators as ind
from jiliang.plans.policies import INDICATORS
from jiliang.policies import actor_for
from jiliang.registry import models as reg

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db

PROVINCE, CITY, D1, D2 = "330000", "330100", "330102", "330105"


def _org(name, kind, region, n):
    return reg.Organisation.objects.create(
        name=name, credit_code=make_credit_code(f"12{region.code}{n:09d}"[:17]), kind=kind, region=region
    )


class Province:
    def __init__(self):
        from jiliang.certificates.models import Certificate
        from jiliang.comparisons.models import Comparison
        from jiliang.inspections.models import Campaign, Inspection
        from jiliang.portal.models import Complaint, new_reference
        from jiliang.verification.models import Registration

        today = timezone.localdate()
        self.year = year = today.year
        jan1 = dt.date(year, 1, 1)
        regions = {c: reg.Region.objects.get(code=c) for c in (PROVINCE, CITY, D1, D2)}
        self.regions = regions
        items = list(reg.CatalogItem.objects.filter(quantity__isnull=False).order_by("code")[:2])
        self.item_a, self.item_b = items
        bureau = _org("浙江省市场监督管理局", "administration", regions[PROVINCE], 1)
        self.bureau = bureau
        city_bureau = _org("杭州市市场监督管理局", "administration", regions[CITY], 2)
        prov_inst = _org("浙江省计量院", "legal_institute", regions[PROVINCE], 3)
        city_inst = _org("杭州市计量所", "legal_institute", regions[CITY], 4)
        d1_inst = _org("上城区计量所", "legal_institute", regions[D1], 5)
        owner1 = _org("上城加油站", "enterprise", regions[D1], 6)
        owner2 = _org("拱墅菜场", "enterprise", regions[D2], 7)
        owner3 = _org("拱墅眼镜店", "enterprise", regions[D2], 8)

        def standard(name, holder, level, item, issuer, *, until=None, n=0):
            s = reg.MeasurementStandard.objects.create(
                name=name,
                tier="public",
                level=level,
                holder=holder,
                field=item.field,
                certificate_number=f"T-{n}",
                issuing_department=issuer,
                valid_from=dt.date(year - 3, 1, 1),
                valid_until=until or dt.date(year + 3, 1, 1),
            )
            s.catalog_items.add(item)
            return s

        self.d1_std = standard("区A标准", d1_inst, "county", self.item_a, city_bureau, n=1)
        standard("市B标准", city_inst, "city", self.item_b, bureau, n=2)
        standard("省A标准", prov_inst, "province", self.item_a, bureau, n=3)
        # Expired last June: counted for last year's year end? No (expired before 31 Dec).
        standard("过期标准", city_inst, "city", self.item_a, bureau, until=dt.date(year - 1, 6, 30), n=4)
        reg.PrimaryStandard.objects.create(
            code="PB-1",
            name="基准",
            quantity=self.item_a.quantity,
            range_min=0,
            range_max=1,
            unit="kg",
            uncertainty=0.1,
            holder=prov_inst,
        )

        def instrument(code, item, region, owner, purpose="trade"):
            return reg.Instrument.objects.create(
                code=code,
                name=item.name,
                catalog_item=item,
                legal_purpose=purpose,
                owner=owner,
                region=region,
                installed_on=dt.date(year - 2, 1, 1),
            )

        d1 = [instrument(f"I-{k}", self.item_a, regions[D1], owner1) for k in range(3)]
        d1.append(instrument("I-3", self.item_b, regions[D1], owner1))
        instrument("I-4", self.item_a, regions[D2], owner2)
        instrument("I-5", self.item_a, regions[D2], owner3)
        reg.Instrument.objects.create(code="I-6", name="非强检", owner=owner1, region=regions[D1])  # not mandatory
        events = []
        for k, inst in enumerate(d1):
            events.append(
                reg.CalibrationEvent.objects.create(
                    instrument=inst,
                    performer=d1_inst,
                    kind="verification",
                    performed_on=jan1,
                    passed=True,
                    valid_until=today + dt.timedelta(days=300),
                    certificate_number=f"E-{k}",
                )
            )
        Certificate.objects.create(
            event=events[0],
            kind="verification",
            number="E-0",
            xml=b"<dcc/>",
            sha256=hashlib.sha256(b"x").hexdigest(),
            issued_at=timezone.now(),
        )
        for inst in d1[:2]:
            Registration.objects.create(instrument=inst, owner=owner1, region=regions[D1], status="approved", submitted_on=jan1)
        Registration.objects.create(instrument=d1[2], owner=owner1, region=regions[D1], status="submitted", submitted_on=jan1)

        tz = timezone.get_current_timezone()
        filed = dt.datetime(year, 1, 1, 10, tzinfo=tz)
        for days, status in ((2, "handled"), (4, "handled"), (None, "open")):
            Complaint.objects.create(
                reference=new_reference(),
                instrument=d1[0],
                region=regions[D1],
                description="不准",
                status=status,
                filed_at=filed,
                handled_at=filed + dt.timedelta(days=days) if days else None,
            )

        campaign = Campaign.objects.create(
            title="专项", region=regions[D2], kind="instrument_user", starts_on=jan1, ends_on=dt.date(year, 12, 31)
        )
        extra = [_org(f"拱墅单位{k}", "enterprise", regions[D2], 20 + k) for k in range(2)]
        for org, outcome in ((owner2, "findings"), (owner3, "clean"), (extra[0], "clean")):
            Inspection.objects.create(
                campaign=campaign,
                organisation=org,
                kind="instrument_user",
                scheduled_on=jan1,
                status="completed",
                outcome=outcome,
                completed_on=jan1,
            )
        Inspection.objects.create(campaign=campaign, organisation=extra[1], kind="instrument_user", scheduled_on=jan1)

        def comparison(code, region, status, created, published=None):
            c = Comparison.objects.create(
                code=code,
                title=code,
                kind="local",
                pilot=prov_inst,
                administrator_region=region,
                status=status,
                submission_deadline=timezone.now(),
                published_at=published,
            )
            Comparison.objects.filter(pk=c.pk).update(created_at=created)

        comparison("C-1", regions[CITY], "open", filed)
        comparison("C-2", regions[CITY], "draft", filed)  # a draft is not organised yet
        comparison("C-3", regions[PROVINCE], "published", filed.replace(year=year - 1), published=filed)

        def person(name, org, kind, start, n):
            p = reg.Person.objects.create(name=name, organisation=org)
            reg.Qualification.objects.create(
                person=p,
                kind=kind,
                certificate_number=f"Q-{n}",
                organisation=org if kind.startswith("metrologist") else None,
                catalog_item=self.item_a if kind == "item_assessment" else None,
                valid_from=start,
                valid_until=start.replace(year=start.year + 5),
            )

        person("甲", d1_inst, "metrologist_1", jan1, 1)
        person("乙", d1_inst, "metrologist_2", jan1, 2)
        person("丙", city_inst, "metrologist_2", jan1.replace(year=year - 1), 3)
        person("丁", d1_inst, "item_assessment", jan1, 4)  # not a registration

        User = get_user_model()
        self.users = {}
        for name, role, region in (
            ("province-admin", "region_admin", PROVINCE),
            ("d2-admin", "region_admin", D2),
            ("auditor", "auditor", PROVINCE),
        ):
            user = User.objects.create(username=f"plans-{name}")
            Membership.objects.create(user=user, role=role, region=regions[region])
            self.users[name] = user
        self.users["public"] = User.objects.create(username="plans-public")
        self.table = ind.compute([year - 1, year], PROVINCE)


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield Province()


def fig(p, code, key, year=None):
    return p.table.get(year or p.year, code, key)


def test_coverage_is_the_ledgers(province):
    p = province
    # District 1 holds A, its city holds B (a county may be served by its city): 2/2.
    assert fig(p, D1, "coverage_provincewide").value == 1.0
    # District 2 uses A, held neither by itself nor by its city: a gap.
    assert fig(p, D2, "coverage_provincewide").value == 0.0
    # 省级以下, own standards only: city (A, B in use below; holds B) 1/2, D1 (holds A of A, B) 1/2, D2 0/1.
    below = fig(p, CITY, "coverage_below_province")
    assert (below.numerator, below.denominator) == (2, 5)
    assert fig(p, PROVINCE, "coverage_below_province").value == pytest.approx(0.4)


def test_counts_per_region_and_year(province):
    p = province
    assert fig(p, PROVINCE, "public_standards").value == 3  # the expired one not
    assert fig(p, CITY, "public_standards").value == 2
    assert fig(p, D1, "public_standards").value == 1
    assert fig(p, PROVINCE, "public_standards", p.year - 1).value == 3  # expired in June, before the year's end
    assert fig(p, PROVINCE, "primary_standards").value == 1
    assert fig(p, CITY, "primary_standards").value is None or fig(p, CITY, "primary_standards").value == 0
    assert fig(p, CITY, "comparisons_organised").value == 1  # the draft not
    assert fig(p, PROVINCE, "comparisons_organised").value == 1  # C-3 was organised last year
    assert fig(p, PROVINCE, "comparisons_organised", p.year - 1).value == 1
    assert fig(p, PROVINCE, "comparisons_published").value == 1
    assert fig(p, D1, "metrologists_added").value == 2
    assert fig(p, PROVINCE, "metrologists_added").value == 2
    assert fig(p, CITY, "metrologists_added", p.year - 1).value == 1


def test_rates_and_means(province):
    p = province
    dcc = fig(p, D1, "dcc_share")
    assert (dcc.numerator, dcc.denominator, dcc.value) == (1, 4, 0.25)
    registered = fig(p, CITY, "mandatory_registered")
    assert (registered.numerator, registered.denominator) == (2, 6)  # a submitted registration is not one
    assert fig(p, D1, "mandatory_on_time").value == 1.0
    assert fig(p, D2, "mandatory_on_time").value == 0.0
    # State figures have no past year (no history of an instrument's state).
    assert fig(p, D1, "mandatory_on_time", p.year - 1).value is None
    assert fig(p, D1, "complaints_days").value == pytest.approx(3.0)  # (2 + 4) / 2; the open one not
    findings = fig(p, D2, "inspections_findings")
    assert (findings.numerator, findings.denominator) == (1, 3)  # the assigned one not


def test_metrologist_target_share(province, settings):
    settings.JILIANG_METROLOGIST_TARGET = {"total": 15000, "first_year": 2021, "last_year": 2035, "shares": {"33": 0.03}}
    assert ind.metrologist_target(PROVINCE, 2030) == pytest.approx(15000 * 0.03 / 15)
    assert ind.metrologist_target(CITY, 2030) is None  # no share set for the city
    assert ind.metrologist_target(PROVINCE, 2040) is None


def test_the_per_region_loop_gives_the_same_figures(province):
    p = province
    loop = ind.per_region_loop([p.year], CITY)
    for code in (CITY, D1, D2):
        for i in ind.INDICATORS:
            assert loop.get(p.year, code, i.key).value == fig(p, code, i.key).value, (code, i.key)


def test_drill_down_lists_the_rows_the_figure_counts(province):
    p = province
    client = Client()
    client.force_login(p.users["province-admin"])
    page = client.get(f"/plans/indicators/?region={CITY}")
    assert page.status_code == 200
    body = page.content.decode()
    assert str(ind.BY_KEY["dcc_share"].definition) in body  # the definition is on the page
    assert f"/plans/indicators/dcc_share/?region={D1}&year={p.year}" in body
    rows = client.get(f"/plans/indicators/dcc_share/?region={D1}&year={p.year}")
    assert rows.context["total"] == fig(p, D1, "dcc_share").denominator == 4
    part = client.get(f"/plans/indicators/dcc_share/?region={D1}&year={p.year}&part=1")
    assert part.context["total"] == 1 and "E-0" in part.content.decode()
    cov = client.get(f"/plans/indicators/coverage_below_province/?region={CITY}&year={p.year}&part=1")
    assert cov.context["total"] == fig(p, CITY, "coverage_below_province").numerator
    complaints = client.get(f"/plans/indicators/complaints_days/?region={PROVINCE}")
    assert complaints.context["total"] == 2  # the handled ones the mean is over


def test_policy_per_role(province):
    p = province
    d2 = actor_for(p.users["d2-admin"])
    assert INDICATORS.reads_region(d2, D2) and not INDICATORS.reads_region(d2, D1)
    assert not INDICATORS.may_report(actor_for(p.users["auditor"]), PROVINCE)
    assert INDICATORS.may_report(actor_for(p.users["province-admin"]), PROVINCE)
    client = Client()
    client.force_login(p.users["d2-admin"])
    assert client.get(f"/plans/indicators/?region={D1}").status_code == 403
    assert client.get(f"/plans/indicators/dcc_share/?region={D1}").status_code == 403
    page = client.get("/plans/indicators/")
    assert page.status_code == 200 and [c.code for c in page.context["columns"]] == [D2]
    client.force_login(p.users["public"])
    assert client.get("/plans/indicators/").status_code == 403
    assert Client().get("/plans/indicators/").status_code == 302  # to the login page
    auditor = Client()
    auditor.force_login(p.users["auditor"])
    assert auditor.get("/plans/indicators/").status_code == 200
    assert auditor.post("/plans/indicators/report.json", {"region": PROVINCE}).status_code == 403


def test_exports_carry_definitions(province):
    from openpyxl import load_workbook

    p = province
    ctx = exports.context(CITY, p.year)
    book = load_workbook(io.BytesIO(exports.xlsx(ctx)))
    sheet = book.active
    definitions = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert definitions[str(ind.BY_KEY["complaints_days"].name)] == str(ind.BY_KEY["complaints_days"].definition)
    client = Client()
    client.force_login(p.users["province-admin"])
    pdf = client.get(f"/plans/indicators/indicators.pdf?region={CITY}&year={p.year}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_signed_report_checks_and_tampering_is_caught(province):
    from jiliang.certificates import keys

    p = province
    keys.init_authority()
    region = p.regions[PROVINCE]
    signed = reporting.sign(reporting.build_report(region, p.year), reporting.report_signer(region))
    raw = json.dumps(signed, ensure_ascii=False).encode()
    result = reporting.check(raw)
    assert result.ok, result.problems
    assert result.region == PROVINCE and "浙江省市场监督管理局" not in result.signer or result.signer
    dcc = next(i for i in signed["indicators"] if i["key"] == "dcc_share")
    assert dcc["definition"] and {"region": D1, "year": p.year, "value": 0.25, "numerator": 1, "denominator": 4} in dcc["figures"]
    assert len(signed["registers"]["registered_metrologists"]) == 3
    # A figure changed after signing: the signature no longer matches.
    dcc["figures"][0]["value"] = 0.99
    tampered = reporting.check(json.dumps(signed, ensure_ascii=False).encode())
    assert not tampered.ok and any(pr.startswith("signature/value") for pr in tampered.problems)
    # Not the format: the schema names where.
    signed.pop("registers")
    broken = reporting.check(json.dumps(signed).encode())
    assert not broken.ok and any("registers" in pr for pr in broken.problems)
    # Signed by a root the checker does not trust.
    other = reporting.check(raw, anchors=[])
    assert not other.ok


# -- the building plan ----------------------------------------------------------------------


def test_plan_takes_the_gaps_and_tracks_progress(province):
    from jiliang.plans import gaps, services
    from jiliang.plans.models import BuildingPlan, PlanEntry
    from jiliang.registry.services import Refused

    p = province
    admin, outsider = p.users["province-admin"], p.users["d2-admin"]
    with pytest.raises(Refused) as refused:
        services.create_plan(outsider, p.regions[CITY], title="x", first_year=p.year, last_year=p.year + 2)
    assert refused.value.forbidden
    plan = services.create_plan(admin, p.regions[CITY], title="杭州市建标规划", first_year=p.year, last_year=p.year + 2)

    # A second source through the hook (say the matching app's unmet needs).
    def needs(region_code, as_of):
        return [gaps.Gap("matching", D1, p.item_b.code, p.item_b.name, 7)]

    gaps.register_source("matching-test", needs)
    try:
        made = services.propose_from_gaps(admin, plan)
    finally:
        gaps._SOURCES.pop("matching-test")
    by_item = {e.catalog_items.get().code: e for e in made}
    # The ledger's one gap (A in District 2, 2 instruments) and the matching need (B, 7).
    assert set(by_item) == {p.item_a.code, p.item_b.code}
    assert by_item[p.item_a.code].gap_source == "coverage" and by_item[p.item_a.code].gap_instruments == 2
    assert by_item[p.item_b.code].gap_source == "matching"
    assert services.propose_from_gaps(admin, plan) == []  # already planned: not proposed twice

    a, b = by_item[p.item_a.code], by_item[p.item_b.code]
    services.act_on_entry(admin, a, "plan")
    services.act_on_entry(admin, a, "complete", on=a.target_date - dt.timedelta(days=1))
    services.act_on_entry(admin, b, "drop")
    late = services.add_entry(admin, plan, action="build", name="迟建", target_date=dt.date(p.year, 1, 1))
    services.act_on_entry(admin, late, "plan")
    services.act_on_entry(admin, late, "complete", on=dt.date(p.year, 1, 2))
    services.add_entry(admin, plan, action="upgrade", name="升级", standard=p.d1_std, target_date=dt.date(p.year, 1, 1))
    with pytest.raises(Refused):
        services.add_entry(admin, plan, action="retire", name="撤销", target_date=dt.date(p.year, 1, 1))  # which standard?
    with pytest.raises(Refused):
        services.act_on_entry(admin, a, "start")  # done: no way back
    today = dt.date(p.year, 12, 31)
    assert services.progress(plan, today) == {"on_time": 1, "late": 1, "overdue": 1, "open": 0, "dropped": 1}
    assert {services.standing(e, today) for e in plan.entries.all()} == {"on_time", "late", "overdue", "dropped"}
    services.act_on_plan(admin, plan, "approve")
    assert BuildingPlan.objects.get(pk=plan.pk).status == "approved"
    services.act_on_plan(admin, plan, "close")
    with pytest.raises(Refused):
        services.act_on_entry(admin, PlanEntry.objects.get(name="升级"), "plan")  # a closed plan is read only

    client = Client()
    client.force_login(admin)
    page = client.get(f"/plans/{plan.pk}/")
    assert page.status_code == 200 and page.context["progress"]["late"] == 1
    client.force_login(outsider)
    assert client.get(f"/plans/{plan.pk}/").status_code == 404


def test_upgrade_needs(province):
    from jiliang.plans import services

    p = province
    assert services.upgrade_needs(CITY) == []
    today = timezone.localdate()
    reg.Instrument.objects.create(
        code="DEV-1",
        name="标准器",
        owner=p.d1_std.holder,
        region=p.d1_std.holder.region,
        standard=p.d1_std,
        installed_on=today.replace(year=today.year - 9),
        service_life_years=8,
    )
    reg.Capability.objects.create(standard=p.d1_std, quantity=p.item_a.quantity, range_min=0, range_max=10, unit="kg", mpe=0.1)
    reg.Instrument.objects.filter(code="I-0").update(range_min=0, range_max=30, unit="kg")
    needs = {(u.reason, u.certificate_number) for u in services.upgrade_needs(CITY)}
    assert needs == {("service_life", "T-1"), ("capability", "T-1")}


def test_kept_figures_and_the_command(province, tmp_path, capsys):
    from django.core.management import call_command

    from jiliang.certificates import keys

    p = province
    today = timezone.localdate()
    assert ind.kept([p.year], CITY, today=today) is None
    first = ind.figures([p.year], CITY, today=today)  # computed and kept
    again = ind.kept([p.year], CITY, today=today)
    assert again is not None and again.get(p.year, D1, "dcc_share").value == first.get(p.year, D1, "dcc_share").value == 0.25
    assert ind.kept([p.year], CITY, today=today + dt.timedelta(days=1)) is None  # the running year: today's only

    keys.init_authority()
    out = tmp_path / "report.json"
    call_command("plans", "report", PROVINCE, "--year", str(p.year), "-o", str(out))
    capsys.readouterr()
    call_command("plans", "check", str(out))
    assert json.loads(capsys.readouterr().out)["ok"] is True
    out.write_bytes(out.read_bytes().replace(b'"primary_standards"', b'"primary"', 1))
    with pytest.raises(SystemExit):
        call_command("plans", "check", str(out))
