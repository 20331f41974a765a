"""Capability search: unit conversion of the value and the uncertainty, relative against
absolute uncertainties, regions with the levels above, and only standards the public may
rely on (published, active, in their term)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from jiliang.portal.forms import CapabilitySearchForm
from jiliang.portal.search import search

pytestmark = pytest.mark.django_db

HIDDEN = {"suspended", "lapsed", "unpublished", "future"}


def found(portal, **params) -> list[str]:
    """Standard keys of the search results, in result order."""
    data = {k: ("" if v is None else v) for k, v in params.items()}
    if "quantity" in data and not isinstance(data["quantity"], (int, str)):
        data["quantity"] = data["quantity"].pk
    form = CapabilitySearchForm(data)
    assert form.is_valid(), form.errors
    by_id = {s.pk: key for key, s in portal.standards.items()}
    return [by_id[c.standard_id] for c in search(form.query())]


def errors(**params) -> dict:
    form = CapabilitySearchForm(params)
    assert not form.is_valid()
    return form.errors


def test_no_filter_lists_every_published_active_capability_and_nothing_else(portal):
    keys = found(portal)
    assert set(keys) == {"province_pressure", "hangzhou_pressure", "xihu_pressure", "ningbo_pressure", "hangzhou_temperature"}
    assert not HIDDEN & set(keys)


def test_value_is_converted_into_each_capabilitys_unit(portal):
    q = portal.quantities["pressure"]
    # 1.5 MPa: beyond 西湖's 0–1 MPa (written in MPa), inside the others (written in kPa).
    assert set(found(portal, quantity=q, value=1.5, unit="MPa")) == {"province_pressure", "hangzhou_pressure", "ningbo_pressure"}
    # The same pressure in Pa and in the quantity's own unit (kPa, the default).
    assert set(found(portal, quantity=q, value=1.5e6, unit="Pa")) == {"province_pressure", "hangzhou_pressure", "ningbo_pressure"}
    assert set(found(portal, quantity=q, value=1500)) == {"province_pressure", "hangzhou_pressure", "ningbo_pressure"}
    # Exactly at 西湖's upper bound, in a third unit: 10 bar = 1 MPa (pint gives 0.9999999999999999).
    assert "xihu_pressure" in found(portal, quantity=q, value=10, unit="bar")
    # 30 MPa: only the province's 0–60 MPa.
    assert found(portal, quantity=q, value=30, unit="MPa") == ["province_pressure"]
    assert found(portal, quantity=q, value=70, unit="MPa") == []


def test_temperature_values_convert_with_their_offset(portal):
    q = portal.quantities["temperature"]
    assert found(portal, quantity=q, value=300, unit="K") == ["hangzhou_temperature"]  # 26.85 °C
    assert found(portal, quantity=q, value=600, unit="K") == []  # 326.85 °C > 300 °C
    assert found(portal, quantity=q, value=-40, unit="°C") == ["hangzhou_temperature"]
    # An uncertainty is an interval: 0.1 K is 0.1 °C (not −273.05 °C), so U = 0.05 °C passes.
    assert found(portal, quantity=q, value=300, unit="K", uncertainty=0.1) == ["hangzhou_temperature"]
    assert found(portal, quantity=q, value=300, unit="K", uncertainty=0.04) == []


def test_absolute_uncertainty_filter_against_absolute_and_relative_capabilities(portal):
    q = portal.quantities["pressure"]
    # At 1000 kPa, U ≤ 0.1 kPa: province 0.05 kPa ✓, 杭州 0.1 % × 1000 kPa = 1 kPa ✗,
    # 西湖 out of range (1 MPa is its bound: in range, but 0.2 kPa ✗), 宁波 0.01 kPa ✓.
    assert set(found(portal, quantity=q, value=1000, uncertainty=0.1)) == {"province_pressure", "ningbo_pressure"}
    # At 500 kPa, U ≤ 0.0003 MPa = 0.3 kPa: 西湖 0.2 kPa ✓, 杭州 0.5 kPa ✗.
    assert set(found(portal, quantity=q, value=0.5, unit="MPa", uncertainty=0.0003)) == {
        "province_pressure",
        "xihu_pressure",
        "ningbo_pressure",
    }
    # At 100 kPa 杭州's relative 0.1 % is 0.1 kPa: passes a 0.1 kPa limit exactly.
    assert "hangzhou_pressure" in found(portal, quantity=q, value=100, uncertainty=0.1)
    # Without a value a relative capability cannot be judged against an absolute limit.
    assert set(found(portal, quantity=q, uncertainty=0.3)) == {"province_pressure", "xihu_pressure", "ningbo_pressure"}


def test_relative_uncertainty_filter(portal):
    q = portal.quantities["pressure"]
    # No value: only relative capabilities compare; 0.1 % is 杭州's exactly.
    assert found(portal, uncertainty=0.1, uncertainty_kind="relative") == ["hangzhou_pressure"]
    assert found(portal, uncertainty=0.09, uncertainty_kind="relative") == []
    # At 1000 kPa, 0.01 % is 0.1 kPa: province 0.05 ✓, 宁波 0.01 ✓, 西湖 0.2 ✗, 杭州 0.1 % ✗.
    assert set(found(portal, quantity=q, value=1000, uncertainty=0.01, uncertainty_kind="relative")) == {
        "province_pressure",
        "ningbo_pressure",
    }


def test_region_includes_the_levels_above_and_orders_nearest_first(portal):
    # 西湖区: its own standard, then 杭州市's, then the province's; never 宁波's.
    keys = found(portal, quantity=portal.quantities["pressure"], region="330106")
    assert keys == ["xihu_pressure", "hangzhou_pressure", "province_pressure"]
    # 杭州市: its own, then what lies inside it (西湖区), then the province.
    keys = found(portal, quantity=portal.quantities["pressure"], region="330100")
    assert keys == ["hangzhou_pressure", "xihu_pressure", "province_pressure"]
    # A county of 宁波: 宁波市 and the province.
    assert found(portal, quantity=portal.quantities["pressure"], region="330203") == ["ningbo_pressure", "province_pressure"]
    # The province: everything in it.
    assert len(found(portal, region="330000")) == 5


def test_tier_filter(portal):
    assert found(portal, tier="enterprise") == []
    assert len(found(portal, tier="public")) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"value": "5"}, "quantity"),  # a value needs a quantity
        ({"uncertainty": "0.1"}, "quantity"),  # so does an absolute uncertainty
        ({"quantity": "PRESSURE", "value": "5", "unit": "kg"}, "unit"),  # not a pressure unit
        ({"quantity": "PRESSURE", "value": "5", "unit": "furlongz"}, "unit"),  # not a unit
        ({"quantity": "PRESSURE", "value": "abc"}, "value"),
        ({"quantity": "PRESSURE", "uncertainty": "-1"}, "uncertainty"),
        ({"quantity": "PRESSURE", "uncertainty": "0"}, "uncertainty"),
        ({"region": "999999"}, "region"),
        ({"quantity": "PRESSURE", "value": "inf"}, "value"),
    ],
)
def test_bad_search_input_names_the_field(portal, params, field):
    params = {k: (str(portal.quantities["pressure"].pk) if v == "PRESSURE" else v) for k, v in params.items()}
    assert field in errors(**params)


def test_search_page_shows_results_with_contact_and_links_to_public_detail(client, portal):
    q = portal.quantities["pressure"]
    response = client.get(reverse("portal:search"), {"quantity": q.pk, "value": 1.5, "unit": "MPa", "region": "330106"})
    assert response.status_code == 200
    page = html.fromstring(response.content)
    rows = page.xpath("//table[contains(@class, 'capabilities')]/tbody/tr")
    assert [r.xpath("td")[0].text_content().strip() for r in rows] == ["杭州市计量检定测试院", "浙江省计量科学研究院"]
    assert "杭州市计量检定测试院地址" in rows[0].text_content()
    assert "0.1%" in rows[0].text_content()  # the relative U shown as per cent
    link = rows[0].xpath("td//a")[0].get("href")
    assert link == reverse("portal:standard", args=[portal.standards["hangzhou_pressure"].pk])
    assert client.get(link).status_code == 200


def test_htmx_request_gets_only_the_results(client, portal):
    response = client.get(reverse("portal:search"), {"value": 5}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert "form-errors" in body  # the error (value without quantity) is in the swapped part
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("portal:search"), {"value": 5}).content.decode()
    assert "<html" in full


@pytest.mark.parametrize("key", sorted(HIDDEN))
def test_hidden_standards_have_no_public_page(client, portal, key):
    assert client.get(reverse("portal:standard", args=[portal.standards[key].pk])).status_code == 404


def test_search_query_count_does_not_grow_with_results(client, portal):
    q = portal.quantities["pressure"]
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("portal:search"), {"quantity": q.pk, "value": 1, "unit": "MPa", "uncertainty": 1, "region": "330106"})
    # session-less anonymous request: quantity, region (+ its 2 ancestors), distinct units, count, page, form choices.
    assert len(ctx.captured_queries) <= 12, [x["sql"] for x in ctx.captured_queries]


def test_landing_page_links_search_certificate_check_comparisons_and_complaints(client, portal):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    page = html.fromstring(response.content)
    links = set(page.xpath("//main//a/@href"))
    assert {
        reverse("portal:search"),
        reverse("portal:complaint-new"),
        reverse("portal:complaint-status"),
        reverse("certificates:check"),
        reverse("comparisons:public"),
    } <= links
    forms = {f.get("action"): f for f in page.xpath("//main//form")}
    assert reverse("certificates:check") in forms  # check by number straight from the landing page
    assert forms[reverse("certificates:check")].xpath(".//input[@name='number']")
    search_form = forms[reverse("portal:search")]
    assert {"quantity", "value", "unit", "region"} <= set(search_form.xpath(".//*[@name]/@name"))
    # Every label points at its control.
    for label in page.xpath("//main//label[@for]"):
        assert page.xpath(f"//*[@id='{label.get('for')}']"), label.get("for")
