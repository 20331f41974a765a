"""The key infrastructure as use cases: the platform root CA, the signing keys (issue,
rotate, revoke) and the published revocation list.

Each institution holds a seal key (its 印章, signing last, for the institution), and each
person who signs a certificate (检定员/核验员/批准人) holds a key of their own, so a DCC
carries each person's signature. The root's algorithm, ECDSA P-256 or SM2/SM3, is chosen
per deployment (``JILIANG_SIGNATURE_ALGORITHM``) when the root is made; every key it issues
is of its algorithm, and a key issued under a replaced root is rotated when next used.

A key revoked for compromise makes every signature by it untrustworthy (whoever holds the
key can claim any signing time); a key revoked for another reason, or rotated, keeps the
signatures made before that moment valid.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiliang import messages
from jiliang.audit.services import record
from jiliang.core.dcc import pki
from jiliang.core.dcc.errors import SigningError
from jiliang.core.dcc.sign import Signer
from jiliang.messages import enumeration
from jiliang.registry.models import Organisation, Person

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
        raise KeyInfrastructureError(
            "certificate authority: " + gettext("尚未建立根证书（请运行 `jiliang certificate ca init`）")
        )
    return ca


def deployment_algorithm() -> str:
    """The deployment's signature algorithm (``JILIANG_SIGNATURE_ALGORITHM``)."""
    algorithm = getattr(settings, "JILIANG_SIGNATURE_ALGORITHM", pki.ECDSA_P256)
    if algorithm not in pki.ALGORITHMS:
        raise KeyInfrastructureError(
            "JILIANG_SIGNATURE_ALGORITHM: "
            + gettext("%(got)r 不是 %(options)s 之一") % {"got": algorithm, "options": enumeration(pki.ALGORITHMS)}
        )
    return algorithm


@transaction.atomic
def init_authority(
    name: str = CA_NAME, *, now: dt.datetime | None = None, replace: bool = False, algorithm: str | None = None
) -> CertificateAuthority:
    """Create the platform root CA of ``algorithm`` (default: the deployment's); an existing one
    is kept unless ``replace`` (then it stays a trust anchor for what it signed)."""
    if algorithm is not None and algorithm not in pki.ALGORITHMS:
        raise KeyInfrastructureError(
            "algorithm: " + gettext("%(got)r 不是 %(options)s 之一") % {"got": algorithm, "options": enumeration(pki.ALGORITHMS)}
        )
    algorithm = algorithm or deployment_algorithm()
    existing = CertificateAuthority.objects.filter(active=True).first()
    if existing is not None and not replace:
        if existing.algorithm != algorithm:
            raise KeyInfrastructureError(
                "algorithm: "
                + gettext("现用根证书的算法为 %(active)s；要建立 %(wanted)s 根证书请加 --replace")
                % {"active": existing.algorithm, "wanted": algorithm}
            )
        return existing
    now = now or timezone.now()
    key = pki.generate_private_key(algorithm)
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
        algorithm=algorithm,
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


def _active(organisation: Organisation, person: Person | None):
    keys = SigningKey.objects.filter(organisation=organisation, status=SigningKey.Status.ACTIVE)
    return keys.filter(person=person) if person is not None else keys.filter(person__isnull=True)


def _holder(organisation: Organisation, person: Person | None) -> str:
    if person is None:
        return organisation.name
    return gettext("%(person)s（%(organisation)s）") % {"person": person.name, "organisation": organisation.name}


def active_key(organisation: Organisation, person: Person | None = None) -> SigningKey:
    """The active seal key of ``organisation``, or the active key of ``person`` when given."""
    key = _active(organisation, person).first()
    if key is None:
        raise KeyInfrastructureError(
            "signing key: " + gettext("%(holder)s 没有有效的签名密钥") % {"holder": _holder(organisation, person)}
        )
    return key


@transaction.atomic
def issue_signing_key(
    organisation: Organisation,
    *,
    person: Person | None = None,
    now: dt.datetime | None = None,
    valid_days: int = SIGNING_VALID_DAYS,
) -> SigningKey:
    """A new key and certificate, of the active root's algorithm, for ``organisation``'s seal or
    for ``person`` (of that organisation); refused while the holder has an active one."""
    if person is not None and person.organisation_id != organisation.pk:
        raise KeyInfrastructureError(
            "person: "
            + gettext("%(person)s 不是 %(institution)s 的人员") % {"person": person.name, "institution": organisation.name}
        )
    if _active(organisation, person).exists():
        raise KeyInfrastructureError(
            "signing key: " + gettext("%(holder)s 已有有效的密钥；请改为更换密钥") % {"holder": _holder(organisation, person)}
        )
    ca = active_authority()
    now = now or timezone.now()
    material, ca_pass = ca_material(ca)
    key = pki.generate_private_key(ca.algorithm)
    # X.509 caps a common name at 64 (RFC 5280 ub-common-name; the library counts UTF-8 bytes):
    # a long name is cut, the credit code in the organisation field identifies.
    name = person.name if person is not None else f"{organisation.name.encode()[:52].decode(errors='ignore')} DCC signing"
    common_name = name.encode()[:64].decode(errors="ignore")
    try:
        made = pki.issue_signing_certificate(
            material,
            common_name,
            organisation=organisation.credit_code,
            not_before=now - dt.timedelta(minutes=5),
            valid_days=valid_days,
            ca_passphrase=ca_pass,
            key=key,
        )
    except SigningError as exc:
        raise KeyInfrastructureError(messages.render(exc)) from None  # in the user's language
    cert = pki.load_certificate(made.cert_pem)
    serial = _serial(cert)
    signing_key = SigningKey.objects.create(
        organisation=organisation,
        person=person,
        authority=ca,
        algorithm=ca.algorithm,
        cert_pem=made.cert_pem.decode(),
        serial=serial,
        key_pem=pki.serialize_private_key(key, keystore.passphrase_for("signing", serial)).decode(),
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
    )
    record(
        "create",
        signing_key,
        new={
            "organisation": organisation.pk,
            "person": person.pk if person is not None else None,
            "algorithm": ca.algorithm,
            "serial": serial,
            "valid_until": signing_key.valid_until,
        },
    )
    return signing_key


@transaction.atomic
def rotate_signing_key(
    organisation: Organisation, *, person: Person | None = None, now: dt.datetime | None = None, note: str = ""
) -> SigningKey:
    """Retire the active key (its past signatures stay valid) and issue a new one."""
    old = _active(organisation, person).select_for_update().first()
    if old is not None:
        old.status = SigningKey.Status.ROTATED
        old.note = note or "rotated"
        old.save(update_fields=["status", "note"])
        record("status_change", old, old={"status": "active"}, new={"status": "rotated"}, reason=note or "key rotation")
    return issue_signing_key(organisation, person=person, now=now)


def usable_key(organisation: Organisation, *, person: Person | None = None, now: dt.datetime | None = None) -> SigningKey:
    """The key to sign with now: the active one, replaced first when it has expired or was
    issued under a root that is no longer the active one (e.g. the deployment moved to SM2),
    issued when there is none."""
    now = now or timezone.now()
    key = _active(organisation, person).first()
    if key is None:
        return issue_signing_key(organisation, person=person, now=now)
    if key.valid_until <= now:  # an expired signing certificate is replaced, not used
        return rotate_signing_key(organisation, person=person, now=now, note="expired")
    if key.authority_id != active_authority().pk:
        return rotate_signing_key(organisation, person=person, now=now, note="root CA replaced")
    return key


@transaction.atomic
def revoke_signing_key(
    key: SigningKey, reason: str = SigningKey.Reason.KEY_COMPROMISE, *, note: str = "", now: dt.datetime | None = None
) -> SigningKey:
    if reason not in SigningKey.Reason.values:
        raise KeyInfrastructureError(
            "reason: "
            + gettext("%(got)r 不是 %(options)s 之一") % {"got": reason, "options": enumeration(SigningKey.Reason.values)}
        )
    reason = str(SigningKey.Reason(reason).value)
    if key.status == SigningKey.Status.REVOKED:
        raise KeyInfrastructureError("signing key: " + gettext("%(serial)s 已撤销") % {"serial": key.serial})
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
