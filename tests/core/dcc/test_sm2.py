"""SM2/SM3 signatures on DCCs: signed by the project, checked by the project and, independently,
by the system OpenSSL 3 (its own SM2, SM3 and X.509 code)."""

import base64
import datetime as dt
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from jiliang.core.dcc import pki, sm2
from jiliang.core.dcc.build import build_element
from jiliang.core.dcc.crypto import SM2_SM3_URI, SM3_URI
from jiliang.core.dcc.errors import SigningError
from jiliang.core.dcc.sample import sample_record
from jiliang.core.dcc.sign import Signer, sign_dcc
from jiliang.core.dcc.verify import MISMATCH, verify_dcc

from .conftest import SIGNING_TIME, UTC

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS}
ROLES = ("verifier", "checker", "approver")
DISTID = "distid:1234567812345678"  # GB/T 35276-2017 §10 default; OpenSSL 3.0 applies none by itself


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listed = subprocess.run(["openssl", "list", "-signature-algorithms"], capture_output=True, text=True)
    digests = subprocess.run(["openssl", "list", "-digest-algorithms"], capture_output=True, text=True)
    return listed.returncode == 0 and "SM2" in listed.stdout and "SM3" in digests.stdout


needs_openssl_sm2 = pytest.mark.skipif(not _openssl_has_sm2(), reason="the openssl binary has no SM2/SM3")


@pytest.fixture(scope="module")
def sm2_pki():
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    ca = pki.create_root_ca("Jiliang SM2 Root CA", organisation="Jiliang", not_before=t0, passphrase=b"root", algorithm="sm2-sm3")
    people = {
        role: pki.issue_signing_certificate(ca, name, organisation="ZJIM", not_before=t0, ca_passphrase=b"root", passphrase=b"p")
        for role, name in zip(ROLES, ("检定员 张三", "核验员 李四", "批准人 王五"))
    }
    seal = pki.issue_signing_certificate(ca, "ZJIM seal", organisation="ZJIM", not_before=t0, ca_passphrase=b"root")
    return {"ca": ca, "people": people, "seal": seal, "anchor": pki.load_certificate(ca.cert_pem)}


@pytest.fixture(scope="module")
def signed(sm2_pki):
    signers = [Signer.from_pem(sm2_pki["people"][r].key_pem, sm2_pki["people"][r].cert_pem, b"p", role=r) for r in ROLES]
    signers.append(Signer.from_pem(sm2_pki["seal"].key_pem, sm2_pki["seal"].cert_pem, role="seal"))
    return sign_dcc(build_element(sample_record(3)), signers, SIGNING_TIME)


def test_sm2_dcc_names_the_sm2_and_sm3_algorithms_and_verifies(signed, sm2_pki):
    root = etree.fromstring(signed)
    methods = {n.get("Algorithm") for n in root.iterfind("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS)}
    digests = {n.get("Algorithm") for n in root.iterfind("ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)}
    assert methods == {SM2_SM3_URI} and digests == {SM3_URI}
    verdict = verify_dcc(signed, trust_anchors=[sm2_pki["anchor"]], required_roles=(*ROLES, "seal"))
    assert verdict.valid, verdict.reasons
    assert [s.role for s in verdict.signatures] == [*ROLES, "seal"]
    assert len({s.serial for s in verdict.signatures}) == 4  # each person and the seal with its own key


def test_sm2_tampered_value_is_detected(signed, sm2_pki):
    tampered = signed.replace(b"<si:value>", b"<si:value>1", 1)
    verdict = verify_dcc(tampered, trust_anchors=[sm2_pki["anchor"]])
    assert not verdict.valid and not verdict.signature_valid
    assert all(MISMATCH in r for s in verdict.signatures for r in s.reasons)


def test_sm2_signature_by_another_key_is_detected(signed, sm2_pki):
    root = etree.fromstring(signed)
    last = root.findall("ds:Signature", NS)[-1]
    info = etree.tostring(last.find("ds:SignedInfo", NS), method="c14n", exclusive=True)
    forged = sm2.generate_private_key().sign(info)
    last.find("ds:SignatureValue", NS).text = base64.b64encode(forged).decode()
    verdict = verify_dcc(etree.tostring(root), trust_anchors=[sm2_pki["anchor"]])
    assert not verdict.signatures[-1].signature_valid
    assert "SM2 signature verification failed" in " ".join(verdict.signatures[-1].reasons)


@pytest.mark.parametrize(
    "old, new, reason",
    [
        (SM3_URI.encode(), b"http://www.w3.org/2001/04/xmlenc#sha256", "not digested with SM3"),
        (b"2001/10/xml-exc-c14n#", b"TR/2001/REC-xml-c14n-20010315", "canonicalised by exclusive C14N"),
        (
            b'Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
            b'Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"',
            "unsupported transforms",
        ),
    ],
)
def test_sm2_signature_with_other_digests_or_transforms_is_refused(signed, sm2_pki, old, new, reason):
    head, last = signed.rsplit(b"<ds:Signature ", 1)
    verdict = verify_dcc(head + b"<ds:Signature " + last.replace(old, new, 1), trust_anchors=[sm2_pki["anchor"]])
    assert not verdict.signatures[-1].signature_valid
    assert reason in " ".join(verdict.signatures[-1].reasons)


def test_sm2_chain_to_another_root_is_untrusted(signed):
    stranger = pki.create_root_ca("Jiliang SM2 Root CA", organisation="Jiliang", not_before=SIGNING_TIME, algorithm="sm2-sm3")
    verdict = verify_dcc(signed, trust_anchors=[pki.load_certificate(stranger.cert_pem)])
    assert verdict.signature_valid and not verdict.chain_valid


def test_sm2_key_does_not_sign_with_a_certificate_of_another_key(sm2_pki):
    other = sm2.generate_private_key()
    cert = pki.load_certificate(sm2_pki["seal"].cert_pem)
    with pytest.raises(SigningError, match="does not belong"):
        sign_dcc(build_element(sample_record(1)), Signer(other, cert), SIGNING_TIME)


def test_sm2_crl_lists_revoked_serials_and_is_checked(sm2_pki):
    ca = sm2_pki["ca"]
    when = dt.datetime(2026, 2, 1, tzinfo=UTC)
    crl = pki.create_crl(ca, {12345: when}, this_update=when, next_update=when + dt.timedelta(days=7), ca_passphrase=b"root")
    assert pki.revoked_serials(crl, ca.cert_pem) == {12345: when}
    stranger = pki.create_root_ca("Jiliang SM2 Root CA", not_before=when, algorithm="sm2-sm3")
    with pytest.raises(SigningError, match="not signed by the given issuer"):
        pki.revoked_serials(crl, stranger.cert_pem)


# ------------------------------------------------------------ the independent check: OpenSSL


def _run(*args, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True)


def _openssl_checks_signature(tmp_path, sig, leaf_pem: bytes, signed_info: bytes) -> bool:
    (tmp_path / "leaf.pem").write_bytes(leaf_pem)
    pub = _run("x509", "-in", str(tmp_path / "leaf.pem"), "-pubkey", "-noout")
    assert pub.returncode == 0, pub.stderr
    (tmp_path / "pub.pem").write_bytes(pub.stdout)
    (tmp_path / "signed_info").write_bytes(signed_info)
    (tmp_path / "sig.der").write_bytes(base64.b64decode(sig.findtext("ds:SignatureValue", namespaces=NS)))
    result = _run(
        "dgst", "-sm3", "-verify", str(tmp_path / "pub.pem"), "-sigopt", DISTID,
        "-signature", str(tmp_path / "sig.der"), str(tmp_path / "signed_info"),
    )  # fmt: skip
    return result.returncode == 0 and b"Verified OK" in result.stdout


@needs_openssl_sm2
def test_openssl_verifies_every_sm2_signature_digest_and_certificate(signed, sm2_pki, tmp_path):
    root = etree.fromstring(signed)
    sigs = root.findall("ds:Signature", NS)
    (tmp_path / "root.pem").write_bytes(sm2_pki["ca"].cert_pem)
    for index, sig in enumerate(sigs):
        leaf_der = base64.b64decode(sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS))
        leaf_pem = pki.certificate_pem(pki.load_certificate(leaf_der))
        # 1. The SM2 signature over the canonical SignedInfo, by OpenSSL's SM2 with the default ID.
        signed_info = etree.tostring(sig.find("ds:SignedInfo", NS), method="c14n", exclusive=True)
        assert _openssl_checks_signature(tmp_path, sig, leaf_pem, signed_info), f"signature {index + 1}"
        # 2. The SM3 digest of the document as this signature covered it (later signatures and itself removed).
        work = etree.fromstring(signed)
        for later in work.findall("ds:Signature", NS)[index:]:
            work.remove(later)
        document = etree.tostring(work, method="c14n", exclusive=True)
        sm3 = _run("dgst", "-sm3", "-binary", data=document)
        reference = sig.find("ds:SignedInfo/ds:Reference[@URI='']", NS)
        assert base64.b64encode(sm3.stdout).decode() == reference.findtext("ds:DigestValue", namespaces=NS)
        # 3. The signer's certificate: SM2-with-SM3, issued by the root.
        checked = _run("verify", "-attime", str(int(SIGNING_TIME.timestamp())), "-vfyopt", DISTID,
                       "-CAfile", str(tmp_path / "root.pem"), str(tmp_path / "leaf.pem"))  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        text = _run("x509", "-in", str(tmp_path / "leaf.pem"), "-noout", "-text").stdout.decode()
        assert "SM2-with-SM3" in text


@needs_openssl_sm2
def test_openssl_detects_tampering_of_an_sm2_signed_dcc(signed, sm2_pki, tmp_path):
    root = etree.fromstring(signed)
    sig = root.findall("ds:Signature", NS)[0]
    leaf_der = base64.b64decode(sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS))
    leaf_pem = pki.certificate_pem(pki.load_certificate(leaf_der))
    signed_info = etree.tostring(sig.find("ds:SignedInfo", NS), method="c14n", exclusive=True)
    assert _openssl_checks_signature(tmp_path, sig, leaf_pem, signed_info)
    # A changed digest in SignedInfo (what a changed document needs to pass) fails OpenSSL's SM2 check.
    altered = signed_info.replace(b"<ds:DigestValue>", b"<ds:DigestValue>A", 1)
    assert not _openssl_checks_signature(tmp_path, sig, leaf_pem, altered)
    # A changed measured value no longer has the SM3 digest the signature covers.
    tampered = etree.fromstring(signed.replace(b"<si:value>", b"<si:value>1", 1))
    for s in tampered.findall("ds:Signature", NS):
        tampered.remove(s)
    sm3 = _run("dgst", "-sm3", "-binary", data=etree.tostring(tampered, method="c14n", exclusive=True))
    reference = sig.find("ds:SignedInfo/ds:Reference[@URI='']", NS)
    assert base64.b64encode(sm3.stdout).decode() != reference.findtext("ds:DigestValue", namespaces=NS)


@needs_openssl_sm2
def test_openssl_reads_the_encrypted_sm2_key_and_its_signature_verifies_here(sm2_pki, tmp_path):
    (tmp_path / "key.pem").write_bytes(sm2_pki["people"]["verifier"].key_pem)
    (tmp_path / "data").write_bytes(b"jiliang")
    made = _run("dgst", "-sm3", "-sign", str(tmp_path / "key.pem"), "-passin", "pass:p", "-sigopt", DISTID,
                "-out", str(tmp_path / "sig.der"), str(tmp_path / "data"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    cert = pki.load_certificate(sm2_pki["people"]["verifier"].cert_pem)
    assert sm2.public_key_of(cert).verify((tmp_path / "sig.der").read_bytes(), b"jiliang")
    assert not sm2.public_key_of(cert).verify((tmp_path / "sig.der").read_bytes(), b"jiliang!")


def test_ecdsa_certificates_are_unchanged(sm2_pki):
    ca = pki.create_root_ca("Jiliang Root CA", not_before=SIGNING_TIME)
    cert = pki.load_certificate(ca.cert_pem)
    assert cert.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.3.2"  # ecdsa-with-SHA256
    assert pki.algorithm_of(cert) == "ecdsa-p256"
    with pytest.raises(SigningError, match="issues ecdsa-p256 certificates"):
        pki.issue_signing_certificate(ca, "x", not_before=SIGNING_TIME, key=sm2.generate_private_key())
    assert b"BEGIN PUBLIC KEY" in cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
