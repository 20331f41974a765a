"""Issue 18 through the API, the pages, the CLI and the demo: each asks the same services and
policies (a refusal names its rule; a page offers only what the reader may do)."""

from __future__ import annotations

import html
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from jiliang.assessment import demo, rules, services
from jiliang.assessment.models import Application, Assessor, ChangeFiling, StandardCertificate
from jiliang.registry import models as reg

from .conftest import NEW_DOCS, REPORT, signed_in
from .test_lifecycle import judge_everything, new_file

pytestmark = pytest.mark.django_db


def test_the_file_through_the_api(w):
    holder = signed_in(APIClient(), "holder-staff", role="institution_staff", organisation=w.holder)
    body = {
        "kind": "new",
        "holder": w.holder.pk,
        "name": "精密压力表标准装置",
        "tier": "public",
        "level": "city",
        "field": w.field.pk,
        "equipment": [d.pk for d in w.devices],
        "specifications": [w.spec.code],
        "catalog_items": [],
        "people": [p.pk for p in w.people],
        "responsible": w.people[0].pk,
        "report": REPORT,
    }
    outsider = signed_in(APIClient(), "other-staff", role="institution_staff", organisation=w.p.county_institute)
    assert outsider.post("/api/assessment/applications/", body, format="json").status_code == 403
    created = holder.post("/api/assessment/applications/", body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    check = holder.get(f"/api/assessment/applications/{pk}/check/").json()
    assert not check["ready"] and {p["field"] for p in check["problems"]} == {"documents"}
    refused = holder.post(f"/api/assessment/applications/{pk}/submit/")
    assert refused.status_code == 400 and refused.json()["documents"][0].startswith("JJF 1033-2023 §5.1（申请资料）：缺少")
    # The same refusal in the client's language: the rule first, then the reason.
    english = holder.post(f"/api/assessment/applications/{pk}/submit/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and english.json()["documents"][0].startswith("JJF 1033-2023 §5.1（申请资料）: missing")
    for kind in NEW_DOCS:
        upload = io.BytesIO(b"%PDF-1.4 x")
        upload.name = f"{kind}.pdf"
        assert holder.post(f"/api/assessment/applications/{pk}/attach/", {"kind": kind, "file": upload}).status_code == 201
    assert holder.post(f"/api/assessment/applications/{pk}/submit/").json()["status"] == "submitted"
    bureau = signed_in(APIClient(), "zj-bureau", role="region_admin", region=w.p.regions["330000"])
    assert holder.post(f"/api/assessment/applications/{pk}/accept/").status_code == 403
    assert bureau.post(f"/api/assessment/applications/{pk}/accept/").json()["status"] == "accepted"
    own = bureau.post(f"/api/assessment/applications/{pk}/assign/", {"assessors": [w.own_assessor.pk]}, format="json")
    assert own.status_code == 400 and "回避" in own.json()["assessor"][0]
    assert (
        bureau.post(f"/api/assessment/applications/{pk}/assign/", {"assessors": [w.assessors[0].pk]}, format="json").status_code
        == 200
    )
    # The assessor acts through a user on the register.
    assessor = signed_in(APIClient(), "kp001", role="institution_staff", organisation=w.p.province_institute)
    Assessor.objects.filter(pk=w.assessors[0].pk).update(user=assessor.handler._force_user)
    app = Application.objects.get(pk=pk)
    judge_everything(app)
    finding = assessor.post(
        f"/api/assessment/applications/{pk}/findings/", {"clause": "4.5.6", "description": "管理制度未受控"}, format="json"
    )
    assert finding.status_code == 201
    fid = finding.json()["id"]
    assert assessor.post(f"/api/assessment/applications/{pk}/conclude/").json()["status"] == "rectification"
    assert bureau.post(f"/api/assessment/applications/{pk}/approve/", {}, format="json").status_code == 400
    assert holder.post(f"/api/assessment/findings/{fid}/respond/", {"response": "已受控发布"}, format="json").status_code == 200
    assert assessor.post(f"/api/assessment/findings/{fid}/close/").json()["status"] == "closed"
    assert assessor.post(f"/api/assessment/applications/{pk}/conclude/").json()["status"] == "evaluated"
    approved = bureau.post(f"/api/assessment/applications/{pk}/approve/", {"reason": "合格"}, format="json")
    assert approved.status_code == 201, approved.content
    number = approved.json()["number"]
    verdict = APIClient().get(f"/api/assessment/certificates/{number}/verify/").json()
    assert verdict["valid"] and verdict["signature_valid"]
    # The register for the year, as the administration's XLSX.
    sheet = load_workbook(
        io.BytesIO(
            signed_in(Client(), "zj-bureau-2", role="region_admin", region=w.p.regions["330000"])
            .get("/assessment/register.xlsx")
            .content
        )
    ).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[10] for r in rows if r[0] == Application.objects.get(pk=pk).number] == [number]
    holder_pages = signed_in(Client(), "holder-pages", role="institution_staff", organisation=w.holder)
    assert holder_pages.get("/assessment/register.xlsx").status_code == 403


def test_the_pages_offer_each_party_its_acts_and_the_certificate_checks_publicly(w):
    app = new_file(w)
    staff = signed_in(Client(), "page-holder", role="institution_staff", organisation=w.holder)
    bureau = signed_in(Client(), "page-bureau", role="region_admin", region=w.p.regions["330000"])
    page = staff.get(f"/assessment/{app.pk}/").content.decode()
    assert "/submit/" in page and "/accept/" not in page
    staff.post(f"/assessment/{app.pk}/submit/")
    assert Application.objects.get(pk=app.pk).status == "submitted"
    assert "/accept/" in bureau.get(f"/assessment/{app.pk}/").content.decode()
    assert staff.post(f"/assessment/{app.pk}/accept/").status_code == 403
    home = bureau.get("/assessment/").content.decode()
    assert app.number in home and 'id="queue"' in home
    assert app.number in staff.get("/assessment/").content.decode()
    assert Client().get(f"/assessment/{app.pk}/").status_code == 302  # to the sign-in page
    services.accept(None, app)
    services.assign(None, app, w.assessors[:1])
    judge_everything(app)
    services.conclude(None, app)
    bureau.post(f"/assessment/{app.pk}/approve/", {"reason": "合格"})
    cert = StandardCertificate.objects.get(application=app)
    checked = Client().get("/certificates/", {"number": cert.number}).content.decode()
    assert cert.number in checked and 'id="verdict"' in checked and w.holder.name in checked
    # The standard's page shows its history, the certificate linked.
    standard_page = Client().get(f"/standards/{cert.standard_id}/").content.decode()
    assert 'id="timeline"' in standard_page and reverse("assessment:certificate", args=[cert.number]) in standard_page
    # A certificate whose stored document no longer matches its record: the page says why in
    # the reader's language (certificates.reasons).
    StandardCertificate.objects.filter(pk=cert.pk).update(sha256="0" * 64)
    url = reverse("assessment:certificate", args=[cert.number])
    chinese = html.unescape(Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert f"登记簿：该文件不是以 {cert.number} 签发的那份" in chinese and "not the one issued" not in chinese
    english = html.unescape(Client().get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert f"record: the document is not the one issued as {cert.number}" in english


def test_the_cli_walks_a_file_and_names_refusals(w, tmp_path):
    app = new_file(w)
    out = io.StringIO()
    call_command("assessment", "submit", app.number, stdout=out)
    call_command("assessment", "accept", app.number, stdout=out)
    with pytest.raises(CommandError, match="回避"):
        call_command("assessment", "assign", app.number, w.own_assessor.certificate_number, stdout=out)
    call_command("assessment", "assign", app.number, w.assessors[0].certificate_number, stdout=out)
    for phase in ("documents", "onsite"):
        for item in rules.items_for(phase):
            call_command("assessment", "record", app.number, phase, item.clause, "yes", stdout=out)
    call_command("assessment", "conclude", app.number, stdout=out)
    out = io.StringIO()
    call_command("assessment", "approve", app.number, stdout=out)
    number = json.loads(out.getvalue())["certificate"]
    out = io.StringIO()
    call_command("assessment", "verify", number, stdout=out)
    assert json.loads(out.getvalue())["valid"]
    target = tmp_path / "register.xlsx"
    call_command("assessment", "register", "--output", str(target), stdout=io.StringIO())
    assert load_workbook(target).active.max_row >= 2
    out = io.StringIO()
    call_command("assessment", "file-change", number, "responsible", "计量标准负责人调整为李核验", stdout=out)
    filing = ChangeFiling.objects.get(number=out.getvalue().strip())
    call_command("assessment", "review", filing.number, "approve", stdout=io.StringIO())
    assert ChangeFiling.objects.get(pk=filing.pk).status == "accepted"


def test_the_demo_plants_files_in_every_state(w):
    planted = demo.plant_files(w.p.county_institute, w.today)
    assert planted
    states = set(Application.objects.filter(holder=w.p.county_institute).values_list("status", flat=True))
    assert states == set(Application.Status.values) - {"accepted"}  # accepted files move on the day
    assert planted["certificate"].standard.certificate_number == planted["certificate"].number
    assert planted["evaluating"].findings.filter(status="open").exists()
    assert reg.MeasurementStandard.objects.get(pk=w.p.county_scale.pk).status in ("sealed", "active")


def test_the_cli_as_a_user_asks_the_policy(w, monkeypatch, capsys):
    from django.contrib.auth import get_user_model

    from jiliang.accounts.models import Membership

    app = new_file(w)
    staff = get_user_model().objects.create_user("cli-holder")
    Membership.objects.create(user=staff, role="institution_staff", organisation=w.holder)
    call_command("assessment", "--as", "cli-holder", "submit", app.number, stdout=io.StringIO())
    # The refusal in the operator's language (jiliang.messages.cli_language), made active by jiliang.cli.
    from jiliang import cli

    for language, expected in (("en", "only the assessing authority may accept"), ("zh_CN.UTF-8", "只有主持考核的部门可以受理")):
        monkeypatch.setenv("JILIANG_LANG", language)
        assert cli.main(["assessment", "--as", "cli-holder", "accept", app.number]) == 2
        assert expected in capsys.readouterr().err
    out = io.StringIO()
    call_command("assessment", "--as", "cli-holder", "list", stdout=out)
    assert [row["number"] for row in json.loads(out.getvalue())] == [app.number]


def test_the_check_after_a_commitment_through_the_api_and_the_page(w):
    from .test_lifecycle import approved_on_commitment

    std, app = approved_on_commitment(w)
    holder = signed_in(APIClient(), "pc-holder", role="institution_staff", organisation=std.holder)
    assert (
        holder.post(f"/api/assessment/applications/{app.pk}/post-check/", {"conforming": True}, format="json").status_code == 403
    )
    bureau = signed_in(APIClient(), "pc-bureau", role="region_admin", region=w.p.regions["330000"])
    bare = bureau.post(
        f"/api/assessment/applications/{app.pk}/post-check/", {"conforming": False}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bare.status_code == 400 and "must state what the check found" in bare.json()["note"][0]
    answer = bureau.post(
        f"/api/assessment/applications/{app.pk}/post-check/", {"conforming": False, "note": "记录缺失"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["post_check"] == "rectify"
    # The page offers the second check to the authority, and records it.
    page = signed_in(Client(), "pc-bureau-page", role="region_admin", region=w.p.regions["330000"])
    detail = page.get(reverse("assessment:detail", args=[app.pk])).content.decode()
    assert "整改后仍不符合（撤销）" in detail
    page.post(reverse("assessment:act", args=[app.pk, "post_check"]), {"result": "kept", "note": "复查符合"})
    app.refresh_from_db()
    assert app.post_check == "conforming"
