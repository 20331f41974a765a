"""The key infrastructure as use cases: the platform root CA, each institution's signing
key (issue, rotate, revoke) and the published revocation list.

A key revoked for compromise makes every signature by it untrustworthy (whoever holds the
key can claim any signing time); a key revoked for another reason, or rotated, keeps the
signatures made before that moment valid.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from django.db import transaction
from django.utils import timezone

from jiliang.audit.services import record
from jiliang.core.dcc import pki
from jiliang.core.dcc.sign import Signer
from jiliang.registry.models import Organisation

from . import keystore
from .models import Certificate, CertificateAuthority, RevocationList, SigningKey, crl_serial_of

CA_NAME = "Jiliang Root CA"
CA_VALID_DAYS = 7305  # 20 years
SIGNING_VALID_DAYS = 1095  # 3 years
CRL_VALID_DAYS = 7


class KeyInfrastructureError(ValueError):
    """A key operation that cannot be done; the message names the field and the reason."""


def _serial(cert: x509.Certificate) -> str:
    return f"{cert.serial_number:x}"


# ------------------------------------------------------------------------ root CA


def active_authority() -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(active=True).first()
    if ca is None:
        raise KeyInfrastructureError("certificate authority: none initialised (run `jiliang certificate ca init`)")
    return ca


@transaction.atomic
def init_authority(name: str = CA_NAME, *, now: dt.datetime | None = None, replace: bool = False) -> CertificateAuthority:
    """Create the platform root CA; an existing one is kept unless ``replace``."""
    existing = CertificateAuthority.objects.filter(active=True).first()
    if existing is not None and not replace:
        return existing
    now = now or timezone.now()
    key = pki.generate_private_key()
    made = pki.create_root_ca(
        name, organisation="Jiliang", not_before=now - dt.timedelta(minutes=5), valid_days=CA_VALID_DAYS, key=key
    )
    cert = pki.load_certificate(made.cert_pem)
    serial = _serial(cert)
    if existing is not None:
        existing.active = False
        existing.save(update_fields=["active"])
    ca = CertificateAuthority.objects.create(
        name=name,
        cert_pem=made.cert_pem.decode(),
        serial=serial,
        key_pem=pki.serialize_private_key(key, keystore.passphrase_for("ca", serial)).decode(),
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
    )
    publish_crl(ca, now=now)
    return ca


def ca_material(ca: CertificateAuthority) -> tuple[pki.KeyAndCertificate, bytes]:
    return pki.KeyAndCertificate(ca.key_pem.encode(), ca.cert_pem.encode()), keystore.passphrase_for("ca", ca.serial)


def trust_anchors() -> list[x509.Certificate]:
    """Every platform CA certificate, including replaced ones: old certificates stay checkable."""
    return [pki.load_certificate(pem.encode()) for pem in CertificateAuthority.objects.values_list("cert_pem", flat=True)]


# ------------------------------------------------------------------- signing keys


def active_key(organisation: Organisation) -> SigningKey:
    key = SigningKey.objects.filter(organisation=organisation, status=SigningKey.Status.ACTIVE).first()
    if key is None:
        raise KeyInfrastructureError(f"signing key: {organisation.name} has no active signing key")
    return key


@transaction.atomic
def issue_signing_key(
    organisation: Organisation, *, now: dt.datetime | None = None, valid_days: int = SIGNING_VALID_DAYS
) -> SigningKey:
    """A new key and certificate for ``organisation``; refused while it has an active one."""
    if SigningKey.objects.filter(organisation=organisation, status=SigningKey.Status.ACTIVE).exists():
        raise KeyInfrastructureError(f"signing key: {organisation.name} already has an active key; rotate it instead")
    ca = active_authority()
    now = now or timezone.now()
    material, ca_pass = ca_material(ca)
    key = pki.generate_private_key()
    made = pki.issue_signing_certificate(
        material,
        # X.509 caps a common name at 64 (RFC 5280 ub-common-name; the library counts UTF-8 bytes):
        # a long name is cut, the credit code in the organisation field identifies.
        f"{organisation.name.encode()[:52].decode(errors='ignore')} DCC signing",
        organisation=organisation.credit_code,
        not_before=now - dt.timedelta(minutes=5),
        valid_days=valid_days,
        ca_passphrase=ca_pass,
        key=key,
    )
    cert = pki.load_certificate(made.cert_pem)
    serial = _serial(cert)
    signing_key = SigningKey.objects.create(
        organisation=organisation,
        authority=ca,
        cert_pem=made.cert_pem.decode(),
        serial=serial,
        key_pem=pki.serialize_private_key(key, keystore.passphrase_for("signing", serial)).decode(),
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
    )
    record("create", signing_key, new={"organisation": organisation.pk, "serial": serial, "valid_until": signing_key.valid_until})
    return signing_key


@transaction.atomic
def rotate_signing_key(organisation: Organisation, *, now: dt.datetime | None = None, note: str = "") -> SigningKey:
    """Retire the active key (its past signatures stay valid) and issue a new one."""
    old = SigningKey.objects.select_for_update().filter(organisation=organisation, status=SigningKey.Status.ACTIVE).first()
    if old is not None:
        old.status = SigningKey.Status.ROTATED
        old.note = note or "rotated"
        old.save(update_fields=["status", "note"])
        record("status_change", old, old={"status": "active"}, new={"status": "rotated"}, reason=note or "key rotation")
    return issue_signing_key(organisation, now=now)


@transaction.atomic
def revoke_signing_key(
    key: SigningKey, reason: str = SigningKey.Reason.KEY_COMPROMISE, *, note: str = "", now: dt.datetime | None = None
) -> SigningKey:
    if reason not in SigningKey.Reason.values:
        raise KeyInfrastructureError(f"reason: {reason!r} is not one of {', '.join(SigningKey.Reason.values)}")
    reason = str(SigningKey.Reason(reason).value)
    if key.status == SigningKey.Status.REVOKED:
        raise KeyInfrastructureError(f"signing key: {key.serial} is already revoked")
    previous = key.status
    key.status = SigningKey.Status.REVOKED
    key.revoked_at = now or timezone.now()
    key.reason = reason
    key.note = note
    key.save(update_fields=["status", "revoked_at", "reason", "note"])
    record("revoke", key, old={"status": previous}, new={"status": "revoked", "reason": reason}, reason=note or reason)
    publish_crl(key.authority, now=key.revoked_at)
    return key


def signer_for(key: SigningKey, role: str | None) -> Signer:
    """The key decrypted for signing (never stored decrypted)."""
    return Signer.from_pem(
        key.key_pem.encode(), key.cert_pem.encode(), passphrase=keystore.passphrase_for("signing", key.serial), role=role
    )


# -------------------------------------------------------------- revocation list


@transaction.atomic
def publish_crl(ca: CertificateAuthority | None = None, *, now: dt.datetime | None = None) -> RevocationList:
    """Regenerate the CA's CRL: revoked signing keys and revoked certificates."""
    ca = ca or active_authority()
    now = now or timezone.now()
    revoked: dict[int, dt.datetime] = {}
    for serial, when in SigningKey.objects.filter(authority=ca, status=SigningKey.Status.REVOKED).values_list(
        "serial", "revoked_at"
    ):
        revoked[int(serial, 16)] = when
    for digest, when in Certificate.objects.filter(status=Certificate.Status.REVOKED).values_list("sha256", "revoked_at"):
        revoked[crl_serial_of(digest)] = when
    material, ca_pass = ca_material(ca)
    pem = pki.create_crl(
        material, revoked, this_update=now, next_update=now + dt.timedelta(days=CRL_VALID_DAYS), ca_passphrase=ca_pass
    )
    last = RevocationList.objects.filter(authority=ca).order_by("-number").values_list("number", flat=True).first() or 0
    crl = RevocationList.objects.create(
        authority=ca, number=last + 1, crl_pem=pem.decode(), this_update=now, next_update=now + dt.timedelta(days=CRL_VALID_DAYS)
    )
    record("create", crl, new={"number": crl.number, "entries": len(revoked)})
    return crl


def current_crl() -> RevocationList:
    ca = active_authority()
    crl = RevocationList.objects.filter(authority=ca).order_by("-number").first()
    return crl if crl is not None else publish_crl(ca)


# ------------------------------------------------------- revocation at verification


def revoked_keys() -> dict[str, tuple[dt.datetime, str]]:
    """Revoked signing keys: hex serial -> (revoked_at, reason)."""
    return {
        s: (when, reason)
        for s, when, reason in SigningKey.objects.filter(status=SigningKey.Status.REVOKED).values_list(
            "serial", "revoked_at", "reason"
        )
    }


def key_revocation_reason(
    revoked: dict[str, tuple[dt.datetime, str]], serial: str | None, signer: str | None, signing_time: dt.datetime | None
) -> str | None:
    """Why a signature by the key ``serial`` made at ``signing_time`` is revoked, or None."""
    hit = revoked.get(serial or "")
    if hit is None:
        return None
    when, reason = hit
    if reason == SigningKey.Reason.KEY_COMPROMISE or signing_time is None or signing_time >= when:
        return f"signing key {serial} ({signer}) was revoked on {when.isoformat()} ({reason})"
    return None
