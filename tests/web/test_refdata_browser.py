"""Standard reference data (issue 25) in a real browser: the national administrator
approves version 2 of the CODATA subset on its page (Chinese), then a visitor who is not
signed in (English) finds it in the catalogue and follows a citation's resolver URL to the
cited row, with its value, uncertainty and unit."""

from __future__ import annotations


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def test_approve_a_version_then_a_visitor_resolves_a_citation(new_page, site):
    admin = new_page(lang="zh-hans", role="superuser")
    _ok(admin.goto(site.at("/refdata/SRD-CODATA-FC-v2/")), admin)
    assert admin.locator("#srd-status").inner_text() == "待审核"
    admin.locator("#srd-review textarea[name=note]").fill("与 CODATA 2022 核对一致")
    with admin.expect_navigation():
        admin.locator("#srd-review button", has_text="批准发布").click()
    assert admin.locator("#srd-status").inner_text() == "已批准发布"
    assert "内容完整" in admin.locator("#srd-facts").inner_text()

    visitor = new_page(lang="en")
    _ok(visitor.goto(site.at("/refdata/")), visitor)
    assert visitor.locator("h1").inner_text() == "Standard reference data"
    assert visitor.locator("#srd-published a", has_text="SRD-CODATA-FC-v2").count() == 1
    _ok(visitor.goto(site.at("/refdata/resolve/?id=SRD-CODATA-FC-v2%23row-8")), visitor)
    assert visitor.url.endswith("/refdata/SRD-CODATA-FC-v2/#row-8")
    row = visitor.locator("#row-8").inner_text()
    assert "electron mass" in row and "9.1093837139e-31" in row and "0.0000000028e-31" in row and "kg" in row
    assert visitor.locator("#srd-status").inner_text() == "Approved and published"
    assert visitor.locator("#srd-review").count() == 0  # no review buttons for a visitor
