"""Issue 17 §6: the two coverage figures the plans define, each with its definition.

A province where the counties cover 25 % of their items with their own standards and the
province covers 95 % (anywhere in it): both figures come out, and the page, the XLSX and
the API print each beside its definition. Hand-built rows, no demo province."""

import datetime as dt
import io
import itertools

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from jiliang.core import coverage as core
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg
from jiliang.verification import coverage
from tests.verification.conftest import signed_in

pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


def _org(name, kind, region):
    return reg.Organisation.objects.create(
        name=name, kind=kind, region=region, credit_code=make_credit_code(f"12{region.code}{next(_serial):09d}")
    )


@pytest.fixture
def quarter_province(reference_data):
    """Twenty items. Counties 330102 {0–3} and 330106 {4–7} each hold their own standard for
    one item (0 and 4): 1/4 each; the city 330100 holds 0 and 4 of its eight: 2/8. The
    province holds every item but 0, 4 and 19, and uses 8–19 itself: 19 of 20 covered
    somewhere in the province."""
    today = timezone.localdate()
    regions = {r.code: r for r in reg.Region.objects.filter(code__in=["330000", "330100", "330102", "330106"])}
    items = list(reg.CatalogItem.objects.order_by("code")[:20])
    K = reg.Organisation.Kind
    admin = {c: _org(f"{regions[c].name}市场监督管理局", K.ADMINISTRATION, regions[c]) for c in regions}
    institute = {c: _org(f"{regions[c].name}计量所", K.LEGAL_INSTITUTE, regions[c]) for c in regions}
    user = _org("使用单位", K.ENTERPRISE, regions["330102"])

    def standard(code, level, item_indexes, issuer):
        std = reg.MeasurementStandard.objects.create(
            name=f"{regions[code].name}标准{next(_serial)}",
            tier="public",
            level=level,
            holder=institute[code],
            field=items[0].field,
            certificate_number=f"[2025]浙量标证字第{next(_serial):05d}号",
            issuing_department=issuer,
            valid_from=today - dt.timedelta(days=100),
        )
        std.catalog_items.set([items[k] for k in item_indexes])

    standard("330102", "county", [0], admin["330100"])
    standard("330106", "county", [4], admin["330100"])
    standard("330100", "city", [0, 4], admin["330000"])
    standard("330000", "province", [k for k in range(19) if k not in (0, 4)], admin["330000"])
    uses = {"330102": range(0, 4), "330106": range(4, 8), "330000": range(8, 20)}
    reg.Instrument.objects.bulk_create(
        reg.Instrument(
            code=f"Q{code}{k:03d}",
            name=items[k].name,
            catalog_item=items[k],
            legal_purpose="trade",
            owner=user,
            region=regions[code],
            installed_on=today - dt.timedelta(days=10),
        )
        for code, ks in uses.items()
        for k in ks
    )


def test_counties_at_a_quarter_and_the_province_at_95_percent(quarter_province):
    ledger = coverage.build_ledger()
    province = ledger.region("330000")
    assert (province.items_covered, province.items_in_use) == (19, 20)
    assert province.rate == pytest.approx(0.95)
    # 省级以下: counties 1/4 + 1/4, the city 2/8: 4 of 16.
    assert (province.below_province_covered, province.below_province_in_use) == (4, 16)
    assert province.below_province_rate == pytest.approx(0.25)
    for county in ("330102", "330106"):
        assert ledger.region(county).below_province_rate == pytest.approx(0.25)
    payload = ledger.to_json()
    assert payload["definitions"] == {
        "rate": str(coverage.PROVINCEWIDE_DEFINITION),
        "below_province_rate": str(coverage.BELOW_PROVINCE_DEFINITION),
    }
    row = next(r for r in payload["regions"] if r["code"] == "330000")
    assert (row["rate"], row["below_province_rate"]) == (0.95, 0.25)


def test_the_level_above_serves_only_the_provincewide_figure(quarter_province):
    # By default a county may be served by its city: the city's 0 and 4 are the counties' own anyway.
    with override_settings(JILIANG_COVERAGE_FALLBACK={"county": ["city", "province"], "city": ["province"]}):
        served = coverage.build_ledger()
    with override_settings(JILIANG_COVERAGE_FALLBACK={}):
        alone = coverage.build_ledger()
    # Served from above, county 330102 has all four items; alone, its own one.
    assert (served.region("330102").items_covered, alone.region("330102").items_covered) == (4, 1)
    # The 省级以下 figure does not move with the rule.
    assert served.region("330000").below_province_rate == alone.region("330000").below_province_rate == pytest.approx(0.25)


def test_page_and_xlsx_print_each_figure_with_its_definition(quarter_province, client):
    signed_in(client, "admin330000", role="region_admin", region=reg.Region.objects.get(code="330000"))
    page = client.get("/verification/administrator/coverage/?region=330000").content.decode()
    assert 'id="rate-provincewide">95.0' in page and 'id="rate-below-province">25.0' in page
    assert str(coverage.PROVINCEWIDE_DEFINITION)[:20] in page and str(coverage.BELOW_PROVINCE_DEFINITION)[:20] in page
    book = load_workbook(io.BytesIO(coverage.export_xlsx(coverage.build_ledger())), read_only=True)
    header, *rows = book.worksheets[0].iter_rows(values_only=True)
    province = next(r for r in rows if r[0] == "330000")
    assert province[6] == 0.95 and str(coverage.PROVINCEWIDE_DEFINITION) in header[6]
    assert province[12] == 0.25 and str(coverage.BELOW_PROVINCE_DEFINITION) in header[12]


def test_core_figures_on_arrays():
    # province 0 <- city 1 <- county 2; two items; the county uses both and holds item 0,
    # the province holds item 1.
    parent, level = np.array([-1, 0, 1]), np.array([core.PROVINCE, core.CITY, core.COUNTY])
    counts = np.array([[0, 0], [0, 0], [3, 5]])
    holds = np.array([[False, True], [False, False], [True, False]])
    result = core.compute_coverage(parent, level, counts, holds, {core.COUNTY: (core.CITY, core.PROVINCE)})
    assert result.items_covered.tolist() == [2, 1, 2]  # province: item 0 below, item 1 own
    assert result.below_province_covered.tolist() == [1, 1, 1]
    assert result.below_province_in_use.tolist() == [4, 4, 2]  # the province's own row is not counted
