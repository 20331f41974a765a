"""An institution's capability and supervision (issue 21 §3–4) through the web interface
alone, in Chinese and in English: the county's administrator opens the institutions from
the navigation, opens a county institute's capability page, sees the gap where its one
authorised item has a single qualified verifier (fewer than two), records a supervision
visit with a finding on it (refused first without a deadline, in the reader's language,
nothing written) and closes the visit, its finding then counted in the credit record."""

from __future__ import annotations

import pytest

WORDS = {
    "zh-hans": {
        "nav": "机构能力与监督",
        "save": "保存监督检查",
        "deadline": "整改期限须晚于检查日期",
        "recorded": "已记录监督检查",
        "close": "办结",
        "closed": "已办结",
        "few": "少于 2 人",
    },
    "en": {
        "nav": "Institutions",
        "save": "Save the visit",
        "deadline": "The rectification deadline must be after the visit",
        "recorded": "Supervision visit recorded",
        "close": "Close",  # the button's text in English
        "closed": "Closed",
        "few": "fewer than 2",
    },
}


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_supervision_visit_on_the_gap_of_an_institution(new_page, site, lang):
    words = WORDS[lang]
    facts = site.data["institutions"]
    admin = new_page(lang=lang, role="county_admin")
    _ok(admin.goto(site.at("/dashboard/")), admin)
    with admin.expect_navigation():
        admin.locator("nav a", has_text=words["nav"]).first.click()
    with admin.expect_navigation():
        admin.locator(f"#institution-list a[href='/institutions/{facts['institution']}/']").click()

    gap = admin.locator(f"#institution-gaps li[data-item='{facts['gap_item']}']")
    assert words["few"] in gap.inner_text()
    assert admin.locator(f"#institution-items tr.gap[data-item='{facts['gap_item']}'] .people-gap").count() == 1

    form = admin.locator("#visit-form")
    form.locator("input[name=inspectors]").fill("王检查、李监督")
    form.locator("input[name=scope]").fill("检定人员 / verifiers")
    form.locator("select[name=finding-0-clause]").select_option("E3")
    form.locator("textarea[name=finding-0-description]").fill("授权项目仅一名有资格人员 / one qualified verifier only")
    form.locator("select[name=finding-0-severity]").select_option("major")
    visits_before = admin.locator("#visits > li").count()
    with admin.expect_navigation():
        form.locator("button[type=submit]", has_text=words["save"]).click()
    assert words["deadline"] in admin.locator(".messages .error").inner_text()
    assert admin.locator("#visits > li").count() == visits_before  # all or nothing

    form = admin.locator("#visit-form")
    form.locator("input[name=inspectors]").fill("王检查、李监督")
    form.locator("input[name=scope]").fill("检定人员 / verifiers")
    form.locator("select[name=finding-0-clause]").select_option("E3")
    form.locator("textarea[name=finding-0-description]").fill("授权项目仅一名有资格人员 / one qualified verifier only")
    form.locator("select[name=finding-0-severity]").select_option("major")
    form.locator("input[name=finding-0-rectify_by]").fill("2099-12-31")
    with admin.expect_navigation():
        form.locator("button[type=submit]", has_text=words["save"]).click()
    assert words["recorded"] in admin.locator(".messages .ok").inner_text()
    visit = admin.locator("#visits > li").first
    assert "one qualified verifier only" in visit.locator(".visit-findings").inner_text()
    # Each open major finding costs the quality-assurance item (E7) 5 of its 10 points (every
    # visit to this institute is this test's, one major finding each).
    expected = max(0.0, 10 - 5 * (visits_before + 1))
    assert admin.locator("#evaluation-items tr[data-code=E7] td").nth(2).inner_text() == f"{expected:.1f}"

    with admin.expect_navigation():
        visit.locator("form.visit-close button", has_text=words["close"]).click()
    assert admin.locator("#visits > li").first.locator(".visit-status").inner_text() == words["closed"]
