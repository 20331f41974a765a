"""SM2 keys and signatures with SM3 (GB/T 32918.2-2016 SM2 signature, GB/T 32905-2016 SM3),
in the data formats of GB/T 35276-2017 (SM2 密码算法使用规范): the signature is the DER
``SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }`` (§7.3), the signer's user ID, when
none is agreed, is the default "1234567812345678" (§10), the public key is the uncompressed
point 04||x||y (§7.1), and keys and certificates carry the OIDs of GB/T 33560-2017 (GM/T
0006): the curve sm2p256v1 1.2.156.10197.1.301, SM3 1.2.156.10197.1.401 and
sm2sign-with-sm3 1.2.156.10197.1.501.

The arithmetic is ``gmalg`` (pure Python, MIT, no native code). Why it: ``cryptography``
has SM3 but no SM2; ``gmssl`` (the most downloaded) draws the signing nonce k from
``random.choice``, which is not a cryptographic generator, so its signatures can leak the
key; ``gmalg`` draws it from ``secrets`` and is tested against the standard's example
values. It is slower than C (about 40 ms a signature), which is why ECDSA stays the default.
Private keys rest as PKCS#8 (RFC 5208) encrypted with PBES2 / PBKDF2-HMAC-SHA256 /
AES-256-CBC (RFC 8018), the form OpenSSL writes and reads, so an operator can take them out.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from dataclasses import dataclass, field

import gmalg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from jiliang.core.dcc import der
from jiliang.core.dcc.errors import SigningError

SM2_CURVE = "1.2.156.10197.1.301"
SM3 = "1.2.156.10197.1.401"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
DEFAULT_ID = b"1234567812345678"  # GB/T 35276-2017 §10: the user ID when none is agreed

_PBES2, _PBKDF2, _HMAC_SHA256, _AES256_CBC = (
    "1.2.840.113549.1.5.13",
    "1.2.840.113549.1.5.12",
    "1.2.840.113549.2.9",
    ("2.16.840.1.101.3.4.1.42"),
)
_PBKDF2_ROUNDS = 10_000  # the passphrases are 256-bit HKDF outputs (keystore): the count is not the defence


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


@dataclass(frozen=True)
class Sm2PublicKey:
    point: bytes  # 04 || x || y

    def __post_init__(self):
        if len(self.point) != 65 or self.point[0] != 4:
            raise SigningError(
                "expected an uncompressed point (65 bytes, 04||x||y)", field="SM2 public key", code="sm2_point_format"
            )
        try:
            valid = gmalg.SM2().verify_pk(self.point)
        except Exception:  # gmalg raises its own errors for points off the curve
            valid = False
        if not valid:
            raise SigningError("the point is not on the SM2 curve", field="SM2 public key", code="sm2_point_off_curve")

    def verify(self, signature: bytes, data: bytes, uid: bytes = DEFAULT_ID) -> bool:
        """Whether ``signature`` (DER SM2Signature) is this key's signature of ``data``."""
        try:
            tag, body, end = der.read(signature)
            items = der.children(body)
        except SigningError:
            return False
        if tag != der.SEQUENCE or end != len(signature) or len(items) != 2 or any(t != der.INTEGER for t, _ in items):
            return False
        r, s = (der.decode_integer(v) for _, v in items)
        if r <= 0 or s <= 0 or r.bit_length() > 256 or s.bit_length() > 256:
            return False
        return gmalg.SM2(pk=self.point, uid=uid).verify(data, r.to_bytes(32, "big"), s.to_bytes(32, "big"))

    def spki_der(self) -> bytes:
        """SubjectPublicKeyInfo (RFC 5480 form with the SM2 curve, GB/T 35276-2017 §7.1)."""
        return der.sequence(der.algorithm(EC_PUBLIC_KEY, der.oid(SM2_CURVE)), der.bit_string(self.point))

    def public_bytes_pem(self) -> bytes:
        return pem("PUBLIC KEY", self.spki_der())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sm2PublicKey) and other.point == self.point

    def __hash__(self) -> int:
        return hash(self.point)


@dataclass(frozen=True, repr=False)
class Sm2PrivateKey:
    secret: bytes = field(repr=False)  # d, 32 bytes
    public: Sm2PublicKey

    def public_key(self) -> Sm2PublicKey:
        return self.public

    def sign(self, data: bytes, uid: bytes = DEFAULT_ID) -> bytes:
        """The DER SM2Signature of SM3(Z_A || data) (GB/T 32918.2-2016 §6.1)."""
        r, s = gmalg.SM2(sk=self.secret, uid=uid, pk=self.public.point).sign(data)
        return der.sequence(der.integer(int.from_bytes(r, "big")), der.integer(int.from_bytes(s, "big")))

    def pkcs8_der(self) -> bytes:
        # ECPrivateKey (RFC 5915) inside PrivateKeyInfo (RFC 5208), the curve in the algorithm.
        ec_private = der.sequence(der.integer(1), der.octet_string(self.secret), der.tlv(0xA1, der.bit_string(self.public.point)))
        return der.sequence(der.integer(0), der.algorithm(EC_PUBLIC_KEY, der.oid(SM2_CURVE)), der.octet_string(ec_private))


def generate_private_key() -> Sm2PrivateKey:
    secret, point = gmalg.SM2().generate_keypair()
    return Sm2PrivateKey(secret.rjust(32, b"\x00"), Sm2PublicKey(point))


def pem(label: str, body: bytes) -> bytes:
    text = base64.encodebytes(body).decode().replace("\n", "")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def unpem(data: bytes) -> tuple[str, bytes]:
    match = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", data, re.S)
    if not match:
        raise SigningError("no PEM block found", field="PEM", code="pem_missing")
    try:
        return match.group(1).decode(), base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except ValueError:
        raise SigningError("the block is not base64", field="PEM", code="pem_not_base64") from None


def is_sm2_pem(data: bytes) -> bool:
    """Whether an unencrypted PEM private key or a public key is an SM2 key (its algorithm names the SM2 curve)."""
    try:
        label, body = unpem(data)
    except SigningError:
        return False
    return label in ("PRIVATE KEY", "PUBLIC KEY") and der.oid(SM2_CURVE) in body


def _pbes2_key(passphrase: bytes, salt: bytes, rounds: int) -> bytes:
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=rounds).derive(passphrase)


def private_key_pem(key: Sm2PrivateKey, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM, encrypted (PBES2, AES-256-CBC) when a passphrase is given."""
    plain = key.pkcs8_der()
    if not passphrase:
        return pem("PRIVATE KEY", plain)
    salt, iv = os.urandom(16), os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_pbes2_key(passphrase, salt, _PBKDF2_ROUNDS)), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    kdf = der.algorithm(
        _PBKDF2, der.sequence(der.octet_string(salt), der.integer(_PBKDF2_ROUNDS), der.algorithm(_HMAC_SHA256, der.null()))
    )
    scheme = der.algorithm(_PBES2, der.sequence(kdf, der.algorithm(_AES256_CBC, der.octet_string(iv))))
    return pem("ENCRYPTED PRIVATE KEY", der.sequence(scheme, der.octet_string(encrypted)))


def _decrypt_pkcs8(body: bytes, passphrase: bytes) -> bytes:
    ((_, outer),) = [der.read(body)[:2]]
    (_, scheme), (_, encrypted) = der.children(outer)
    (_, scheme_oid), (_, params) = der.children(scheme)
    if der.decode_oid(scheme_oid) != _PBES2:
        raise SigningError(
            "only PBES2 encryption is supported for SM2 keys",
            field="private key",
            code="sm2_encryption_unsupported",
            what="PBES2",
        )
    (_, kdf), (_, enc) = der.children(params)
    (_, kdf_oid), (_, kdf_params) = der.children(kdf)
    kdf_items = der.children(kdf_params)
    if der.decode_oid(kdf_oid) != _PBKDF2:
        raise SigningError("only PBKDF2 is supported", field="private key", code="sm2_encryption_unsupported", what="PBKDF2")
    salt, rounds = kdf_items[0][1], der.decode_integer(kdf_items[1][1])
    prf = [v for t, v in kdf_items[2:] if t == der.SEQUENCE]
    if prf and der.decode_oid(der.children(prf[0])[0][1]) != _HMAC_SHA256:
        raise SigningError(
            "only PBKDF2 with HMAC-SHA256 is supported",
            field="private key",
            code="sm2_encryption_unsupported",
            what="PBKDF2 (HMAC-SHA256)",
        )
    (_, enc_oid), (_, iv) = der.children(enc)
    if der.decode_oid(enc_oid) != _AES256_CBC:
        raise SigningError(
            "only AES-256-CBC is supported", field="private key", code="sm2_encryption_unsupported", what="AES-256-CBC"
        )
    decryptor = Cipher(algorithms.AES(_pbes2_key(passphrase, salt, rounds)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(encrypted) + decryptor.finalize()
    try:
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SigningError(
            "cannot decrypt or parse it (wrong passphrase?)", field="private key", code="signing_private_key_unreadable"
        ) from None


def load_private_key_pem(data: bytes, passphrase: bytes | None = None) -> Sm2PrivateKey:
    label, body = unpem(data)
    try:
        if label == "ENCRYPTED PRIVATE KEY":
            if not passphrase:
                raise SigningError(
                    "it is encrypted and no passphrase was given", field="private key", code="signing_passphrase_missing"
                )
            body = _decrypt_pkcs8(body, passphrase)
        elif label != "PRIVATE KEY":
            raise SigningError(f"a {label} is not a PKCS#8 private key", field="private key", code="sm2_not_pkcs8", label=label)
        elif passphrase:
            raise SigningError(
                "a passphrase was given for an unencrypted key", field="private key", code="signing_passphrase_unexpected"
            )
        ((_, info),) = [der.read(body)[:2]]
        items = der.children(info)
        (_, algorithm) = items[1]
        alg_items = der.children(algorithm)
        if der.decode_oid(alg_items[0][1]) != EC_PUBLIC_KEY or der.decode_oid(alg_items[1][1]) != SM2_CURVE:
            raise SigningError("not an SM2 key", field="private key", code="sm2_not_sm2_key")
        ec_items = der.children(der.read(items[2][1])[1])
        secret = ec_items[1][1].rjust(32, b"\x00")
    except (IndexError, ValueError):
        raise SigningError(
            "cannot decrypt or parse it (wrong passphrase?)", field="private key", code="signing_private_key_unreadable"
        ) from None
    if len(secret) != 32:
        raise SigningError("an SM2 secret is 32 bytes", field="private key", code="sm2_secret_length")
    point = gmalg.SM2().generate_pk(secret)
    return Sm2PrivateKey(secret, Sm2PublicKey(point))


def _public_from_spki(spki: bytes) -> Sm2PublicKey:
    try:
        (_, algorithm), (tag, bits) = der.children(spki)
        alg_items = der.children(algorithm)
        curve = der.decode_oid(alg_items[1][1]) if len(alg_items) > 1 and alg_items[1][0] == der.OID else None
    except (ValueError, IndexError):
        raise SigningError("cannot parse the SubjectPublicKeyInfo", field="SM2 public key", code="sm2_spki_unreadable") from None
    if der.decode_oid(alg_items[0][1]) != EC_PUBLIC_KEY or curve != SM2_CURVE or tag != der.BIT_STRING:
        raise SigningError("not an SM2 key", field="public key", code="sm2_not_sm2_key")
    return Sm2PublicKey(bits[1:])


def load_public_key_pem(data: bytes) -> Sm2PublicKey:
    label, body = unpem(data)
    if label != "PUBLIC KEY":
        raise SigningError(f"a {label} is not a public key", field="public key", code="sm2_not_public_key", label=label)
    return _public_from_spki(der.read(body)[1])


def is_sm2_certificate(cert: x509.Certificate) -> bool:
    return cert.public_key_algorithm_oid.dotted_string == EC_PUBLIC_KEY and der.oid(SM2_CURVE) in _spki_of(cert)


def _spki_of(cert: x509.Certificate) -> bytes:
    return _spki_from_tbs(cert.tbs_certificate_bytes)


def _spki_from_tbs(tbs: bytes) -> bytes:
    """The SubjectPublicKeyInfo (its contents) read from a TBS certificate (RFC 5280 4.1)."""
    fields = der.children(der.read(tbs)[1])
    index = 6 if fields[0][0] == 0xA0 else 5  # [0] version, serial, signature, issuer, validity, subject, spki
    return fields[index][1]


def public_key_of(cert: x509.Certificate) -> Sm2PublicKey:
    return _public_from_spki(_spki_of(cert))


def signed_by(cert: x509.Certificate | x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether an SM2-with-SM3 certificate or CRL carries a valid signature by ``issuer``'s SM2 key."""
    if cert.signature_algorithm_oid.dotted_string != SM2_WITH_SM3 or not is_sm2_certificate(issuer):
        return False
    tbs = cert.tbs_certificate_bytes if isinstance(cert, x509.Certificate) else cert.tbs_certlist_bytes
    return _verified(issuer.tbs_certificate_bytes, cert.signature, tbs)


@functools.lru_cache(maxsize=1024)
def _verified(issuer_tbs: bytes, signature: bytes, tbs: bytes) -> bool:
    # A DCC's signatures share one chain: each link is checked once (pure-Python SM2 is slow).
    return _public_from_spki(_spki_from_tbs(issuer_tbs)).verify(signature, tbs)
