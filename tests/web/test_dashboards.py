"""The dashboard of each role and the due list, on a generated demo province: figures
equal the verification app's own use cases for the role's scope, each role sees only what
is its own, htmx panels answer alone, bad parameters name the field."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html

from jiliang.registry import models as reg
from jiliang.verification import services as verification

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def client_for(province, role):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(province.users[role])
    return client


def tree(response):
    assert response.status_code == 200, response.content[:500]
    return html.fromstring(response.content.decode())  # a fragment has no <meta charset>


def stat(doc, label: str) -> int:
    """The number of the stat card whose label contains ``label``."""
    for card in doc.xpath("//li[contains(@class,'stat')]"):
        if label in card.text_content():
            return int(card.xpath(".//span[@class='stat-value']")[0].text_content().replace(",", ""))
    raise AssertionError(f"no stat card {label!r}")


def test_administrator_dashboard_sends_heavy_panels_lazily_then_from_the_cache(province):
    client = client_for(province, "county_admin")
    first = tree(client.get(reverse("console:dashboard")))
    lazy = first.xpath("//section[@id='coverage-panel']")[0]
    assert lazy.get("hx-trigger") == "load" and "panel=coverage" in lazy.get("hx-get")
    assert first.xpath("//section[@id='due-panel']")[0].get("hx-trigger") == "load"

    panel = client.get(reverse("console:dashboard") + "?panel=coverage", **HX)
    doc = tree(panel)
    assert doc.tag == "section" and doc.get("id") == "coverage-panel"  # the panel alone, no page around it
    ledger = verification.build_ledger(region_code=province.county.code).region(province.county.code)
    # The big figure is 省级以下 (the county's own standards), 省域 beside it, each with its definition.
    shown = doc.xpath("//span[@class='big-value']")[0].text_content()
    assert shown == f"{100 * ledger.below_province_covered / ledger.below_province_in_use:.1f}%"
    assert doc.xpath("//strong[@id='provincewide-rate']")[0].text_content() == f"{100 * ledger.rate:.1f}%"
    assert "省级以下覆盖率：" in doc.text_content() and "省域覆盖率：" in doc.text_content()
    assert doc.xpath("//svg[contains(@class,'chart')]//line[contains(@class,'chart-target')]")  # the 90 % target line

    due = tree(client.get(reverse("console:dashboard") + "?panel=due&days=30", **HX))
    summary = verification.due_list(days=30, region_code=province.county.code)
    assert stat(due, "超期未检") == summary.overdue and stat(due, "即将到期") == summary.due
    assert summary.overdue > 0  # the demo plants overdue instruments

    # Computed once, the next page carries both panels inline.
    second = tree(client.get(reverse("console:dashboard")))
    assert not second.xpath("//section[@hx-trigger='load']")
    assert second.xpath("//section[@id='coverage-panel']//svg") and second.xpath("//section[@id='due-panel']//table")


def test_administrator_dashboard_counts_its_region_only(province):
    from jiliang.supervision.telemetry.models import Alert

    doc = tree(client_for(province, "county_admin").get(reverse("console:dashboard")))
    assert (
        stat(doc, "在线监测预警")
        == Alert.objects.filter(region__code__startswith=province.county.code, status="new").count()
        == 1
    )
    assert stat(doc, "待处理的投诉") == 1
    links = doc.xpath("//section[@id='expiring-panel']//tbody/tr/td[1]/a/@href")
    shown = [int(href.rstrip("/").rsplit("/", 1)[1]) for href in links]
    regions = set(reg.MeasurementStandard.objects.filter(pk__in=shown).values_list("holder__region__code", flat=True))
    assert all(code.startswith(province.county.code) for code in regions)
    # The province's auditor sees the province: the alert and the complaint too, read-only.
    audit = tree(client_for(province, "auditor").get(reverse("console:dashboard")))
    assert "审计员只读" in audit.text_content()
    assert stat(audit, "在线监测预警") == 1


def test_province_coverage_chart_has_a_bar_per_city(province):
    cities = reg.Region.objects.filter(level="city", code__startswith=province.province.code[:2]).count()
    doc = tree(client_for(province, "auditor").get(reverse("console:dashboard") + "?panel=coverage", **HX))
    bars = doc.xpath("//svg[contains(@class,'chart')]//rect[contains(@class,'chart-bar')]")
    assert 0 < len(bars) <= cities
    below = doc.xpath("//svg//rect[contains(@class,'chart-below')]")
    count = re.search(r"(\d+) 个下级地区低于目标", doc.text_content())
    assert count and int(count.group(1)) == len(below)


def test_due_horizon_switch_answers_with_the_panel(province):
    client = client_for(province, "county_admin")
    for days in (0, 90):
        doc = tree(client.get(reverse("console:dashboard") + f"?panel=due&days={days}", **HX))
        assert doc.get("id") == "due-panel"
        assert doc.xpath("//nav[@class='horizon']/a[@aria-current]")[0].get("hx-get").endswith(f"days={days}")
        summary = verification.due_list(days=days, region_code=province.county.code)
        assert stat(doc, "即将到期") == summary.due
    bad = client.get(reverse("console:dashboard") + "?panel=due&days=soon", **HX)
    assert bad.status_code == 400 and b"days" in bad.content


def test_institution_dashboard_shows_its_standards_and_certificates(province):
    doc = tree(client_for(province, "institution_staff").get(reverse("console:dashboard")))
    names = {a.text_content() for a in doc.xpath("//section[@id='standards-panel']//tbody/tr/td[1]/a")}
    own = set(reg.MeasurementStandard.objects.filter(holder=province.institution).values_list("name", flat=True))
    assert names == own and province.standard.name in names
    assert stat(doc, "本单位计量标准") == len(own)
    chart = doc.xpath("//section[@id='certificates-panel']//svg[contains(@class,'chart-months')]")[0]
    drawn = sum(float(r.get("data-value")) for r in chart.xpath(".//rect[contains(@class,'chart-bar')]"))
    assert drawn == stat(doc, "近 12 个月出具的证书") > 0


def test_enterprise_dashboard_lists_its_own_instruments_only(province):
    client = client_for(province, "enterprise_user")
    doc = tree(client.get(reverse("console:dashboard")))
    codes = {a.text_content() for a in doc.xpath("//table[@id='own-instruments']//tbody/tr/td[1]/a")}
    own = set(reg.Instrument.objects.filter(owner=province.enterprise).values_list("code", flat=True))
    assert codes and codes <= own and province.instrument.code in codes
    assert stat(doc, "本单位计量器具") == len(own)
    summary = verification.due_list(days=30, owner_id=province.enterprise.pk)
    assert stat(doc, "超期未检") == summary.overdue
    # The due list is the enterprise's alone, whatever region is asked for.
    due = tree(client.get(reverse("console:due") + "?days=90"))
    shown = {a.text_content() for a in due.xpath("//table[@id='due-table']//tbody/tr/td[1]/a")}
    assert shown <= own


def test_due_list_filters_by_kind_and_sub_region(province):
    client = client_for(province, "auditor")
    county = province.county.code
    doc = tree(client.get(reverse("console:due") + f"?days=0&kind=overdue&region={county}"))
    rows = doc.xpath("//table[@id='due-table']//tbody/tr")
    summary = verification.due_list(days=0, region_code=county, limit=1000)
    assert len(rows) == summary.overdue > 0
    assert {r.xpath("td[1]/a")[0].text_content() for r in rows} == {
        i["code"] for i in summary.instruments if i["kind"] == "overdue"
    }
    partial = client.get(reverse("console:due") + "?days=30", **HX)
    assert partial.status_code == 200 and b"<html" not in partial.content
    outside = client.get(reverse("console:due") + "?region=110105")  # Beijing: not the auditor's province
    assert outside.status_code == 400 and b"region" in outside.content
    assert client.get(reverse("console:due") + "?kind=late").status_code == 400


def test_public_user_dashboard_goes_to_the_portal(province):
    response = client_for(province, "public").get(reverse("console:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_dashboards_render_in_english(province):
    for role in ("county_admin", "institution_staff", "enterprise_user"):
        client = client_for(province, role)
        doc = tree(client.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE="en"))
        heading = doc.xpath("//main//h1")[0].text
        assert heading.strip() == "Dashboard"
        texts = [
            t.strip()
            for t in doc.xpath("//main//h2//text() | //main//th//text() | //span[@class='stat-label']//text()")
            if t.strip()
        ]
        chinese = [t for t in texts if re.search("[\u4e00-\u9fff]", t)]
        assert not chinese, f"{role}: Chinese left on the English dashboard: {chinese}"
