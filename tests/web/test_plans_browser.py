"""The plan indicators (issue 21) in a real browser, in Chinese and in English: the national
administrator opens the indicators, goes down to the province, drills from a city's figure
to the rows behind it (as many as the figure counts), and exports the XLSX and the PDF."""

from __future__ import annotations

import io
import re

import pytest

WORDS = {
    "zh-hans": {"title": "计量发展规划指标", "counted": "计入的记录", "xlsx": "导出 XLSX", "pdf": "导出 PDF 报告"},
    "en": {
        "title": "Metrology development plan indicators",
        "counted": "Records counted",
        "xlsx": "Export XLSX",
        "pdf": "Export PDF report",
    },
}


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_indicators_drill_down_and_exports(new_page, site, lang):
    from openpyxl import load_workbook

    words = WORDS[lang]
    province = site.data["province"]["province"]
    admin = new_page(lang=lang, role="superuser")
    _ok(admin.goto(site.at("/dashboard/")), admin)
    with admin.expect_navigation():
        admin.locator("nav a[href='/plans/indicators/']").first.click()
    assert words["title"] in admin.locator("h1").inner_text()
    # The nation sees the provinces; down to the generated province.
    with admin.expect_navigation():
        admin.locator(f"#indicator-table thead a.region-link[href*='region={province}']").click()
    assert f"region={province}" in admin.url
    # Definitions and sources are on the page.
    row = admin.locator("#indicator-mandatory_on_time")
    row.locator("summary").click()
    assert row.locator(".definition").inner_text().strip()
    # A city's figure (the second column: the first below the province) and the rows behind it.
    cell = row.locator("td[data-region]").nth(1)
    counted = re.search(r"(\d+)/(\d+)", cell.inner_text())
    assert counted, cell.inner_text()
    with admin.expect_navigation():
        cell.locator("a.figure").click()
    assert "/plans/indicators/mandatory_on_time/" in admin.url
    assert words["counted"] in admin.locator("#rows-total").inner_text()
    assert admin.locator("#rows-total strong").inner_text() == counted.group(2)  # the figure's denominator
    with admin.expect_navigation():
        admin.locator("#rows-part").click()
    assert admin.locator("#rows-total strong").inner_text() == counted.group(1)  # and its numerator
    rows_on_page = admin.locator("#indicator-rows tbody tr").count()
    assert rows_on_page == min(50, int(counted.group(1))) or int(counted.group(1)) == 0

    _ok(admin.goto(site.at(f"/plans/indicators/?region={province}")), admin)
    admin.wait_for_selector("#indicator-trends svg")  # the trend charts, loaded by htmx
    with admin.expect_download() as xlsx:
        admin.locator("#export-xlsx", has_text=words["xlsx"]).click()
    book = load_workbook(io.BytesIO(open(xlsx.value.path(), "rb").read()))
    assert book.active.max_row >= 3 + 12  # a row per indicator under the header
    with admin.expect_download() as pdf:
        admin.locator("#export-pdf", has_text=words["pdf"]).click()
    assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"
