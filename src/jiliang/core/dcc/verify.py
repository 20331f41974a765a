"""Verification of a DCC: schema, signatures, signer chain at the signing time, revocation,
and the identifier the caller expects. The verdict says which, with reasons."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from jiliang.core.dcc.chain import validate_chain
from jiliang.core.dcc.crypto import DS_NS, XADES_NS, SignatureMismatch, digest, suite_for_method
from jiliang.core.dcc.errors import DccError, SchemaError, SigningError
from jiliang.core.dcc.schema import DCC_VERSION, SUPPORTED_VERSIONS, parse_xml, validate_schema

DCC_NS = "https://ptb.de/dcc"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
MISMATCH = "signature does not match"
SIGNED_PROPERTIES = "http://uri.etsi.org/01903#SignedProperties"

Revocation = Callable[[x509.Certificate], "bool | str | None"] | Collection


@dataclass
class SignatureVerdict:
    index: int
    signer: str | None = None
    serial: str | None = None
    role: str | None = None
    signing_time: str | None = None
    signature_valid: bool = False
    chain_valid: bool = False
    revoked: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signature_valid and self.chain_valid and not self.revoked


@dataclass
class Verdict:
    unique_identifier: str | None
    schema_valid: bool
    schema_errors: list[str]
    schema_note: str | None
    signatures: list[SignatureVerdict]
    identifier_matches: bool | None
    reasons: list[str]
    roles_complete: bool = True
    schema_version: str | None = None  # the DCC version whose XSD the document was checked against
    unsupported_version: str | None = None  # the version it declares when no XSD of it ships here

    @property
    def signature_valid(self) -> bool:
        return bool(self.signatures) and all(s.signature_valid for s in self.signatures)

    @property
    def chain_valid(self) -> bool:
        return bool(self.signatures) and all(s.chain_valid for s in self.signatures)

    @property
    def revoked(self) -> bool:
        return any(s.revoked for s in self.signatures)

    @property
    def valid(self) -> bool:
        return (
            self.schema_valid
            and self.signature_valid
            and self.chain_valid
            and not self.revoked
            and self.identifier_matches is not False
            and self.roles_complete
        )

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "unique_identifier": self.unique_identifier,
            "schema": {
                "valid": self.schema_valid,
                "errors": self.schema_errors,
                "note": self.schema_note,
                "version": self.schema_version,
                "unsupported_version": self.unsupported_version,
                "supported_versions": list(SUPPORTED_VERSIONS),
            },
            "signature": {"valid": self.signature_valid},
            "chain": {"valid": self.chain_valid},
            "revoked": self.revoked,
            "record_match": self.identifier_matches,
            "signatures": [asdict(s) | {"valid": s.valid} for s in self.signatures],
            "reasons": self.reasons,
        }


def _is_revoked(cert: x509.Certificate, revoked: Revocation | None) -> str | None:
    if revoked is None:
        return None
    if callable(revoked):
        answer = revoked(cert)
        if answer:
            return answer if isinstance(answer, str) else f"certificate serial {cert.serial_number:x} is revoked"
        return None
    keys = {
        cert.serial_number,
        f"{cert.serial_number:x}",
        f"{cert.serial_number:X}",
        str(cert.serial_number),
        cert.fingerprint(hashes.SHA256()).hex(),
    }
    if any(k in revoked for k in keys):
        return f"certificate {cert.subject.rfc4514_string()} (serial {cert.serial_number:x}) is revoked"
    return None


def _text(node, path: str, ns: dict) -> str | None:
    found = node.find(path, ns)
    return found.text.strip() if found is not None and found.text else None


_NS = {"ds": DS_NS, "xades": XADES_NS, "dcc": DCC_NS}


def _certs_of(sig) -> list[x509.Certificate]:
    certs = []
    for node in sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS):
        certs.append(x509.load_der_x509_certificate(base64.b64decode("".join(node.text.split()))))
    return certs


def _signed_properties(sig):
    """The xades:SignedProperties the signature's SignedInfo references (never a decoy copy)."""
    refs = [r for r in sig.findall("ds:SignedInfo/ds:Reference", _NS) if r.get("Type") == SIGNED_PROPERTIES]
    if len(refs) != 1 or not (refs[0].get("URI") or "").startswith("#"):
        return None
    found = sig.xpath(".//xades:SignedProperties[@Id=$id]", namespaces=_NS, id=refs[0].get("URI")[1:])
    return found[0] if len(found) == 1 else None


def _signing_cert(sig, certs: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate SigningCertificate(V2) names (first entry), else the first in KeyInfo."""
    digest_node = sig.find("xades:SignedSignatureProperties/xades:SigningCertificateV2/xades:Cert/xades:CertDigest", _NS)
    if digest_node is None:
        digest_node = sig.find("xades:SignedSignatureProperties/xades:SigningCertificate/xades:Cert/xades:CertDigest", _NS)
    if digest_node is not None:
        method = digest_node.find("ds:DigestMethod", _NS).get("Algorithm", "")
        value = base64.b64decode(_text(digest_node, "ds:DigestValue", _NS) or "")
        for cert in certs:
            if digest(method, cert.public_bytes(serialization.Encoding.DER)) == value:
                return cert
        return None
    return certs[0] if certs else None


def _covers_document(sig) -> bool:
    for ref in sig.findall("ds:SignedInfo/ds:Reference", _NS):
        if ref.get("URI") == "":
            algos = [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", _NS)]
            return ENVELOPED in algos and all(a == ENVELOPED or "c14n" in (a or "") for a in algos)
    return False


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _verify_signature(root, index: int, trust_anchors, intermediates, revoked, at_override) -> SignatureVerdict:
    sigs = root.findall("ds:Signature", _NS)
    sig = sigs[index]
    verdict = SignatureVerdict(index=index + 1)
    props = _signed_properties(sig)
    if props is None:
        verdict.reasons.append("signature: no (single) referenced xades:SignedProperties")
        return verdict
    verdict.role = _text(props, ".//xades:SignerRole/xades:ClaimedRoles/xades:ClaimedRole", _NS)
    signing_time = _parse_time(_text(props, "xades:SignedSignatureProperties/xades:SigningTime", _NS))
    verdict.signing_time = signing_time.isoformat() if signing_time else None
    try:
        certs = _certs_of(sig)
    except (ValueError, TypeError):
        verdict.reasons.append("signature: cannot read its certificates")
        return verdict
    leaf = _signing_cert(props, certs)
    if leaf is None:
        verdict.reasons.append("signature: signing certificate not found in KeyInfo")
        return verdict
    verdict.signer = leaf.subject.rfc4514_string()
    verdict.serial = f"{leaf.serial_number:x}"
    at = at_override or signing_time
    if at is None:
        verdict.reasons.append("signature: no XAdES SigningTime")
        return verdict
    if not _covers_document(sig):
        verdict.reasons.append('signature: does not cover the whole document (no enveloped reference URI="")')
    else:
        # The document as it was when this signature was made: later signatures removed.
        if index + 1 < len(sigs):
            work = copy.deepcopy(root)
            for later in work.findall("ds:Signature", _NS)[index + 1 :]:
                work.remove(later)
        else:
            work = root
        method = sig.find("ds:SignedInfo/ds:SignatureMethod", _NS)
        try:
            suite_for_method(method.get("Algorithm") if method is not None else "").verify_enveloped(work, leaf, at)
            verdict.signature_valid = True
        except SigningError as exc:
            verdict.reasons.append(str(exc))
        except SignatureMismatch as exc:
            verdict.reasons.append(f"{MISMATCH} ({exc})")
    path, problems = validate_chain(leaf, [*certs, *intermediates], list(trust_anchors), at)
    verdict.chain_valid = not problems
    verdict.reasons.extend(f"chain: {p}" for p in problems)
    for cert in path:
        reason = _is_revoked(cert, revoked)
        if reason:
            verdict.revoked = True
            verdict.reasons.append(f"revoked: {reason}")
    return verdict


def _checked_signature(root, index, trust_anchors, intermediates, revoked, at) -> SignatureVerdict:
    """A signature whose structure is broken is an invalid signature, never a crash."""
    try:
        return _verify_signature(root, index, trust_anchors, intermediates, revoked, at)
    except (ValueError, TypeError, AttributeError, KeyError, etree.LxmlError) as exc:
        return SignatureVerdict(index=index + 1, reasons=[f"malformed signature ({type(exc).__name__}: {exc})"])


def verify_dcc(
    document,
    *,
    trust_anchors: Collection[x509.Certificate] = (),
    intermediates: Collection[x509.Certificate] = (),
    revoked: Revocation | None = None,
    expected_identifier: str | None = None,
    at: dt.datetime | None = None,
    required_roles: Collection[str] = (),
    check_schema: bool = True,
) -> Verdict:
    """Verify a DCC (bytes or element).

    ``trust_anchors`` end the signer's path; ``intermediates`` help build it when the
    signature carries only the leaf. ``revoked`` is a set of serials (int or hex) / SHA-256
    fingerprints, or a callable(cert) returning a reason. ``expected_identifier`` is the
    unique identifier the caller's record holds (a swapped certificate fails it). ``at``
    overrides the signing time for the chain check. ``required_roles`` (e.g. verifier,
    checker, approver) must each have a valid signature.
    """
    try:
        tree = parse_xml(document)
    except DccError as exc:
        return Verdict(None, False, [str(exc)], None, [], None, [str(exc)])
    root = tree.getroot()
    reasons: list[str] = []
    schema_valid, schema_errors, note = True, [], None
    schema_version = unsupported = None
    if check_schema:
        # Each document against the XSD of the version it declares (schema.validate_schema);
        # an unsupported version is a schema failure that says so, never a crash.
        try:
            report = validate_schema(tree)
        except SchemaError as exc:
            schema_valid, schema_errors = False, [exc.reason]
            reasons.append(f"schema: {exc.reason}")
            if exc.code == "dcc_version_unsupported":
                unsupported = exc.params["version"]
        else:
            schema_valid, schema_errors, schema_version = report.valid, list(report.errors), report.version
            if report.version != DCC_VERSION:
                note = f"document declares DCC {report.version}; validated against the DCC {report.version} XSD (D-SI {report.dsi_version})"
            if not schema_valid:
                reasons.append(f"schema: not valid DCC {report.version}: " + "; ".join(schema_errors[:3]))
    identifier = _text(root, "dcc:administrativeData/dcc:coreData/dcc:uniqueIdentifier", _NS)
    matches = None
    if expected_identifier is not None:
        matches = identifier == expected_identifier
        if not matches:
            reasons.append(f"record: unique identifier {identifier!r} does not match the expected {expected_identifier!r}")
    n = len(root.findall("ds:Signature", _NS))
    if n == 0:
        reasons.append("signature: the document is not signed")
    signatures = [_checked_signature(root, i, trust_anchors, intermediates, revoked, at) for i in range(n)]
    for s in signatures:
        reasons.extend(f"signature {s.index}: {r}" for r in s.reasons)
    signed_roles = {s.role for s in signatures if s.valid}
    missing = [role for role in required_roles if role not in signed_roles]
    if missing:
        reasons.append(f"signature: no valid signature by the {', '.join(missing)}")
    roles_ok = not missing
    return Verdict(
        identifier, schema_valid, schema_errors, note, signatures, matches, reasons, roles_ok, schema_version, unsupported
    )
