"""Whom an instance trusts for each origin's records.

An origin enrolled here (``ProvinceStatus``) names its institution (credit code) and its
root CA certificates. Left empty, they fall back to this platform's own PKI: its root CAs
(``certificates.keys.trust_anchors``), its revocations, and any institution registered here
in that province (GB/T 2260: the region code's first two digits). That fallback is what a
federation under one national root CA, and the single-database development setup, use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509

from jiliang.certificates import keys
from jiliang.core.dcc import pki
from jiliang.registry.models import Organisation

from .models import NATIONAL, ProvinceStatus


@dataclass
class Origin:
    code: str
    anchors: list[x509.Certificate]
    platform_anchors: bool
    credit_code: str

    def revoked(self, serial: str, at: dt.datetime) -> str | None:
        """Why the key ``serial`` may not have signed at ``at`` (only this platform's own
        revocations are known here; another root's CRL is its own deployment's business)."""
        if not self.platform_anchors:
            return None
        return keys.key_revocation_reason(keys.revoked_keys(), serial, None, at)

    def signs(self, credit_code: str) -> bool:
        if not credit_code:
            return False
        if self.credit_code:
            return credit_code == self.credit_code
        if self.code == NATIONAL:
            return False  # the centre's institution is always named at enrolment
        region = Organisation.objects.filter(credit_code=credit_code).values_list("region__code", flat=True).first()
        return bool(region) and region.startswith(self.code)


def origin(code: str) -> Origin:
    from .records import RecordRefused

    status = ProvinceStatus.objects.filter(code=code).first()
    if status is None and code == NATIONAL:
        raise RecordRefused("federation.unknown_origin", "the national centre is not enrolled here (jiliang federation enrol)")
    if status is not None and status.anchors_pem.strip():
        try:
            anchors = pki.load_certificates(status.anchors_pem.encode("ascii"))
        except ValueError as exc:
            raise RecordRefused(
                "federation.untrusted_signer", f"the trust anchors enrolled for {code} are unreadable: {exc}"
            ) from None
        return Origin(code, anchors, False, status.institution_credit_code)
    return Origin(code, _platform_anchors(), True, status.institution_credit_code if status else "")


_parsed: dict[str, x509.Certificate] = {}


def _platform_anchors() -> list[x509.Certificate]:
    """This platform's root CAs (``keys.trust_anchors``), each PEM parsed once per process:
    a consumer verifies every record against them."""
    from jiliang.certificates.models import CertificateAuthority

    anchors = []
    for pem in CertificateAuthority.objects.values_list("cert_pem", flat=True):
        if pem not in _parsed:
            _parsed[pem] = pki.load_certificate(pem.encode())
        anchors.append(_parsed[pem])
    return anchors
