"""The national pages ask the policy (the public sees the certificate check and comparison
results; coverage per province is the supervisors'; lag and health the nation's); the
commands publish a province's records to a file and consume them at the centre."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from jiliang.federation import outbox, services
from jiliang.federation.apply import apply_record
from jiliang.federation.models import (
    FederatedCertificate,
    FederatedComparisonResult,
    FederatedCoverage,
    ProvinceStatus,
    RefusedRecord,
)
from jiliang.federation.records import build_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(settings, world):
    settings.JILIANG_NATIONAL = True
    settings.JILIANG_PROVINCE = ""
    settings.JILIANG_FEDERATION_INSTITUTION = world.centre.credit_code
    FederatedCoverage.objects.create(
        province="11", as_of=dt.date(2026, 3, 1), items=40, covered=30, instruments=1000, traceable=900
    )
    FederatedCoverage.objects.create(
        province="33", as_of=dt.date(2026, 3, 1), items=60, covered=60, instruments=3000, traceable=2700
    )
    FederatedComparisonResult.objects.create(
        province="33",
        code="ZJBD-2026-01",
        title="E2 砝码比对",
        results=[{"measurand": "1 kg", "participants": [{"lab": "A", "En": 0.4}]}],
    )
    return world


def test_national_overview_sums_provinces_and_is_refused_to_the_public(client, national):
    url = reverse("federation:overview")
    assert client.get(url).status_code == 302  # to sign in
    admin = get_user_model().objects.create(username="nation", is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "浙江省" in page and "北京市" in page
    assert "90%" in page  # 90 of 100 items covered nationally: a sum, not the mean of 75% and 100%
    RefusedRecord.objects.create(record_id="11:7", province="11", rule="federation.bad_signature", detail="x", sha256="0" * 64)
    status = client.get(reverse("federation:status"))
    assert status.status_code == 200 and "签名不符" in status.content.decode()
    client.logout()
    public = get_user_model().objects.create(username="someone")
    client.force_login(public)
    assert client.get(url).status_code == 403
    assert client.get(reverse("federation:status")).status_code == 403
    assert "ZJBD-2026-01" in client.get(reverse("federation:comparisons")).content.decode()


def test_national_certificate_check_answers_any_provinces_number(client, national):
    FederatedCertificate.objects.create(
        province="33", number="ZJ-2026-7777", kind="verification", issuer="浙江省计量科学研究院", item_code="X1",
        item_name="电子天平", item_region="330106", performed_on=dt.date(2026, 1, 5), valid_until=dt.date(2099, 1, 4),
        passed=True, upstream=[{"primary": "GJJZ-M-001"}],
    )  # fmt: skip
    page = client.get(reverse("certificates:check"), {"number": "ZJ-2026-7777"}).content.decode()
    assert "浙江省计量科学研究院" in page and "GJJZ-M-001" in page and "证书有效" in page


def test_publish_to_a_file_and_consume_it_at_the_centre(tmp_path, settings, world, capsys):
    settings.JILIANG_NATIONAL = False
    settings.JILIANG_PROVINCE = "33"
    path = tmp_path / "zj.jsonl"
    call_command("federation", "publish", "--to-file", str(path))
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["province"] == "33" for line in lines)
    # Publishing again from 0 sends the very same bytes (signed once, kept).
    assert [raw for _, raw in outbox.pending_records(0)] == lines
    settings.JILIANG_NATIONAL = True
    certificate = next(line for line in lines if b'"kind":"certificate"' in line)
    altered = certificate.replace(b'"status":"issued"', b'"status":"revoked"')
    assert altered != certificate
    path.write_bytes(path.read_bytes() + altered + b"\n")
    capsys.readouterr()
    call_command("federation", "consume", "--from-file", str(path))
    assert json.loads(capsys.readouterr().out) == {"applied": 3, "duplicate": 0, "refused": 1}
    call_command("federation", "consume", "--from-file", str(path))
    assert json.loads(capsys.readouterr().out) == {"applied": 0, "duplicate": 3, "refused": 1}
    call_command("federation", "status")
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["code"], row["applied_through"], row["lag"], row["health"], row["refused"]) == ("33", 3, 0, "healthy", 2)


def test_enrol_names_the_centres_institution(world):
    with pytest.raises(services.EnrolmentError):
        services.enrol("national")
    with pytest.raises(services.EnrolmentError):
        services.enrol("3x", institution_credit_code=world.zhejiang.credit_code)
    status = services.enrol("national", institution_credit_code=world.centre.credit_code)
    assert status.name == "national"
    # Enrolled: the centre's records verify; another institution's are refused.
    from jiliang.certificates import keys

    centre = keys.signer_for(keys.usable_key(world.centre), "seal")
    other = keys.signer_for(keys.usable_key(world.beijing), "seal")
    body = {"code": "JJG 99-2022", "title": "砝码检定规程"}
    assert apply_record(build_record("specification", body, province="national", seq=1, signer=centre)) == "applied"
    assert apply_record(build_record("specification", body, province="national", seq=2, signer=other)) == "refused"
    assert ProvinceStatus.objects.get(code="national").applied_through == 1


def test_demo_step_publishes_and_applies_the_province_records(world):
    from jiliang.federation.demo import plant_federation

    applied = plant_federation()
    assert applied == 3  # Beijing's standard, its certificate and its coverage snapshot
    coverage = FederatedCoverage.objects.get(province="11")
    assert coverage.instruments >= 1
    assert FederatedCertificate.objects.filter(province="11", number="BJ-2026-0001").exists()
    assert ProvinceStatus.objects.get(code="11").lag == 0
