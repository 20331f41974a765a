"""The web interface in a real browser: headless Chromium driven by Playwright against the
running server (see conftest.py), as a clerk, an inspector or a citizen would use it.

Screenshots of the main pages in zh-hans and en, at desktop and phone widths, are kept in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, VIEWPORTS

CJK = re.compile("[\u4e00-\u9fff]")


def _no_server_error(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def _nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.site-nav a").all_inner_texts()]


# ---------------------------------------------------------------------------- signing in


def test_superuser_signs_in_through_the_login_page_and_reaches_the_admin(new_page, site):
    page = new_page()
    page.goto(site.at("/admin/login/?next=/"))
    page.fill("input[name=username]", site.data["superuser"]["username"])
    page.fill("input[name=password]", site.data["superuser"]["password"])
    with page.expect_navigation():
        page.click("input[type=submit], button[type=submit]")
    assert page.url == site.at("/")
    assert page.locator("h1").first.inner_text()  # the home page, signed in

    response = page.goto(site.at("/admin/"))
    _no_server_error(response, page)
    assert page.url == site.at("/admin/")  # not sent back to the login form
    assert page.locator("#site-name").count() == 1
    # The superuser sees the staff pages too.
    _no_server_error(page.goto(site.at("/comparisons/follow-ups/")), page)
    assert "/login/" not in page.url


def test_wrong_password_is_refused_by_the_login_page(new_page, site):
    page = new_page()
    page.goto(site.at("/admin/login/?next=/admin/"))
    page.fill("input[name=username]", site.data["superuser"]["username"])
    page.fill("input[name=password]", "not-the-password")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login/" in page.url
    assert page.locator(".errornote").count() == 1


@pytest.mark.parametrize("role", ["county_admin", "institution_staff", "enterprise_user", "auditor"])
def test_each_role_browses_the_pages_its_navigation_links(new_page, site, role):
    page = new_page(role=role)
    _no_server_error(page.goto(site.at("/")), page)
    links = page.eval_on_selector_all("nav.site-nav a", "els => els.map(e => e.getAttribute('href'))")
    assert "/dashboard/" in links
    for path in links:
        if path.startswith(("/admin/", "/api/")):
            continue
        response = page.goto(site.at(path))
        _no_server_error(response, page)
        assert "/login/" not in page.url, f"{role} sent to the login page from {path}"
        assert page.locator("main h1").count() >= 1, f"{path} has no heading for {role}"
    # The role's user is not staff: the admin stays closed to it, and its link is not shown.
    assert not any(path.startswith("/admin/") for path in links)
    page.goto(site.at("/admin/"))
    assert "/admin/login/" in page.url


def test_institution_staff_opens_a_net_content_inspection_form(new_page, site):
    if "institution_staff" not in site.data["roles"]:
        pytest.skip("no institution_staff role in jiliang.accounts.models.Membership")
    page = new_page(role="institution_staff")
    _no_server_error(page.goto(site.at("/prepack/")), page)
    with page.expect_navigation():
        page.click("a[href='/prepack/new/']")
    assert page.url == site.at("/prepack/new/")
    assert page.locator("form.pp-form input, form.pp-form select").count() > 5


# ---------------------------------------------------------------------------- browsing


def test_home_page_links_every_registry_list(new_page, site):
    # Instruments are not public (their policy): the lists are browsed signed in.
    page = new_page(lang="en", role="superuser")
    _no_server_error(page.goto(site.at("/")), page)
    labels = _nav_labels(page)
    assert "Measuring instruments" in labels and "Measurement standards" in labels and "Primary standards" in labels
    page.click("nav.site-nav >> text=Measuring instruments")
    page.wait_for_url(site.at("/instruments/"))
    assert page.locator("main h1").inner_text() == "Measuring instruments"


def test_instrument_list_filters_through_htmx_without_reloading(new_page, site):
    code = site.data["instrument"]["code"]
    page = new_page(role="superuser")
    _no_server_error(page.goto(site.at("/instruments/")), page)
    rows_before = page.locator("#results tbody tr").count()
    assert rows_before > 1
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/instruments/?" in r.url and r.request.headers.get("hx-request") == "true") as partial:
        page.fill("#id_q", code)
    assert partial.value.status == 200
    expect(page.locator("#results tbody tr")).to_have_count(1)  # no string predicate: CSP forbids eval
    assert page.locator("#results tbody tr").inner_text().find(code) >= 0
    assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the whole page"
    assert f"q={code}" in page.url  # hx-push-url: the filtered list can be bookmarked
    # The pushed URL, opened directly, renders the same filtered list server-side.
    _no_server_error(page.goto(page.url), page)
    assert page.locator("#results tbody tr").count() == 1


def test_instrument_detail_shows_its_traceability_chain(new_page, site):
    page = new_page(lang="en", role="superuser")
    response = page.goto(site.at(f"/instruments/{site.data['instrument']['pk']}/"))
    _no_server_error(response, page)
    assert site.data["instrument"]["code"] in page.locator("main h1").inner_text()
    chain = page.locator(".chain")
    assert chain.count() == 1
    levels = chain.locator("ol.chain-levels > li.chain-level")
    assert levels.count() >= 2, "the chain should climb more than one level"
    standard_link = chain.locator(".chain-node .node-head a").first
    name = standard_link.inner_text()
    with page.expect_navigation():
        standard_link.click()
    assert re.search(r"/standards/\d+/$", page.url)
    assert name in page.locator("main h1").inner_text()


def test_certificate_check_page_answers_an_unknown_number(new_page, site):
    page = new_page(lang="en")
    _no_server_error(page.goto(site.at("/certificates/")), page)
    page.fill("form.check-number input[name=number]", "NO-SUCH-CERTIFICATE-0000")
    with page.expect_navigation():
        page.click("form.check-number button[type=submit]")
    assert "number=NO-SUCH-CERTIFICATE-0000" in page.url
    verdict = page.locator("#verdict")
    # Not found is its own answer, not "invalid" with a row of red crosses.
    assert verdict.count() == 1 and "unknown" in verdict.get_attribute("class")
    assert "Certificate not found" in verdict.locator("h2").inner_text() and "✘" not in verdict.inner_text()


@pytest.mark.parametrize("path", ["/comparisons/public/", "/prepack/"])
def test_public_lists_are_open_to_everyone(new_page, site, path):
    page = new_page(lang="en")
    _no_server_error(page.goto(site.at(path)), page)
    assert "/login/" not in page.url
    heading = page.locator("main h1").inner_text()
    assert heading and not CJK.search(heading)


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/registry/instrument/",
        "/comparisons/follow-ups/",
        "/prepack/new/",
        "/dashboard/",
        "/instruments/",
        "/events/",
    ],
)
def test_public_user_is_sent_to_the_login_page_from_staff_pages(new_page, site, path):
    page = new_page()
    page.goto(site.at(path))
    # The admin has its own login (staff only); every other page signs in at accounts/login/.
    expected = "/admin/login/" if path.startswith("/admin/") else "/accounts/login/"
    assert expected in page.url, f"an anonymous visitor reached {path}"
    assert page.locator("input[name=password]").count() == 1


@pytest.mark.parametrize("path", ["/api/me/", "/api/tokens/", "/api/traceability/recall-notices/", "/api/people/"])
def test_public_user_is_refused_the_private_api(new_page, site, path):
    page = new_page()
    response = page.request.get(site.at(path))
    assert response.status in (401, 403), f"{path}: HTTP {response.status} for an anonymous request"
    assert "detail" in json.loads(response.text())


# ---------------------------------------------------------------------------- screenshots

SCREENSHOT_PAGES = {
    "home": "/",
    "instruments": "/instruments/",
    "instrument": None,  # the sample instrument with its chain
    "standards": "/standards/",
    "certificate-check": "/certificates/",
    "comparisons-public": "/comparisons/public/",
    "prepack-public": "/prepack/",
}


@pytest.mark.slow
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_screenshots_of_the_main_pages(new_page, site, lang, viewport):
    page = new_page(lang=lang, viewport=viewport, role="superuser")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in SCREENSHOT_PAGES.items():
        path = path or f"/instruments/{site.data['instrument']['pk']}/"
        _no_server_error(page.goto(site.at(path)), page)
        assert page.locator("html").get_attribute("lang") == lang
        # Nothing wider than the screen: a phone must not scroll sideways to read the page
        # (wide tables scroll inside their own .table-wrap box).
        overflow = page.evaluate("document.documentElement.scrollWidth") - VIEWPORTS[viewport]["width"]
        assert overflow <= 1, f"{path} is {overflow}px wider than a {viewport} screen ({lang})"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{viewport}.png"), full_page=True)
