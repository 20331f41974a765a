"""The holder's staff keeps a standard's in-service checks in a real browser (issue 18 item 5):
from the navigation to the standard's checks, a new check plan, four checks in control, a
fifth out of control; the chart flags it with the test and its clause, the alert appears, and
the staff answers it. In Chinese and in English."""

from __future__ import annotations

import datetime as dt

import pytest

WORDS = {
    "zh-hans": {"nav": "期间核查", "create": "建立核查计划", "save": "保存记录", "answer": "提交处理", "answered": "已处理"},
    "en": {
        "nav": "In-service check",
        "create": "Create check plan",
        "save": "Save record",
        "answer": "Submit answer",
        "answered": "Handled",
    },
}


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_staff_records_a_check_out_of_control_and_answers_the_alert(new_page, site, lang):
    words = WORDS[lang]
    standard = site.data["province"]["standard"]
    item = f"浏览器核查点 {lang}"
    page = new_page(lang=lang, role="institution_staff")
    _ok(page.goto(site.at("/dashboard/")), page)
    with page.expect_navigation():
        page.locator("nav.site-nav a", has_text=words["nav"]).first.click()
    with page.expect_navigation():
        page.locator(f"#check-standards a[href='/checks/standards/{standard['pk']}/']").click()
    assert f"/checks/standards/{standard['pk']}/" in page.url

    form = page.locator("#plan-form")
    form.locator("[name=check_item]").fill(item)
    form.locator("[name=check_standard]").fill("核查砝码 1 kg")
    form.locator("[name=baseline_points]").fill("4")
    with page.expect_navigation():
        form.locator("button[type=submit]", has_text=words["create"]).click()
    plan = page.locator("section.panel", has_text=item)
    assert plan.count() == 1, page.locator("main").inner_text()[:1500]

    today = dt.date.today()
    for k, value in enumerate(["1.000", "1.002", "0.999", "1.001", "1.030"]):
        plan = page.locator("section.panel", has_text=item)
        record = plan.locator("form.record-form")
        record.locator("[name=performed_on]").fill((today - dt.timedelta(days=4 - k)).isoformat())
        record.locator("[name=values]").fill(value)
        with page.expect_navigation():
            record.locator("button[type=submit]", has_text=words["save"]).click()

    plan = page.locator("section.panel", has_text=item)
    assert plan.locator("img[src$='chart.svg']").count() == 1
    signals = plan.locator("table[id^=signals-] tr.out-of-control")
    assert signals.count() == 1 and "GB/T 17989.2-2020 §8 检验1" in signals.inner_text()
    alert = plan.locator("table.check-alerts tr.alert-open")
    assert alert.count() == 1
    alert.locator("input[name=answer]").fill("核查砝码被碰撞，已停用并送检")
    with page.expect_navigation():
        alert.locator("button[type=submit]", has_text=words["answer"]).click()
    plan = page.locator("section.panel", has_text=item)
    assert words["answered"] in plan.locator("table.check-alerts tr.alert-answered").inner_text()
