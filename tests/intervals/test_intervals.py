"""Interval reports (jiliang.intervals): the demo's planted family through the services, the
legal maximum, the policy per role on the pages, the API and the command. One small cast by
hand (regions and the catalogue are reference data) and the demo step, per module."""

from __future__ import annotations

import contextlib
import io

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from jiliang.accounts.models import Membership
from jiliang.console.demo_roles import DemoCast
from jiliang.core.identifiers import make_credit_code
from jiliang.intervals import services
from jiliang.intervals.demo import PREFIX, plant_intervals
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


def _organisation(name: str, kind: str, region, n: int) -> reg.Organisation:
    first17 = f"91{region.code}{n:09d}"[:17]
    return reg.Organisation.objects.create(name=name, credit_code=make_credit_code(first17), kind=kind, region=region)


class World:
    def __init__(self):
        county = reg.Region.objects.filter(level="county").order_by("code").first()
        city = reg.Region.objects.get(code=county.code[:4] + "00")
        province = reg.Region.objects.get(code=county.code[:2] + "0000")
        enterprise = _organisation("演示仪表用户有限公司", "enterprise", county, 1)
        institute = _organisation("省计量院", "legal_institute", province, 3)
        User = get_user_model()
        users = {}
        other = reg.Region.objects.exclude(code__startswith=province.code[:2]).filter(level="province").first()
        for name, role, scope in (
            ("city-admin", "region_admin", {"region": city}),
            ("auditor", "auditor", {"region": province}),
            ("stranger", "region_admin", {"region": other}),
            ("enterprise", "enterprise_user", {"organisation": enterprise}),
            ("institute", "institution_staff", {"organisation": institute}),
        ):
            users[name] = User.objects.create(username=f"intervals-{name}")
            Membership.objects.create(user=users[name], role=role, **scope)
        users["public"] = User.objects.create(username="intervals-public")
        self.cast = DemoCast(province, city, county, institute, enterprise, users)
        # The enterprise already keeps one instrument of a periodic item: the demo plants that family.
        used = (
            reg.CatalogItem.objects.filter(management_mode="periodic", supervision="V", period_months=6).order_by("code").last()
        )
        reg.Instrument.objects.create(
            code="INTERVALS-OWN", name=used.name, catalog_item=used, legal_purpose="trade", owner=enterprise, region=county
        )
        plant_intervals(self.cast)
        self.users = users
        self.item = reg.Instrument.objects.filter(code__startswith=PREFIX).first().catalog_item
        assert self.item == used
        self.legal_days = self.item.period_months * services.DAYS_PER_MONTH


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_the_demo_family_gets_a_recommendation_held_to_the_legal_maximum(world):
    actor = actor_for(world.users["city-admin"])
    report = services.report(actor, world.item, target=0.95)  # cached: the pages reuse it
    assert report.mandatory and report.legal_maximum_months == world.item.period_months
    assert report.observations >= 150 and report.instruments == 40
    assert report.method == "S2" and report.s2 is not None and report.s2.best.accepted
    # Planted: R(t) = exp(−(t/η)²) with R = 0.97 at the legal period, so R = 0.95 only at
    # ≈ 1.3 × the period: the data allow more than the law does, and the law wins.
    assert report.computed_days > world.legal_days
    assert report.capped and report.recommended_days == pytest.approx(world.legal_days)
    low, high = report.limits_days
    assert low < report.computed_days < high
    # A stricter target of 0.99 (≈ 0.57 × the period planted; the data pin the lower tail
    # only loosely) is below the maximum: kept as the data give it.
    strict = services.report(actor, world.item, target=0.99)
    assert not strict.capped and strict.recommended_days < world.legal_days
    assert strict.recommended_days < report.computed_days  # a higher target, a shorter interval
    # The A3 test at the assigned (legal) interval sees reliability above 0.95: no shortening.
    assert report.a3 is not None and report.a3.observed > 0.9 and report.a3.interval >= report.assigned_days


def test_the_legal_maximum_applies_only_to_periodic_mandatory_items(world):
    assert services.cap_to_legal_maximum(10_000.0, world.item) == (pytest.approx(world.legal_days), True)
    assert services.cap_to_legal_maximum(100.0, world.item) == (100.0, False)
    first_only = reg.CatalogItem.objects.exclude(management_mode=reg.CatalogItem.Mode.PERIODIC).first()
    assert services.legal_maximum_months(first_only) is None
    assert services.cap_to_legal_maximum(10_000.0, first_only) == (10_000.0, False)


def test_targets_are_checked_and_named():
    assert services.parse_target(None) == 0.95
    assert services.parse_target("97.5%") == 0.975
    for bad in ("abc", "0.2", "1.5%", "nan"):
        with pytest.raises(Refused) as refused:
            services.parse_target(bad)
        assert refused.value.reasons[0][0] == "target"


def test_each_role_sees_the_history_of_its_own_scope(world):
    def observed(name):
        return services.history(actor_for(world.users[name]), world.item).count

    assert observed("auditor") == observed("city-admin") > 0
    assert observed("stranger") == 0  # another province's bureau: none of these verifications
    assert observed("institute") == 0  # staff: their own instruments' history, not their customers'
    codes = {row["code"] for row in services.families(actor_for(world.users["auditor"]))}
    assert world.item.code in codes
    assert services.families(actor_for(world.users["stranger"])) == [] or world.item.code not in {
        row["code"] for row in services.families(actor_for(world.users["stranger"]))
    }


def test_pages_and_api_answer_by_role_in_both_languages(world):
    url = f"/intervals/{world.item.code}/"
    admin = _client(world.users["city-admin"])
    page = admin.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    assert "推荐间隔" in text and "法定最长检定周期" in text and "INTERVAL-LEGAL-MAX" in text
    english = admin.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recommended interval" in english and "Legal maximum period" in english
    listing = admin.get("/intervals/")
    assert listing.status_code == 200 and world.item.code in listing.content.decode()
    chart = admin.get(f"/intervals/{world.item.code}/chart.svg")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content[:400]
    bad = admin.get(url + "?target=abc")
    assert bad.status_code == 400 and "可靠性目标须为数字" in bad.content.decode()
    staff = _client(world.users["institute"])  # no instruments of its own in this family
    empty = staff.get(url)
    assert empty.status_code == 200 and "数据不足，暂无推荐" in empty.content.decode()
    assert staff.get(f"/intervals/{world.item.code}/chart.svg").status_code == 200
    # A type approval narrows the family (none of these instruments carries this one); a
    # number longer than a type approval number can be is refused, naming it.
    narrowed = admin.get(url + "?approval=CPA-NONE&target=0.85").content.decode()
    assert "数据不足，暂无推荐" in narrowed and "CPA-NONE" in narrowed and "低于 JJF 1139" in narrowed
    too_long = admin.get(url + "?approval=" + "X" * 41)
    assert too_long.status_code == 400 and "型式批准编号不超过 40 个字符" in too_long.content.decode()
    for name in ("enterprise", "public"):
        assert _client(world.users[name]).get(url).status_code == 403
    assert _client().get("/intervals/").status_code == 302  # signed out: to the login page
    # The API answers the same report (the same scope and target: computed once, cached).
    families = admin.get("/api/intervals/families/").json()
    assert any(row["code"] == world.item.code and row["legal_maximum_months"] == world.item.period_months for row in families)
    body = admin.get(f"/api/intervals/families/{world.item.code}/?target=0.95").json()
    assert body["recommendation"]["method"] == "S2" and body["recommendation"]["capped_by_legal_maximum"] is True
    assert body["legal_maximum_rule"] == "INTERVAL-LEGAL-MAX"
    assert sum(b["results"] for b in body["bins"]) == body["observations"]
    bad = admin.get(f"/api/intervals/families/{world.item.code}/?target=2")
    assert bad.status_code == 400 and "target" in bad.json()
    assert _client(world.users["enterprise"]).get("/api/intervals/families/").status_code == 403


def test_command_prints_json_and_csv(world):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command(
            "intervals",
            "--user",
            "intervals-city-admin",
            "report",
            "--item",
            world.item.code,
            "--format",
            "csv",
            "--target",
            "0.99",
        )
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(services.CSV_COLUMNS) and len(lines) >= 4
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command("intervals", "--user", "intervals-city-admin", "report", "--item", world.item.code, "--target", "95%")
    data = orjson.loads(out.getvalue())
    assert data["item"]["code"] == world.item.code and data["recommendation"]["capped_by_legal_maximum"] is True
    with pytest.raises(CommandError, match="--target"):
        call_command("intervals", "report", "--item", world.item.code, "--target", "x")
    with pytest.raises(CommandError, match="--user"):
        call_command("intervals", "--user", "intervals-enterprise", "families")
