"""Standard reference data (jiliang.refdata): the import's all-or-nothing checks, the review
workflow and its policy, immutability of an approved version, citation and resolution, the
exports, the pages and the API. The demo dataset is a CODATA subset (its files cite the
source)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.policies import actor_for
from jiliang.refdata import services
from jiliang.refdata.models import DatasetRow, DatasetVersion, ImmutableVersion
from jiliang.refdata.policies import VERSIONS
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "src" / "jiliang" / "refdata" / "data"


class World:
    def __init__(self):
        province = reg.Region.objects.filter(level="province").order_by("code").first()
        self.nim = reg.Organisation.objects.create(
            name="中国计量科学研究院",
            credit_code=make_credit_code(f"12{province.code}000000001"[:17]),
            kind="legal_institute",
            region=province,
        )
        self.other = reg.Organisation.objects.create(
            name="另一研究院",
            credit_code=make_credit_code(f"12{province.code}000000002"[:17]),
            kind="legal_institute",
            region=province,
        )
        User = get_user_model()
        self.staff = User.objects.create(username="srd-staff")
        Membership.objects.create(user=self.staff, role="institution_staff", organisation=self.nim)
        self.stranger = User.objects.create(username="srd-stranger")
        Membership.objects.create(user=self.stranger, role="institution_staff", organisation=self.other)
        self.national = User.objects.create(username="srd-national", is_superuser=True, is_staff=True)
        self.reviewer = User.objects.create(username="srd-reviewer", is_superuser=True, is_staff=True)
        self.v1 = services.import_version(self.staff, DATA / "codata-2018.yaml", self.nim)
        services.submit(self.staff, self.v1)
        self.v1 = services.approve(self.reviewer, self.v1)
        self.v2 = services.import_version(self.staff, DATA / "codata-2022.yaml", self.nim)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def _broken(tmp_path: Path, csv_text: str, **meta_changes) -> Path:
    meta = (DATA / "codata-2018.yaml").read_text(encoding="utf-8")
    for old, new in meta_changes.items():
        meta = meta.replace(old, new)
    (tmp_path / "m.yaml").write_text(meta.replace("codata-2018.csv", "d.csv"), encoding="utf-8")
    (tmp_path / "d.csv").write_text(csv_text, encoding="utf-8")
    return tmp_path / "m.yaml"


def test_demo_step_plants_a_published_version_and_one_under_review(db):
    """The demo's step (runs before the module's world exists: the dataset code is free)."""
    from jiliang.console.demo_roles import DemoCast
    from jiliang.refdata.demo import plant_refdata

    province = reg.Region.objects.filter(level="province").order_by("code").first()
    institute = reg.Organisation.objects.create(
        name="演示计量院",
        credit_code=make_credit_code(f"12{province.code}000000009"[:17]),
        kind="legal_institute",
        region=province,
    )
    User = get_user_model()
    staff = User.objects.create(username="demo-srd-institute")
    Membership.objects.create(user=staff, role="institution_staff", organisation=institute)
    admin = User.objects.create(username="demo-srd-admin", is_superuser=True)
    plant_refdata(DemoCast(province, province, province, institute, institute, {"institute": staff, "admin": admin}))
    statuses = list(DatasetVersion.objects.filter(dataset__code="CODATA-FC").order_by("number").values_list("status", flat=True))
    assert statuses == ["approved", "submitted"]


def test_identifier_and_citation(world):
    assert world.v1.identifier == "SRD-CODATA-FC-v1"
    assert world.v2.identifier == "SRD-CODATA-FC-v2"
    version, row = services.resolve("SRD-CODATA-FC-v1#row-8")
    assert version == world.v1 and row.values["symbol"] == "m_e" and row.values["value"] == "9.1093837015e-31"
    version, row = services.resolve("SRD-CODATA-FC-v2#row-8")
    assert row.values["value"] == "9.1093837139e-31"  # CODATA 2022 moved the electron mass
    assert services.resolve("SRD-CODATA-FC-v9") is None
    assert services.resolve("SRD-CODATA-FC-v1#row-99") is None
    assert services.resolve("nonsense") is None


def test_approved_version_is_immutable(world):
    assert world.v1.status == DatasetVersion.Status.APPROVED and services.intact(world.v1)
    row = world.v1.rows.get(number=6)
    row.values = {**row.values, "value": "7.3e-3"}
    with pytest.raises(ImmutableVersion):
        row.save()
    with pytest.raises(ImmutableVersion):
        DatasetRow.objects.filter(version=world.v1).update(values={})
    with pytest.raises(ImmutableVersion):
        world.v1.rows.all().delete()
    with pytest.raises(ImmutableVersion):
        DatasetVersion.objects.filter(pk=world.v1.pk).update(method="changed")
    world.v1.method = "changed"
    with pytest.raises(ImmutableVersion):
        world.v1.save()
    fresh = DatasetVersion.objects.get(pk=world.v1.pk)
    assert fresh.method.startswith("Least-squares") and services.intact(fresh)
    # A new version leaves the old one as it was.
    services.submit(world.staff, world.v2)
    services.approve(world.reviewer, world.v2)
    assert services.intact(DatasetVersion.objects.get(pk=world.v1.pk))
    assert services.resolve("SRD-CODATA-FC-v1#row-6")[1].values["value"] == "7.2973525693e-3"


def test_workflow_policy(world):
    draft = services.import_version(world.staff, DATA / "codata-2022.yaml", world.nim)
    anonymous = actor_for(None)
    assert not VERSIONS.may_view(anonymous, draft) and VERSIONS.may_view(anonymous, world.v1)
    assert not VERSIONS.may_view(actor_for(world.stranger), draft)
    with pytest.raises(Refused) as refused:
        services.submit(world.stranger, draft)
    assert refused.value.forbidden
    services.submit(world.national, draft)
    with pytest.raises(Refused) as refused:  # four eyes: the submitter does not approve
        services.approve(world.national, draft)
    assert refused.value.forbidden
    with pytest.raises(Refused):
        services.return_for_correction(world.reviewer, draft, "  ")
    draft = services.return_for_correction(world.reviewer, draft, "请核对 G 的不确定度")
    assert draft.status == DatasetVersion.Status.RETURNED and VERSIONS.writable(actor_for(world.staff), draft)
    with pytest.raises(Refused):
        services.import_version(world.stranger, DATA / "codata-2022.yaml", world.nim)


def test_import_is_all_or_nothing_and_names_file_row_field(world, tmp_path):
    before = DatasetVersion.objects.count(), DatasetRow.objects.count()
    text = (DATA / "codata-2018.csv").read_text(encoding="utf-8")
    text = text.replace("6.67430e-11,0.00015e-11", "six,0.00015e-11").replace(
        "9.1093837015e-31,0.0000000028e-31,kg", "9.1093837015e-31,-1,kgg"
    )
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        services.import_version(world.staff, _broken(tmp_path, text), world.nim)
    reasons = dict(refused.value.reasons)
    assert reasons["d.csv 第 11 行，字段 value"] == "'six' 不是数值"
    assert "d.csv 第 9 行，字段 u" in reasons and "d.csv 第 9 行，字段 unit" in reasons
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.import_version(world.staff, _broken(tmp_path, text), world.nim)
    assert "d.csv line 11, field value" in dict(refused.value.reasons)
    with pytest.raises(Refused) as refused:
        services.import_version(world.staff, _broken(tmp_path, text, **{"uncertainty:": "uncertainty_x:"}), world.nim)
    assert "m.yaml，字段 uncertainty" in dict(refused.value.reasons) or "m.yaml, field uncertainty" in dict(refused.value.reasons)
    assert (DatasetVersion.objects.count(), DatasetRow.objects.count()) == before


def test_exports(world):
    data = json.loads(services.export_json(world.v1))
    assert data["identifier"] == "SRD-CODATA-FC-v1" and data["sha256"] == world.v1.sha256
    assert data["rows"][5] == {
        "citation": "SRD-CODATA-FC-v1#row-6",
        "quantity": "fine-structure constant",
        "symbol": "alpha",
        "value": "7.2973525693e-3",
        "u": "0.0000000011e-3",
        "unit": "1",
    }
    rows = list(csv.reader(io.StringIO(services.export_csv(world.v1).decode("utf-8-sig"))))
    source = list(csv.reader(io.StringIO((DATA / "codata-2018.csv").read_text(encoding="utf-8"))))
    assert [r[1:] for r in rows] == source  # the digits as published
    book = load_workbook(io.BytesIO(services.export_xlsx(world.v1)))
    assert book["data"]["D9"].value == 9.1093837015e-31 and book["data"]["A9"].value == "SRD-CODATA-FC-v1#row-8"


def test_pages_and_api(world):
    client = Client()
    page = client.get("/refdata/")
    assert page.status_code == 200 and "SRD-CODATA-FC-v1" in page.content.decode()
    page = client.get("/refdata/SRD-CODATA-FC-v1/")
    assert page.status_code == 200 and "9.1093837015e-31" in page.content.decode()
    assert client.get(f"/refdata/{world.v2.identifier}/").status_code in (200, 404)
    resolved = client.get("/refdata/resolve/", {"id": "SRD-CODATA-FC-v1#row-8"})
    assert resolved.status_code == 302 and resolved["Location"].endswith("/refdata/SRD-CODATA-FC-v1/#row-8")
    assert client.get("/refdata/resolve/", {"id": "SRD-NOPE-v1"}).status_code == 404
    answer = client.get("/api/refdata/resolve/", {"id": "SRD-CODATA-FC-v1#row-8"})
    assert answer.status_code == 200 and answer.json()["row"]["value"] == "9.1093837015e-31"
    for fmt, kind in (("csv", "text/csv"), ("json", "application/json"), ("xlsx", "spreadsheetml")):
        response = client.get(f"/api/refdata/versions/SRD-CODATA-FC-v1/export.{fmt}")
        assert response.status_code == 200 and kind in response["Content-Type"]
    listed = client.get("/api/refdata/versions/").json()
    identifiers = [v["identifier"] for v in listed["results"]]
    assert "SRD-CODATA-FC-v1" in identifiers
    draft = services.import_version(world.staff, DATA / "codata-2022.yaml", world.nim)
    assert client.get(f"/api/refdata/versions/{draft.identifier}/").status_code == 404
    client.force_login(world.staff)
    assert client.get(f"/api/refdata/versions/{draft.identifier}/").status_code == 200
    response = client.post(f"/api/refdata/versions/{draft.identifier}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = client.post(f"/api/refdata/versions/{draft.identifier}/approve/")
    assert response.status_code == 403
    client.force_login(world.reviewer)
    page = client.get(f"/refdata/{draft.identifier}/")
    assert "approve" in page.content.decode()
    response = client.post(f"/refdata/{draft.identifier}/approve/", {"note": ""})
    assert response.status_code == 302
    assert DatasetVersion.objects.get(pk=draft.pk).status == "approved"


def test_command(world, tmp_path, capsys):
    from django.core.management import call_command

    shutil.copy(DATA / "codata-2018.csv", tmp_path / "codata-2018.csv")
    call_command("refdata", "export", "SRD-CODATA-FC-v1", "--format", "json", "--output", str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text())["identifier"] == "SRD-CODATA-FC-v1"
    call_command("refdata", "list")
    assert "SRD-CODATA-FC-v1" in capsys.readouterr().out
