"""An energy metering review (能源计量审查, issue 22) worked in a real browser through the web
interface alone, in Chinese and in English: the county's administrator, on a 390 px phone,
opens a review from the key unit's page and records the checklist (one item saved alone
by htmx, which lists its finding: without its facts it is refused in the reader's
language; the rest at once), issues the rectification notice (the deadline in working days), is
refused a "rectified" result before the unit has answered; the unit's own user answers the
finding; the administrator closes the review as passed after rectification."""

from __future__ import annotations

import re

import pytest

WORDS = {
    "zh-hans": {
        "open": "开始审查",
        "save": "保存",
        "save_all": "保存全部审查记录",
        "facts_needed": "不符合时须写明不符合事实",
        "notice": "下达整改通知",
        "rectifying": "整改中",
        "not_yet": "整改后合格须每个不符合项都已整改",
        "answer": "提交整改情况",
        "decide": "作出审查结论",
        "closed": "已办结",
        "rectified": "整改后合格",
    },
    "en": {
        "open": "Start the review",
        "save": "Save",
        "save_all": "Save all items",
        "facts_needed": "needs the facts found",
        "notice": "Issue the rectification notice",
        "rectifying": "Corrective action in progress",
        "not_yet": "Passed after rectification needs every nonconformity rectified",
        "answer": "Submit the rectification",
        "decide": "Decide the review",
        "closed": "Closed",
        "rectified": "Passed after rectification",
    },
}
FAILED_ITEM = "6.3"


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_review_with_one_finding_through_the_pages(new_page, site, lang):
    words = WORDS[lang]
    unit = site.data["energy"]["unit"]
    admin = new_page(lang=lang, viewport="phone", role="county_admin")
    _ok(admin.goto(site.at(f"/energy/units/{unit}/")), admin)
    form = admin.locator("#review-open-form")
    form.locator("input[name=reviewers]").fill("王审查、李计量")
    with admin.expect_navigation():
        form.locator("button[type=submit]", has_text=words["open"]).click()
    review_url = admin.url
    assert re.search(r"/energy/reviews/\d+/$", review_url), review_url

    items = admin.locator("#review-checklist fieldset.review-item")
    assert items.count() == 12  # JJF 1356-2012 chapters 4–8, as the platform groups them
    anchor = f"#item-{FAILED_ITEM.replace('.', '-')}"
    failed = admin.locator(anchor)
    # One item saved on its own (htmx): a nonconformity without its facts is refused, in the
    # reader's language, nothing saved; with them it is recorded and listed as a finding.
    failed.locator("input[type=radio][value=no]").check()
    failed.locator("button", has_text=words["save"]).click()
    admin.wait_for_selector(f"{anchor} [role=alert]")
    assert words["facts_needed"] in failed.locator("[role=alert]").inner_text()
    assert admin.locator("#review-findings li").count() == 0
    failed.locator("input[name^=note-]").fill("2 块电能表超期未检 / 2 meters overdue for verification")
    failed.locator("button", has_text=words["save"]).click()
    admin.wait_for_selector(f"{anchor}[data-verdict=no] .saved")
    assert admin.locator("#review-findings li").count() == 1  # swapped in by htmx
    # The rest at once.
    for k in range(items.count()):
        if items.nth(k).get_attribute("id") != anchor[1:]:
            items.nth(k).locator("input[type=radio][value=yes]").check()
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    with admin.expect_navigation():
        admin.locator("#review-save-all", has_text=words["save_all"]).click()
    assert admin.locator("#review-checklist fieldset.review-item[data-verdict=yes]").count() == 11

    with admin.expect_navigation():
        admin.locator("#rectification-form button[type=submit]", has_text=words["notice"]).click()
    assert admin.locator("#review-status").inner_text() == words["rectifying"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", admin.locator("#rectification-due").inner_text())
    # Not yet: the unit has not answered.
    admin.locator("#decision-form input[name=result][value=rectified]").check()
    with admin.expect_navigation():
        admin.locator("#decision-form button[type=submit]", has_text=words["decide"]).click()
    assert words["not_yet"] in admin.locator(".messages .error").inner_text()

    # The unit's own user answers the finding from its own page.
    unit_user = new_page(lang=lang, viewport="phone", role="enterprise_user")
    _ok(unit_user.goto(site.at("/energy/mine/")), unit_user)
    with unit_user.expect_navigation():
        unit_user.locator(f"#unit-reviews a[href='{review_url.removeprefix(site.url)}']").click()
    answer = unit_user.locator("form.finding-answer")
    answer.locator("textarea[name=rectification]").fill("已送检并更换 / verified and replaced")
    with unit_user.expect_navigation():
        answer.locator("button[type=submit]", has_text=words["answer"]).click()
    assert "verified and replaced" in unit_user.locator("#review-findings .rectification").inner_text()
    assert unit_user.locator("#decision-form").count() == 0  # the result is the bureau's

    _ok(admin.goto(review_url), admin)
    admin.locator("#decision-form input[name=result][value=rectified]").check()
    admin.locator("#decision-form textarea[name=summary]").fill("整改到位 / rectified")
    with admin.expect_navigation():
        admin.locator("#decision-form button[type=submit]", has_text=words["decide"]).click()
    assert admin.locator("#review-status").inner_text() == words["closed"]
    assert admin.locator("#review-result").inner_text() == words["rectified"]
    assert admin.locator("#review-checklist").count() == 0  # closed: read only
