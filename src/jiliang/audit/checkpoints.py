"""Checkpoints: the head exported (and signed), so a rewritten history is found later."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.db import transaction
from django.utils import timezone

from jiliang.core import ledger
from jiliang.core.dcc import pki, sm2
from jiliang.core.dcc.errors import SigningError

from .models import AuditEntry, LedgerHead
from .recording import record

CHECKPOINT_FORMAT = "jiliang-audit-checkpoint/1"


def _signed_bytes(checkpoint: Mapping) -> bytes:
    return ledger.canonical_json({k: v for k, v in checkpoint.items() if k != "signature"}).encode("utf-8")


def _sign(payload: bytes, key_pem: bytes) -> dict:
    if sm2.is_sm2_pem(key_pem):
        # SM2 with SM3 and the default user ID, the DER signature of GB/T 35276-2017 §7.3.
        try:
            sm2_key = sm2.load_private_key_pem(key_pem)
        except SigningError as exc:
            raise ledger.LedgerError("key", str(exc)) from None
        return {
            "algorithm": "SM2-SM3",
            "public_key": sm2_key.public.public_bytes_pem().decode("ascii"),
            "value": base64.b64encode(sm2_key.sign(payload)).decode("ascii"),
        }
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ledger.LedgerError("key", f"not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm, value = "Ed25519", key.sign(payload)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm, value = "ECDSA-SHA256", key.sign(payload, ec.ECDSA(hashes.SHA256()))
    else:
        raise ledger.LedgerError("key", f"must be an Ed25519, ECDSA or SM2 private key, got {type(key).__name__}")
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"algorithm": algorithm, "public_key": public.decode("ascii"), "value": base64.b64encode(value).decode("ascii")}


def verify_signature(checkpoint: Mapping, public_key_pem: bytes | None = None) -> str | None:
    """None when the signature verifies (against ``public_key_pem`` if given, else the
    embedded key), else the reason it does not."""
    signature = checkpoint.get("signature")
    if not signature:
        return "the checkpoint is not signed"
    return verify_payload(_signed_bytes(checkpoint), signature, public_key_pem)


def sign_payload(payload: bytes, key_pem: bytes) -> dict:
    """A signature block (``algorithm``, ``public_key``, ``value``) over ``payload``, the
    form checkpoints carry; the witness log signs its entries and tree heads the same way."""
    return _sign(payload, key_pem)


def verify_payload(payload: bytes, signature: Mapping, public_key_pem: bytes | None = None) -> str | None:
    """None when ``signature`` (a block of ``sign_payload``) verifies over ``payload``
    (against ``public_key_pem`` if given, else the embedded key), else the reason."""
    try:
        public_pem = public_key_pem or signature["public_key"].encode("ascii")
        value = base64.b64decode(signature["value"], validate=True)
        if sm2.is_sm2_pem(public_pem):
            if signature.get("algorithm") != "SM2-SM3":
                return f"algorithm {signature.get('algorithm')!r} does not match the key"
            if not sm2.load_public_key_pem(public_pem).verify(value, payload):
                raise InvalidSignature()
            return None
        key = serialization.load_pem_public_key(public_pem)
        if signature.get("algorithm") == "Ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(value, payload)
        elif signature.get("algorithm") == "ECDSA-SHA256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, payload, ec.ECDSA(hashes.SHA256()))
        else:
            return f"algorithm {signature.get('algorithm')!r} does not match the key"
    except InvalidSignature:
        return "the signature does not verify (checkpoint altered, or signed with another key)"
    except (KeyError, ValueError, TypeError, AttributeError, UnsupportedAlgorithm, SigningError) as exc:
        return f"malformed signature ({exc})"
    return None


def generate_key(algorithm: str) -> tuple[bytes, bytes]:
    """A new checkpoint key of the deployment's algorithm (``JILIANG_SIGNATURE_ALGORITHM``):
    the unencrypted private key PEM and its public key PEM."""
    try:
        key = pki.generate_private_key(algorithm)
    except SigningError as exc:
        raise ledger.LedgerError("algorithm", str(exc)) from None
    if isinstance(key, sm2.Sm2PrivateKey):
        return sm2.private_key_pem(key, None), key.public.public_bytes_pem()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pki.serialize_private_key(key, None), public


def make_checkpoint(key_pem: bytes | None = None, *, actor: Any = "cli:audit checkpoint") -> dict:
    """Append a ``checkpoint`` entry and export the head it makes (sequence, hash,
    timestamp, entry count), signed with an Ed25519, ECDSA or SM2 private key if one is given."""
    with transaction.atomic():
        head = LedgerHead.objects.filter(pk=1).values_list("sequence", "entry_hash").first() or (0, ledger.GENESIS)
        entry = record(
            AuditEntry.Action.CHECKPOINT,
            "audit.ledger",
            actor=actor,
            reason=None,
            new={"covers_sequence": head[0], "covers_hash": head[1]},
        )
        count = AuditEntry.objects.filter(sequence__lte=entry.sequence).count()
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "sequence": entry.sequence,
        "entry_hash": entry.entry_hash,
        "timestamp": ledger.iso_timestamp(entry.timestamp),
        "entry_count": count,
        "created_at": ledger.iso_timestamp(timezone.now()),
    }
    if key_pem:
        checkpoint["signature"] = _sign(_signed_bytes(checkpoint), key_pem)
    return checkpoint


def check_checkpoint(checkpoint: Mapping, public_key_pem: bytes | None, report) -> dict:
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ledger.LedgerError("checkpoint", f"format must be {CHECKPOINT_FORMAT!r}, got {checkpoint.get('format')!r}")
    try:
        sequence = int(checkpoint["sequence"])
        expected_hash = str(checkpoint["entry_hash"])
        expected_count = int(checkpoint["entry_count"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ledger.LedgerError("checkpoint", f"needs sequence, entry_hash and entry_count ({exc})") from None
    result = {"sequence": sequence, "entry_hash": expected_hash, "signed": "signature" in checkpoint, "contained": False}
    if "signature" in checkpoint or public_key_pem:
        problem = verify_signature(checkpoint, public_key_pem)
        result["signature_valid"] = problem is None
        if problem:
            report.findings.append(ledger.Finding("checkpoint_signature_invalid", f"checkpoint {sequence}: {problem}", sequence))
    stored = AuditEntry.objects.filter(sequence=sequence).values_list("entry_hash", flat=True).first()
    count = AuditEntry.objects.filter(sequence__lte=sequence).count()
    if stored is None:
        report.findings.append(
            ledger.Finding("checkpoint_mismatch", f"checkpoint {sequence}: the entry is no longer in the ledger", sequence)
        )
    elif stored != expected_hash:
        report.findings.append(
            ledger.Finding(
                "checkpoint_mismatch", f"checkpoint {sequence}: the ledger's entry has another hash (history rewritten)", sequence
            )
        )
    elif count != expected_count:
        report.findings.append(
            ledger.Finding(
                "checkpoint_mismatch",
                f"checkpoint {sequence}: {count} entries up to it, the checkpoint counted {expected_count}",
                sequence,
            )
        )
    else:
        result["contained"] = True
    return result


def load_checkpoint(path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ledger.LedgerError("checkpoint", f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ledger.LedgerError("checkpoint", f"{path} must hold a JSON object")
    return data
