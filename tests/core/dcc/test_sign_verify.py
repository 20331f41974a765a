"""XAdES-BES signing and verification, the PKI primitives, and the tampering cases of issue 6."""

import datetime as dt

import pytest
from lxml import etree

from jiliang.core.dcc import pki
from jiliang.core.dcc.build import build_dcc, build_element
from jiliang.core.dcc.errors import SigningError
from jiliang.core.dcc.sample import sample_record
from jiliang.core.dcc.schema import validate_schema
from jiliang.core.dcc.sign import Signer, sign_dcc
from jiliang.core.dcc.verify import MISMATCH, verify_dcc

from .conftest import DATA, SIGNING_TIME, UTC

PTB_SIGNED = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"
PTB_ROOT = DATA / "certs" / "calibration-community-root-ca-01.crt"
PTB_SUB = DATA / "certs" / "calibration-community-sub-ca-01.crt"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _signer(p, name="inst", passphrase=b"inst-pw", role=None):
    return Signer.from_pem(p[name].key_pem, p[name].cert_pem, passphrase=passphrase, role=role)


@pytest.fixture(scope="module")
def signed(jiliang_pki):
    return sign_dcc(build_dcc(sample_record(5)), _signer(jiliang_pki), SIGNING_TIME)


@pytest.fixture(scope="module")
def triple(jiliang_pki):
    signers = [_signer(jiliang_pki, role=r) for r in ("verifier", "checker", "approver")]
    return sign_dcc(build_element(sample_record(5)), signers, SIGNING_TIME)


# --- PTB's signed example (XAdES-BES, ECDSA P-256, SigningTime 2023-03-27T15:14:30Z) ---


def test_ptb_signed_example_verifies_at_its_signing_time():
    anchors = [pki.load_certificate(PTB_ROOT.read_bytes())]
    verdict = verify_dcc(
        PTB_SIGNED.read_bytes(), trust_anchors=anchors, intermediates=[pki.load_certificate(PTB_SUB.read_bytes())]
    )
    assert verdict.valid, verdict.reasons
    (sig,) = verdict.signatures
    assert sig.signing_time == "2023-03-27T15:14:30+00:00"
    assert sig.signer == "CN=Calibration Lab A1,O=Calibration A GmbH,C=DE"
    assert verdict.schema_note == "document declares DCC 3.2.0; validated against the DCC 3.2.0 XSD (D-SI 2.1.0)"


def test_ptb_signer_is_expired_today_so_checking_now_fails():
    # The leaf expired 2024-12-02 (LICENSE-NOTES.md): only the signing time makes it checkable.
    anchors = [pki.load_certificate(PTB_ROOT.read_bytes()), pki.load_certificate(PTB_SUB.read_bytes())]
    verdict = verify_dcc(PTB_SIGNED.read_bytes(), trust_anchors=anchors, at=dt.datetime(2025, 6, 1, tzinfo=UTC))
    assert not verdict.chain_valid
    assert any("Calibration Lab A1" in r and "not valid at 2025-06-01" in r for r in verdict.reasons)


def test_ptb_example_with_one_changed_digit_does_not_match():
    data = PTB_SIGNED.read_bytes()
    changed = data.replace(b"<si:valueXMLList>0.072", b"<si:valueXMLList>0.073", 1)
    assert changed != data
    anchors = [pki.load_certificate(PTB_ROOT.read_bytes()), pki.load_certificate(PTB_SUB.read_bytes())]
    verdict = verify_dcc(changed, trust_anchors=anchors)
    assert not verdict.valid and not verdict.signature_valid
    assert any(MISMATCH in r for r in verdict.reasons)


def test_ptb_example_without_its_ca_is_untrusted():
    verdict = verify_dcc(PTB_SIGNED.read_bytes())
    assert verdict.signature_valid and not verdict.chain_valid and not verdict.valid
    assert any("no trust anchors" in r for r in verdict.reasons)


# --- Jiliang's own signatures ---


def test_signed_document_is_schema_valid_and_verifies(signed, jiliang_pki):
    assert validate_schema(signed).valid
    root = etree.fromstring(signed)
    assert root[-1].tag == f"{DS}Signature"  # the signature is the last element
    verdict = verify_dcc(signed, trust_anchors=[jiliang_pki["anchor"]], expected_identifier="JL-ZJ-2026-000123")
    assert verdict.valid, verdict.reasons
    assert verdict.signatures[0].signing_time == SIGNING_TIME.isoformat()
    assert verdict.to_dict()["record_match"] is True


def test_signature_carries_signing_time_and_signing_certificate(signed):
    text = signed.decode()
    assert "<xades:SigningTime>2026-11-23T09:00:00Z</xades:SigningTime>" in text
    assert "xades:SigningCertificateV2" in text
    assert 'Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"' in text


def test_three_signatures_verify_each_with_its_role(triple, jiliang_pki):
    assert validate_schema(triple).valid
    verdict = verify_dcc(triple, trust_anchors=[jiliang_pki["anchor"]])
    assert verdict.valid, verdict.reasons
    assert [s.role for s in verdict.signatures] == ["verifier", "checker", "approver"]


def test_removing_the_last_of_three_signatures_leaves_a_valid_two(triple, jiliang_pki):
    # Earlier signatures do not depend on later ones; the approver's seal is what's missing.
    root = etree.fromstring(triple)
    root.remove(root.findall(f"{DS}Signature")[-1])
    verdict = verify_dcc(etree.tostring(root), trust_anchors=[jiliang_pki["anchor"]])
    assert verdict.valid and [s.role for s in verdict.signatures] == ["verifier", "checker"]


def test_changing_an_earlier_signature_breaks_the_later_ones(triple, jiliang_pki):
    changed = triple.replace(
        b"<xades:ClaimedRole>verifier</xades:ClaimedRole>", b"<xades:ClaimedRole>approver</xades:ClaimedRole>", 1
    )
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]])
    assert [s.signature_valid for s in verdict.signatures] == [False, False, False]


# --- the tampering cases of issue 6 ---


def test_changed_value(signed, jiliang_pki):
    changed = signed.replace(b"<si:value>0.1</si:value>", b"<si:value>0.2</si:value>", 1)
    assert changed != signed
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]])
    assert not verdict.valid and not verdict.signature_valid
    assert verdict.schema_valid and verdict.chain_valid
    assert any(MISMATCH in r for r in verdict.reasons)


def test_one_changed_byte_in_a_measured_value(signed, jiliang_pki):
    start = signed.index(b"<si:value>-0.0008</si:value>") + len(b"<si:value>-0.000")
    changed = signed[:start] + b"9" + signed[start + 1 :]
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]])
    assert verdict.reasons == [r for r in verdict.reasons if r.startswith("signature 1: " + MISMATCH)]
    assert verdict.reasons


def test_changed_unit(signed, jiliang_pki):
    changed = signed.replace(b"<si:unit>\\mega\\pascal</si:unit>", b"<si:unit>\\kilo\\pascal</si:unit>", 1)
    assert changed != signed
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]])
    assert not verdict.valid and any(MISMATCH in r for r in verdict.reasons)


def test_removed_signature(signed, jiliang_pki):
    root = etree.fromstring(signed)
    root.remove(root.find(f"{DS}Signature"))
    verdict = verify_dcc(etree.tostring(root), trust_anchors=[jiliang_pki["anchor"]])
    assert verdict.schema_valid and not verdict.valid
    assert verdict.reasons == ["signature: the document is not signed"]


def test_signature_by_a_revoked_key(signed, jiliang_pki):
    leaf = pki.load_certificate(jiliang_pki["inst"].cert_pem)
    crl = pki.create_crl(
        jiliang_pki["ca"],
        {leaf.serial_number: dt.datetime(2026, 6, 1, tzinfo=UTC)},
        this_update=dt.datetime(2026, 6, 1, tzinfo=UTC),
        next_update=dt.datetime(2026, 12, 1, tzinfo=UTC),
        ca_passphrase=b"root-pw",
    )
    revoked = pki.revoked_serials(crl, jiliang_pki["ca"].cert_pem)
    verdict = verify_dcc(signed, trust_anchors=[jiliang_pki["anchor"]], revoked=set(revoked))
    assert verdict.signature_valid and verdict.chain_valid and verdict.revoked and not verdict.valid
    assert any(f"serial {leaf.serial_number:x}) is revoked" in r for r in verdict.reasons)
    # The same through a callable, and by hex serial.
    verdict = verify_dcc(
        signed,
        trust_anchors=[jiliang_pki["anchor"]],
        revoked=lambda c: "key compromised" if c.serial_number == leaf.serial_number else None,
    )
    assert verdict.revoked and any("key compromised" in r for r in verdict.reasons)
    assert verify_dcc(signed, trust_anchors=[jiliang_pki["anchor"]], revoked={f"{leaf.serial_number:x}"}).revoked
    assert not verify_dcc(signed, trust_anchors=[jiliang_pki["anchor"]], revoked={12345}).revoked


def test_certificate_swapped_to_another_record(signed, jiliang_pki):
    verdict = verify_dcc(signed, trust_anchors=[jiliang_pki["anchor"]], expected_identifier="JL-ZJ-2026-000999")
    assert verdict.signature_valid and not verdict.valid and verdict.identifier_matches is False
    assert any("'JL-ZJ-2026-000123' does not match the expected 'JL-ZJ-2026-000999'" in r for r in verdict.reasons)


def test_identifier_changed_inside_a_signed_document(signed, jiliang_pki):
    changed = signed.replace(b"JL-ZJ-2026-000123", b"JL-ZJ-2026-000999")
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]], expected_identifier="JL-ZJ-2026-000999")
    assert verdict.identifier_matches and not verdict.signature_valid


def test_signer_outside_the_trusted_pki(signed):
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    rogue = pki.create_root_ca("Rogue CA", not_before=t0)
    verdict = verify_dcc(signed, trust_anchors=[pki.load_certificate(rogue.cert_pem)])
    assert verdict.signature_valid and not verdict.chain_valid
    assert any("not found among the trust anchors" in r for r in verdict.reasons)


def test_signature_by_another_key_claiming_the_same_certificate(jiliang_pki):
    # A key that is not the certificate's: refused when signing...
    other = pki.load_private_key(jiliang_pki["other"].key_pem)
    cert = pki.load_certificate(jiliang_pki["inst"].cert_pem)
    with pytest.raises(SigningError, match="does not belong to the signing certificate"):
        sign_dcc(build_dcc(sample_record(1)), Signer(other, cert), SIGNING_TIME)


def test_signing_outside_the_certificate_validity_is_refused(jiliang_pki):
    with pytest.raises(SigningError, match="not valid at the signing time"):
        sign_dcc(build_dcc(sample_record(1)), _signer(jiliang_pki), dt.datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(SigningError, match="time zone"):
        sign_dcc(build_dcc(sample_record(1)), _signer(jiliang_pki), dt.datetime(2026, 11, 1))


# --- PKI primitives ---


def test_keys_are_stored_encrypted(jiliang_pki):
    pem = jiliang_pki["inst"].key_pem
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(SigningError, match="wrong passphrase"):
        pki.load_private_key(pem, b"not-it")
    with pytest.raises(SigningError, match="private key"):
        pki.load_private_key(pem, None)


def test_issued_certificate_chains_to_the_root(jiliang_pki):
    from cryptography import x509

    leaf = pki.load_certificate(jiliang_pki["inst"].cert_pem)
    root = jiliang_pki["anchor"]
    leaf.verify_directly_issued_by(root)
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_crl_signed_by_someone_else_is_rejected(jiliang_pki):
    t = dt.datetime(2026, 6, 1, tzinfo=UTC)
    rogue = pki.create_root_ca("Jiliang Test Root CA", organisation="Jiliang", not_before=dt.datetime(2026, 1, 1, tzinfo=UTC))
    crl = pki.create_crl(rogue, {1: t}, this_update=t, next_update=t + dt.timedelta(days=30))
    with pytest.raises(SigningError, match="not signed by the given issuer"):
        pki.revoked_serials(crl, jiliang_pki["ca"].cert_pem)


def test_required_roles(triple, jiliang_pki):
    anchors = [jiliang_pki["anchor"]]
    assert verify_dcc(triple, trust_anchors=anchors, required_roles=["verifier", "checker", "approver"]).valid
    root = etree.fromstring(triple)
    root.remove(root.findall(f"{DS}Signature")[-1])
    verdict = verify_dcc(etree.tostring(root), trust_anchors=anchors, required_roles=["verifier", "checker", "approver"])
    assert not verdict.valid and verdict.reasons == ["signature: no valid signature by the approver"]


@pytest.mark.parametrize(
    "old, new",
    [
        (b"<ds:X509Certificate>MII", b"<ds:X509Certificate>!!!"),
        (
            b'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>',
            b'<ds:SignatureMethod Algorithm="urn:unknown"/>',
        ),
        (b"<xades:SigningTime>2026-11-23T09:00:00Z", b"<xades:SigningTime>yesterday"),
        (b'<ds:Reference URI=""', b'<ds:Reference URI="#elsewhere"'),
    ],
)
def test_malformed_signatures_are_invalid_not_crashes(signed, jiliang_pki, old, new):
    changed = signed.replace(old, new, 1)
    assert changed != signed
    verdict = verify_dcc(changed, trust_anchors=[jiliang_pki["anchor"]])
    assert not verdict.valid and verdict.reasons


def test_a_decoy_signing_time_outside_the_signed_properties_is_ignored(signed, jiliang_pki):
    # A forged, unsigned SignedProperties placed first must not supply the signing time.
    root = etree.fromstring(signed)
    sig = root.find(f"{DS}Signature")
    xades = "{http://uri.etsi.org/01903/v1.3.2#}"
    obj = sig.find(f"{DS}Object")
    decoy = etree.fromstring(etree.tostring(obj.find(f".//{xades}SignedProperties")))
    decoy.set("Id", "decoy")
    decoy.find(f".//{xades}SigningTime").text = "2040-01-01T00:00:00Z"
    obj.insert(0, decoy)
    verdict = verify_dcc(etree.tostring(root), trust_anchors=[jiliang_pki["anchor"]])
    assert verdict.valid, verdict.reasons
    assert verdict.signatures[0].signing_time == SIGNING_TIME.isoformat()
