"""The inspection API and pages over HTTP: a failing inspection from task to publication,
the report PDF with its verdict, the refusals as 400s naming the field, and the public
list that shows approved-and-published inspections only.

T and n from 国家质检总局令第75号 附表3 / 附表4 (JJF 1070-2005): Qn = 500 g → T = 15 g;
N = 1000 → n = 80, λ = 0.295.
"""

import base64
import re
import zlib

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from jiliang.accounts.models import Membership
from jiliang.supervision.prepack.models import CreditRecord, Inspection, Notice

from .conftest import sample

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> bytes:
    """The content streams of a reportlab PDF, decoded (ASCII85 then Flate, PDF 1.7 7.4)."""
    out = []
    for match in re.finditer(rb"<<([^>]*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        head, data = match.groups()
        if b"ASCII85Decode" in head:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"FlateDecode" in head:
            data = zlib.decompress(data)
        out.append(data)
    return b"\n".join(out)


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _task(world, **overrides):
    body = {
        "product_name": "食用油",
        "brand": "金信",
        "nominal": "500",
        "unit": "g",
        "batch_size": 1000,
        "producer": {"credit_code": world.producer.credit_code},
        "sampled_at": "producer",
        "sampling_date": world.today.isoformat(),
        "inspector_ids": [p.pk for p in world.inspectors],
        "scale_ids": [world.scale.pk],
    }
    body.update(overrides)
    return body


def test_api_workflow_failure_report_and_public_list(world):
    inspector, admin, public = _client(world.inspector_user), _client(world.admin_user), _client()
    assert public.post("/api/prepack/inspections/", _task(world), format="json").status_code in (401, 403)

    created = inspector.post("/api/prepack/inspections/", _task(world), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["scales"][0]["traceable"] is True

    short = inspector.post(f"/api/prepack/inspections/{pk}/measurements/", {"values": sample(79, 490.0, 3.0)}, format="json")
    assert short.status_code == 200
    refused = inspector.post(f"/api/prepack/inspections/{pk}/judge/")
    assert refused.status_code == 400 and "少于批量" in refused.json()["values"][0]

    inspector.post(f"/api/prepack/inspections/{pk}/measurements/", {"values": [488.0]}, format="json")
    judged = inspector.post(f"/api/prepack/inspections/{pk}/judge/").json()
    result = judged["result"]
    assert judged["status"] == "judged" and result["pass"] is False and result["mean_ok"] is False
    assert (result["T"], result["n"], result["lambda"], result["edition"]) == (15.0, 80, 0.295, "JJF 1070-2005")
    assert Notice.objects.filter(inspection_id=pk).count() == 1
    notices = admin.get("/api/prepack/notices/").json()["results"]
    assert [n["inspection"] for n in notices] == [pk] and "不合格" in notices[0]["subject"]
    assert _client(world.other_admin).get("/api/prepack/notices/").json()["count"] == 0
    assert inspector.get("/api/prepack/notices/").json()["count"] == 0

    # The producer's own users read it; another enterprise's do not.
    User = get_user_model()
    own, stranger = User.objects.create_user("producer-user"), User.objects.create_user("stranger-user")
    Membership.objects.create(user=own, role="enterprise_user", organisation=world.producer)
    Membership.objects.create(user=stranger, role="enterprise_user", organisation=world.retailer)
    assert _client(own).get(f"/api/prepack/inspections/{pk}/").json()["result"]["pass"] is False
    assert _client(stranger).get(f"/api/prepack/inspections/{pk}/").status_code == 404
    assert _client(own).post(f"/api/prepack/inspections/{pk}/approve/").status_code == 403

    # Not yet approved: invisible to the public, in the list and one by one.
    assert public.get("/api/prepack/published/").json()["count"] == 0
    assert public.get(f"/api/prepack/published/{pk}/").status_code == 404
    assert public.get(f"/api/prepack/inspections/{pk}/report.pdf").status_code == 404
    assert admin.post(f"/api/prepack/inspections/{pk}/publish/").status_code == 400  # approve first
    assert _client(world.other_admin).post(f"/api/prepack/inspections/{pk}/approve/").status_code == 404  # outside their region
    assert inspector.post(f"/api/prepack/inspections/{pk}/approve/").status_code == 403

    assert admin.post(f"/api/prepack/inspections/{pk}/approve/").json()["status"] == "approved"
    assert CreditRecord.objects.get(subject_id=pk).outcome == "fail"
    assert public.get("/api/prepack/published/").json()["count"] == 0  # approved, not yet published
    assert admin.post(f"/api/prepack/inspections/{pk}/publish/").json()["status"] == "published"

    listed = public.get("/api/prepack/published/").json()
    assert [row["id"] for row in listed["results"]] == [pk] and listed["results"][0]["result"]["pass"] is False
    detail = public.get(f"/api/prepack/published/{pk}/").json()
    assert len(detail["units"]) == 80 and detail["producer"]["credit_code"] == world.producer.credit_code

    pdf = public.get(f"/api/prepack/inspections/{pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert b"Verdict: FAIL" in text and b"STSong-Light" in pdf.content


def test_api_refusals_name_the_field(world):
    inspector = _client(world.inspector_user)
    scale, _ = world.suspended_scale()
    refused = inspector.post("/api/prepack/inspections/", _task(world, scale_ids=[scale.pk]), format="json")
    assert refused.status_code == 400
    assert "STANDARD_SUSPENDED" in refused.json()["scales"][0] and scale.code in refused.json()["details"]
    bad_code = inspector.post(
        "/api/prepack/inspections/", _task(world, producer={"credit_code": "91330100MA2XXXXXX0"}), format="json"
    )
    assert bad_code.status_code == 400 and "GB 32100" in bad_code.json()["producer.credit_code"][0]
    assert not Inspection.objects.exists()


def test_pages_phone_entry_report_and_public_results(world, client):
    assert client.get("/prepack/new/").status_code == 302  # login first
    client.force_login(world.inspector_user)
    page = client.get("/prepack/new/")
    assert page.status_code == 200 and "检验人员" in page.content.decode()
    form = {
        "product_name": "挂面",
        "nominal": "1",
        "unit": "kg",
        "batch_size": "40",
        "producer_credit_code": world.producer.credit_code,
        "sampled_at": "retailer",
        "retailer_credit_code": world.retailer.credit_code,
        "sampling_date": world.today.isoformat(),
        "inspectors": [str(p.pk) for p in world.inspectors],
        "scale_codes": world.scale.code,
        "edition": "JJF 1070-2005",
    }
    created = client.post("/prepack/new/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    inspection = Inspection.objects.get()
    assert inspection.retailer == world.retailer and inspection.unit == "kg"

    measure = f"/prepack/{inspection.pk}/measure/"
    assert "n = <strong>10</strong>" in client.get(measure).content.decode()  # 附表4: N 11–50 → n = 10
    client.post(measure, {"mode": "net", "values": "1.004 1.006, 1.003\n1.005，1.002", "action": "save"})
    client.post(measure, {"mode": "net", "values": "1.004 1.006 1.003 1.005 1.0x", "action": "save"})  # a typo: nothing saved
    assert inspection.units.count() == 5
    client.post(measure, {"mode": "net", "values": "1.004 1.006 1.003 1.005 1.002", "action": "save"})
    judged = client.post(measure, {"action": "judge"})
    assert judged.status_code == 302
    inspection.refresh_from_db()
    assert inspection.passed is True and inspection.T == 0.015  # 附表3: 500–1000 g: T = 15 g

    detail = client.get(f"/prepack/{inspection.pk}/").content.decode()
    assert "合格" in detail
    assert b"Verdict: PASS" in pdf_text(client.get(f"/prepack/{inspection.pk}/report.pdf").content)

    client.logout()
    assert client.get(f"/prepack/{inspection.pk}/").status_code == 404  # not published yet
    assert inspection.number not in client.get("/prepack/").content.decode()
    client.force_login(world.admin_user)
    client.post(f"/prepack/{inspection.pk}/approve/")
    client.post(f"/prepack/{inspection.pk}/publish/")
    client.logout()
    listing = client.get("/prepack/").content.decode()
    assert inspection.number in listing and "合格" in listing
    assert client.get(f"/prepack/{inspection.pk}/").status_code == 200
