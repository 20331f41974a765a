"""The journeys of issue #23, each finished through the web interface alone, in Chinese and
in English: nothing below calls the API or the CLI; the starting facts (which instrument,
which standard, who signs) come from ``journey_facts.py`` through the site's data, each
language its own records so the two runs never meet.

a. an enterprise registers an instrument; the county approves it; the assigned institution
   records the verification and issues the signed certificate; the public checks it by
   number, by the link its QR code carries and by uploading the DCC;
c. a province's administrator opens coverage, exports the XLSX, runs the impact of a
   standard found out of tolerance on a chosen date, opens an affected instrument's chain,
   issues the recall, and the affected enterprise reads the notice on its dashboard;
d. an institution creates a comparison, the participants submit, it closes, is computed,
   reported, approved and published;
e. an inspector opens an alert with its evidence and records the visit.

(b, the public's search and complaint, is test_portal_browser.py.)
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect

LANGS = ("zh-hans", "en")


def _ok(response, page):
    assert response is not None and response.status < 400, f"{page.url}: HTTP {response and response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def _signed_in(new_page, site, lang: str, session: str):
    """A page signed in with a session that journey_facts made for this journey."""
    page = new_page(lang=lang)
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": site.url}])
    return page


def _submit(page, form: str, button: str = "button"):
    with page.expect_navigation():
        page.locator(form).locator(button).first.click()
    assert page.locator("html").get_attribute("lang") in LANGS


def _messages(page) -> str:
    return " ".join(page.locator("ul.messages li").all_inner_texts())


# ---------------------------------------------------------------------------- a.


@pytest.mark.parametrize("lang", LANGS)
def test_a_register_verify_issue_and_check_a_certificate(new_page, site, lang):
    facts = site.data["journeys"]["certificate"][lang]
    code = facts["instrument"]

    # The enterprise files its instrument for mandatory verification.
    owner = _signed_in(new_page, site, lang, facts["owner"])
    _ok(owner.goto(site.at("/verification/enterprise/")), owner)
    owner.fill("#code", code)
    _submit(owner, "form[action='/verification/enterprise/register/']")
    assert code in _messages(owner)

    # The county approves it: htmx swaps the row, which now names the assigned institution.
    admin = new_page(lang=lang, role="county_admin")
    _ok(admin.goto(site.at("/verification/administrator/")), admin)
    row = admin.locator("tr[id^=registration-]").filter(has=admin.locator(f"a:text-is('{code}')"))
    assert row.count() == 1
    row_id = row.get_attribute("id")
    with admin.expect_response(lambda r: "/verification/administrator/review/" in r.url):
        row.locator("button[value=approve]").click()
    expect(admin.locator(f"#{row_id}")).to_contain_text(facts["institution_name"])  # no eval: CSP

    # The assigned institution records the verification, signed by three of its people.
    staff = _signed_in(new_page, site, lang, facts["institution"])
    _ok(staff.goto(site.at("/verification/institution/")), staff)
    staff.fill("#instrument", code)
    staff.select_option("#standard", str(facts["standard"]))
    for role, person in facts["people"].items():
        staff.select_option(f"#record-form select[name={role}]", str(person))
    staff.select_option("#passed", "1")
    _submit(staff, "#record-form")
    assert re.search(r"/verification/records/\d+/$", staff.url), staff.content()[:2000]
    record_number = staff.locator("main h1 small").inner_text().strip()
    assert record_number.startswith("JDZS")

    # It issues the signed digital certificate (DCC); its page is the confirmation.
    _submit(staff, "form[action$='/certificate/']")
    match = re.search(r"/certificates/([^/]+)/$", staff.url)
    assert match, staff.url
    number = match.group(1)
    assert staff.locator("#verdict.ok").count() == 1

    # The public checks it by its number ...
    public = new_page(lang=lang)
    _ok(public.goto(site.at("/certificates/")), public)
    public.fill("form.check-number input[name=number]", number)
    _submit(public, "form.check-number")
    assert public.locator("#verdict.ok").count() == 1
    assert number in public.locator("#verdict").inner_text()

    # ... by the link its QR code carries (the certificate's own page, open to all) ...
    with public.expect_navigation():
        public.click(f"a[href='/certificates/{number}/']")
    qr_link = public.locator(".qr a").get_attribute("href")
    assert qr_link.endswith(f"/certificates/{number}/")
    _ok(public.goto(qr_link), public)
    assert public.locator("#verdict.ok").count() == 1
    assert code in public.locator("main").inner_text()

    # ... and by uploading the DCC it downloaded.
    with public.expect_download() as download:
        public.click(f"a[href='/certificates/{number}/xml/']")
    xml = open(download.value.path(), "rb").read()
    assert b"digitalCalibrationCertificate" in xml
    _ok(public.goto(site.at("/certificates/")), public)
    public.set_input_files(
        "form.check-file input[name=file]", files=[{"name": f"{number}.xml", "mimeType": "application/xml", "buffer": xml}]
    )
    _submit(public, "form.check-file")
    assert public.locator("#verdict.ok").count() == 1

    # A copy whose instrument was altered is refused, with the reasons in the page's language.
    assert code.encode() in xml
    tampered = xml.replace(code.encode(), code[:-1].encode() + (b"8" if code[-1] != "8" else b"9"))
    _ok(public.goto(site.at("/certificates/")), public)
    public.set_input_files(
        "form.check-file input[name=file]", files=[{"name": "tampered.xml", "mimeType": "application/xml", "buffer": tampered}]
    )
    _submit(public, "form.check-file")
    assert public.locator("#verdict.bad").count() == 1
    reasons = public.locator("#verdict ul.reasons").inner_text()
    if lang == "zh-hans":
        assert "签名" in reasons and "登记簿" in reasons and "signature" not in reasons and "record" not in reasons
    else:
        assert "signature" in reasons and "record: the item is not instrument" in reasons


# ---------------------------------------------------------------------------- c.


@pytest.mark.parametrize("lang", LANGS)
def test_c_coverage_impact_recall_and_the_enterprise_notice(new_page, site, lang):
    from openpyxl import load_workbook

    facts = site.data["journeys"]["recall"][lang]
    province = site.data["province"]["province"]
    admin = _signed_in(new_page, site, lang, site.data["journeys"]["province_admin"])

    # Coverage opens on the administrator's own province, with its headline figure.
    _ok(admin.goto(site.at("/verification/administrator/coverage/")), admin)
    assert admin.locator("#region").input_value() == province
    assert re.fullmatch(r"\d+\.\d%", admin.locator("#headline-figure .big-value").inner_text().strip())
    # The month-by-month history arrives by htmx: twelve months, not a row of zeros.
    admin.wait_for_selector("#history-table tbody tr", timeout=30_000)
    months = admin.locator("#history-table tbody tr")
    assert months.count() == 12
    assert all(int(t.replace(",", "")) > 0 for t in months.locator("td:nth-child(2)").all_inner_texts())

    # The workbook of the ledger.
    with admin.expect_download() as download:
        admin.click("a[href*='coverage.xlsx']")
    assert download.value.suggested_filename.startswith(f"coverage-{province}")
    workbook = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()), read_only=True)
    codes = [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert province in codes and len(codes) > 1  # the province and the regions below it

    # The impact of a standard found out of tolerance on a chosen date.
    _ok(admin.goto(site.at("/traceability/recalls/")), admin)
    admin.select_option("#standard", str(facts["standard"]))
    _submit(admin, "#impact-form")
    admin.fill("#date_from", facts["date_from"])
    admin.fill("#date_to", facts["found_on"])
    _submit(admin, "#impact-form")
    impact = admin.locator("#impact")
    assert int(impact.locator("strong").first.inner_text().replace(",", "")) == facts["instruments"]
    assert facts["owner_name"] in impact.locator("#impact-owners").inner_text()

    # An affected instrument's chain, from the list of records in doubt.
    admin.click("#impact details summary")
    link = impact.locator("details a[href^='/instruments/']").first
    instrument = link.inner_text().strip()
    with admin.expect_navigation():
        link.click()
    assert instrument in admin.locator("main h1").inner_text()
    assert admin.locator(".chain").count() == 1
    admin.go_back()

    # The recall: notices to every owner; a second one for the same period is refused.
    _submit(admin, "#recall-form")
    made = admin.locator("#recall-made")
    assert facts["owner_name"] in made.inner_text()
    assert "recall=" in admin.url
    admin.select_option("#standard", str(facts["standard"]))
    _submit(admin, "#impact-form")
    admin.fill("#date_from", facts["date_from"])
    admin.fill("#date_to", facts["found_on"])
    _submit(admin, "#impact-form")
    _submit(admin, "#recall-form")
    assert "recall.repeat" in admin.locator("#recall-refused").inner_text()

    # The enterprise reads the notice on its dashboard.
    enterprise = _signed_in(new_page, site, lang, facts["owner"])
    _ok(enterprise.goto(site.at("/dashboard/")), enterprise)
    notices = enterprise.locator("#recall-notices")
    assert facts["certificate_number"] in notices.inner_text()
    assert facts["date_from"] in notices.inner_text()


# ---------------------------------------------------------------------------- d.


@pytest.mark.parametrize("lang", LANGS)
def test_d_a_comparison_from_creation_to_publication(new_page, site, lang):
    facts = site.data["journeys"]["comparison"]
    code = f"WEB-J-{lang.upper()}"
    pilot = new_page(lang=lang, role="institution_staff")

    # The pilot institution starts the comparison from the list.
    _ok(pilot.goto(site.at("/comparisons/")), pilot)
    with pilot.expect_navigation():
        pilot.click("a[href='/comparisons/new/']")
    pilot.fill("#code", code)
    pilot.fill("#title", "压力比对" if lang == "zh-hans" else "Pressure comparison")
    pilot.select_option("#administrator_region", facts["region"])
    pilot.fill("#submission_deadline", (dt.date.today() + dt.timedelta(days=20)).isoformat())
    _submit(pilot, "#comparison-form")
    assert re.search(r"/comparisons/\d+/$", pilot.url), pilot.url
    detail = pilot.url
    assert code in pilot.locator("main h1").inner_text()

    # Its measurand and participants (the pilot measures too).
    measurand = pilot.locator("form[action$='/setup/measurand/']")
    measurand.locator("input[name=name]").fill("100 kPa")
    measurand.locator("select[name=quantity]").select_option(str(facts["quantity"]))
    measurand.locator("input[name=nominal_value]").fill("100")
    _submit(pilot, "form[action$='/setup/measurand/']")
    for label, who in zip(("L1", "L2", "L3"), [facts["pilot"], *facts["participants"]]):
        form = pilot.locator("form[action$='/setup/participant/']")
        form.locator("input[name=credit_code]").fill(who["credit_code"])
        form.locator("input[name=certificate_number]").fill(who["certificate_number"])
        form.locator("input[name=label]").fill(label)
        _submit(pilot, "form[action$='/setup/participant/']")
        assert label in pilot.locator("main table").first.inner_text(), _messages(pilot)
    _submit(pilot, "form[action$='/step/open/']")

    # Each participant submits its sealed result.
    results = [
        (pilot, "100.0011"),
        *[(_signed_in(new_page, site, lang, p["session"]), v) for p, v in zip(facts["participants"], ("100.0008", "100.0013"))],
    ]
    for page, value in results:
        _ok(page.goto(detail), page)
        form = page.locator("form[action$='/submit/']")
        form.locator("input[name=value]").fill(value)
        form.locator("input[name=u]").fill("0.0004")
        form.locator("input[name=dof]").fill("30")
        _submit(page, "form[action$='/submit/']")
        assert page.locator("ul.messages li.success, ul.messages li").count() >= 1
    # The pilot sees that all three submitted, not their values.
    _ok(pilot.goto(detail), pilot)
    assert pilot.locator("main").inner_text().count("L") >= 3

    # It closes submissions, computes the reference value, writes Draft A and Draft B.
    _submit(pilot, "form[action$='/step/close/']")
    _submit(pilot, "form[action$='/compute/']")
    assert pilot.locator("main").inner_text().count("100.001") >= 1
    for stage in ("draft_a", "draft_b"):
        form = pilot.locator(f"form[action$='/reports/{stage}/']")
        form.locator("textarea[name=introduction]").fill(
            "三家实验室参加。" if lang == "zh-hans" else "Three laboratories took part."
        )
        form.locator("textarea[name=conclusions]").fill("结果一致。" if lang == "zh-hans" else "The results agree.")
        _submit(pilot, f"form[action$='/reports/{stage}/']")

    # The province approves the report and publishes the results.
    admin = _signed_in(new_page, site, lang, site.data["journeys"]["province_admin"])
    _ok(admin.goto(detail), admin)
    _submit(admin, "form[action$='/step/approve/']")
    _submit(admin, "form[action$='/step/publish/']")

    # Everyone sees the published comparison with its reference value.
    public = new_page(lang=lang)
    _ok(public.goto(site.at("/comparisons/public/")), public)
    row = public.locator("tr").filter(has=public.locator(f"a:text-is('{code}')"))
    assert row.count() == 1
    assert "100 kPa" in public.locator("main").inner_text()


# ---------------------------------------------------------------------------- e.


@pytest.mark.parametrize("lang", LANGS)
def test_e_an_inspector_opens_an_alert_and_records_the_visit(new_page, site, lang):
    facts = site.data["journeys"]["alert"][lang]
    inspector = new_page(lang=lang, role="county_admin")
    _ok(inspector.goto(site.at("/telemetry/alerts/?status=new")), inspector)
    with inspector.expect_navigation():
        inspector.click(f"a[href='/telemetry/alerts/{facts['alert']}/']")
    assert facts["instrument"] in inspector.locator("main").inner_text()
    assert inspector.locator("ol.tl-evidence li").count() == 3  # the readings that raised it
    _submit(inspector, "form.tl-form", "button[value=take]")
    findings = (
        "现场核查：加油机示值偏大，已责令停用。" if lang == "zh-hans" else "On site: the dispenser reads high; stopped from use."
    )
    inspector.fill("textarea[name=findings]", findings)
    inspector.check("input[name=confirmed]")
    _submit(inspector, "form.tl-form", "button[value=close]")
    assert inspector.locator(".badge.status-closed").count() == 1
    assert findings in inspector.locator("main").inner_text()
    assert inspector.locator("form.tl-form").count() == 0  # nothing left to do on a closed alert
