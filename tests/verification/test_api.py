"""The verification API end to end on the hand-built province: an enterprise files, the
region administrator reviews, the institution records, and each sees only its own rows."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER

from .conftest import signed_in

pytestmark = pytest.mark.django_db

API = "/api/verification/"


def _client(name, **membership):
    return signed_in(APIClient(), name, **membership)


@pytest.fixture
def clients(province):
    p = province
    return {
        "enterprise": _client("ent", role="enterprise_user", organisation=p.enterprise["330102"]),
        "other_enterprise": _client("ent2", role="enterprise_user", organisation=p.enterprise["330106"]),
        "county_admin": _client("admin", role="region_admin", region=p.regions["330102"]),
        "ningbo_admin": _client("nbadmin", role="region_admin", region=p.regions["330200"]),
        "verifier": _client("staff", role="institution_staff", organisation=p.county_institute, is_verifier=True),
        "public": _client("someone"),
    }


def test_file_review_record_and_scoping(province, clients):
    p = province
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    filed = clients["enterprise"].post(f"{API}registrations/", {"instrument": scale.id}, format="json")
    assert filed.status_code == 201, filed.content
    rid = filed.json()["id"]
    assert clients["other_enterprise"].post(f"{API}registrations/", {"instrument": scale.id}, format="json").status_code == 400
    assert clients["other_enterprise"].get(f"{API}registrations/{rid}/").status_code == 404
    assert clients["ningbo_admin"].post(f"{API}registrations/{rid}/review/", {"approve": True}, format="json").status_code == 404
    assert clients["enterprise"].post(f"{API}registrations/{rid}/review/", {"approve": True}, format="json").status_code == 403
    returned = clients["county_admin"].post(f"{API}registrations/{rid}/review/", {"approve": False}, format="json")
    assert returned.status_code == 400 and "reason" in returned.json()
    approved = clients["county_admin"].post(f"{API}registrations/{rid}/review/", {"approve": True}, format="json")
    assert approved.status_code == 200 and approved.json()["assigned_institution"] == p.county_institute.id
    # The assigned institution now sees it in its work list.
    assert [r["id"] for r in clients["verifier"].get(f"{API}registrations/").json()["results"]] == [rid]

    staff = [p.person(p.county_institute, n, items=[PRICE_SCALE]) for n in ("王伟", "李芳", "张敏")]
    body = {
        "instrument": scale.id,
        "standard": p.county_scale.id,
        "performed_on": str(p.today - dt.timedelta(days=1)),
        "passed": True,
        "verifier": staff[0].id,
        "checker": staff[0].id,
        "approver": staff[2].id,
    }
    refused = clients["verifier"].post(f"{API}records/", body, format="json")
    assert refused.status_code == 400 and refused.json()["refused"][0]["field"] == "checker"
    body["checker"] = staff[1].id
    assert clients["enterprise"].post(f"{API}records/", body, format="json").status_code == 403
    recorded = clients["verifier"].post(f"{API}records/", body, format="json")
    assert recorded.status_code == 201 and recorded.json()["number"].startswith("JDZS")
    assert len(clients["enterprise"].get(f"{API}records/").json()["results"]) == 1  # the owner sees its certificate
    assert clients["other_enterprise"].get(f"{API}records/").json()["results"] == []


def test_import_errors_come_back_by_row(province, clients):
    approval = province.type_approval(PRICE_SCALE).number
    content = (
        "code,name,catalog_item,legal_purpose,region,type_approval_number\n"
        f"X-1,scale,{PRICE_SCALE},trade,330102,{approval}\nX-2,scale,A99,trade,330102,\n"
    ).encode()
    upload = io.BytesIO(content)
    upload.name = "batch.csv"
    response = clients["enterprise"].post(f"{API}registrations/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"row": 3, "field": "catalog_item", "reason": "目录中没有项目 A99"}]}


def test_coverage_and_due_endpoints(province, clients):
    p = province
    p.instrument("330102", PRICE_SCALE, installed=p.today - dt.timedelta(days=5))
    late = p.instrument("330102", SPHYGMOMANOMETER, installed=p.today - dt.timedelta(days=5))
    p.verify(late, p.today - dt.timedelta(days=400), p.today - dt.timedelta(days=2))
    ledger = clients["county_admin"].get(f"{API}coverage/").json()
    assert [(r["code"], r["items_in_use"], r["items_covered"]) for r in ledger["regions"]] == [("330102", 2, 2)]
    assert clients["county_admin"].get(f"{API}coverage/?region=330000").status_code == 403
    xlsx = clients["county_admin"].get(f"{API}coverage/xlsx/")
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A2"].value == "330102"
    assert clients["county_admin"].get(f"{API}coverage/chart/?fmt=png").content.startswith(b"\x89PNG")
    history = clients["county_admin"].get(f"{API}coverage/history/?months=3").json()
    # Two month-ends ago the instruments (installed five days ago) were not there.
    assert history["region"] == "330102" and [m["rollup_rate"] for m in history["months"]][::2] == [None, 1.0]
    assert clients["county_admin"].get(f"{API}coverage/history/?months=0").status_code == 400
    due = clients["enterprise"].get(f"{API}due/?days=30").json()
    assert due["overdue"] == 2  # the overdue sphygmomanometer, and the scale never verified since installation
    assert clients["other_enterprise"].get(f"{API}due/").json()["overdue"] == 0
    assert clients["public"].get(f"{API}due/").status_code == 403
    assert clients["county_admin"].get(f"{API}due/?days=x").status_code == 400
