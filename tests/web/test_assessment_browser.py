"""Issue 18 in a real browser: the applicant, the assessing authority and the assessor walk
one new measurement standard's file from application to certificate through the pages
alone, in Chinese and in English. The applicant files and submits (the platform's checks
pass: calibrated equipment, qualified staff, a current specification, every document); the
authority accepts and assigns the assessor; the assessor records the document review and
the on-site evaluation with one nonconformity and its finding; the applicant rectifies; the
assessor accepts and concludes; the authority approves. The certificate is signed and the
public check page finds it; the standard's page shows its history."""

from __future__ import annotations

import pytest

from jiliang.assessment import rules

STATUS = {
    "zh-hans": {
        "submitted": "待受理",
        "evaluating": "考评中",
        "rectification": "整改中",
        "evaluated": "待审批",
        "approved": "考核合格",
    },
    "en": {
        "submitted": "Awaiting acceptance",
        "evaluating": "Under evaluation",
        "rectification": "Corrective action in progress",
        "evaluated": "Awaiting decision",
        "approved": "Approved",
    },
}


def _ok(response, page):
    assert response is None or response.status < 400, f"{page.url}: HTTP {response.status}"
    assert not page.js_errors, f"{page.url}: JavaScript errors {page.js_errors}"


def _act(page, action: str):
    """Press the button of the act's form (the page offers it only when the reader may act)."""
    with page.expect_navigation():
        page.locator(f"form[action$='/{action}/'] button[type=submit]").first.click()
    _ok(None, page)
    assert not page.locator(".messages .error, .message.error, [role=alert]").count(), page.content()[:3000]


def _status(page) -> str:
    return page.locator("#status").inner_text().strip()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_applicant_authority_and_assessor_walk_a_file_to_its_certificate(new_page, site, lang):
    data = site.data["assessment"]
    states = STATUS[lang]
    name = f"压力标准装置（{lang}）"

    # The applicant files a new standard with its equipment, staff, specification and report.
    applicant = new_page(lang, role="institution_staff")
    _ok(applicant.goto(site.at("/assessment/new/")), applicant)
    applicant.check("input[name=kind][value=new]")
    applicant.fill("input[name=name]", name)
    applicant.select_option("select[name=tier]", "public")
    applicant.select_option("select[name=level]", data["level"])
    applicant.select_option("select[name=rank]", "subordinate")
    applicant.select_option("select[name=field]", label=data["field"])
    applicant.select_option(
        "select[name=equipment]", label=[f"{code} 新建标准器{n + 1}" for n, code in enumerate(data["devices"])]
    )
    applicant.select_option("select[name=people]", label=data["people"])
    applicant.select_option("select[name=responsible]", label=data["people"][0])
    applicant.fill("input[name=specifications]", data["spec"])
    for key in rules.REPORT_FIELDS:
        applicant.fill(f"input[name=report_{key}]", "见技术报告第3节")
    with applicant.expect_navigation():
        applicant.click("form.stacked-form button[type=submit]")
    assert "/assessment/" in applicant.url and "/new/" not in applicant.url, applicant.content()[:2000]
    file_url = applicant.url
    number = applicant.locator("h1").inner_text().split(" · ")[0].strip()
    for kind in rules.REQUIRED_DOCUMENTS["new"]:
        applicant.select_option("#attach-form select[name=kind]", kind)
        applicant.set_input_files(
            "#attach-form input[name=file]",
            files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}],
        )
        with applicant.expect_navigation():
            applicant.click("#attach-form button[type=submit]")
    _act(applicant, "submit")
    assert _status(applicant) == states["submitted"]

    # The authority finds it in its queue, accepts it and assigns the assessor.
    bureau = new_page(lang, role="assessment_authority")
    _ok(bureau.goto(site.at("/assessment/")), bureau)
    with bureau.expect_navigation():
        bureau.locator("#queue a", has_text=number).click()
    _act(bureau, "accept")
    value = bureau.locator("#assign-form option", has_text=data["assessor"]).first.get_attribute("value")
    bureau.select_option("#assign-form select[name=assessors]", value)
    _act(bureau, "assign")
    assert _status(bureau) == states["evaluating"]

    # The assessor records both phases, one item not conforming, and raises the finding.
    assessor = new_page(lang, role="assessor")
    _ok(assessor.goto(site.at("/assessment/")), assessor)
    with assessor.expect_navigation():
        assessor.locator("#assignments a", has_text=number).click()
    for phase in ("documents", "onsite"):
        form = assessor.locator(f"#record-{phase}")
        for radio in form.locator("input[type=radio][value=yes]").all():
            radio.check()
        if phase == "onsite":
            form.locator("input[name='c_4.3.3'][value=no]").check()
            form.locator("input[name='n_4.3.3']").fill("温湿度记录不连续")
        with assessor.expect_navigation():
            form.locator("button[type=submit]").click()
    assessor.select_option("#finding-form select[name=clause]", "4.3.3")
    assessor.fill("#finding-form input[name=description]", "补充近三个月温湿度监控记录")
    _act(assessor, "raise_finding")
    _act(assessor, "conclude")
    assert _status(assessor) == states["rectification"]

    # The applicant sees what is asked and responds; the assessor accepts and concludes.
    _ok(applicant.goto(file_url), applicant)
    applicant.fill("form[action$='/respond/'] input[name=response]", "已安装自动记录仪并补录")
    _act(applicant, "respond")
    _ok(assessor.goto(file_url), assessor)
    _act(assessor, "close")
    _act(assessor, "conclude")
    assert _status(assessor) == states["evaluated"]

    # The authority approves: the certificate is issued, signed and publicly checkable.
    _ok(bureau.goto(file_url), bureau)
    _act(bureau, "approve")
    assert _status(bureau) == states["approved"]
    with bureau.expect_navigation():
        bureau.locator("#certificate a").click()
    assert "ok" in bureau.locator("#verdict").get_attribute("class")
    certificate = bureau.locator("dd.mono").first.inner_text().strip()
    visitor = new_page(lang)
    _ok(visitor.goto(site.at("/certificates/")), visitor)
    visitor.fill("form.check-number input[name=number]", certificate)
    with visitor.expect_navigation():
        visitor.click("form.check-number button[type=submit]")
    assert "ok" in visitor.locator("#verdict").get_attribute("class") and name in visitor.content()
    # The new standard's page tells its history, the certificate among it.
    with visitor.expect_navigation():
        visitor.locator("dd a").first.click()
    assert visitor.locator("#timeline").count() == 1 and certificate in visitor.locator("#timeline").inner_text()
