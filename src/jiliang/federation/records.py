"""The change record: one signed, self-contained JSON document a province (or the centre)
publishes, and its verification.

A record is canonical JSON (sorted keys, no spaces, UTF-8: the audit ledger's canonical
form, ``jiliang.core.ledger.canonical_json``) of::

    {"format": "jiliang-federation-record/1", "id": "11:42", "province": "11", "seq": 42,
     "kind": "certificate", "body": {...}, "signed_at": "2026-12-08T02:00:00Z",
     "signer": {"algorithm": "ecdsa-p256", "certificate": PEM, "chain": [PEM, ...]},
     "signature": base64}

The signature covers the canonical JSON of everything but ``signature``. It is made with the
seal key of the province's institution from the platform PKI (``certificates.keys``: the
same keys that sign DCCs), ECDSA P-256 with SHA-256 or SM2 with SM3 (GB/T 32918, the
default user ID of GB/T 35276 §10) as the deployment chose. A plain detached signature over
canonical JSON rather than a JWS: the platform already has one canonical form and one key
store, and the audit checkpoints are signed the same way (``audit.checkpoints``).

Verification checks, in order: the shape, the signature over the bytes, the signer's
certificate path to the origin's trust anchors at the signing time (and, under this
platform's own CA, that the key was not revoked), and that the signer is the origin's
institution. Each failure is a :class:`RecordRefused` naming its rule.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext_lazy as _

from jiliang.core.dcc import pki, sm2
from jiliang.core.dcc.chain import validate_chain
from jiliang.core.dcc.sign import Signer
from jiliang.core.ledger import canonical_json

from .models import NATIONAL

FORMAT = "jiliang-federation-record/1"
MAX_RECORD_BYTES = 1 << 20  # one record is one change; a megabyte is far beyond any


class RecordRefused(ValueError):
    """A record that is not applied; ``rule`` names the rule, ``detail`` says why."""

    def __init__(self, rule: str, detail: str):
        self.rule = rule
        self.detail = detail
        super().__init__(f"{rule}: {detail}")


# The rules a record can be refused by, with the sentence the status page shows.
RULES = {
    "federation.malformed": _("记录格式不正确"),
    "federation.too_large": _("记录超过大小上限"),
    "federation.bad_signature": _("签名不符（记录内容被改动，或不是该证书的密钥所签）"),
    "federation.untrusted_signer": _("签名证书不能追溯到该来源的信任根证书"),
    "federation.revoked_key": _("签名密钥已吊销"),
    "federation.wrong_institution": _("签名机构不是该来源的机构"),
    "federation.unknown_origin": _("未登记的来源"),
    "federation.unknown_kind": _("没有处理该类型记录的程序"),
    "federation.conflict": _("同一记录标识已应用过不同内容"),
    "federation.invalid_body": _("记录内容不完整或有误"),
}


@dataclass(frozen=True)
class Record:
    id: str
    province: str
    seq: int
    kind: str
    body: dict[str, Any]
    signed_at: dt.datetime
    signer_credit_code: str  # the O field of the signer's certificate
    signer_serial: str
    sha256: str


def record_id(province: str, seq: int) -> str:
    return f"{province}:{seq}"


def _check_province(province: str) -> None:
    if province != NATIONAL and not (len(province) == 2 and province.isdigit()):
        raise RecordRefused("federation.malformed", f"province {province!r} is neither two GB/T 2260 digits nor {NATIONAL!r}")


def _signed_payload(document: dict) -> bytes:
    return canonical_json({k: v for k, v in document.items() if k != "signature"}).encode("utf-8")


def _sign(signer: Signer, payload: bytes) -> bytes:
    key: Any = signer.key
    if isinstance(key, sm2.Sm2PrivateKey):
        return key.sign(payload)
    return key.sign(payload, ec.ECDSA(hashes.SHA256()))


def _verify(cert: x509.Certificate, value: bytes, payload: bytes) -> bool:
    if sm2.is_sm2_certificate(cert):
        return sm2.public_key_of(cert).verify(value, payload)
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(value, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _pem(cert: x509.Certificate) -> str:
    return pki.certificate_pem(cert).decode("ascii")


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_record(
    kind: str, body: dict, *, province: str, seq: int, signer: Signer, signed_at: dt.datetime | None = None
) -> bytes:
    """The canonical, signed bytes of record ``province:seq``."""
    _check_province(province)
    if not kind or not isinstance(body, dict) or seq < 1:
        raise RecordRefused("federation.malformed", "a record needs a kind, a body object and a sequence from 1")
    signed_at = (signed_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    document: dict[str, Any] = {
        "format": FORMAT,
        "id": record_id(province, seq),
        "province": province,
        "seq": seq,
        "kind": kind,
        "body": body,
        "signed_at": _utc(signed_at),
        "signer": {
            "algorithm": pki.algorithm_of(signer.certificate),
            "certificate": _pem(signer.certificate),
            "chain": [_pem(c) for c in signer.chain],
        },
    }
    document["signature"] = base64.b64encode(_sign(signer, _signed_payload(document))).decode("ascii")
    return canonical_json(document).encode("utf-8")


def peek(raw: bytes) -> dict:
    """What a record says about itself, before any check (for the refusal table)."""
    try:
        document = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    if not isinstance(document, dict):
        return {}
    seq = document.get("seq")
    return {
        "record_id": str(document.get("id", ""))[:40],
        "province": str(document.get("province", ""))[:8],
        "seq": seq if isinstance(seq, int) and seq > 0 else None,
        "kind": str(document.get("kind", ""))[:40],
    }


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON (canonical JSON has no NaN or Infinity)")


def _parse(raw: bytes) -> dict:
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordRefused("federation.too_large", f"{len(raw)} bytes, the limit is {MAX_RECORD_BYTES}")
    try:
        document = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordRefused("federation.malformed", f"not UTF-8 JSON ({exc})") from None
    except RecursionError:
        raise RecordRefused("federation.malformed", "nested too deeply") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordRefused("federation.malformed", f"not a {FORMAT} document")
    for name, kind in (
        ("id", str),
        ("province", str),
        ("seq", int),
        ("kind", str),
        ("body", dict),
        ("signed_at", str),
        ("signer", dict),
        ("signature", str),
    ):
        if not isinstance(document.get(name), kind) or isinstance(document.get(name), bool):
            raise RecordRefused("federation.malformed", f"{name}: missing or not a {kind.__name__}")
    _check_province(document["province"])
    if document["seq"] < 1 or document["id"] != record_id(document["province"], document["seq"]):
        raise RecordRefused("federation.malformed", f"id {document['id']!r} is not province:seq")
    return document


def verify_record(raw: bytes, *, anchors: list[x509.Certificate] | None = None) -> Record:
    """The record in ``raw`` once its signature, signer and origin are checked; refused
    (:class:`RecordRefused`) otherwise. ``anchors`` overrides the origin's trust anchors."""
    from . import trust  # the trust store reads the database; the format above does not

    document = _parse(raw)
    signer = document["signer"]
    try:
        cert = pki.load_certificate(str(signer.get("certificate", "")).encode("ascii"))
        chain = [pki.load_certificate(str(pem).encode("ascii")) for pem in signer.get("chain", [])]
        value = base64.b64decode(document["signature"], validate=True)
        signed_at = dt.datetime.strptime(document["signed_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise RecordRefused("federation.malformed", f"signer or signature unreadable ({exc})") from None
    try:
        payload = _signed_payload(document)
    except (ValueError, TypeError, RecursionError) as exc:
        raise RecordRefused("federation.malformed", f"no canonical form ({exc})") from None
    if not _verify(cert, value, payload):
        raise RecordRefused("federation.bad_signature", "the signature does not verify over the record's canonical bytes")
    origin = trust.origin(document["province"])
    path_anchors = anchors if anchors is not None else origin.anchors
    _path, problems = validate_chain(cert, chain, path_anchors, signed_at)
    if problems:
        raise RecordRefused("federation.untrusted_signer", "; ".join(problems))
    serial = f"{cert.serial_number:x}"
    revoked = origin.revoked(serial, signed_at)
    if revoked:
        raise RecordRefused("federation.revoked_key", revoked)
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    credit_code = str(names[0].value) if names else ""
    if not origin.signs(credit_code):
        raise RecordRefused(
            "federation.wrong_institution",
            f"signed by {credit_code or 'an unnamed organisation'}, which is not an institution of {document['province']}",
        )
    return Record(
        id=document["id"],
        province=document["province"],
        seq=document["seq"],
        kind=document["kind"],
        body=document["body"],
        signed_at=signed_at,
        signer_credit_code=credit_code,
        signer_serial=serial,
        sha256=content_digest(document),
    )


def content_digest(document: dict) -> str:
    """What a duplicate must match: the id, kind and body (a re-signed copy of the same change
    is a duplicate; the same id with another body is a conflict)."""
    content = {"id": document["id"], "kind": document["kind"], "body": document["body"]}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
