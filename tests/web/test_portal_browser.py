"""The public portal in a real browser (journey b of issue #23, in Chinese and English): a
citizen finds who can calibrate a pressure gauge, files a complaint with a photo and gets a
reference; the administrator of the county where the instrument is sees it in the queue,
opens the photo and marks it handled; the citizen follows it by the reference and reads
the status and the handling note.

Screenshots of the portal pages (zh-hans and en, desktop and phone) go to
test-artifacts/screenshots/ with the other pages'.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, VIEWPORTS


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _total(page) -> int:
    """The result count the pager states ("第 1/3 页，共 57 条", "Page 1 of 3, 57 records")."""
    text = page.locator(".pager-info").inner_text()
    match = re.search(r"共\s*([\d,]+)\s*条", text) or re.search(r"([\d,]+) records?", text)
    return int(match.group(1).replace(",", ""))


# What the pages say, by language.
WORDS = {
    "zh-hans": {"pressure": "压力", "description": "问题描述", "handled": "已处理"},
    "en": {"pressure": "pressure", "description": "Description of the problem", "handled": "Handled"},
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_citizen_searches_and_complains_administrator_handles(new_page, site, lang):
    words = WORDS[lang]
    citizen = new_page(lang=lang)
    _ok(citizen.goto(site.at("/portal/")), citizen)

    # Search from the landing page: pressure, 1 MPa (the quantity's unit is kPa).
    pressure = citizen.locator("select[name=quantity] option").filter(has_text="(kPa)").first
    assert words["pressure"] in pressure.inner_text().lower()
    citizen.select_option("select[name=quantity]", pressure.get_attribute("value"))
    citizen.fill("input[name=value]", "1")
    citizen.fill("input[name=unit]", "MPa")
    with citizen.expect_navigation():
        citizen.click(".portal-search button[type=submit]")
    assert "/portal/capabilities/" in citizen.url
    rows = citizen.locator("table.capabilities tbody tr")
    assert rows.count() > 0
    before = _total(citizen)
    assert all(
        words["pressure"] in text.lower()
        for text in citizen.locator("table.capabilities tbody tr td:nth-child(3)").all_inner_texts()
    )

    # Tighten the uncertainty: htmx swaps the results in place (the page is not reloaded).
    citizen.evaluate("window.__same_page = true")
    citizen.select_option("select[name=uncertainty_kind]", "relative")
    with citizen.expect_response(
        lambda r: (
            "/portal/capabilities/" in r.url and "uncertainty=0.1" in r.url and r.request.headers.get("hx-request") == "true"
        )
    ):
        citizen.fill("input[name=uncertainty]", "0.1")
    citizen.wait_for_url(re.compile(r"uncertainty=0\.1"))  # no string predicate: CSP forbids eval
    assert citizen.evaluate("window.__same_page") is True
    assert "uncertainty=0.1" in citizen.url  # the filtered URL is kept for sharing and back
    # Every remaining row states U_rel ≤ 0.1 % or an absolute U at 1 MPa within 1 kPa.
    for text in citizen.locator("table.capabilities tbody tr td:nth-child(5)").all_inner_texts():
        match = re.search(r"=\s*([\d.eE+-]+)%", text)
        if match:
            assert float(match.group(1)) <= 0.1 + 1e-9, text
    after = _total(citizen)
    assert 1 <= after <= before

    # A result links to the standard's public page.
    # Wait for the URL itself: a late htmx history update of the search also counts as a navigation.
    citizen.locator("table.capabilities tbody tr td:nth-child(2) a").first.click()
    citizen.wait_for_url(re.compile(r"/portal/standards/\d+/$"))
    assert citizen.locator("h1").inner_text()

    # File a complaint about an instrument, with a photo.
    _ok(citizen.goto(site.at("/portal/")), citizen)
    with citizen.expect_navigation():
        citizen.click("a[href='/portal/complaints/new/']")
    # First without a description: the error names the field, the code typed is kept.
    code = site.data["province"]["instrument"]["code"]  # a working instrument in the county
    citizen.fill("input[name=instrument_code]", code)
    with citizen.expect_navigation():
        citizen.click("form.stacked-form button[type=submit]")
    assert words["description"] in citizen.locator(".form-errors").inner_text()
    assert citizen.input_value("input[name=instrument_code]") == code
    citizen.fill("textarea[name=description]", "加油机显示 30 升，复核只有 29.2 升，请检查。")
    citizen.set_input_files("input[name=photos]", files=[{"name": "dispenser.png", "mimeType": "image/png", "buffer": _png()}])
    citizen.fill("input[name=contact]", "13800000000")
    with citizen.expect_navigation():
        citizen.click("form.stacked-form button[type=submit]")
    reference = citizen.locator("strong.reference").inner_text().strip()
    assert re.fullmatch(r"TS\d{8}[A-Z2-9]{6}", reference)

    # The citizen cannot open the queue: sent to sign in.
    citizen.goto(site.at("/portal/complaints/"))
    assert "login" in citizen.url and "next=/portal/complaints/" in citizen.url
    assert citizen.locator("table.complaints").count() == 0

    # The county's administrator sees it in the queue and handles it.
    admin = new_page(lang=lang, role="county_admin")
    _ok(admin.goto(site.at("/portal/complaints/")), admin)
    link = admin.locator(f"table.complaints a:text-is('{reference}')")
    assert link.count() == 1
    with admin.expect_navigation():
        link.click()
    assert "29.2 升" in admin.locator(".complaint-text").first.inner_text()
    assert "13800000000" in admin.locator("dl.fields").inner_text()
    photo = admin.locator(".photos img").first
    photo.wait_for()
    expect(photo).to_have_js_property("naturalWidth", 64)
    note = (
        "已派员现场检定，加油机超差，责令停用调修。"
        if lang == "zh-hans"
        else "Verified on site: out of tolerance, stopped for repair."
    )
    admin.fill("textarea[name=handling_note]", note)
    with admin.expect_navigation():
        admin.click("form.stacked-form button[type=submit]")
    assert words["handled"] in admin.locator("h1").inner_text()

    # The citizen follows it by the reference: the status and the handling note, none of the details.
    _ok(citizen.goto(site.at("/portal/complaints/status/")), citizen)
    citizen.fill("input[name=reference]", reference)
    with citizen.expect_navigation():
        citizen.click("form.quick-search button[type=submit]")
    assert words["handled"] in citizen.locator("dl.fields").inner_text()
    assert citizen.locator("dl.fields .handling-note").inner_text().strip() == note
    assert "29.2" not in citizen.content() and "13800000000" not in citizen.content()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_portal_screenshots(new_page, site, lang, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(lang=lang, viewport=viewport)
    for name, path in [
        ("portal-home", "/portal/"),
        ("portal-search", "/portal/capabilities/?region=330000"),
        ("portal-complaint", "/portal/complaints/new/"),
    ]:
        _ok(page.goto(site.at(path)), page)
        # Nothing wider than the screen on a phone: the page does not scroll sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the {viewport} screen"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{viewport}.png"), full_page=True)
    if lang == "en":
        assert page.locator("h1").inner_text() == "Complaint about an instrument"
