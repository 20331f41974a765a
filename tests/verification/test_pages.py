"""The pages of mandatory verification on the hand-built province: each role's page drives
the same use cases as the API, refusals are shown with their reasons, and every page is
closed to the other roles (403) and to visitors who are not signed in (sent to sign in)."""

import datetime as dt
import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from jiliang.registry import models as reg
from jiliang.verification import services
from jiliang.verification.models import Notice, Registration, VerificationRecord
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER, TAXIMETER

from .conftest import signed_in

pytestmark = pytest.mark.django_db

V = "/verification/"
DAY = dt.timedelta(days=1)


def _client(name, **membership):
    return signed_in(Client(), name, **membership)


@pytest.fixture
def clients(province):
    p = province
    return {
        "enterprise": _client("ent", role="enterprise_user", organisation=p.enterprise["330102"]),
        "other_enterprise": _client("ent2", role="enterprise_user", organisation=p.enterprise["330106"]),
        "county_admin": _client("admin", role="region_admin", region=p.regions["330102"]),
        "province_admin": _client("zjadmin", role="region_admin", region=p.regions["330000"]),
        "ningbo_admin": _client("nbadmin", role="region_admin", region=p.regions["330200"]),
        "auditor": _client("audit", role="auditor", region=p.regions["330000"]),
        "verifier": _client("staff", role="institution_staff", organisation=p.county_institute, is_verifier=True),
        "clerk": _client("clerk", role="institution_staff", organisation=p.county_institute),
        "public": _client("someone"),
        "anonymous": Client(),
    }


def _text(response) -> str:
    return response.content.decode()


def test_enterprise_registers_one_and_a_file(province, clients):
    p = province
    ent = clients["enterprise"]
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    page = _text(ent.get(f"{V}enterprise/"))
    assert "我的强检器具" in page and f'<option value="{scale.code}">' in page  # offered for registration
    assert ent.post(f"{V}enterprise/register/", {"code": scale.code}).status_code == 302
    assert Registration.objects.get(instrument=scale).status == "submitted"
    # Twice, or another owner's instrument: refused, with the reason.
    again = ent.post(f"{V}enterprise/register/", {"code": scale.code})
    assert again.status_code == 400 and f"{scale.code} 已备案" in _text(again)
    theirs = p.instrument("330106", PRICE_SCALE)
    refused = ent.post(f"{V}enterprise/register/", {"code": theirs.code})
    assert refused.status_code == 400 and f"本单位没有器具编号为 {theirs.code} 的器具" in _text(refused)
    assert not Registration.objects.filter(instrument=theirs).exists()
    # The registration and its due date (never verified: due from installation) are listed.
    page = _text(ent.get(f"{V}enterprise/"))
    assert scale.code in page and str(scale.installed_on) in page and "待审核" in page


def test_enterprise_enters_a_new_instrument_and_files_it(province, clients):
    ent = clients["enterprise"]
    form = {
        "code": "NEW-1",
        "name": "电子计价秤",
        "catalog_item": PRICE_SCALE,
        "legal_purpose": "trade",
        "region": "330102",
        "accuracy": "Ⅲ级",
        "range_min": "20",
        "range_max": "30000",
        "unit": "g",
        "installed_on": "2026-01-05",
        "type_approval_number": province.type_approval(PRICE_SCALE).number,  # P+V: in the register
    }
    bad = ent.post(f"{V}enterprise/new/", {**form, "catalog_item": "A99", "range_min": "abc", "region": "339999"})
    text = _text(bad)
    assert bad.status_code == 400 and "catalog_item</span>: 目录中没有项目 A99" in text
    assert "range_min</span>: &#x27;abc&#x27; 不是数字" in text and "region</span>: 没有代码为 339999 的区划" in text
    assert 'value="NEW-1"' in text  # what was typed is kept
    assert not reg.Instrument.objects.filter(code="NEW-1").exists()
    assert ent.post(f"{V}enterprise/new/", form).status_code == 302
    registration = Registration.objects.get(instrument__code="NEW-1")
    assert (registration.status, registration.owner, registration.instrument.range_max) == (
        "submitted",
        province.enterprise["330102"],
        30000,
    )


def test_bulk_upload_is_all_or_nothing_with_row_errors(province, clients):
    ent = clients["enterprise"]
    scale_approval, bp_approval = (province.type_approval(c).number for c in (PRICE_SCALE, SPHYGMOMANOMETER))
    bad = io.BytesIO(
        "器具编号,名称,目录编号,用途,区划代码,型式批准编号\n"
        f"F-1,电子计价秤,{PRICE_SCALE},trade,330102,{scale_approval}\nF-2,电子计价秤,A99,trade,330102,\n".encode()
    )
    bad.name = "batch.csv"
    response = ent.post(f"{V}enterprise/import/", {"file": bad})
    page = _text(response)
    assert response.status_code == 400 and 'id="row-errors"' in page
    assert '<td class="num">3</td><td class="mono">catalog_item</td><td>目录中没有项目 A99</td>' in page
    assert not reg.Instrument.objects.filter(code__in=["F-1", "F-2"]).exists()
    good = io.BytesIO(
        "器具编号,名称,目录编号,用途,区划代码,型式批准编号\n"
        f"F-1,电子计价秤,{PRICE_SCALE},trade,330102,{scale_approval}\nF-2,血压计,{SPHYGMOMANOMETER},health,330102,{bp_approval}\n".encode()
    )
    good.name = "batch.csv"
    assert ent.post(f"{V}enterprise/import/", {"file": good}).status_code == 302
    assert set(Registration.objects.values_list("instrument__code", flat=True)) == {"F-1", "F-2"}
    assert ent.post(f"{V}enterprise/import/", {}).status_code == 400
    template = ent.get(f"{V}enterprise/template.csv")
    assert template.content.decode("utf-8-sig").startswith("器具编号,名称,目录编号,用途,区划代码")


def test_administrator_reviews_with_htmx(province, clients):
    p = province
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    bp = p.instrument("330102", SPHYGMOMANOMETER)
    first = services.register_instrument(scale.owner, scale)
    second = services.register_instrument(bp.owner, bp)
    admin = clients["county_admin"]
    page = _text(admin.get(f"{V}administrator/"))
    assert f'id="registration-{first.pk}"' in page and f'id="registration-{second.pk}"' in page
    htmx = {"HTTP_HX_REQUEST": "true"}
    # Returned without a reason: the row comes back with the reason it was refused.
    row = admin.post(f"{V}administrator/review/{second.pk}/", {"decision": "return", "reason": " "}, **htmx)
    assert row.status_code == 200 and "退回备案须向申请单位说明理由" in _text(row)
    row = admin.post(f"{V}administrator/review/{second.pk}/", {"decision": "return", "reason": "缺少型式批准编号"}, **htmx)
    assert "缺少型式批准编号" in _text(row) and Registration.objects.get(pk=second.pk).status == "returned"
    row = admin.post(f"{V}administrator/review/{first.pk}/", {"decision": "approve"}, **htmx)
    assert _text(row).lstrip().startswith(f'<tr id="registration-{first.pk}">') and p.county_institute.name in _text(row)
    assert list(Registration.objects.get(pk=first.pk).history.values_list("action", flat=True)) == [
        "submitted",
        "approved",
        "assigned",
    ]
    # The history page, for the owner.
    history = _text(clients["enterprise"].get(f"{V}registrations/{first.pk}/"))
    assert "提交" in history and "批准" in history and p.county_institute.name in history
    assert clients["other_enterprise"].get(f"{V}registrations/{first.pk}/").status_code == 404
    # Without htmx the form redirects back; outside the region and read-only roles may not review.
    third = services.register_instrument(scale.owner, p.instrument("330102", PRICE_SCALE))
    assert clients["ningbo_admin"].post(f"{V}administrator/review/{third.pk}/", {"decision": "approve"}).status_code == 404
    assert clients["auditor"].post(f"{V}administrator/review/{third.pk}/", {"decision": "approve"}).status_code == 403
    assert admin.post(f"{V}administrator/review/{third.pk}/", {"decision": "approve"}).status_code == 302
    assert Registration.objects.get(pk=third.pk).status == "approved"


def test_institution_records_a_result_and_sees_refusals(province, clients):
    p = province
    staff = [p.person(p.county_institute, name, items=[PRICE_SCALE]) for name in ("王伟", "李芳", "张敏")]
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    services.review_registration(services.register_instrument(scale.owner, scale), approve=True)
    verifier = clients["verifier"]
    page = _text(verifier.get(f"{V}institution/"))
    assert 'id="record-form"' in page and scale.code in page  # the assigned work and the form
    form = {
        "instrument": scale.code,
        "standard": p.county_scale.pk,
        "performed_on": str(p.today - DAY),
        "passed": "1",
        "verifier": staff[0].pk,
        "checker": staff[0].pk,
        "approver": staff[2].pk,
        "fee": "35.00",
    }
    refused = verifier.post(f"{V}institution/record/", form)
    assert refused.status_code == 400
    assert "已作为检定员签字：检定员、核验员和批准人须为三个不同的人" in _text(refused)
    assert not VerificationRecord.objects.exists()
    form["checker"] = staff[1].pk
    done = verifier.post(f"{V}institution/record/", form)
    record = VerificationRecord.objects.get()
    assert done.status_code == 302 and done["Location"] == f"{V}records/{record.pk}/"
    certificate = _text(verifier.get(done["Location"]))
    assert "检定证书" in certificate and record.number in certificate and "李芳" in certificate
    assert str(record.event.valid_until) in certificate
    # The owner sees its certificate; another enterprise does not.
    assert clients["enterprise"].get(done["Location"]).status_code == 200
    assert clients["other_enterprise"].get(done["Location"]).status_code == 404
    # A fail gives the notice of non-conformity (another day: the same day's result is recorded once).
    form["passed"] = "0"
    form["performed_on"] = str(p.today - 2 * DAY)
    failed = verifier.post(f"{V}institution/record/", form)
    assert "检定结果通知书" in _text(verifier.get(failed["Location"]))
    # A standard outside the range and bad fields: every reason at once.
    heavy = p.instrument("330102", PRICE_SCALE, range_=(20, 60000), accuracy="Ⅲ级")
    refused = verifier.post(f"{V}institution/record/", {**form, "instrument": heavy.code})
    assert refused.status_code == 400 and "测量范围 1–30000 g 不能覆盖 20–60000" in _text(refused)
    refused = verifier.post(f"{V}institution/record/", {**form, "performed_on": "yesterday", "fee": "abc", "standard": ""})
    text = _text(refused)
    assert "performed_on</span>: a date (YYYY-MM-DD)" in text and "fee</span>: " in text and "standard</span>: choose one" in text
    # Staff who are not verifiers see the work but may not record.
    assert 'id="record-form"' not in _text(clients["clerk"].get(f"{V}institution/"))
    assert clients["clerk"].post(f"{V}institution/record/", form).status_code == 403


def test_overdue_list_and_escalation(province, clients):
    p = province
    late = p.instrument("330102", PRICE_SCALE)
    p.verify(late, p.today - 400 * DAY, p.today - 3 * DAY)
    soon = p.instrument("330102", SPHYGMOMANOMETER)
    p.verify(soon, p.today - 300 * DAY, p.today + 10 * DAY)
    admin = clients["county_admin"]
    page = _text(admin.get(f"{V}administrator/overdue/?days=30"))
    assert '<strong id="overdue-count">1</strong>' in page and late.code in page and soon.code in page
    assert admin.post(f"{V}administrator/overdue/escalate/").status_code == 302
    assert Notice.objects.get(kind="overdue").instrument == late
    assert "已发出的超期通知 1" in _text(admin.get(f"{V}administrator/overdue/"))
    # A region outside the administrator's is refused with the reason.
    assert "不在您的管辖范围内" in _text(admin.get(f"{V}administrator/overdue/?region=330200"))
    assert clients["auditor"].post(f"{V}administrator/overdue/escalate/").status_code == 403


def test_coverage_ledger_chart_history_and_xlsx(province, clients):
    p = province
    for region, item in (("330102", PRICE_SCALE), ("330102", SPHYGMOMANOMETER), ("330106", TAXIMETER), ("330203", PRICE_SCALE)):
        p.instrument(region, item)
    admin = clients["province_admin"]
    page = _text(admin.get(f"{V}administrator/coverage/"))
    # 省域: the province uses PRICE_SCALE, SPHYGMOMANOMETER, TAXIMETER: PRICE_SCALE (Shangcheng) and SPHYGMOMANOMETER (Hangzhou) are held
    # below it, TAXIMETER by its own standard: 3/3. 省级以下 (own standards of cities and counties):
    # Shangcheng 1/2, Xihu 0/1, Hangzhou 1/3 (SPHYGMOMANOMETER), Haishu 0/1, Ningbo 0/1: 2 of 8.
    assert 'id="rate-provincewide">100.0%' in page and 'id="rate-below-province">25.0%' in page and "目标 90%" in page
    assert "省域覆盖率：" in page and "省级以下覆盖率：" in page  # each figure with its definition
    assert '<line class="chart-target"' in page and 'data-value="90"' in page  # the target line at 90 %
    assert page.count("<svg") == 1 and "杭州市" in page and "宁波市" in page  # one bar per city
    assert 'id="gap-table"' in page and "上城区计量检定所" in page  # Haishu's PRICE_SCALE gap, nearest: Shangcheng
    history = _text(admin.get(f"{V}administrator/coverage/history/"))
    assert "<svg" in history and history.count('<td class="nowrap">') == 12
    drill = _text(admin.get(f"{V}administrator/coverage/?region=330100"))
    assert "上城区" in drill and "西湖区" in drill
    workbook = admin.get(f"{V}administrator/coverage.xlsx?region=330100")
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(workbook.content), read_only=True).worksheets[0]["A2"].value == "330100"
    # A county administrator sees only the county.
    county = clients["county_admin"]
    assert county.get(f"{V}administrator/coverage.xlsx?region=330000").status_code == 403
    assert "不在您的管辖范围内" in _text(county.get(f"{V}administrator/coverage/?region=330000"))
    assert "<desc>上城区: 50%; 目标: 90%</desc>" in _text(
        county.get(f"{V}administrator/coverage/")
    )  # its own bar: A07 of A07, A15
    # Suspending the county's scale standard shows at once.
    from jiliang.audit.services import audit_context

    with audit_context(reason="期间核查不合格"):
        p.county_scale.status = "suspended"
        p.county_scale.save(update_fields=["status"])
    after = _text(admin.get(f"{V}administrator/coverage/"))
    assert 'id="rate-below-province">12.5%' in after and 'id="rate-provincewide">66.7%' in after  # 1 of 8; 2 of 3


PAGES = {
    "enterprise": ["enterprise/", "enterprise/template.csv"],
    "institution": ["institution/"],
    "administrator": [
        "administrator/",
        "administrator/overdue/",
        "administrator/coverage/",
        "administrator/coverage/history/",
        "administrator/coverage.xlsx",
    ],
}
OPENS = {
    "enterprise": {"enterprise"},
    "other_enterprise": {"enterprise"},
    "verifier": {"institution"},
    "clerk": {"institution"},
    "county_admin": {"administrator"},
    "auditor": {"administrator"},
    "public": set(),
}


def test_each_role_opens_its_pages_and_no_others(province, clients):
    for who, allowed in OPENS.items():
        for group, urls in PAGES.items():
            for url in urls:
                status = clients[who].get(V + url).status_code
                assert status == (200 if group in allowed else 403), (who, url, status)
    for urls in PAGES.values():
        for url in urls:
            response = clients["anonymous"].get(V + url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    homes = {"enterprise": "enterprise/", "verifier": "institution/", "county_admin": "administrator/"}
    for who, where in homes.items():
        assert clients[who].get(V)["Location"] == V + where
    assert clients["public"].get(V).status_code == 403
    # Writes of other roles: refused before anything is read.
    assert clients["verifier"].post(f"{V}enterprise/register/", {"code": "x"}).status_code == 403
    assert clients["enterprise"].post(f"{V}institution/record/", {}).status_code == 403
    assert clients["enterprise"].post(f"{V}administrator/review/1/", {"decision": "approve"}).status_code == 403


def _recording(province):
    p = province
    staff = [p.person(p.county_institute, name, items=[PRICE_SCALE]) for name in ("王伟", "李芳", "张敏")]
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    services.review_registration(services.register_instrument(scale.owner, scale), approve=True)
    form = {
        "instrument": scale.code,
        "standard": p.county_scale.pk,
        "performed_on": str(p.today - DAY),
        "passed": "1",
        "verifier": staff[0].pk,
        "checker": staff[1].pk,
        "approver": staff[2].pk,
    }
    return scale, form


def _token(page: str) -> str:
    import re

    return re.search(r'name="submission" value="([^"]+)"', page).group(1)


def test_the_verification_form_sent_twice_records_one_certificate(province, clients):
    scale, form = _recording(province)
    verifier = clients["verifier"]
    token = _token(_text(verifier.get(f"{V}institution/")))
    first = verifier.post(f"{V}institution/record/", {**form, "submission": token})
    assert first.status_code == 302
    # The same form again (a double click, a reload): shown the record made, nothing new written.
    again = verifier.post(f"{V}institution/record/", {**form, "submission": token})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert VerificationRecord.objects.count() == 1
    assert reg.CalibrationEvent.objects.filter(instrument=scale).count() == 1
    # A fresh form with the same result (same instrument, kind, day, institution): refused, the rule named.
    fresh = _token(_text(verifier.get(f"{V}institution/")))
    duplicate = verifier.post(f"{V}institution/record/", {**form, "submission": fresh})
    assert duplicate.status_code == 400 and "registry.event.unique" in _text(duplicate)
    assert VerificationRecord.objects.count() == 1
    # A refused form keeps no token: corrected, it is sent again and recorded.
    corrected = verifier.post(f"{V}institution/record/", {**form, "submission": fresh, "performed_on": str(province.today)})
    assert corrected.status_code == 302 and VerificationRecord.objects.count() == 2


def test_the_write_service_refuses_a_true_duplicate_with_the_rule(province):
    from jiliang.registry import services as registry_services

    scale, _form = _recording(province)
    event = province.verify(scale, province.today - DAY, province.today + 300 * DAY)
    twin = reg.CalibrationEvent(
        instrument=scale,
        performer=event.performer,
        kind=event.kind,
        performed_on=event.performed_on,
        passed=True,
        valid_until=event.valid_until,
    )
    with pytest.raises(registry_services.Refused, match="registry.event.unique"):
        registry_services.check_event(None, twin, [])
    # After a failed verification the same day, the re-verification of the repaired instrument is recorded.
    event.passed, event.valid_until = False, None  # a 检定结果通知书 states no validity
    event.save()
    registry_services.check_event(None, twin, [])


def test_the_institution_issues_the_digital_certificate_from_the_record_page(province, clients):
    from jiliang.certificates import keys
    from jiliang.certificates.models import Certificate

    keys.init_authority()
    _scale, form = _recording(province)
    verifier = clients["verifier"]
    done = verifier.post(f"{V}institution/record/", form)
    record_url = done["Location"]
    page = _text(verifier.get(record_url))
    assert "签发数字证书" in page and f'action="{record_url}certificate/"' in page
    # The owner sees the record but not the button, and may not issue.
    assert "签发数字证书" not in _text(clients["enterprise"].get(record_url))
    assert clients["enterprise"].post(f"{record_url}certificate/").status_code == 403
    issued = verifier.post(f"{record_url}certificate/")
    cert = Certificate.objects.get()
    assert issued.status_code == 302 and issued["Location"] == f"/certificates/{cert.number}/"
    assert cert.number == VerificationRecord.objects.get().number
    assert {s["role"] for s in cert.signers} == {"verifier", "checker", "approver", "seal"}
    # The record page now links to the certificate instead of offering it again.
    page = _text(verifier.get(record_url))
    assert f"/certificates/{cert.number}/" in page and f'action="{record_url}certificate/"' not in page


def test_a_national_administrator_starts_in_the_province_that_has_data(province, clients):
    """Issue #23 item 5: not 北京市 (the country's first code, empty here) but the province
    the registry holds, with its headline figure; the whole country on request."""
    from django.contrib.auth import get_user_model

    province.instrument("330102", PRICE_SCALE)
    national = Client()
    national.force_login(get_user_model().objects.create_superuser("national", "n@example.org", "x"))
    page = _text(national.get(f"{V}administrator/coverage/"))
    assert '<option value="330000" selected>' in page
    assert re.search(r'<span class="big-value">\d+\.\d%</span>', page)  # the headline figure
    assert 'href="/verification/administrator/coverage.xlsx?region=330000"' in page
    history = _text(national.get(f"{V}administrator/coverage/history/"))
    assert history.count('<td class="nowrap">') == 12
    everything = _text(national.get(f"{V}administrator/coverage/?region=all"))
    assert '<option value="all" selected>' in everything and 'id="headline-figure"' not in everything
