"""Supply–demand matching (供需对接, issue 25 item 3) in a real browser, in Chinese and in
English: the institution's staff publish their terms; the enterprise posts a need its
capability fits, sees the ranked offers with each factor explained, and sends the need to
the institution; the institution's staff find the request on their dashboard's inbox and
their matching page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

WORDS = {
    "zh-hans": {
        "publish": "发布服务承诺",
        "post": "发布并匹配",
        "pick": "委托该机构",
        "sent": "待机构确认",
        "accept": "受理委托",
    },
    "en": {
        "publish": "Publish the terms",
        "post": "Post and match",
        "pick": "Send to this provider",
        "sent": "Awaiting the provider",
        "accept": "Accept the request",
    },
}


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_need_matched_and_sent_to_the_provider(new_page, site, lang):
    words, facts, institution = WORDS[lang], site.data["matching"], site.data["institution"]
    assert facts, "the institution holds no capability to match"

    staff = new_page(lang=lang, role="institution_staff")
    _ok(staff.goto(site.at("/matching/")), staff)
    terms = staff.locator("#terms-form")
    terms.locator("input[name=turnaround_days]").fill("6")
    terms.locator("input[name=fee_per_instrument]").fill("220")
    with staff.expect_navigation():
        terms.locator("button[type=submit]", has_text=words["publish"]).click()
    assert "220" in staff.locator("#terms-list").inner_text()

    enterprise = new_page(lang=lang, role="enterprise_user")
    _ok(enterprise.goto(site.at("/matching/")), enterprise)
    form = enterprise.locator("#need-form")
    form.locator("input[name=title]").fill(f"browser need {lang}")
    form.locator("select[name=quantity]").select_option(str(facts["quantity"]))
    form.locator("input[name=range_min]").fill(str(facts["range_min"]))
    form.locator("input[name=range_max]").fill(str(facts["range_max"]))
    form.locator("input[name=unit]").fill(facts["unit"])
    form.locator("select[name=requirement]").select_option(str(facts["requirement"]))
    form.locator("input[name=requirement_value]").fill(str(facts["requirement_value"]))
    form.locator("input[name=instrument_count]").fill("2")
    form.locator("input[name=deadline]").fill((dt.date.today() + dt.timedelta(days=40)).isoformat())
    with enterprise.expect_navigation():
        form.locator("button[type=submit]", has_text=words["post"]).click()
    assert re.search(r"/matching/needs/\d+/$", enterprise.url), enterprise.url
    number = enterprise.locator("h1 .mono").inner_text()

    offers = enterprise.locator("#offers li.offer")
    assert offers.count() >= 1
    for k in range(offers.count()):  # every offer explains its four factors
        assert offers.nth(k).locator("table.fit tbody tr").count() == 4
    mine = enterprise.locator(f"#offers li.offer[data-provider='{institution}']")
    assert mine.count() == 1
    assert "440" in mine.locator(".factor-fee td").last.inner_text()  # 220 yuan × 2 instruments
    with enterprise.expect_navigation():
        mine.locator("button.pick", has_text=words["pick"]).click()
    assert re.search(r"/matching/requests/\d+/$", enterprise.url)
    assert enterprise.locator("#request-status").inner_text() == words["sent"]

    _ok(staff.goto(site.at("/dashboard/")), staff)
    inbox = staff.locator("#matching-inbox")
    assert number in inbox.inner_text()
    _ok(staff.goto(site.at("/matching/")), staff)
    with staff.expect_navigation():
        staff.locator("#addressed-requests a", has_text=number).first.click()
    assert staff.locator("#request-status").inner_text() == words["sent"]
    assert staff.locator("#act-accept button", has_text=words["accept"]).count() == 1
