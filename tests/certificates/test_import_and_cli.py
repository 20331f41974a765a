"""Importing an outside laboratory's DCC as a standard device's calibration (PTB's
published example certificates), and the `jiliang certificate` command."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiliang.certificates import keys, services
from jiliang.certificates.models import Certificate, CertificateAuthority
from jiliang.core.dcc import pki
from jiliang.core.dcc.sign import Signer, sign_dcc
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg
from tests.command_line import run_command

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "core" / "dcc" / "data"
PTB_SIGNED = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"
PTB_UNSIGNED = DATA / "dcc-3.3.0_gp-temperature-simplified.xml"
PTB_ROOT = DATA / "certs" / "calibration-community-root-ca-01.crt"
PTB_SUB = DATA / "certs" / "calibration-community-sub-ca-01.crt"
# Values of PTB's example (dcc-3.2.0_gp-temperature-typical-v12, "Messabweichung", in K).
PTB_ERRORS = [0.072, 0.089, 0.107, -0.009, -0.084]


@pytest.fixture
def device(province):
    return reg.Instrument.objects.filter(standard__isnull=False).select_related("standard__holder").order_by("code").first()


@pytest.fixture
def nim(province):
    return reg.Organisation.objects.filter(kind="legal_institute").order_by("id").first()


def _ptb_anchors():
    return [pki.load_certificate(PTB_ROOT.read_bytes())]


def _ptb_trust() -> dict:
    """PTB's example root as trust anchor, with its intermediate CA."""
    return {"trust_anchors": _ptb_anchors(), "intermediates": [pki.load_certificate(PTB_SUB.read_bytes())]}


def test_import_of_ptbs_signed_example_attaches_an_event_with_its_values(device):
    report = services.import_external_dcc(
        PTB_SIGNED.read_bytes(),
        device,
        trust_anchors=_ptb_anchors(),
        intermediates=[pki.load_certificate(PTB_SUB.read_bytes())],
        require_signature=True,
    )
    event = report.event
    assert report.verdict.valid, report.verdict.reasons
    assert event.instrument == device and event.kind == "calibration"
    assert event.certificate_number == "GP_DCC_temperature_typical_1.2"
    assert event.performed_on == dt.date(1957, 8, 13)
    assert event.external_source == "Kalibrierfirma GmbH (DE)"
    errors = [r for r in event.results if r["ref_type"] == "basic_measurementError"]
    assert [r["value"] for r in errors] == PTB_ERRORS
    assert {r["unit"] for r in errors} == {"K"} and {r["dsi_unit"] for r in errors} == {"\\kelvin"}
    assert event.uncertainty == max(r["U"] for r in errors)
    cert = Certificate.objects.get(event=event)
    assert cert.external and bytes(cert.xml) == PTB_SIGNED.read_bytes()
    assert "document declares DCC 3.2.0; validated against the DCC 3.2.0 XSD (D-SI 2.1.0)" in report.notes
    # Recorded as what it is: imported, signed by a trusted outside signer who is no organisation of the
    # registry, so the event is the holder's own record of the outside calibration.
    assert cert.status == Certificate.Status.IMPORTED and cert.signature_status == Certificate.SignatureStatus.TRUSTED
    assert "O=Calibration A GmbH" in cert.signed_by and cert.signing_key is None and cert.published
    assert event.performer == device.standard.holder


def test_imported_certificate_checks_with_configured_anchors(device, settings):
    services.import_external_dcc(
        PTB_SIGNED.read_bytes(), device, trust_anchors=_ptb_anchors(), intermediates=[pki.load_certificate(PTB_SUB.read_bytes())]
    )
    settings.JILIANG_DCC_TRUST_ANCHORS = [str(PTB_ROOT), str(PTB_SUB)]
    result = services.check_number("GP_DCC_temperature_typical_1.2")
    assert result.valid, result.reasons
    settings.JILIANG_DCC_TRUST_ANCHORS = []
    untrusted = services.check_number("GP_DCC_temperature_typical_1.2")
    assert not untrusted.valid and not untrusted.verdict.chain_valid


def test_import_of_an_unsigned_dcc_is_noted(device):
    report = services.import_external_dcc(PTB_UNSIGNED.read_bytes(), device)
    assert "unsigned DCC" in report.notes
    assert report.event.certificate_number == "1234"
    assert report.event.performer == device.standard.holder
    cert = report.certificate
    assert (cert.status, cert.signature_status, cert.signed_by, cert.published) == ("imported", "unsigned", "", False)
    with pytest.raises(services.CertificateError, match="file: DCC 未签名"):
        services.import_external_dcc(PTB_UNSIGNED.read_bytes().replace(b">1234<", b">1235<"), device, require_signature=True)


def test_import_refuses_a_tampered_signed_dcc_and_writes_nothing(device):
    forged = PTB_SIGNED.read_bytes().replace(b"0.072", b"0.073", 1)
    before = reg.CalibrationEvent.objects.count()
    # The refusal speaks the user's language (the core's reasons through certificates.reasons).
    with pytest.raises(services.CertificateError, match="签名 1：签名与文件内容不吻合"):
        services.import_external_dcc(forged, device, trust_anchors=_ptb_anchors())
    assert reg.CalibrationEvent.objects.count() == before


def test_import_refuses_a_working_instrument(province):
    working = province.working.instrument
    with pytest.raises(services.CertificateError, match="device: .* 不是计量标准的标准器"):
        services.import_external_dcc(PTB_UNSIGNED.read_bytes(), working)


# ------------------------------------------------------------- who an imported DCC is attributed to


def _self_signed_signer(name: str) -> Signer:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Signer.from_pem(key_pem, cert.public_bytes(serialization.Encoding.PEM))


def _unsigned(number: str) -> bytes:
    return PTB_UNSIGNED.read_bytes().replace(b">1234<", f">{number}<".encode())


def _counts():
    return reg.CalibrationEvent.objects.count(), Certificate.objects.count()


def test_import_passes_the_rules_every_event_write_shares(device):
    # Issue 16 item 1: an imported calibration dated in the future is refused like any
    # other event write (registry.services), and nothing is written.
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat().encode()
    xml = _unsigned("FUTURE-1").replace(b">1957-08-13<", b">" + future + b"<")
    before = _counts()
    with pytest.raises(services.CertificateError, match="performed_on: .* 晚于今天"):
        services.import_external_dcc(xml, device)
    assert _counts() == before


def test_an_unproven_dcc_is_never_recorded_as_performed_by_another_institution(device, nim):
    """Unsigned, self-signed (naming the institution itself) and signed by a trusted signer of
    another name: none may be recorded as performed by an institution that did not sign it."""
    self_signed = sign_dcc(_unsigned("SELF-1"), _self_signed_signer(nim.name), dt.datetime.now(dt.UTC))
    cases = [
        (_unsigned("UNSIGNED-1"), {}, "未签名的 DCC 不能登记为由"),
        (self_signed, {}, "签名者在本平台不受信任的 DCC 不能登记为由"),
        (PTB_SIGNED.read_bytes(), _ptb_trust(), "未写明"),
    ]
    before = _counts()
    for xml, options, message in cases:
        with pytest.raises(services.CertificateError, match=message):
            services.import_external_dcc(xml, device, performer=nim, **options)
    assert _counts() == before
    # Without a performer the self-signed one is the holder's record, unpublished, with its signer.
    report = services.import_external_dcc(self_signed, device)
    cert = report.certificate
    assert report.event.performer == device.standard.holder and report.event.external_source == "Kalibrierfirma GmbH (DE)"
    assert (cert.status, cert.signature_status, cert.published) == ("imported", "untrusted", False)
    assert nim.name in cert.signed_by


def test_a_trusted_signer_is_attributed_to_the_organisation_its_certificate_names(device, province):
    outside = reg.Organisation.objects.create(
        name="Calibration A GmbH", kind="laboratory", region=device.region, credit_code=make_credit_code("91330000000000001")
    )
    report = services.import_external_dcc(PTB_SIGNED.read_bytes(), device, performer=outside, **_ptb_trust())
    assert report.event.performer == outside and report.certificate.signature_status == "trusted"


def test_a_dcc_signed_with_a_platform_key_is_issued_by_that_institution_only(device, nim):
    key = keys.issue_signing_key(nim)
    xml = sign_dcc(_unsigned("PLATFORM-1"), keys.signer_for(key, None), dt.datetime.now(dt.UTC))
    other = reg.Organisation.objects.filter(kind="legal_institute").exclude(pk=nim.pk).first()
    with pytest.raises(services.CertificateError, match=f"DCC 由 {nim.name} 的密钥签名，不是 {other.name} 的"):
        services.import_external_dcc(xml, device, performer=other)
    report = services.import_external_dcc(xml, device)
    cert = report.certificate
    assert report.event.performer == nim
    assert (cert.status, cert.signature_status, cert.signing_key, cert.published) == ("issued", "platform", key, True)


def test_api_import_refuses_another_performer_for_an_unsigned_dcc(device, nim):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from jiliang.accounts.models import Membership

    user = get_user_model().objects.create_user("holder-staff", password=None)
    Membership.objects.create(user=user, role="institution_staff", organisation=device.standard.holder)
    client = APIClient()
    client.force_authenticate(user)

    def post(xml, **extra):
        return client.post(
            "/api/certificates/import/",
            {"file": SimpleUploadedFile("dcc.xml", xml), "device": device.code, **extra},
            format="multipart",
        )

    before = _counts()
    refused = post(_unsigned("API-1"), performer=nim.pk)
    assert refused.status_code == 400 and "不能登记为由" in refused.json()["detail"]
    assert _counts() == before
    created = post(_unsigned("API-1"))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["signature_status"], body["performer"], body["published"]) == (
        "imported",
        "unsigned",
        device.standard.holder.name,
        False,
    )
    # Not public: the public list and check answer as for an unknown number.
    assert "API-1" not in [c["number"] for c in APIClient().get("/api/certificates/").json()["results"]]
    assert APIClient().get("/api/certificates/API-1/verdict/").status_code == 404


# --------------------------------------------------------------------------- CLI


def _run(argv: list[str]) -> int:
    return run_command(*argv)


def test_cli_issue_check_revoke(province, capsys, tmp_path):
    assert _run(["certificate", "ca", "init", "--pem", str(tmp_path / "ca.pem")]) == 0
    assert CertificateAuthority.objects.filter(active=True).count() == 1  # kept, not replaced
    assert (tmp_path / "ca.pem").read_text() == keys.active_authority().cert_pem
    event = province.working
    (verifier, _), (checker, _), (approver, _) = province.signers(event)
    assert (
        _run(
            [
                "certificate",
                "issue",
                event.certificate_number,
                "--verifier",
                str(verifier.pk),
                "--checker",
                str(checker.pk),
                "--approver",
                str(approver.pk),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert _run(["certificate", "check", event.certificate_number, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] and [s["role"] for s in verdict["signatures"]] == ["verifier", "checker", "approver", "seal"]
    assert set(verdict) == {
        "valid",
        "outcome",
        "summary",
        "number",
        "found",
        "status",
        "schema",
        "signature",
        "chain",
        "revoked",
        "revocation_reason",
        "record_match",
        "signatures",
        "reasons",
        "pdf",  # None: the file checked is not a PDF
    }
    path = tmp_path / "c.xml"
    path.write_bytes(bytes(Certificate.objects.get(number=event.certificate_number).xml).replace(b">pass<", b">fail<"))
    assert _run(["certificate", "check", str(path)]) == 1
    assert "签名与文件内容不吻合" in capsys.readouterr().out  # the operator's language (zh here)
    assert _run(["certificate", "revoke", event.certificate_number, "--reason", "误签"]) == 0
    assert _run(["certificate", "check", event.certificate_number, "--json"]) == 1
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["revoked"] is True
    with pytest.raises(SystemExit, match="no calibration event"):
        _run(["certificate", "issue", "NOPE", "--verifier", "1", "--checker", "2", "--approver", "3"])


def test_imported_ptb_certificate_renders_as_page_and_pdf(device, client):
    from .helpers import embedded_files

    services.import_external_dcc(PTB_SIGNED.read_bytes(), device, **_ptb_trust())
    page = client.get("/certificates/GP_DCC_temperature_typical_1.2/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kalibrierfirma GmbH" in html and "0.072" in html and "-0.084" in html
    assert "外部导入的证书" in html and "外部签名（受信任）" in html and "O=Calibration A GmbH" in html
    assert "非本平台机构签发" in client.get("/certificates/", {"number": "GP_DCC_temperature_typical_1.2"}).content.decode()
    pdf = client.get("/certificates/GP_DCC_temperature_typical_1.2/pdf/").content
    assert embedded_files(pdf) == [PTB_SIGNED.read_bytes()]


def test_imported_list_result_shows_as_a_table_beside_its_reference_values(device, client):
    # PTB's 3.2.0 example holds its five points as lists: reference value and indication (K and °C,
    # si:hybrid) beside the measurement error; the page shows them as one table, a row per point.
    services.import_external_dcc(PTB_SIGNED.read_bytes(), device, **_ptb_trust())
    html = client.get("/certificates/GP_DCC_temperature_typical_1.2/").content.decode()
    table = html[html.index('class="data result-list"') :]
    table = table[: table.index("</table>")]
    rows = [re.findall(r'<td class="num">([^<]*)</td>', row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    rows = [r for r in rows if r]
    assert len(rows) == 5
    assert rows[0][:5] == ["306.248", "33.098", "306.32", "33.17", "0.072"]
    assert [r[4] for r in rows] == [f"{v:g}" for v in PTB_ERRORS]
    assert 'class="index"' in table


def test_a_dcc_of_an_unsupported_version_is_named_on_import_and_on_the_check_page(device, client):
    # PTB's mass example (LGPL 3.0.0 edition, first published for DCC 2.4.0) declaring 2.4.0.
    text = (DATA / "dcc-3.0.0_mass-example.xml").read_bytes().replace(b'schemaVersion="3.0.0"', b'schemaVersion="2.4.0"', 1)
    with pytest.raises(services.CertificateError, match="不支持 DCC 模式版本 2.4.0；支持的版本：3.0.0"):
        services.import_external_dcc(text, device)
    page = client.post("/certificates/", {"file": SimpleUploadedFile("mass.xml", text, content_type="application/xml")})
    html = page.content.decode()
    assert "不支持 DCC 模式版本 2.4.0；支持的版本：3.0.0, 3.1.0, 3.1.1, 3.1.2, 3.2.0, 3.2.1, 3.3.0" in html
    # A supported older version is checked against its own XSD and says which.
    page = client.post("/certificates/", {"file": SimpleUploadedFile("gp.xml", PTB_SIGNED.read_bytes())})
    assert "格式（DCC 3.2.0 XSD）" in page.content.decode()
