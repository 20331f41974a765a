"""The 计量标准考核证书 as a signed document: a small XML record of the certificate (number,
standard, holder, authority, validity), sealed with the assessing administration's key
from the platform CA by the same enveloped XAdES signing as the DCCs (core.dcc.sign), and
checked against the same trust anchors and revocation list (certificates.keys). It is not
a DCC (no calibration results), so it is checked without the DCC schema; the registry
record is compared field by field instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone
from lxml import etree

from jiliang.certificates import keys
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.schema import parse_xml
from jiliang.core.dcc.sign import sign_dcc
from jiliang.core.dcc.verify import verify_dcc

NS = "urn:jiliang:measurement-standard-certificate:1"
SEAL = "seal"
FIELDS = ("number", "standard", "holder", "holderCreditCode", "authority", "issuedOn", "validFrom", "validUntil")


def _values(cert) -> dict[str, str]:
    return {
        "number": cert.number,
        "standard": cert.standard.name,
        "holder": cert.standard.holder.name,
        "holderCreditCode": cert.standard.holder.credit_code,
        "authority": cert.authority.name,
        "issuedOn": cert.issued_on.isoformat(),
        "validFrom": cert.valid_from.isoformat(),
        "validUntil": cert.valid_until.isoformat(),
    }


def build(cert) -> etree._Element:
    root = etree.Element(f"{{{NS}}}measurementStandardCertificate", nsmap={None: NS})
    for name, value in _values(cert).items():
        etree.SubElement(root, f"{{{NS}}}{name}").text = value
    return root


def sign(cert, now: dt.datetime | None = None) -> tuple[bytes, str]:
    """The signed XML and the serial of the seal key (the authority's, issued on first use)."""
    now = now or timezone.now()
    key = keys.usable_key(cert.authority, now=now)
    xml = sign_dcc(build(cert), [keys.signer_for(key, SEAL)], now)
    return xml, key.serial


def read(xml: bytes) -> dict[str, str]:
    root = parse_xml(xml).getroot()
    return {name: (root.findtext(f"{{{NS}}}{name}") or "") for name in FIELDS}


def check(cert) -> dict:
    """The verdict on a stored certificate: signature and chain (platform anchors, revoked
    keys), the document unchanged, its fields those of the record, and the record in force."""
    xml = bytes(cert.xml)
    reasons = []
    verdict = verify_dcc(xml, trust_anchors=keys.trust_anchors(), check_schema=False, required_roles=(SEAL,))
    reasons.extend(verdict.reasons)
    revoked = keys.revoked_keys()
    for sig in verdict.signatures:
        when = dt.datetime.fromisoformat(sig.signing_time) if sig.signing_time else None
        why = keys.key_revocation_reason(revoked, sig.serial, sig.signer, when)
        if why:
            reasons.append(f"signature {sig.index}: revoked: {why}")
    if hashlib.sha256(xml).hexdigest() != cert.sha256:
        # The shapes of certificates.reasons, which words them in the page's language.
        reasons.append(f"record: the document is not the one issued as {cert.number} (SHA-256 differs from the registry's)")
    try:
        differing = [name for name, value in read(xml).items() if value != _values(cert)[name]]
    except DccError as exc:
        differing, reasons = [], [*reasons, f"record: cannot read the document ({exc})"]
    if differing:
        reasons.append(f"record: {', '.join(differing)} differ from the registry's")
    today = timezone.localdate()
    in_force = cert.status == cert.Status.ISSUED and cert.valid_from <= today <= cert.valid_until
    return {
        "number": cert.number,
        "signature_valid": verdict.signature_valid and verdict.chain_valid and not any("revoked" in r for r in reasons),
        "record_match": not differing and hashlib.sha256(xml).hexdigest() == cert.sha256,
        "in_force": in_force,
        "valid": not reasons and in_force,
        "status": cert.status,
        "reasons": reasons,
        "signed_by": [s.signer for s in verdict.signatures],
    }
