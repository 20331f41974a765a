"""Each role in a real browser: sign in through the login page (accounts/login/), do the
role's main task from its dashboard, and the public user kept out of staff pages.
Screenshots of the dashboards in zh-hans and en, at desktop and phone widths, go to
test-artifacts/screenshots/ with the other pages'.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, VIEWPORTS

DASHBOARD_ROLES = ["county_admin", "auditor", "institution_staff", "enterprise_user"]


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def sign_in(page, site, role: str, next_path: str | None = None):
    account = site.data["roles"][role]
    _ok(page.goto(site.at("/accounts/login/" + (f"?next={next_path}" if next_path else ""))), page)
    page.fill("input[name=username]", account["username"])
    page.fill("input[name=password]", account["password"])
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")


def wait_for_panels(page):
    """The heavy panels arrive by htmx after the page: wait until none is still loading."""
    # A locator, not wait_for_function: Playwright polls a string predicate with eval, which
    # the pages' Content-Security-Policy (script-src 'self') refuses once it has to poll.
    expect(page.locator('[hx-trigger="load"]')).to_have_count(0, timeout=60_000)


@pytest.mark.parametrize("role", DASHBOARD_ROLES)
def test_each_role_signs_in_and_lands_on_its_dashboard(new_page, site, role):
    page = new_page()
    sign_in(page, site, role)
    assert page.url == site.at("/dashboard/")
    assert page.locator("main h1").inner_text().startswith("工作台")
    assert page.locator(".user-menu").inner_text().startswith(site.data["roles"][role]["username"])
    assert page.locator("nav.site-nav a.nav-work[aria-current=page]").inner_text() == "工作台"
    # Signing out is a form (POST with its CSRF token), back to the home page signed out.
    # Waiting for the URL, not for "a navigation": a busy dashboard's own late navigation
    # event could otherwise be taken for the sign-out's.
    page.click(".user-menu button[type=submit]")
    page.wait_for_url(site.at("/"))
    assert page.locator(".user-menu a").inner_text() == "登录"
    page.goto(site.at("/dashboard/"))
    assert "/accounts/login/?next=/dashboard/" in page.url


def test_wrong_password_on_the_login_page_says_so(new_page, site):
    page = new_page(lang="en")
    _ok(page.goto(site.at("/accounts/login/")), page)
    page.fill("input[name=username]", site.data["roles"]["enterprise_user"]["username"])
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")
    assert "/accounts/login/" in page.url
    assert "correct username and password" in page.locator(".form-errors").inner_text()


def test_county_admin_opens_the_dashboard_and_the_overdue_list(new_page, site):
    page = new_page()
    sign_in(page, site, "county_admin")
    wait_for_panels(page)
    coverage = page.locator("#coverage-panel")
    assert re.fullmatch(r"\d+\.\d%", coverage.locator(".big-value").inner_text())
    assert coverage.locator("svg.chart .chart-target").count() == 1  # the 90 % target line
    overdue = int(page.locator("#due-panel .stat.bad .stat-value").inner_text().replace(",", ""))
    assert overdue > 0  # the demo plants overdue instruments

    # The horizon switch swaps the due panel alone (htmx), not the page.
    page.evaluate("window.__samePage = true")
    with page.expect_response(lambda r: "panel=due" in r.url and "days=90" in r.url):
        page.click("#due-panel .horizon a[href*='days=90']")
    page.wait_for_selector("#due-panel .horizon a[aria-current][href*='days=90']")
    assert page.evaluate("window.__samePage === true")

    with page.expect_navigation():
        page.click("#due-panel .stat.bad a")
    assert "/dashboard/due/" in page.url and "kind=overdue" in page.url
    rows = page.locator("#due-table tbody tr")
    assert rows.count() == min(overdue, 100)
    assert all("超期" in text for text in rows.locator("td:last-child").all_inner_texts())
    # Opening an overdue instrument shows its record in the registry.
    code = rows.first.locator("td").first.inner_text()
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert code in page.locator("main h1").inner_text()


def test_enterprise_user_sees_its_instruments_and_what_is_due(new_page, site):
    page = new_page()
    sign_in(page, site, "enterprise_user")
    code = site.data["province"]["instrument"]["code"]
    assert page.locator("#own-instruments tbody tr").count() >= 1
    assert page.locator("#due-panel h2").count() == 1
    with page.expect_navigation():
        page.click("#instruments-panel a[href*='owner=']")
    assert f"owner={site.data['enterprise']}" in page.url
    assert page.locator("#results tbody tr").count() >= 1
    # Its registered instrument is among them (the list filters by owner and code together).
    with page.expect_response(lambda r: "/instruments/?" in r.url and f"q={code}" in r.url):
        page.fill("#id_q", code)
    expect(page.locator("#results tbody tr")).to_have_count(1)  # no string predicate: CSP forbids eval
    assert code in page.locator("#results tbody tr").inner_text()


def test_institution_staff_sees_its_standards_and_certificates(new_page, site):
    page = new_page()
    sign_in(page, site, "institution_staff")
    name = site.data["province"]["standard"]["name"]
    standards = page.locator("#standards-panel tbody tr td:first-child a")
    assert name in standards.all_inner_texts()
    assert page.locator("#certificates-panel svg.chart .chart-bar").count() > 0
    with page.expect_navigation():
        page.click(f"#standards-panel a[href='/standards/{site.data['province']['standard']['pk']}/']")
    assert name in page.locator("main h1").inner_text()


def test_auditor_reads_its_province_without_acting(new_page, site):
    page = new_page()
    sign_in(page, site, "auditor")
    assert "审计员只读" in page.locator(".dash-head").inner_text()
    wait_for_panels(page)
    # A bar per city of the province in the coverage chart.
    assert page.locator("#coverage-panel svg.chart rect.chart-bar").count() >= 2
    assert page.locator("nav.site-nav a[href='/prepack/new/']").count() == 0  # inspections are not an auditor's


STAFF_PAGES = [
    "/dashboard/due/",
    "/comparisons/follow-ups/",
    "/prepack/new/",
    "/portal/complaints/",
    "/telemetry/alerts/",
    "/verification/administrator/",
    "/verification/institution/",
    "/verification/enterprise/",
]


def test_public_user_cannot_reach_staff_pages(new_page, site):
    page = new_page()
    sign_in(page, site, "public")
    assert page.url == site.at("/portal/")  # the public's "dashboard" is the portal
    assert page.locator("nav.site-nav a.nav-work").count() == 0
    for path in STAFF_PAGES:
        response = page.goto(site.at(path))
        assert response.status == 403, f"a public user got HTTP {response.status} from {path}"
    page.goto(site.at("/admin/"))
    assert "/admin/login/" in page.url


# ---------------------------------------------------------------------------- screenshots


@pytest.mark.slow
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_screenshots_of_the_dashboards(new_page, site, lang, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for role in ["county_admin", "institution_staff", "enterprise_user"]:
        page = new_page(lang=lang, viewport=viewport, role=role)
        for name, path in (("dashboard", "/dashboard/"), ("due", "/dashboard/due/")):
            if name == "due" and role == "institution_staff":
                continue
            _ok(page.goto(site.at(path)), page)
            wait_for_panels(page)
            assert page.locator("html").get_attribute("lang") == lang
            overflow = page.evaluate("document.documentElement.scrollWidth") - VIEWPORTS[viewport]["width"]
            assert overflow <= 1, f"{path} for {role} is {overflow}px wider than a {viewport} screen ({lang})"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{role}-{lang}-{viewport}.png"), full_page=True)
    page = new_page(lang=lang, viewport=viewport)
    _ok(page.goto(site.at("/accounts/login/")), page)
    page.screenshot(path=str(SCREENSHOTS / f"login-{lang}-{viewport}.png"), full_page=True)
