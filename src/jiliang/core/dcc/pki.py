"""Key infrastructure primitives: pure functions on bytes (PEM / DER), via ``cryptography``.

The platform holds a root CA; each institution gets a signing key and an X.509 certificate
issued by it; private keys travel and rest encrypted (PKCS#8, BestAvailableEncryption);
revoked certificates are listed in a CRL. Storage and rotation policy belong to the
certificates app; these functions only make and read the objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jiliang.core.dcc.errors import SigningError


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


def generate_private_key():
    return ec.generate_private_key(ec.SECP256R1())


def serialize_private_key(key, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM; encrypted with the best available scheme when a passphrase is given."""
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key(pem: bytes, passphrase: bytes | None = None):
    try:
        return serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        raise SigningError(f"private key: {exc}") from None
    except ValueError:
        raise SigningError("private key: cannot decrypt or parse it (wrong passphrase?)") from None


def load_certificate(pem_or_der: bytes) -> x509.Certificate:
    try:
        if pem_or_der.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(pem_or_der)
        return x509.load_der_x509_certificate(pem_or_der)
    except ValueError as exc:
        raise SigningError(f"certificate: cannot parse it ({exc})") from None


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise SigningError(f"certificate bundle: cannot parse it ({exc})") from None


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ski(public_key):
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def create_root_ca(
    common_name: str,
    *,
    organisation: str | None = None,
    country: str | None = "CN",
    not_before: dt.datetime,
    valid_days: int = 7305,
    passphrase: bytes | None = None,
    key=None,
) -> KeyAndCertificate:
    """A self-signed root CA (P-256), path length 1: root -> institution signing certificates."""
    key = key or generate_private_key()
    name = _name(common_name, organisation, country)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
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
    """An institution's document-signing key and certificate, issued by the CA."""
    ca_key = load_private_key(ca.key_pem, ca_passphrase)
    ca_cert = load_certificate(ca.cert_pem)
    key = key or generate_private_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation, country))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
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
        raise SigningError(f"CRL: cannot parse it ({exc})") from None
    issuer = load_certificate(issuer_cert_pem)
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
        raise SigningError("CRL: not signed by the given issuer")
    return {r.serial_number: r.revocation_date_utc for r in crl}
