"""Enveloped XAdES-BES signing of a DCC.

Each signature is appended as the last child of the root and covers the whole document
as it stands, including earlier signatures (the enveloped-signature transform removes
only the signature itself). So verifier, checker and approver sign in turn, and each later
signature also seals the earlier ones; verification checks signature *i* on the document
truncated after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from jiliang.core.dcc.crypto import DS_NS, suite
from jiliang.core.dcc.errors import SigningError
from jiliang.core.dcc.pki import SUITES, algorithm_of, load_certificate, load_certificates, load_private_key
from jiliang.core.dcc.schema import parse_xml


@dataclass(frozen=True)
class Signer:
    """Who signs: a private key, its certificate and the chain up to (not incl.) the root."""

    key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    algorithm: str = ""  # the signature suite; empty: the one of the key (ECDSA P-256 or SM2)
    role: str | None = None  # verifier | checker | approver | seal (XAdES ClaimedRole)

    def __post_init__(self):
        if not self.algorithm:
            object.__setattr__(self, "algorithm", SUITES[algorithm_of(self.key)])

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        cert_pem: bytes,
        passphrase: bytes | None = None,
        role: str | None = None,
        algorithm: str = "",
    ) -> Signer:
        certs = load_certificates(cert_pem) if b"-----BEGIN" in cert_pem else [load_certificate(cert_pem)]
        if not certs:
            raise SigningError("none found", field="certificate", code="signing_no_certificate")
        return cls(load_private_key(key_pem, passphrase), certs[0], tuple(certs[1:]), algorithm, role)


def sign_element(root: etree._Element, signer: Signer, signing_time: dt.datetime) -> etree._Element:
    """Append one XAdES-BES signature to ``root`` (in place) and return it."""
    if signing_time.tzinfo is None:
        raise SigningError("must carry a time zone", field="signing_time", code="signing_time_zone")
    cert = signer.certificate
    if not cert.not_valid_before_utc <= signing_time <= cert.not_valid_after_utc:
        raise SigningError(
            f"not valid at the signing time {signing_time.isoformat()} "
            f"(valid {cert.not_valid_before_utc.isoformat()} to {cert.not_valid_after_utc.isoformat()})",
            field="certificate",
            code="signing_certificate_expired",
            at=signing_time.isoformat(),
            start=cert.not_valid_before_utc.isoformat(),
            end=cert.not_valid_after_utc.isoformat(),
        )
    algorithm = suite(signer.algorithm)
    algorithm.check_key(signer.key, cert)
    index = len(root.findall(f"{{{DS_NS}}}Signature")) + 1
    signature_id = f"signature-{index}" + (f"-{signer.role}" if signer.role else "")
    return algorithm.sign_enveloped(root, signer.key, [cert, *signer.chain], signing_time, signer.role, signature_id)


def sign_dcc(document, signers: Signer | list[Signer], signing_time: dt.datetime) -> bytes:
    """Sign a DCC (bytes or element) by one signer or several in turn; returns the XML bytes."""
    tree = parse_xml(document)
    root = tree.getroot()
    for signer in signers if isinstance(signers, list) else [signers]:
        root = sign_element(root, signer, signing_time)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
