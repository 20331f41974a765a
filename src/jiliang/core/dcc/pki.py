"""Key infrastructure primitives: pure functions on bytes (PEM / DER).

The platform holds a root CA; each institution (and each signing person) gets a signing key
and an X.509 certificate issued by it; private keys travel and rest encrypted (PKCS#8);
revoked certificates are listed in a CRL. Storage and rotation policy belong to the
certificates app; these functions only make and read the objects.

Two key algorithms: ``ecdsa-p256`` (ECDSA P-256 with SHA-256, through ``cryptography``) and
``sm2-sm3`` (SM2 with SM3, GB/T 32918 / GB/T 32905; certificates signed sm2sign-with-sm3
1.2.156.10197.1.501 as GB/T 20518-2018 and GM/T 0015 lay out, built in ``der`` and signed in
``sm2`` because ``cryptography`` cannot). A CA issues certificates of its own algorithm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jiliang.core.dcc import der, sm2
from jiliang.core.dcc.errors import SigningError

ECDSA_P256 = "ecdsa-p256"
SM2_SM3 = "sm2-sm3"
ALGORITHMS = (ECDSA_P256, SM2_SM3)
# The XML signature suite (crypto.py) each key algorithm signs DCCs with.
SUITES = {ECDSA_P256: "ecdsa-p256-sha256", SM2_SM3: "sm2-sm3"}


@dataclass(frozen=True)
class KeyAndCertificate:
    key_pem: bytes  # PKCS#8, encrypted when a passphrase was given
    cert_pem: bytes


def _name(common_name: str, organisation: str | None, country: str | None) -> x509.Name:
    attrs = []
    if country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def check_algorithm(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise SigningError(
            f"{algorithm!r} is not one of {', '.join(ALGORITHMS)}",
            field="algorithm",
            code="one_of",
            got=repr(algorithm),
            options=", ".join(ALGORITHMS),
        )
    return algorithm


def generate_private_key(algorithm: str = ECDSA_P256):
    if check_algorithm(algorithm) == SM2_SM3:
        return sm2.generate_private_key()
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key_or_cert) -> str:
    """The key algorithm of a private key, public key or certificate."""
    if isinstance(key_or_cert, (sm2.Sm2PrivateKey, sm2.Sm2PublicKey)):
        return SM2_SM3
    if isinstance(key_or_cert, x509.Certificate) and sm2.is_sm2_certificate(key_or_cert):
        return SM2_SM3
    return ECDSA_P256


def serialize_private_key(key, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM; encrypted with the best available scheme when a passphrase is given."""
    if isinstance(key, sm2.Sm2PrivateKey):
        return sm2.private_key_pem(key, passphrase)
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key(pem: bytes, passphrase: bytes | None = None):
    try:
        return serialization.load_pem_private_key(pem, password=passphrase)
    except UnsupportedAlgorithm:  # an SM2 key: cryptography knows no SM2 curve
        return sm2.load_private_key_pem(pem, passphrase)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        raise SigningError(str(exc), field="private key", code="signing_private_key_passphrase", detail=str(exc)) from None
    except ValueError:
        raise SigningError(
            "cannot decrypt or parse it (wrong passphrase?)", field="private key", code="signing_private_key_unreadable"
        ) from None


def load_certificate(pem_or_der: bytes) -> x509.Certificate:
    try:
        if pem_or_der.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(pem_or_der)
        return x509.load_der_x509_certificate(pem_or_der)
    except ValueError as exc:
        raise SigningError(f"cannot parse it ({exc})", field="certificate", code="signing_unparsable", detail=str(exc)) from None


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise SigningError(
            f"cannot parse it ({exc})", field="certificate bundle", code="signing_unparsable", detail=str(exc)
        ) from None


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ski(public_key):
    if isinstance(public_key, sm2.Sm2PublicKey):
        # RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey bits.
        digest = hashes.Hash(hashes.SHA1())
        digest.update(public_key.point)
        return x509.SubjectKeyIdentifier(digest.finalize())
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def _issuer_key_id(cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier(ski.digest, None, None)


def _sm2_signed(tbs: bytes, ca_key: sm2.Sm2PrivateKey) -> bytes:
    """A certificate or CRL: the TBS, the algorithm sm2sign-with-sm3 (no parameters, as
    GB/T 35276-2017 §6 gives it) and the SM2 signature as a BIT STRING (RFC 5280 4.1.1)."""
    return der.sequence(tbs, der.algorithm(sm2.SM2_WITH_SM3), der.bit_string(ca_key.sign(tbs)))


def _sm2_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: sm2.Sm2PublicKey,
    ca_key: sm2.Sm2PrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """An X.509 v3 certificate for an SM2 key, signed sm2sign-with-sm3 (RFC 5280 4.1)."""
    encoded = [
        der.sequence(
            der.oid(value.oid.dotted_string), *([der.boolean(True)] if critical else []), der.octet_string(value.public_bytes())
        )
        for value, critical in extensions
    ]
    tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(x509.random_serial_number()),
        der.algorithm(sm2.SM2_WITH_SM3),
        issuer.public_bytes(),
        der.sequence(der.time(not_before), der.time(not_after)),
        subject.public_bytes(),
        public_key.spki_der(),
        der.explicit(3, der.sequence(*encoded)),
    )
    return x509.load_der_x509_certificate(_sm2_signed(tbs, ca_key))


_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
_SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def create_root_ca(
    common_name: str,
    *,
    organisation: str | None = None,
    country: str | None = "CN",
    not_before: dt.datetime,
    valid_days: int = 7305,
    passphrase: bytes | None = None,
    key=None,
    algorithm: str = ECDSA_P256,
) -> KeyAndCertificate:
    """A self-signed root CA (P-256 or SM2), path length 1: root -> signing certificates."""
    key = key or generate_private_key(algorithm)
    name = _name(common_name, organisation, country)
    if isinstance(key, sm2.Sm2PrivateKey):
        cert = _sm2_certificate(
            subject=name,
            issuer=name,
            public_key=key.public,
            ca_key=key,
            not_before=not_before,
            not_after=not_before + dt.timedelta(days=valid_days),
            extensions=[(x509.BasicConstraints(ca=True, path_length=1), True), (_CA_USAGE, True), (_ski(key.public), False)],
        )
        return KeyAndCertificate(serialize_private_key(key, passphrase), certificate_pem(cert))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .add_extension(_ski(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyAndCertificate(serialize_private_key(key, passphrase), certificate_pem(cert))


def issue_signing_certificate(
    ca: KeyAndCertificate,
    common_name: str,
    *,
    organisation: str | None = None,
    country: str | None = "CN",
    not_before: dt.datetime,
    valid_days: int = 1095,
    ca_passphrase: bytes | None = None,
    passphrase: bytes | None = None,
    key=None,
) -> KeyAndCertificate:
    """A document-signing key and certificate (an institution's seal or a signing person's),
    issued by the CA, of the CA's algorithm."""
    ca_key = load_private_key(ca.key_pem, ca_passphrase)
    ca_cert = load_certificate(ca.cert_pem)
    key = key or generate_private_key(algorithm_of(ca_key))
    if algorithm_of(key) != algorithm_of(ca_key):
        raise SigningError(
            f"a {algorithm_of(ca_key)} CA issues {algorithm_of(ca_key)} certificates, not {algorithm_of(key)}",
            field="key",
            code="signing_ca_algorithm",
            ca=algorithm_of(ca_key),
            got=algorithm_of(key),
        )
    if isinstance(key, sm2.Sm2PrivateKey):
        cert = _sm2_certificate(
            subject=_name(common_name, organisation, country),
            issuer=ca_cert.subject,
            public_key=key.public,
            ca_key=ca_key,
            not_before=not_before,
            not_after=not_before + dt.timedelta(days=valid_days),
            extensions=[
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (_SIGNING_USAGE, True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
                (_ski(key.public), False),
                (_issuer_key_id(ca_cert), False),
            ],
        )
        return KeyAndCertificate(serialize_private_key(key, passphrase), certificate_pem(cert))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation, country))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SIGNING_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(_ski(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return KeyAndCertificate(serialize_private_key(key, passphrase), certificate_pem(cert))


def create_crl(
    ca: KeyAndCertificate,
    revoked: dict[int, dt.datetime],
    *,
    this_update: dt.datetime,
    next_update: dt.datetime,
    ca_passphrase: bytes | None = None,
) -> bytes:
    """A CRL (PEM) signed by the CA listing revoked serial numbers with their revocation times."""
    ca_key = load_private_key(ca.key_pem, ca_passphrase)
    ca_cert = load_certificate(ca.cert_pem)
    if isinstance(ca_key, sm2.Sm2PrivateKey):
        entries = [der.sequence(der.integer(serial), der.time(when)) for serial, when in sorted(revoked.items())]
        tbs = der.sequence(
            der.integer(1),  # v2 (RFC 5280 5.1.2.1)
            der.algorithm(sm2.SM2_WITH_SM3),
            ca_cert.subject.public_bytes(),
            der.time(this_update),
            der.time(next_update),
            *([der.sequence(*entries)] if entries else []),
        )
        crl_der = _sm2_signed(tbs, ca_key)
        x509.load_der_x509_crl(crl_der)  # parses back, or raises
        return sm2.pem("X509 CRL", crl_der)
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject).last_update(this_update).next_update(next_update)
    )
    for serial, when in sorted(revoked.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)


def revoked_serials(crl_pem: bytes, issuer_cert_pem: bytes) -> dict[int, dt.datetime]:
    """Serials and revocation times from a CRL, after checking the issuer's signature on it."""
    try:
        crl = x509.load_pem_x509_crl(crl_pem)
    except ValueError as exc:
        raise SigningError(f"cannot parse it ({exc})", field="CRL", code="signing_unparsable", detail=str(exc)) from None
    issuer = load_certificate(issuer_cert_pem)
    if sm2.is_sm2_certificate(issuer):
        valid = sm2.signed_by(crl, issuer)
    else:
        try:
            valid = crl.is_signature_valid(issuer.public_key())
        except (TypeError, ValueError):
            valid = False
    if crl.issuer != issuer.subject or not valid:
        raise SigningError("not signed by the given issuer", field="CRL", code="signing_crl_issuer")
    return {r.serial_number: r.revocation_date_utc for r in crl}
