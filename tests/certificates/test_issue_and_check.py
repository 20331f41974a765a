"""Issuing signed certificates from the registry and checking them: the XSD, the three
signatures against the platform CA, the DCC's own traceability chain, and the tampering
cases of issue 6 (changed value, changed unit, removed signature, revoked key, certificate
swapped to another record), each detected with its reason through check / verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from lxml import etree
from rest_framework.test import APIClient

from jiliang.accounts.models import Membership
from jiliang.audit.models import AuditEntry
from jiliang.certificates import keys, services
from jiliang.certificates.models import Certificate, SigningKey
from jiliang.cli import main
from jiliang.core.dcc import pki
from jiliang.core.dcc.crypto import SM2_SM3_URI
from jiliang.core.dcc.parse import check_upstream, upstream_certificates
from jiliang.core.dcc.schema import validate_schema
from jiliang.core.dcc.sign import sign_dcc
from jiliang.core.dcc.verify import MISMATCH, verify_dcc
from jiliang.registry import models as reg

from .helpers import drop_signature, embedded_files, pdf_streams, replace_once

pytestmark = pytest.mark.django_db


def issue(province, event):
    return services.issue_certificate(event, province.signers(event))


@pytest.fixture
def pair(province):
    """The upstream calibration certificate and the verification certificate that uses it."""
    upstream = issue(province, province.upstream)
    working = issue(province, province.working)
    return upstream, working


def _upload(client, xml: bytes, number: str | None = None) -> dict:
    data = {"file": SimpleUploadedFile("dcc.xml", xml, content_type="application/xml")}
    if number:
        data["number"] = number
    response = client.post("/api/certificates/verify/", data, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()


# ------------------------------------------------------------------------ issuing


def test_issued_dcc_validates_and_its_three_signatures_verify_against_the_platform_ca(pair, province):
    upstream, working = pair
    xml = bytes(working.xml)
    assert validate_schema(xml).valid
    anchor = pki.load_certificate(keys.active_authority().cert_pem.encode())
    verdict = verify_dcc(xml, trust_anchors=[anchor], required_roles=("verifier", "checker", "approver"))
    assert verdict.valid, verdict.reasons
    assert [s.role for s in verdict.signatures] == ["verifier", "checker", "approver", "seal"]
    assert all(s.chain_valid and s.signature_valid for s in verdict.signatures)
    performer = province.working.performer
    # Each person signs with their own key and certificate, the institution seals with its own.
    names = {role: person.name for person, role in province.signers(province.working)}
    for sig in verdict.signatures[:3]:
        assert f"CN={names[sig.role]}" in sig.signer
    assert performer.name in verdict.signatures[3].signer
    assert {s["key_serial"] for s in working.signers} == {s.serial for s in verdict.signatures}
    assert working.signing_key.serial == verdict.signatures[3].serial and working.signing_key.person is None
    assert working.kind == Certificate.Kind.VERIFICATION
    assert upstream.kind == Certificate.Kind.CALIBRATION
    # Against another root the same signatures do not chain.
    stranger = pki.load_certificate(pki.create_root_ca("Stranger", not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).cert_pem)
    assert not verify_dcc(xml, trust_anchors=[stranger]).chain_valid


def test_dcc_carries_the_upstream_certificate_of_the_standard_used(pair, province):
    upstream, working = pair
    refs = upstream_certificates(bytes(working.xml))
    named = [r for r in refs if r["identifier"] == upstream.number]
    assert len(named) == 1 and named[0]["hash"] == upstream.sha256
    assert check_upstream(bytes(working.xml), {upstream.number: bytes(upstream.xml)}) == []
    # One changed byte in the upstream file breaks the link.
    bad = bytes(upstream.xml).replace(b"<si:value>1</si:value>", b"<si:value>2</si:value>", 1)
    assert check_upstream(bytes(working.xml), {upstream.number: bad}) == [
        f"upstream {upstream.number}: SHA-256 does not match the recorded hash"
    ]


def test_check_number_of_a_fresh_certificate_is_valid(pair):
    _, working = pair
    result = services.check_number(working.number).to_dict()
    assert result["valid"] and result["record_match"] and not result["revoked"], result["reasons"]
    assert result["reasons"] == []


@pytest.mark.parametrize(
    "problem, change",
    [
        ("no approver", lambda s: s[:2]),
        ("same person checks", lambda s: [s[0], (s[0][0], "checker"), s[2]]),
        ("bad role", lambda s: [s[0], s[1], (s[2][0], "director")]),
    ],
)
def test_issue_refuses_incomplete_signers(province, problem, change):
    with pytest.raises(services.CertificateError, match="signers"):
        services.issue_certificate(province.working, change(province.signers(province.working)))
    assert not Certificate.objects.filter(event=province.working).exists()


def test_issue_refuses_a_signer_from_another_institution_and_a_second_issue(province):
    signers = province.signers(province.working)
    outsider = reg.Person.objects.exclude(organisation=province.working.performer).first()
    with pytest.raises(services.CertificateError, match="不是 .* 的人员"):
        services.issue_certificate(province.working, [signers[0], signers[1], (outsider, "approver")])
    issue(province, province.working)
    with pytest.raises(services.CertificateError, match="已出具证书"):
        issue(province, province.working)


# ---------------------------------------------------------------------- tampering


def test_changed_value_is_a_signature_mismatch(pair):
    upstream, _ = pair
    client = APIClient()
    forged = replace_once(bytes(upstream.xml), b"<si:value>1</si:value>", b"<si:value>1.001</si:value>")
    verdict = _upload(client, forged)
    assert not verdict["valid"] and not verdict["signature"]["valid"]
    assert any(MISMATCH in r for r in verdict["reasons"])
    assert not verdict["record_match"]  # the registry holds another file under this number


def test_changed_unit_is_a_signature_mismatch(pair):
    upstream, _ = pair
    forged = replace_once(bytes(upstream.xml), b"<si:unit>\\one</si:unit>", b"<si:unit>\\metre</si:unit>")
    verdict = _upload(APIClient(), forged)
    assert not verdict["valid"] and any(MISMATCH in r for r in verdict["reasons"])


def test_removed_signature_is_detected(pair):
    _, working = pair
    client = APIClient()
    without_approver = _upload(client, drop_signature(bytes(working.xml), 2))
    assert not without_approver["valid"]
    assert "signature: no valid signature by the approver, seal" in without_approver["reasons"]
    # The approver's signature also sealed the checker's: removing that one breaks it.
    without_checker = _upload(client, drop_signature(bytes(working.xml), 1))
    assert not without_checker["valid"] and any(MISMATCH in r for r in without_checker["reasons"])
    unsigned = bytes(working.xml)
    for index in (3, 2, 1, 0):  # the seal, then the approver's, the checker's and the verifier's
        unsigned = drop_signature(unsigned, index)
    assert "signature: the document is not signed" in _upload(client, unsigned)["reasons"]


def test_signature_by_a_revoked_key_is_detected(pair, province):
    _, working = pair
    key = SigningKey.objects.get(organisation=province.working.performer, person=None, status="active")
    keys.revoke_signing_key(key, SigningKey.Reason.KEY_COMPROMISE, note="laptop stolen")
    # The certificate it signed is no longer trusted ...
    result = services.check_number(working.number).to_dict()
    assert not result["valid"] and result["revoked"]
    assert any("revoked" in r and key.serial in r for r in result["reasons"])
    # ... and a document the thief signs with it later is caught too.
    forged = sign_dcc(drop_signature(bytes(working.xml), 2), keys.signer_for(key, "approver"), dt.datetime.now(dt.UTC))
    verdict = _upload(APIClient(), forged)
    assert verdict["revoked"] and not verdict["valid"]
    # The key is on the published CRL.
    crl = APIClient().get("/api/certificates/crl.pem")
    assert crl.status_code == 200
    assert int(key.serial, 16) in pki.revoked_serials(crl.content, keys.active_authority().cert_pem.encode())


def test_certificate_swapped_to_another_record_is_detected(pair, province):
    upstream, working = pair
    # In the database: the working certificate's row now holds the upstream document.
    Certificate.objects.filter(pk=working.pk).update(xml=bytes(upstream.xml))
    result = services.check_number(working.number).to_dict()
    assert not result["valid"] and result["record_match"] is False
    assert any("does not match the expected" in r for r in result["reasons"])
    assert any("not the one issued" in r for r in result["reasons"])
    # On upload: a genuine certificate presented as another number (another verification: a
    # calibration certificate lacks the verifier's signature the verification needs).
    other = issue(province, province.other)
    verdict = _upload(APIClient(), bytes(other.xml), number=working.number)
    assert not verdict["valid"] and verdict["signature"]["valid"] and verdict["record_match"] is False


def test_registry_record_changed_after_issue_is_detected(pair, province):
    upstream, _ = pair
    event = province.upstream
    event.results = [{**event.results[0], "value": 1.5}]
    event.save()
    result = services.check_number(upstream.number).to_dict()
    assert result["signature"]["valid"] and result["record_match"] is False
    assert "record: the measured values differ from the registry's" in result["reasons"]


# ------------------------------------------------------------ revocation, rotation


def test_revocation_shows_in_the_crl_and_the_verdict(pair):
    _, working = pair
    client = APIClient()
    services.revoke_certificate(working, "签发后发现检定员资格过期")
    verdict = client.get(f"/api/certificates/{working.number}/verdict/").json()
    assert verdict["revoked"] and not verdict["valid"] and verdict["status"] == "revoked"
    assert verdict["revocation_reason"] == "签发后发现检定员资格过期"
    assert verdict["signature"]["valid"]  # the document itself is untouched
    crl = client.get("/api/certificates/crl.pem").content
    listed = pki.revoked_serials(crl, keys.active_authority().cert_pem.encode())
    assert Certificate.objects.get(pk=working.pk).crl_serial in listed
    with pytest.raises(services.CertificateError, match="已撤销"):
        services.revoke_certificate(working, "again")
    page = client.get(f"/certificates/{working.number}/").content.decode()
    assert "已撤销 REVOKED — 签发后发现检定员资格过期" in page


def test_rotation_keeps_old_certificates_verifiable_at_their_signing_time(province):
    first = issue(province, province.working)
    old_key = first.signing_key
    new_key = keys.rotate_signing_key(province.working.performer, note="yearly rotation")
    old_key.refresh_from_db()
    assert old_key.status == SigningKey.Status.ROTATED and new_key.serial != old_key.serial
    second = issue(province, province.other)
    assert second.signing_key == new_key
    assert services.check_number(first.number).valid
    assert services.check_number(second.number).valid
    # Retiring the old key later (not for compromise) leaves signatures made before that valid.
    keys.revoke_signing_key(old_key, SigningKey.Reason.SUPERSEDED, now=first.issued_at + dt.timedelta(days=30))
    assert services.check_number(first.number).valid
    # A signature dated after that retirement is not.
    late = sign_dcc(
        drop_signature(bytes(first.xml), 2), keys.signer_for(old_key, "approver"), first.issued_at + dt.timedelta(days=31)
    )
    assert services.verify_uploaded(late).revoked


def test_a_certificate_signed_the_old_way_by_the_institution_key_alone_still_checks(province):
    # Before personal keys, the institution's one key signed for all three roles.
    cert = issue(province, province.working)
    bare = bytes(cert.xml)
    for index in (3, 2, 1, 0):
        bare = drop_signature(bare, index)
    seal = cert.signing_key
    legacy = sign_dcc(bare, [keys.signer_for(seal, role) for role in ("verifier", "checker", "approver")], cert.issued_at)
    signers = [dict(s, key_serial=seal.serial) for s in cert.signers if s["role"] != "seal"]
    Certificate.objects.filter(pk=cert.pk).update(xml=legacy, sha256=hashlib.sha256(legacy).hexdigest(), signers=signers)
    result = services.check_number(cert.number)
    assert result.valid, result.reasons
    assert [s["role"] for s in result.to_dict()["signatures"]] == ["verifier", "checker", "approver"]


def test_personal_keys_belong_to_the_persons_institution(province):
    performer = province.working.performer
    stranger = reg.Person.objects.exclude(organisation=performer).first()
    with pytest.raises(keys.KeyInfrastructureError, match=f"{stranger.name} 不是 {performer.name} 的人员"):
        keys.issue_signing_key(performer, person=stranger)
    person = province.signers(province.working)[0][0]
    first = keys.usable_key(performer, person=person)
    assert keys.usable_key(performer, person=person) == first and first.person == person
    with pytest.raises(keys.KeyInfrastructureError, match="已有有效的密钥"):
        keys.issue_signing_key(performer, person=person)
    assert keys.usable_key(performer) not in (first, None) and keys.active_key(performer).person is None  # the seal key


def test_an_sm2_deployment_signs_per_person_with_sm2_and_older_ecdsa_certificates_stay_valid(province, settings, capsys):
    old = issue(province, province.other)
    assert old.signing_key.algorithm == "ecdsa-p256"
    settings.JILIANG_SIGNATURE_ALGORITHM = "sm2-sm3"
    with pytest.raises(keys.KeyInfrastructureError, match="现用根证书的算法为 ecdsa-p256；要建立 sm2-sm3 根证书请加 --replace"):
        keys.init_authority()
    assert main(["certificate", "ca", "init", "--replace"]) == 0  # the algorithm from the setting
    assert "(sm2-sm3)" in capsys.readouterr().out
    assert keys.active_authority().algorithm == "sm2-sm3"

    cert = issue(province, province.working)
    root = etree.fromstring(bytes(cert.xml))
    ds = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert [m.get("Algorithm") for m in root.iterfind("ds:Signature/ds:SignedInfo/ds:SignatureMethod", ds)] == [SM2_SM3_URI] * 4
    used = SigningKey.objects.filter(serial__in=[s["key_serial"] for s in cert.signers])
    assert {k.algorithm for k in used} == {"sm2-sm3"} and used.filter(person=None).get() == cert.signing_key
    # The keys under the ECDSA root were replaced when next used, not reused under the SM2 root.
    performer = province.working.performer
    assert SigningKey.objects.filter(organisation=performer, person=None, status="rotated", note="root CA replaced").exists()
    result = services.check_number(cert.number)
    assert result.valid, result.reasons
    assert services.check_number(old.number).valid  # the old root stays a trust anchor

    tampered = replace_once(bytes(cert.xml), b"<si:value>", b"<si:value>9")
    verdict = services.verify_uploaded(tampered, cert.number)
    assert not verdict.valid and any(MISMATCH in r for r in verdict.reasons)

    pdf = APIClient().get(f"/api/certificates/{cert.number}/pdf/").content
    pages = b"".join(data for head, data in pdf_streams(pdf) if b"EmbeddedFile" not in head)
    assert pages.count(b"(SM2/SM3 \\(GB/T 32918, GB/T 32905\\)") == 4
    assert embedded_files(pdf) == [bytes(cert.xml)]


# --------------------------------------------------------------------- rendering


def test_pdf_embeds_the_signed_xml_and_shows_the_number(pair):
    _, working = pair
    response = APIClient().get(f"/api/certificates/{working.number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert embedded_files(pdf) == [bytes(working.xml)]
    assert b"/EmbeddedFiles" in pdf and f"({working.number}.xml)".encode() in pdf
    pages = b"".join(data for head, data in pdf_streams(pdf) if b"EmbeddedFile" not in head)
    assert f"({working.number}) Tj".encode() in pages


def test_public_pages_render_without_login(pair, client):
    _, working = pair
    page = client.get(f"/certificates/{working.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert working.number in html and "检定证书" in html and "<svg" in html
    assert province_name(working) in html
    assert f"http://testserver/certificates/{working.number}/" in html
    check = client.get("/certificates/", {"number": working.number})
    assert check.status_code == 200 and "证书有效" in check.content.decode()
    forged = replace_once(bytes(working.xml), b"<dcc:conformity>pass</dcc:conformity>", b"<dcc:conformity>fail</dcc:conformity>")
    upload = client.post("/certificates/", {"file": SimpleUploadedFile("x.xml", forged)})
    # The core's reason ("signature does not match") in the page's language.
    assert upload.status_code == 200 and "签名与文件内容不吻合" in upload.content.decode()
    assert MISMATCH not in upload.content.decode()
    english = client.post("/certificates/", {"file": SimpleUploadedFile("x.xml", forged)}, HTTP_ACCEPT_LANGUAGE="en")
    assert MISMATCH in english.content.decode()
    assert client.get("/certificates/NO-SUCH-NUMBER/").status_code == 404
    assert "未找到该证书" in client.get("/certificates/", {"number": "NO-SUCH"}).content.decode()


def province_name(cert) -> str:
    return cert.event.performer.name


def _without_number(body: dict, number: str) -> dict:
    return {k: ([r.replace(number, "N") for r in v] if k == "reasons" else "N" if v == number else v) for k, v in body.items()}


def test_unpublished_certificate_is_answered_as_an_unknown_number(province, client):
    """Neither its issuer nor its validity leaks: the verdict endpoint, the check page and an
    upload under its number answer exactly as for a number that does not exist."""
    cert = services.issue_certificate(province.working, province.signers(province.working), published=False)
    assert client.get(f"/certificates/{cert.number}/").status_code == 404
    assert client.get(f"/api/certificates/{cert.number}/xml/").status_code == 404
    outsider = _staff(
        reg.Organisation.objects.filter(kind="enterprise").exclude(pk=province.working.instrument.owner_id).first(), "nosy"
    )
    for requester in (APIClient(), outsider):
        hidden = requester.get(f"/api/certificates/{cert.number}/verdict/")
        unknown = requester.get("/api/certificates/NO-SUCH-NUMBER/verdict/")
        assert hidden.status_code == unknown.status_code == 404
        assert _without_number(hidden.json(), cert.number) == _without_number(unknown.json(), "NO-SUCH-NUMBER")
        assert hidden.json()["outcome"] == "not_found" and not hidden.json()["signatures"]
    page = client.get("/certificates/", {"number": cert.number}).content.decode()
    assert "未找到该证书" in page and province.working.performer.name not in page and "证书有效" not in page
    # An upload presented under the number is checked as a file, but the registry tells nothing about it.
    uploaded = _upload(APIClient(), bytes(cert.xml), cert.number)
    assert uploaded["found"] is False and uploaded["status"] is None and uploaded["record_match"] is False
    assert f"record: no certificate {cert.number!r} in the registry" in uploaded["reasons"]
    # Those who may see it still get the verdict.
    insider = _staff(province.working.performer, "insider-unpublished")
    seen = insider.get(f"/api/certificates/{cert.number}/verdict/")
    assert seen.status_code == 200 and seen.json()["valid"] is True


def test_not_found_and_invalid_are_different_answers(province, client):
    fresh = [reg.CalibrationEvent.objects.get(pk=e.pk) for e in (province.working, province.other)]  # as the database holds them
    working, other = (services.issue_certificate(e, province.signers(e)) for e in fresh)
    services.revoke_certificate(working, "录入错误")
    unknown = client.get("/certificates/", {"number": "NO-SUCH-NUMBER"}).content.decode()
    assert "未找到该证书" in unknown and "证书无效或不可信" not in unknown and "✘" not in unknown
    invalid = client.get("/certificates/", {"number": working.number}).content.decode()
    assert "证书无效或不可信" in invalid and "未找到该证书" not in invalid and "已撤销" in invalid
    english = client.get("/certificates/", {"number": "NO-SUCH-NUMBER"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Certificate not found" in english and "NO-SUCH-NUMBER" in english
    api = APIClient()
    not_found = api.get("/api/certificates/NO-SUCH-NUMBER/verdict/", HTTP_ACCEPT_LANGUAGE="en")
    assert not_found.status_code == 404 and not_found.json()["outcome"] == "not_found"
    assert not_found.json()["summary"] == "Certificate not found"
    revoked = api.get(f"/api/certificates/{working.number}/verdict/")
    assert revoked.status_code == 200 and (revoked.json()["outcome"], revoked.json()["summary"]) == (
        "invalid",
        "证书无效或不可信",
    )
    valid = api.get(f"/api/certificates/{other.number}/verdict/").json()
    assert (valid["outcome"], valid["summary"]) == ("valid", "证书有效"), valid["reasons"]


# ----------------------------------------------------------------------- the API


def _staff(org, name):
    user = get_user_model().objects.create_user(name, password=None)
    Membership.objects.create(user=user, role="institution_staff", organisation=org, is_verifier=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_issue_and_revoke_are_for_the_performers_staff(province):
    event = province.working
    body = {"event": event.certificate_number, "signers": [{"person": p.pk, "role": role} for p, role in province.signers(event)]}
    assert APIClient().post("/api/certificates/", body, format="json").status_code in (401, 403)
    other_org = reg.Organisation.objects.exclude(pk=event.performer_id).filter(kind="legal_institute").first()
    assert _staff(other_org, "outsider").post("/api/certificates/", body, format="json").status_code == 403
    staff = _staff(event.performer, "insider")
    created = staff.post("/api/certificates/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["number"] == event.certificate_number
    xml = APIClient().get(f"/api/certificates/{event.certificate_number}/xml/")
    assert xml.status_code == 200 and xml.content == bytes(Certificate.objects.get(number=event.certificate_number).xml)
    assert (
        _staff(other_org, "outsider2")
        .post(f"/api/certificates/{event.certificate_number}/revoke/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    revoked = staff.post(f"/api/certificates/{event.certificate_number}/revoke/", {"reason": "录入错误"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    listed = APIClient().get("/api/certificates/").json()["results"]
    assert [c["number"] for c in listed] == [event.certificate_number]


def test_openapi_schema_of_the_certificate_api_has_no_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(urlconf="jiliang.urls").get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, f"schema warnings/errors: {GENERATOR_STATS._warn_cache} {GENERATOR_STATS._error_cache}"
    for path in (
        "/api/certificates/",
        "/api/certificates/verify/",
        "/api/certificates/crl.pem",
        "/api/certificates/{number}/verdict/",
        "/api/certificates/{number}/pdf/",
    ):
        assert path in schema["paths"]


def test_issue_and_revocation_are_on_the_audit_ledger(pair):
    from jiliang.audit.models import AuditEntry
    from jiliang.audit.services import verify

    upstream, working = pair
    services.revoke_certificate(working, "误签")
    entries = AuditEntry.objects.filter(object_type="certificates.certificate", object_id=str(working.pk))
    # Each PDF made (at issue, again at revocation) is an update with its SHA-256 (certificates/pades.py).
    assert list(entries.order_by("sequence").values_list("action", flat=True)) == ["create", "update", "revoke", "update"]
    assert entries.get(action="revoke").reason == "误签"
    assert not [f for f in verify().findings if "certificates." in str(f)]
    # A certificate row changed behind the application's back is found by the ledger too.
    Certificate.objects.filter(pk=upstream.pk).update(xml=bytes(working.xml))
    assert [f for f in verify().findings if "certificates.certificate" in str(f)]


def test_certificate_stays_checkable_after_the_signing_certificate_expired(province):
    # Issue 6: a signature is checked at its signing time, so it outlives the signer's certificate.
    past = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
    keys.init_authority(now=past - dt.timedelta(days=1), replace=True)  # the old root stays a trust anchor
    key = keys.issue_signing_key(province.working.performer, now=past, valid_days=30)
    cert = services.issue_certificate(province.working, province.signers(province.working), now=past + dt.timedelta(days=1))
    assert cert.signing_key == key and key.valid_until < dt.datetime.now(dt.UTC)
    result = services.check_number(cert.number)
    assert result.valid, result.reasons
    assert [s["signing_time"] for s in result.to_dict()["signatures"]] == ["2024-03-02T08:00:00+00:00"] * 4
    # Checked as if signed today, the same certificate would fail on the expired signer.
    now_check = verify_dcc(bytes(cert.xml), trust_anchors=keys.trust_anchors(), at=dt.datetime.now(dt.UTC))
    assert not now_check.chain_valid and any("not valid at" in r for r in now_check.reasons)
    # Issuing today replaces the expired key instead of signing with it.
    later = issue(province, province.other)
    key.refresh_from_db()
    assert key.status == SigningKey.Status.ROTATED and later.signing_key != key
    assert services.check_number(later.number).valid and services.check_number(cert.number).valid


def test_upload_of_something_that_is_not_xml_gets_a_verdict_not_an_error(province):
    verdict = _upload(APIClient(), b"\x00not xml at all")
    assert verdict["valid"] is False and verdict["found"] is False
    assert any("not well-formed XML" in r for r in verdict["reasons"])
    assert APIClient().post("/api/certificates/verify/", {}, format="multipart").status_code == 400


def test_a_key_just_issued_can_be_revoked(province):
    # Straight after issue the key's status is still a TextChoices member, not the str a
    # fetch from the database gives; the audit ledger must take it all the same.
    key = keys.issue_signing_key(province.working.performer)
    keys.revoke_signing_key(key, SigningKey.Reason.SUPERSEDED, note="rotated")
    key.refresh_from_db()
    assert key.status == SigningKey.Status.REVOKED and key.reason == "superseded"
    entry = AuditEntry.objects.filter(action="revoke", object_id=str(key.pk)).get()
    assert json.loads(entry.old_values) == {"status": "active"}


def test_private_keys_rest_encrypted_under_the_configured_passphrase(province, monkeypatch):
    from jiliang.certificates import keystore
    from jiliang.core.dcc.errors import SigningError

    ca = keys.active_authority()
    key = keys.issue_signing_key(province.working.performer)
    for pem in (ca.key_pem, key.key_pem):
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(SigningError):
            pki.load_private_key(pem.encode(), None)
    assert keys.signer_for(key, "verifier").certificate.serial_number == int(key.serial, 16)
    # Each key has its own derived passphrase; another master secret opens none of them.
    assert keystore.passphrase_for("signing", key.serial) != keystore.passphrase_for("ca", ca.serial)
    monkeypatch.setenv(keystore.ENV_VAR, "another operator secret")
    with pytest.raises(SigningError, match="wrong passphrase"):
        keys.signer_for(key, "verifier")


def test_failed_verification_gets_a_notice_of_non_conformity(province, client):
    staffed = reg.Person.objects.values("organisation").annotate(n=Count("id")).filter(n__gte=2).values("organisation")
    failed = reg.CalibrationEvent.objects.filter(kind="verification", passed=False, performer__in=staffed).order_by("id").first()
    cert = issue(province, failed)
    assert cert.kind == Certificate.Kind.NON_CONFORMITY
    assert b"<dcc:conformity>fail</dcc:conformity>" in bytes(cert.xml)
    assert services.check_number(cert.number).valid
    html = client.get(f"/certificates/{cert.number}/").content.decode()
    assert "检定结果通知书" in html and "不符合" in html


# ------------------------------------------------------ calibration is not verification (issue 17)


def test_a_calibration_certificate_states_no_validity_and_is_signed_by_a_calibrator(province, client):
    from jiliang.certificates import render

    calibration = province.upstream
    assert calibration.kind == "calibration" and calibration.passed is None and calibration.valid_until is None
    cert = issue(province, calibration)  # the three slots as given to every certificate: verifier, checker, approver
    xml = bytes(cert.xml)
    assert cert.kind == Certificate.Kind.CALIBRATION
    assert b"jiliang_validUntil" not in xml and "有效期至".encode() not in xml and b"<dcc:conformity>" not in xml
    assert [s["role"] for s in cert.signers] == ["calibrator", "checker", "approver", "seal"]
    anchor = pki.load_certificate(keys.active_authority().cert_pem.encode())
    verdict = verify_dcc(xml, trust_anchors=[anchor], required_roles=("calibrator", "checker", "approver"))
    assert verdict.valid, verdict.reasons
    html = client.get(f"/certificates/{cert.number}/").content.decode()
    assert "校准证书" in html and "校准员" in html and "检定员" not in html and "有效期至" not in html
    view = render.certificate_view(cert, "https://example.invalid/check")
    assert view.date_line == f"校准日期 {calibration.performed_on.isoformat()}"  # what the PDF cover prints


def test_a_recalibration_date_asked_for_is_shown_as_such(province, client):
    from jiliang.certificates import render

    calibration = province.upstream
    calibration.recalibration_due = calibration.performed_on + dt.timedelta(days=365)
    calibration.save(update_fields=["recalibration_due"])
    cert = issue(province, calibration)
    due = calibration.recalibration_due.isoformat()
    assert f"建议复校日期 {due}".encode() in bytes(cert.xml) and b"jiliang_recalibrationDue" in bytes(cert.xml)
    html = client.get(f"/certificates/{cert.number}/").content.decode()
    assert "建议复校日期" in html and due in html and "有效期至" not in html
    assert render.certificate_view(cert, "").date_line.endswith(f"建议复校日期 {due}")


def test_a_notice_of_nonconformity_states_no_validity(province, client):
    from jiliang.certificates import render

    staffed = reg.Person.objects.values("organisation").annotate(n=Count("id")).filter(n__gte=2).values("organisation")
    failed = reg.CalibrationEvent.objects.filter(kind="verification", passed=False, performer__in=staffed).order_by("id").first()
    assert failed.valid_until is None
    cert = issue(province, failed)
    assert cert.kind == Certificate.Kind.NON_CONFORMITY and [s["role"] for s in cert.signers] == [
        "verifier",
        "checker",
        "approver",
        "seal",
    ]
    assert b"jiliang_validUntil" not in bytes(cert.xml) and "有效期至".encode() not in bytes(cert.xml)
    html = client.get(f"/certificates/{cert.number}/").content.decode()
    assert "检定结果通知书" in html and "检定员" in html and "有效期至" not in html
    assert render.certificate_view(cert, "").date_line == f"检定日期 {failed.performed_on.isoformat()}"


def test_a_verification_certificate_states_its_validity(pair, client):
    from jiliang.certificates import render

    _, working = pair
    until = working.event.valid_until.isoformat()
    assert f"有效期至 {until}".encode() in bytes(working.xml)
    assert render.certificate_view(working, "").date_line.endswith(f"有效期至 {until}")


def test_a_key_refusal_in_the_users_language(province):
    """The same refusal of a signing key in Chinese and in English."""
    from django.utils import translation

    performer = province.working.performer
    stranger = reg.Person.objects.exclude(organisation=performer).first()
    for language, expected in (
        ("zh-hans", f"person: {stranger.name} 不是 {performer.name} 的人员"),
        ("en", f"person: {stranger.name} is not on the staff of {performer.name}"),
    ):
        with translation.override(language), pytest.raises(keys.KeyInfrastructureError) as refused:
            keys.issue_signing_key(performer, person=stranger)
        assert str(refused.value) == expected
