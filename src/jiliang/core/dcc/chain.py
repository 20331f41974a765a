"""X.509 path validation at a given moment (the signing time), against caller-given anchors.

Checked on each link: the issuer's name and signature, the validity window containing the
moment, CA basic constraints on issuers, key usage allowing signatures on the leaf
(SM2-with-SM3 signatures checked through ``sm2``). A
certificate that expired after the signature was made still validates at the signing time.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jiliang.core.dcc import sm2


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _ext(cert: x509.Certificate, ext_type):
    try:
        return cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return None


def _within(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def validate_chain(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    anchors: list[x509.Certificate],
    at: dt.datetime,
    max_depth: int = 8,
) -> tuple[list[x509.Certificate], list[str]]:
    """The path leaf → … → anchor and the problems found (empty when valid)."""
    if not anchors:
        return [leaf], ["no trust anchors given"]
    problems: list[str] = []
    usage = _ext(leaf, x509.KeyUsage)
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        problems.append(f"{leaf.subject.rfc4514_string()}: key usage does not allow signatures")
    anchor_ders = {_der(a) for a in anchors}
    pool = [*intermediates, *anchors]
    path = [leaf]
    current = leaf
    for _ in range(max_depth):
        if not _within(current, at):
            problems.append(
                f"{current.subject.rfc4514_string()}: not valid at {at.isoformat()} "
                f"(valid {current.not_valid_before_utc.isoformat()} to "
                f"{current.not_valid_after_utc.isoformat()})"
            )
        if _der(current) in anchor_ders:
            return path, problems
        issuer = None
        for candidate in pool:
            if candidate.subject != current.issuer or _der(candidate) == _der(current):
                continue
            if current.signature_algorithm_oid.dotted_string == sm2.SM2_WITH_SM3:
                if not sm2.signed_by(current, candidate):
                    continue
            else:
                try:
                    current.verify_directly_issued_by(candidate)
                except (ValueError, TypeError, Exception):  # wrong key or unsupported algorithm: try the next
                    continue
            issuer = candidate
            break
        if issuer is None:
            problems.append(
                f"{current.subject.rfc4514_string()}: issuer {current.issuer.rfc4514_string()} "
                "not found among the trust anchors or signature certificates"
            )
            return path, problems
        constraints = _ext(issuer, x509.BasicConstraints)
        if constraints is None or not constraints.ca:
            problems.append(f"{issuer.subject.rfc4514_string()}: not a CA certificate")
        path.append(issuer)
        current = issuer
    problems.append("certificate path too long")
    return path, problems
