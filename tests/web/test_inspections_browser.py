"""Random inspections in a real browser (issue 19), in Chinese and in English: an officer
on a 390 px phone opens the day's list, completes the checklist of a drawn target (verdicts,
a measurement, a photo) and signs it; a member of the public finds the published draw on
the portal, reads its commitment, seed and public value, and the published result."""

from __future__ import annotations

import io

import pytest

WORDS = {
    "zh-hans": {
        "save": "保存检查记录",
        "sign": "签署检查记录",
        "public": "双随机抽查公示",
        "clean": "未发现问题",
        "fail": "不符合",
    },
    "en": {
        "save": "Save inspection record",
        "sign": "Sign the inspection record",
        "public": "Random inspections published",
        "clean": "No problems found",
        "fail": "Non-conforming",
    },
}


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_an_officer_completes_a_checklist_on_a_phone(new_page, site, lang):
    words = WORDS[lang]
    pk = site.data["inspections"]["assigned"][0 if lang == "zh-hans" else 1]
    page = new_page(lang=lang, viewport="phone", role="county_admin")
    _ok(page.goto(site.at("/inspections/today/")), page)
    with page.expect_navigation():
        page.locator(f"#today-list a[href='/inspections/{pk}/']").click()
    form = page.locator("#checklist-form")
    items = form.locator("fieldset.check-item")
    assert items.count() >= 2
    for k in range(items.count()):
        item = items.nth(k)
        item.locator("input[type=radio]").nth(1 if k == 0 else 0).check()  # the first item fails
        measurement = item.locator("input[name^=measurement-]")
        if measurement.count():
            measurement.fill("-0.12")
    items.nth(0).locator("input[name^=note-]").fill("检定合格证过期 / verification mark expired")
    form.locator("input[name=photos]").set_input_files([{"name": "site.png", "mimeType": "image/png", "buffer": _png()}])
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        form.locator("button[type=submit]", has_text=words["save"]).click()
    assert page.locator("#inspection-errors").count() == 0, page.locator("main").inner_text()[:800]
    assert page.locator("#checklist-form fieldset.check-item").nth(0).locator("input[value=fail]").is_checked()
    with page.expect_navigation():
        page.locator("#sign-form button", has_text=words["sign"]).click()
    assert site.data["inspections"]["officer"] in page.locator("#signoffs").inner_text()
    assert page.locator("#findings").count() == 1  # the failed item is a finding
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_public_reads_a_draw_and_its_results(new_page, site, lang):
    words = WORDS[lang]
    facts = site.data["inspections"]
    page = new_page(lang=lang)
    _ok(page.goto(site.at("/")), page)
    with page.expect_navigation():
        page.locator("nav.site-nav a", has_text=words["public"]).first.click()
    with page.expect_navigation():
        page.locator(f"#public-draws a[href='/inspections/draws/{facts['draw']}/']").click()
    assert len(page.locator("#draw-commitment").inner_text().strip()) == 64
    assert len(page.locator("#draw-seed").inner_text().strip()) == 64
    assert page.locator("#draw-public-value").inner_text().startswith("ledger:")
    results = page.locator("#draw-results tbody tr")
    assert results.count() >= 3
    published = page.locator(f"#draw-results a[href='/inspections/{facts['published']}/']")
    assert words["clean"] in published.inner_text()
    with page.expect_navigation():
        published.click()
    assert page.locator("#checklist tbody tr").count() >= 2
    assert page.locator("#checklist-form").count() == 0  # the public reads, never records
    document = page.request.get(site.at(f"/inspections/draws/{facts['draw']}/plan.json")).json()
    assert document["seed"] and document["result"]
