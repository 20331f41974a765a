"""The certificate PDF as a PAdES signature (ETSI EN 319 142-1, baseline B-B), made once
when the certificate is issued, with the issuing institution's seal key, and stored.

Where the signature is made: at issue, not at download. A signature made per request would
date the document to the download and sign whatever host the request named; the PDF made at
issue is stored on the certificate (``Certificate.pdf``) and served as stored, byte for byte.
A certificate issued before PDFs were signed gets its PDF made and stored on first request
(its signing time is then that request's, which the check page shows). A revocation makes
the PDF again, with the revocation printed on it.

The QR code and the check URL printed on the PDF are the configured public address
(``JILIANG_PUBLIC_URL``), never the request's host.

SM2 deployments: pyHanko signs and validates PDFs with RSA, DSA, ECDSA (NIST/Brainpool curves)
and EdDSA, not SM2/SM3, and no maintained Python library makes GM/T 0031 (the SM2 electronic
seal format for PDF) signatures. The PDF of a certificate whose seal key is SM2 is therefore
not signed at the PDF level (``PdfSignature.UNSIGNED_SM2``); it carries the SM2-signed DCC XML
as an attachment, which prevails (the PDF says so on its foot), and the pages say it.
We write no PDF signing by hand: a PDF signature is only as good as the byte-range and
incremental-update handling of a library that validators test against.

Validation uses pyHanko's validator against the platform's trust anchors (every root CA,
replaced ones too), then the platform's own key-revocation rule (as for DCC signatures:
``keys.key_revocation_reason``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jiliang.audit.services import record
from jiliang.core.dcc import pki

from . import keys, keystore
from . import render as rendering
from .models import Algorithm, Certificate, PdfSignature, SigningKey

SIGNATURE_FIELD = "InstitutionSeal"
DEFAULT_PUBLIC_URL = "http://localhost:8000"


class PdfSignatureError(ValueError):
    """A PDF that cannot be read as a certificate PDF; the message names the reason."""


def public_check_url(number: str) -> str:
    """The public page of certificate ``number`` at the configured public address
    (``JILIANG_PUBLIC_URL``): what the PDF's QR code holds, whatever host served the request."""
    try:
        path = reverse("certificates:certificate", args=[number])
    except NoReverseMatch:  # pages not wired into this URLconf
        path = f"/certificates/{number}/"
    return (getattr(settings, "JILIANG_PUBLIC_URL", "") or DEFAULT_PUBLIC_URL).rstrip("/") + path


# ------------------------------------------------------------------------- signing


def _seal_key(cert: Certificate) -> SigningKey | None:
    """The institution's seal key to sign the PDF with: the one that sealed the DCC while it
    is active and valid, else the institution's usable key now; none for an imported DCC
    (the platform did not issue it)."""
    if cert.external:
        return None
    key = cert.signing_key
    if key is not None and key.status == SigningKey.Status.ACTIVE and key.valid_until > timezone.now():
        return key
    return keys.usable_key(cert.event.performer)


def _pyhanko_signer(key: SigningKey):
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    private = pki.load_private_key(key.key_pem.encode(), keystore.passphrase_for("signing", key.serial))
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    chain = [_asn1(key.cert_pem.encode()), _asn1(key.authority.cert_pem.encode())]
    return SimpleSigner(
        signing_cert=chain[0],
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def _asn1(pem: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pki.load_certificate(pem).public_bytes(serialization.Encoding.DER))


def sign_pdf(pdf: bytes, key: SigningKey, *, reason: str = "", location: str = "") -> bytes:
    """``pdf`` with a PAdES baseline B-B signature by ``key``, as an incremental update over
    the whole file: SubFilter ETSI.CAdES.detached, SHA-256, the signing certificate bound by
    the signed ESS signing-certificate-v2 attribute and the time in the signature
    dictionary's /M rather than a CMS signing-time attribute (EN 319 142-1 V1.1.1, 6.3,
    cited from memory: confirmed: false; pyHanko's PAdES mode does exactly this)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=key.organisation.name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = signers.PdfSigner(meta, signer=_pyhanko_signer(key)).sign_pdf(writer)
    return out.getvalue()


def make_pdf(cert: Certificate, *, actor=None) -> Certificate:
    """Render the certificate's PDF (public check URL, the signed DCC attached), sign it
    with the institution's seal key when its algorithm allows (see the module note), store it
    (on the audit ledger: the row changed, with the PDF's SHA-256)."""
    view = rendering.certificate_view(cert, public_check_url(cert.number))
    key = _seal_key(cert)
    if key is None:
        status = PdfSignature.UNSIGNED_EXTERNAL
    elif key.algorithm == Algorithm.SM2_SM3:
        status = PdfSignature.UNSIGNED_SM2
    else:
        status = PdfSignature.PADES
    view.pdf_note = rendering.PDF_NOTES[status]
    pdf = rendering.render_pdf(view, bytes(cert.xml))
    if status == PdfSignature.PADES:
        assert key is not None
        pdf = sign_pdf(pdf, key, reason=f"{view.title['zh']} {cert.number}", location=public_check_url(cert.number))
    cert.pdf = pdf
    cert.pdf_signature = status
    cert.pdf_key = key if status == PdfSignature.PADES else None
    cert.pdf_made_at = timezone.now()
    cert.save(update_fields=["pdf", "pdf_signature", "pdf_key", "pdf_made_at"])
    record(
        "update",
        cert,
        **({} if actor is None else {"actor": actor}),
        new={
            "pdf_signature": str(PdfSignature(status).value),
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "pdf_key": key.serial if key else None,
        },
        reason="certificate PDF made" + (" and PAdES-signed" if status == PdfSignature.PADES else ""),
    )
    return cert


def stored_pdf(cert: Certificate) -> bytes:
    """The certificate's PDF as stored; made and stored first for a certificate issued before."""
    if not cert.pdf:
        with transaction.atomic():  # two first requests at once: one makes it, the other reads it
            locked = Certificate.objects.select_for_update().get(pk=cert.pk)
            cert.pdf = locked.pdf if locked.pdf else make_pdf(locked).pdf
    return bytes(cert.pdf)


# ---------------------------------------------------------------------- validation


@dataclass
class PdfCheck:
    """The verdict on the signature of a certificate PDF. ``signed`` False: no PDF-level
    signature (an SM2 deployment's PDF, or an unsigned one); then only the attached DCC counts."""

    signed: bool
    intact: bool = False
    trusted: bool = False
    signer: str = ""
    key_serial: str = ""
    signing_time: dt.datetime | None = None
    whole_file: bool = False
    revoked: bool = False
    dcc: bytes | None = None  # the attached DCC XML
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file and not self.revoked

    def to_dict(self) -> dict:
        return {
            "signed": self.signed,
            "valid": self.valid,
            "intact": self.intact,
            "trusted": self.trusted,
            "signer": self.signer,
            "key_serial": self.key_serial,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "covers_whole_file": self.whole_file,
            "revoked": self.revoked,
        }


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def attached_dcc(reader) -> bytes | None:
    """The DCC XML attached to the PDF (the catalog's EmbeddedFiles name tree, PDF 1.7
    7.11.4), the first ``.xml`` file."""
    try:
        tree = reader.root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return None
    names = tree.get("/Names") or []
    for i in range(0, len(names) - 1, 2):
        if str(names[i]).lower().endswith(".xml"):
            return bytes(names[i + 1].get_object()["/EF"]["/F"].get_object().data)
    return None


def _validation_context():
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(a.public_bytes(serialization.Encoding.DER)) for a in keys.trust_anchors()]
    # Revocation: the platform's own rule is applied after (signing keys revoked in the
    # registry); the signing certificates name no CRL distribution point to fetch.
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def verify_pdf(pdf: bytes) -> PdfCheck:
    """Validate the PDF-level signature of a certificate PDF and read its attached DCC."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        dcc = attached_dcc(reader)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise PdfSignatureError(f"pdf: cannot read the PDF ({exc})") from None
    if not embedded:
        check = PdfCheck(signed=False, dcc=dcc)
        check.reasons.append("pdf: the PDF is not signed")
        return check
    sig = embedded[-1]  # the seal signature: the last one, covering the file as it was issued
    check = PdfCheck(signed=True, dcc=dcc)
    try:
        status = validate_pdf_signature(sig, _validation_context())
    except (PdfError, ValueError) as exc:  # pyHanko's SignatureValidationError is a ValueError
        check.reasons.append(f"pdf: malformed PDF signature ({exc})")
        return check
    check.intact = bool(status.intact and status.valid)
    check.trusted = bool(status.trusted)
    check.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    cert = status.signing_cert
    check.signer = cert.subject.human_friendly
    check.key_serial = f"{cert.serial_number:x}"
    check.signing_time = status.signer_reported_dt
    if not check.intact:
        check.reasons.append("pdf: the PDF was changed after it was signed")
    elif not check.trusted:
        check.reasons.append("pdf: the PDF signer is not trusted here")
    if check.intact and not check.whole_file:
        check.reasons.append("pdf: the PDF has content added after its signature")
    revoked = keys.key_revocation_reason(keys.revoked_keys(), check.key_serial, check.signer, check.signing_time)
    if revoked:
        check.revoked = True
        check.reasons.append(f"pdf: {revoked}")
    return check
