"""The certificate PDF as a PAdES signature (ETSI EN 319 142-1 baseline B-B) made once at
issue with the institution's seal key: it validates with pyHanko against the platform root
(and, where OpenSSL is installed, as a CMS signature checked by OpenSSL), a changed byte
fails, the served PDF is the stored one with the configured public check URL, and an SM2
deployment's PDF is not signed at the PDF level but carries the SM2-signed DCC (pades.py)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from jiliang.certificates import keys, pades, services
from jiliang.certificates.models import Certificate, PdfSignature
from jiliang.certificates.reasons import localise
from jiliang.cli import main
from jiliang.core.dcc import pki

from .helpers import embedded_files, pdf_streams

pytestmark = pytest.mark.django_db

PUBLIC = "https://jl.example.gov.cn"


def _issue(province, event) -> Certificate:
    return services.issue_certificate(event, province.signers(event))


def _pages(pdf: bytes) -> bytes:
    return b"".join(data for head, data in pdf_streams(pdf) if b"EmbeddedFile" not in head)


def _cid(text: str) -> bytes:
    """``text`` as reportlab writes it in a CID (CJK) font's string: UTF-16BE, escaped (PDF 1.7 7.3.4.2)."""
    out = b""
    for byte in text.encode("utf-16-be"):
        char = bytes([byte])
        out += b"\\" + char if char in b"()\\" else char if 32 <= byte < 127 else b"\\%03o" % byte
    return out


def _flip(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """One same-length change inside the signed byte range (the original file's Info)."""
    assert len(old) == len(new) and old in pdf, old
    return pdf.replace(old, new, 1)


@pytest.fixture
def issued(province, settings):
    settings.JILIANG_PUBLIC_URL = PUBLIC
    return _issue(province, province.working)


def test_the_issued_pdf_is_pades_signed_by_the_institution_seal_and_validates_against_the_platform_root(issued, tmp_path, capsys):
    cert = Certificate.objects.get(pk=issued.pk)
    assert cert.pdf_signature == PdfSignature.PADES and cert.pdf_key == cert.signing_key
    pdf = bytes(cert.pdf)
    assert b"/SubFilter /ETSI.CAdES.detached" in pdf  # PAdES baseline (EN 319 142-1 5.3)

    # pyHanko's validator with the platform root as the only trust root, independent of pades.verify_pdf.
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    anchor = pki.load_certificate(keys.active_authority().cert_pem.encode())
    root = asn1_x509.Certificate.load(anchor.public_bytes(serialization.Encoding.DER))
    (sig,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert f"{status.signing_cert.serial_number:x}" == cert.signing_key.serial  # the institution's seal key
    assert status.signing_cert.subject.native["organization_name"] == cert.event.performer.credit_code

    # The page serves the stored bytes (made at issue, not per request), on any host.
    response = Client(HTTP_HOST="localhost").get(f"/certificates/{cert.number}/pdf/")
    assert response.status_code == 200 and response.content == pdf
    assert embedded_files(pdf) == [bytes(cert.xml)]
    pages = _pages(pdf)
    assert f"({PUBLIC}/certificates/{cert.number}/)".encode() in pages and b"localhost" not in pages

    check = pades.verify_pdf(pdf)
    assert check.valid and check.key_serial == cert.signing_key.serial and check.dcc == bytes(cert.xml)
    result = services.verify_uploaded(pdf)
    assert result.valid and result.pdf is not None and result.pdf.valid, result.reasons
    assert result.to_dict()["pdf"]["signed"] is True

    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    assert main(["certificate", "verify-pdf", str(path)]) == 0
    out = capsys.readouterr().out
    assert "VALID" in out and "PDF signature" in out and cert.signing_key.serial in out


def test_a_changed_byte_or_an_unsigned_copy_fails(issued, province):
    pdf = bytes(issued.pdf)
    changed = _flip(pdf, b"/Producer (ReportLab", b"/Producer (ReportLaB")
    check = pades.verify_pdf(changed)
    assert check.signed and not check.intact and not check.valid
    result = services.verify_uploaded(changed)
    assert not result.valid and "pdf: the PDF was changed after it was signed" in result.reasons
    with translation.override("zh-hans"):
        assert "PDF：签名后 PDF 已被改动" in [localise(r) for r in result.reasons]

    # Content added after the signature (an incremental update) is not covered by it.
    appended = pdf + b"\n1 0 obj\n<< /Producer (x) >>\nendobj\n"
    assert not services.verify_uploaded(appended).valid

    # The same pages unsigned: the certificate was issued as a signed PDF, so a copy without it fails.
    from jiliang.certificates import render

    view = render.certificate_view(issued, pades.public_check_url(issued.number))
    unsigned = render.render_pdf(view, bytes(issued.xml))
    result = services.verify_uploaded(unsigned)
    assert not result.valid and result.pdf is not None and not result.pdf.signed
    assert f"pdf: certificate {issued.number} was issued as a signed PDF; this copy is not signed" in result.reasons

    # The public check page takes the PDF as it takes a DCC.
    upload = SimpleUploadedFile("c.pdf", changed, content_type="application/pdf")
    page = Client().post("/certificates/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "签名后 PDF 已被改动" in page.content.decode()


def test_revocation_remakes_the_pdf_and_its_check_fails(issued):
    cert = services.revoke_certificate(issued, "wrong instrument")
    pdf = bytes(Certificate.objects.get(pk=cert.pk).pdf)
    assert _cid("已撤销 REVOKED") in _pages(pdf)
    check = pades.verify_pdf(pdf)
    assert check.valid  # the signature holds; the certificate it carries is revoked
    assert not services.verify_uploaded(pdf).valid


def test_a_certificate_issued_before_gets_its_pdf_made_and_stored_on_first_request(issued):
    Certificate.objects.filter(pk=issued.pk).update(pdf=b"", pdf_signature="", pdf_key=None, pdf_made_at=None)
    first = Client().get(f"/certificates/{issued.number}/pdf/").content
    stored = Certificate.objects.get(pk=issued.pk)
    assert stored.pdf_signature == PdfSignature.PADES and bytes(stored.pdf) == first
    assert Client().get(f"/api/certificates/{issued.number}/pdf/").content == first  # not signed again
    assert pades.verify_pdf(first).valid


@pytest.mark.skipif(shutil.which("openssl") is None, reason="OpenSSL not installed")
def test_openssl_verifies_the_extracted_cms_over_the_signed_byte_ranges(issued, tmp_path):
    """An independent check: the CMS SignedData in /Contents, over the /ByteRange bytes,
    verified by OpenSSL against the platform root (RFC 5652, ISO 32000-1 12.8.1)."""
    pdf = bytes(issued.pdf)
    a, b, c, d = map(int, re.search(rb"/ByteRange \[\s*(\d+) (\d+) (\d+) (\d+)\s*\]", pdf).groups())
    signed = pdf[a : a + b] + pdf[c : c + d]
    contents = bytes.fromhex(pdf[a + b + 1 : c - 1].decode())
    (tmp_path / "data").write_bytes(signed)
    (tmp_path / "sig.der").write_bytes(contents)
    (tmp_path / "root.pem").write_text(keys.active_authority().cert_pem)
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content", "data"]
    ok = subprocess.run(
        [*command, "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"], cwd=tmp_path, capture_output=True
    )
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "data").write_bytes(signed.replace(b"ReportLab", b"ReportLaB", 1))
    bad = subprocess.run(
        [*command, "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"], cwd=tmp_path, capture_output=True
    )
    assert bad.returncode != 0


def test_an_sm2_deployment_leaves_the_pdf_unsigned_with_the_sm2_signed_dcc_attached(province, settings):
    settings.JILIANG_SIGNATURE_ALGORITHM = "sm2-sm3"
    keys.init_authority(replace=True)
    cert = _issue(province, province.other)
    assert cert.signing_key.algorithm == "sm2-sm3"
    assert cert.pdf_signature == PdfSignature.UNSIGNED_SM2 and cert.pdf_key is None
    pdf = bytes(cert.pdf)
    assert b"/ByteRange" not in pdf and embedded_files(pdf) == [bytes(cert.xml)]
    assert _cid("PDF not signed (SM2): the attached DCC prevails") in _pages(pdf)
    result = services.verify_uploaded(pdf)
    assert result.valid and result.pdf is not None and not result.pdf.signed, result.reasons  # the DCC decides
    page = Client().get(f"/certificates/{cert.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "this deployment signs with SM2" in page
