"""The read-only registry pages: lists with search and filters, detail pages that link
the traceability chain, bounded queries, keyset paging and the language switch."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models
from jiliang.registry.views import PAGE_SIZE, fast_count
from tests.catalog import FUEL_DISPENSER

pytestmark = pytest.mark.django_db

LIST_NAMES = [
    "regions",
    "organisations",
    "specifications",
    "catalog-items",
    "primary-standards",
    "standards",
    "reference-materials",
    "instruments",
    "events",
]


@pytest.fixture
def client(client, django_user_model):
    """The pages as a national administrator sees them (every row; not a staff user, so
    without the admin's link); what the public and the other roles see is in
    test_page_access.py."""
    client.force_login(django_user_model.objects.create_user("national", is_superuser=True))
    return client


def organisation(name, kind, region_code, serial):
    region = models.Region.objects.get(code=region_code)
    code = make_credit_code(f"12{region_code}{serial:09d}")
    return models.Organisation.objects.create(name=name, credit_code=code, kind=kind, region=region)


@pytest.fixture
def registry(reference_data):
    """A two-step chain: a fuel dispenser verified with a city standard, whose device was
    calibrated with a provincial standard, whose device was calibrated against a primary."""
    Kind = models.Organisation.Kind
    nim = organisation("中国计量科学研究院", Kind.LEGAL_INSTITUTE, "110105", 1)
    bureau = organisation("浙江省市场监督管理局", Kind.ADMINISTRATION, "330000", 2)
    province_lab = organisation("浙江省计量科学研究院", Kind.LEGAL_INSTITUTE, "330000", 3)
    city_lab = organisation("杭州市计量检定测试院", Kind.LEGAL_INSTITUTE, "330100", 4)
    station = organisation("西湖燃气加油站", Kind.ENTERPRISE, "330106", 5)
    person = models.Person.objects.create(name="王检定", organisation=city_lab)
    dispenser_item = models.CatalogItem.objects.get(code=FUEL_DISPENSER)
    volume = dispenser_item.quantity
    mechanics = dispenser_item.field
    primary = models.PrimaryStandard.objects.create(
        code="GJJZ-V-001",
        name="容量国家基准",
        quantity=volume,
        range_min=0.001,
        range_max=2000,
        unit="L",
        uncertainty=2e-5,
        k=2,
        holder=nim,
    )
    common = dict(field=mechanics, issuing_department=bureau, valid_from=dt.date(2023, 1, 1))
    province_standard = models.MeasurementStandard.objects.create(
        name="金属量器标准装置",
        tier="public",
        level="province",
        holder=province_lab,
        certificate_number="[2023]浙量标证字第001号",
        **common,
    )
    city_standard = models.MeasurementStandard.objects.create(
        name="燃油加油机检定装置",
        tier="public",
        level="city",
        holder=city_lab,
        certificate_number="[2023]杭量标证字第007号",
        **common,
    )
    city_standard.catalog_items.add(dispenser_item)
    city_standard.specifications.add(dispenser_item.regulation)
    models.Capability.objects.create(
        standard=city_standard, quantity=volume, range_min=5, range_max=200, unit="L", uncertainty=0.025, k=2, relative=True
    )

    def device(code, standard, owner, region):
        return models.Instrument.objects.create(
            code=code, name="标准金属量器", owner=owner, region=region, standard=standard, serial_number=f"SN-{code}"
        )

    province_device = device("DEV-P-001", province_standard, province_lab, province_lab.region)
    city_device = device("DEV-C-001", city_standard, city_lab, city_lab.region)
    dispenser = models.Instrument.objects.create(
        code="ZJ-A02-000001",
        name="燃油加油机",
        catalog_item=dispenser_item,
        legal_purpose="trade",
        owner=station,
        region=station.region,
        manufacturer="正星科技",
        model="CS46",
        serial_number="ZX2024-88731",
    )
    e1 = models.CalibrationEvent.objects.create(
        instrument=province_device,
        performer=nim,
        primary_standard=primary,
        kind="calibration",
        performed_on=dt.date(2025, 1, 10),
        recalibration_due=dt.date(2027, 1, 9),
        uncertainty=0.002,
        certificate_number="NIM-2025-00017",
        results=[{"point": "20 L", "error": "0.001 L"}],
    )
    e2 = models.CalibrationEvent.objects.create(
        instrument=city_device,
        performer=province_lab,
        kind="calibration",
        performed_on=dt.date(2025, 3, 1),
        recalibration_due=dt.date(2026, 2, 28),
        uncertainty=0.01,
        certificate_number="ZJJL-2025-C-0301",
    )
    models.EventStandard.objects.create(event=e2, standard=province_standard)
    e3 = models.CalibrationEvent.objects.create(
        instrument=dispenser,
        performer=city_lab,
        person=person,
        kind="verification",
        passed=True,
        specification=dispenser_item.regulation,
        performed_on=dt.date(2025, 6, 1),
        valid_until=dt.date(2025, 11, 30),
        certificate_number="HZJL-2025-V-123456",
    )
    models.EventStandard.objects.create(event=e3, standard=city_standard)
    material = models.ReferenceMaterial.objects.create(
        number="GBW08601", name="水中铅成分分析标准物质", level="primary", producer=nim, expires_on=dt.date(2030, 1, 1)
    )
    models.CertifiedValue.objects.create(material=material, component="Pb", value=1.0, unit="μg/mL", uncertainty=0.004)
    return {
        "nim": nim,
        "bureau": bureau,
        "province_lab": province_lab,
        "city_lab": city_lab,
        "station": station,
        "primary": primary,
        "province_standard": province_standard,
        "city_standard": city_standard,
        "province_device": province_device,
        "city_device": city_device,
        "dispenser": dispenser,
        "events": [e1, e2, e3],
        "material": material,
        "person": person,
        "item": dispenser_item,
    }


def page(client, name, *args, params=None, headers=None):
    response = client.get(reverse(f"registry:{name}", args=args), params or {}, headers=headers or {})
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def results(html):
    """The results area of a list page (the filter form above it names every region)."""
    return html.split('id="results"', 1)[1]


def result_rows(html):
    """The body rows of the results table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


# ---------------------------------------------------------------------------- lists


def test_every_list_renders_with_navigation_and_htmx_form(client, registry):
    for name in LIST_NAMES:
        html = page(client, name)
        assert f'hx-get="{reverse(f"registry:{name}")}"' in html, name
        assert 'id="results"' in html
        assert result_rows(html) > 0, name
        for other in LIST_NAMES:
            assert f'href="{reverse(f"registry:{other}")}"' in html
        assert "/static/jiliang/htmx.min.js" in html and "/static/jiliang/site.css" in html
        # The admin's link is shown to staff users only (tests/web/test_crawler.py checks each role).
        assert 'href="/api/docs/"' in html and 'href="/admin/"' not in html


FILTER_CASES = [
    ("regions", {"level": "city"}, ["杭州市"], ["西湖区"]),
    ("organisations", {"kind": "enterprise"}, ["西湖燃气加油站"], ["杭州市计量检定测试院"]),
    ("specifications", {"kind": "verification_regulation", "status": "current"}, ["JJG 443-2023"], []),
    ("catalog-items", {"management_mode": "periodic"}, ["燃油加油机"], []),
    ("primary-standards", {"q": "容量"}, ["GJJZ-V-001"], []),
    ("standards", {"level": "city", "status": "active"}, ["燃油加油机检定装置"], ["金属量器标准装置"]),
    ("reference-materials", {"level": "primary", "expires_on_after": "2029-01-01"}, ["GBW08601"], []),
    ("instruments", {"legal_purpose": "trade", "status": "in_use"}, ["ZJ-A02-000001"], ["DEV-C-001"]),
    (
        "events",
        {"kind": "verification", "performed_on_after": "2025-05-01", "performed_on_before": "2025-12-31"},
        ["HZJL-2025-V-123456"],
        ["ZJJL-2025-C-0301"],
    ),
    ("events", {"passed": "true"}, ["HZJL-2025-V-123456"], ["ZJJL-2025-C-0301", "NIM-2025-00017"]),
    ("events", {"passed": "false"}, [], ["HZJL-2025-V-123456"]),
    ("instruments", {"is_standard_device": "true"}, ["DEV-C-001", "DEV-P-001"], ["ZJ-A02-000001"]),
    ("instruments", {"is_standard_device": "false"}, ["ZJ-A02-000001"], ["DEV-C-001"]),
]


def test_lists_filter(client, registry):
    for name, params, expected, absent in FILTER_CASES:
        html = results(page(client, name, params=params))
        for text in expected:
            assert text in html, (name, params, text)
        for text in absent:
            assert text not in html, (name, params, text)


def test_region_filter_includes_everything_inside_the_region(client, registry):
    hangzhou = models.Region.objects.get(code="330100")
    html = results(page(client, "instruments", params={"region": hangzhou.pk}))
    # The dispenser stands in 西湖区 (330106), inside 杭州市; the provincial device does not.
    assert "ZJ-A02-000001" in html and "DEV-C-001" in html
    assert "DEV-P-001" not in html
    html = results(page(client, "organisations", params={"region": models.Region.objects.get(code="330000").pk}))
    assert "西湖燃气加油站" in html and "中国计量科学研究院" not in html


SEARCH_CASES = [
    ("instruments", "ZX2024-88731", "ZJ-A02-000001", "DEV-C-001"),  # serial number, exact
    ("instruments", "加油机", "ZJ-A02-000001", "DEV-P-001"),  # name, substring
    ("organisations", "燃气", "西湖燃气加油站", "浙江省计量科学研究院"),
    ("standards", "[2023]浙量标证字第001号", "金属量器标准装置", "燃油加油机检定装置"),
    ("events", "ZJJL-2025-C-0301", "DEV-C-001", "ZJ-A02-000001"),
    ("specifications", "443", "JJG 443-2023", "JJG 517-2016"),
    ("regions", "西湖", "西湖区", "上城区"),
    ("catalog-items", "taximeter", "出租汽车计价器", "燃油加油机"),
]


def test_search_finds_the_right_rows(client, registry):
    for name, query, found, not_found in SEARCH_CASES:
        html = results(page(client, name, params={"q": query}))
        assert found in html, (name, query)
        assert not_found not in html, (name, query)


def test_search_without_match_says_so(client, registry):
    html = page(client, "instruments", params={"q": "no-such-instrument"})
    assert result_rows(html) == 0
    assert "没有符合条件的记录" in html


def test_htmx_request_gets_only_the_results(client, registry):
    html = page(client, "instruments", params={"q": "加油机"}, headers={"HX-Request": "true"})
    assert "<html" not in html and "<form" not in html
    assert "ZJ-A02-000001" in html
    response = client.get(reverse("registry:instruments"), headers={"HX-Request": "true"})
    assert "HX-Request" in response["Vary"]
    # htmx 4 restores history with a full-page request: it gets the whole page.
    restored = page(
        client, "instruments", headers={"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Request-Type": "full"}
    )
    assert "<html" in restored and "<form" in restored


def test_hidden_filter_shows_a_removable_chip(client, registry):
    html = page(client, "instruments", params={"owner": registry["city_lab"].pk})
    assert "DEV-C-001" in html and "ZJ-A02-000001" not in html
    assert 'class="chip-remove" href="/instruments/"' in html
    assert reverse("registry:organisation", args=[registry["city_lab"].pk]) in html


def test_unset_choice_filters_default_to_all(client, registry):
    html = page(client, "events")
    # Submitting the untouched form must not filter: the empty choice comes first and is selected.
    for name in ("kind", "passed", "region", "catalog_item", "legal_purpose"):
        select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        assert re.search(r'<option value=""[^>]*selected>全部</option>', select), name


def test_invalid_filter_value_is_reported_not_a_crash(client, registry):
    html = page(client, "events", params={"performed_on_after": "not-a-date", "performer": "999999"})
    assert 'class="error"' in html


def test_events_by_standard_list_downstream_work(client, registry):
    html = page(client, "events", params={"standard": registry["city_standard"].pk})
    assert "HZJL-2025-V-123456" in html and "ZJJL-2025-C-0301" not in html


# ---------------------------------------------------------------------------- paging


@pytest.fixture
def many_instruments(registry):
    owner, region = registry["station"], registry["station"].region
    models.Instrument.objects.bulk_create(
        models.Instrument(code=f"ZJ-BULK-{i:05d}", name="电子计价秤", owner=owner, region=region) for i in range(120)
    )


def test_instruments_page_by_key_without_counting(client, many_instruments):
    params = {"q": "计价秤"}
    with CaptureQueriesContext(connection) as queries:
        first = page(client, "instruments", params=params)
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert result_rows(first) == PAGE_SIZE
    codes = re.findall(r"ZJ-BULK-\d{5}", first)
    assert codes[0] == "ZJ-BULK-00000"
    next_cursor = re.search(r"after=(ZJ-BULK-\d{5})", results(first)).group(1)
    assert next_cursor == "ZJ-BULK-00049"
    second = results(page(client, "instruments", params={**params, "after": next_cursor}))
    assert "ZJ-BULK-00050" in second and "ZJ-BULK-00049" not in second
    last = page(client, "instruments", params={**params, "after": "ZJ-BULK-00099"})
    assert result_rows(last) == 20 and 'rel="next"' not in last
    back = results(page(client, "instruments", params={**params, "before": "ZJ-BULK-00050"}))
    assert result_rows(back) == PAGE_SIZE and "ZJ-BULK-00000" in back and "ZJ-BULK-00050" not in back


def test_events_page_newest_first_by_id(client, registry):
    html = page(client, "events")
    certificates = re.findall(r"(NIM-2025-00017|ZJJL-2025-C-0301|HZJL-2025-V-123456)</a>", html)
    assert certificates == ["HZJL-2025-V-123456", "ZJJL-2025-C-0301", "NIM-2025-00017"]


def test_small_lists_count_pages(client, registry):
    html = page(client, "regions")
    total = models.Region.objects.count()
    assert f"共 {total} 条" in html


def test_fast_count_is_exact_below_the_cap_and_estimates_above(registry, many_instruments):
    queryset = models.Instrument.objects.all()
    assert fast_count(queryset) == (123, False)
    estimate, estimated = fast_count(queryset, cap=10)
    assert estimated and estimate >= 123


def test_home_shows_counts_and_links(client, registry):
    with CaptureQueriesContext(connection) as queries:
        html = page(client, "home")
    # Counting must not sort the table (10^7 events): no ORDER BY inside the count.
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and not any("ORDER BY" in sql.upper() for sql in counts)
    for name in LIST_NAMES:
        assert f'href="{reverse(f"registry:{name}")}"' in html
    assert re.search(r'card-count">\s*3\s*</span>\s*<span class="card-title">计量器具', html)


# ---------------------------------------------------------------------------- details


def test_instrument_detail_shows_events_and_the_chain_up_to_the_primary(client, registry):
    html = page(client, "instrument", registry["dispenser"].pk)
    assert "HZJL-2025-V-123456" in html and "王检定" in html and "JJG 443-2023" in html
    chain = html.split("量值溯源链", 1)[1]
    # Upward: the city standard used, its device's calibration with the provincial standard,
    # that standard's device calibrated against the primary standard.
    for text in [
        "燃油加油机检定装置",
        "DEV-C-001",
        "ZJJL-2025-C-0301",
        "金属量器标准装置",
        "DEV-P-001",
        "NIM-2025-00017",
        "GJJZ-V-001",
    ]:
        assert text in chain
    assert chain.index("燃油加油机检定装置") < chain.index("金属量器标准装置") < chain.index("GJJZ-V-001")
    assert reverse("registry:primary-standard", args=[registry["primary"].pk]) in chain
    assert reverse("registry:standard", args=[registry["province_standard"].pk]) in chain
    assert "未能追溯到计量基准" not in chain


def test_chain_uses_the_calibration_in_force_on_the_date(client, registry):
    # A later recalibration of the city device with no standard recorded must not replace
    # the one in force when the dispenser was verified.
    models.CalibrationEvent.objects.create(
        instrument=registry["city_device"],
        performer=registry["city_lab"],
        kind="calibration",
        performed_on=dt.date(2025, 9, 1),
        recalibration_due=dt.date(2026, 8, 31),
        certificate_number="LATER-0001",
    )
    chain = page(client, "instrument", registry["dispenser"].pk).split("量值溯源链", 1)[1]
    assert "ZJJL-2025-C-0301" in chain and "LATER-0001" not in chain


def test_chain_before_recorded_history_follows_the_first_later_calibration(client, registry):
    old = models.CalibrationEvent.objects.create(
        instrument=registry["dispenser"],
        performer=registry["city_lab"],
        kind="verification",
        passed=True,
        performed_on=dt.date(2024, 6, 1),
        valid_until=dt.date(2024, 11, 30),
        certificate_number="HZJL-2024-V-000001",
    )
    models.EventStandard.objects.create(event=old, standard=registry["city_standard"])
    chain = page(client, "event", old.pk).split("量值溯源链", 1)[1]
    # The city device's only calibration (2025-03-01) is after 2024-06-01: shown, flagged, followed up.
    assert "ZJJL-2025-C-0301" in chain and "该日之前无校准记录" in chain and "GJJZ-V-001" in chain


def test_broken_chain_is_flagged(client, registry):
    registry["events"][0].delete()  # the provincial device loses its calibration
    chain = page(client, "instrument", registry["dispenser"].pk).split("量值溯源链", 1)[1]
    assert "无校准记录" in chain and "未能追溯到计量基准" in chain


def test_standard_detail_links_up_and_down(client, registry):
    html = page(client, "standard", registry["province_standard"].pk)
    assert "DEV-P-001" in html and "NIM-2025-00017" in html and "GJJZ-V-001" in html  # upstream
    downstream = html.split("向下传递", 1)[1]
    assert "ZJJL-2025-C-0301" in downstream and "DEV-C-001" in downstream
    city = page(client, "standard", registry["city_standard"].pk)
    assert "JJG 443-2023" in city and FUEL_DISPENSER in city and "0.025" in city  # specification, item, capability


def test_organisation_detail_lists_standards_instruments_people(client, registry):
    html = page(client, "organisation", registry["city_lab"].pk)
    assert "燃油加油机检定装置" in html and "DEV-C-001" in html and "王检定" in html
    assert "HZJL-2025-V-123456" in html  # work it performed
    nim = page(client, "organisation", registry["nim"].pk)
    assert "GJJZ-V-001" in nim and "GBW08601" in nim


def test_region_detail_lists_children_and_organisations(client, registry):
    html = page(client, "region", "330100")
    assert "西湖区" in html and "杭州市计量检定测试院" in html
    assert reverse("registry:region", args=["330000"]) in html  # up to the province
    assert client.get(reverse("registry:region", args=["999999"])).status_code == 404


def test_other_detail_pages(client, registry):
    spec = registry["item"].regulation
    assert "燃油加油机检定装置" in page(client, "specification", spec.pk)
    item_html = page(client, "catalog-item", FUEL_DISPENSER)
    assert "燃油加油机检定装置" in item_html and "杭州市计量检定测试院" in item_html
    primary_html = page(client, "primary-standard", registry["primary"].pk)
    assert "NIM-2025-00017" in primary_html and "金属量器标准装置" in primary_html
    material_html = page(client, "reference-material", registry["material"].pk)
    assert "Pb" in material_html and "0.004" in material_html
    event_html = page(client, "event", registry["events"][0].pk)
    assert "20 L" in event_html and "GJJZ-V-001" in event_html
    event_html = page(client, "event", registry["events"][2].pk)
    assert "合格" in event_html and "金属量器标准装置" in event_html


# ---------------------------------------------------------------------------- queries


def detail_urls(registry):
    return [
        reverse("registry:home"),
        reverse("registry:region", args=["330100"]),
        reverse("registry:organisation", args=[registry["city_lab"].pk]),
        reverse("registry:specification", args=[registry["item"].regulation_id]),
        reverse("registry:catalog-item", args=[FUEL_DISPENSER]),
        reverse("registry:primary-standard", args=[registry["primary"].pk]),
        reverse("registry:standard", args=[registry["city_standard"].pk]),
        reverse("registry:reference-material", args=[registry["material"].pk]),
        reverse("registry:instrument", args=[registry["dispenser"].pk]),
        reverse("registry:event", args=[registry["events"][2].pk]),
    ]


def test_every_page_runs_a_bounded_number_of_queries(client, registry, django_assert_max_num_queries):
    for name in LIST_NAMES:
        with django_assert_max_num_queries(12):
            client.get(
                reverse(f"registry:{name}"), {"q": "a", "region": registry["station"].region_id} if name != "regions" else {}
            )
    # A standard's page asks each timeline provider (registry.timeline) a bounded number of
    # queries: the status changes and the assessment files one each, the checks three.
    for url in detail_urls(registry):
        with django_assert_max_num_queries(34):
            assert client.get(url).status_code == 200


def query_counts(client, urls):
    from jiliang.federation.policies import forget_federated_view
    from jiliang.traceability import services as trace

    counts = []
    for url in urls:
        trace.current_graph()  # the traceability snapshot up to date: its (re)build is not the page's
        forget_federated_view()  # the navigation's memo: each page counted the same way
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries.captured_queries))
    return counts


def test_query_count_does_not_grow_with_rows(client, registry):
    """No N+1: more rows on each page, the same number of queries."""
    urls = [reverse(f"registry:{name}") for name in LIST_NAMES] + detail_urls(registry)
    before = query_counts(client, urls)
    station, city_lab, city_standard = registry["station"], registry["city_lab"], registry["city_standard"]
    for i in range(5):
        instrument = models.Instrument.objects.create(
            code=f"ZJ-A02-1{i:05d}",
            name="燃油加油机",
            catalog_item=registry["item"],
            legal_purpose="trade",
            owner=city_lab,
            region=station.region,
        )
        event = models.CalibrationEvent.objects.create(
            instrument=instrument,
            performer=city_lab,
            person=registry["person"],
            kind="verification",
            passed=i % 2 == 0,
            performed_on=dt.date(2025, 7, 1),
            valid_until=dt.date(2026, 6, 30) if i % 2 == 0 else None,
            certificate_number=f"HZJL-2025-V-9{i:05d}",
        )
        models.EventStandard.objects.create(event=event, standard=city_standard)
        models.EventStandard.objects.create(event=event, standard=registry["province_standard"])
        models.Instrument.objects.create(
            code=f"DEV-C-1{i:02d}", name="标准金属量器", owner=city_lab, region=city_lab.region, standard=city_standard
        )
        person = models.Person.objects.create(name=f"检定员{i}", organisation=city_lab)
        models.Qualification.objects.create(
            person=person,
            kind="verifier",
            certificate_number=f"Q{i}",
            catalog_item=registry["item"],
            valid_from=dt.date(2024, 1, 1),
            valid_until=dt.date(2029, 1, 1),
        )
    assert query_counts(client, urls) == before


# ---------------------------------------------------------------------------- language


def test_pages_are_chinese_by_default(client, registry):
    html = page(client, "catalog-items")
    assert '<html lang="zh-hans">' in html and "燃油加油机" in html


def test_accept_language_en_switches_the_page(client, registry):
    html = page(client, "catalog-items", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in html
    assert "fuel dispenser" in html  # the catalog's English names, shipped with the reference data


def test_set_language_view_switches_and_back(client, registry):
    html = page(client, "home")
    assert 'action="/i18n/setlang/"' in html and 'value="en"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/standards/"})
    assert response.status_code == 302 and response["Location"] == "/standards/"
    assert '<html lang="en">' in page(client, "standards")
    # Without "next" it returns to the page the switch was pressed on (after htmx pushed its URL).
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans"}, headers={"Referer": "http://testserver/standards/?status=active"}
    )
    assert response["Location"] == "http://testserver/standards/?status=active"
    assert '<html lang="zh-hans">' in page(client, "standards")
