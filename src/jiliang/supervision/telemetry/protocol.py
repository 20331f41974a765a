"""The wire format of a telemetry message and its signature.

A message is ``<body>\\n<signature>``: the body is compact JSON (UTF-8) with at least
``d`` (device code), ``seq`` (the device's sequence number, strictly increasing),
``ts`` (device clock, Unix seconds) and ``kind``; the signature is the hex
HMAC-SHA256 of the exact body bytes under the device's key. Signing the bytes as sent
(not a re-serialisation) keeps verification to one HMAC and makes any altered byte
fatal. Topic: ``jiliang/t/<device code>/up``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

TOPIC_PREFIX = "jiliang/t/"
TOPIC_FILTER = "jiliang/t/+/up"
KINDS = frozenset({"sale", "trip", "session", "reading", "event", "facts"})


def topic_for(device_code: str) -> str:
    return f"{TOPIC_PREFIX}{device_code}/up"


def sign(body: bytes, key_hex: str) -> bytes:
    return hmac.new(bytes.fromhex(key_hex), body, hashlib.sha256).hexdigest().encode()


def encode(message: dict, key_hex: str) -> bytes:
    """Serialise and sign ``message`` (which must carry d, seq, ts and kind)."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    return body + b"\n" + sign(body, key_hex)


class Rejected(Exception):
    def __init__(self, reason: str, device_code: str = "", detail: str = ""):
        self.reason = reason
        self.device_code = device_code
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Parsed:
    device_code: str
    seq: int
    ts: float
    kind: str
    body: dict


def parse_unverified(payload: bytes) -> tuple[Parsed, bytes, bytes]:
    """Split and parse; the caller verifies the signature with the device's key.
    Raises :class:`Rejected` ("malformed") for anything not in the format."""
    body, sep, signature = payload.rpartition(b"\n")
    if not sep or len(signature) != 64:
        raise Rejected("malformed", detail="no signature line")
    try:
        msg = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected("malformed", detail="body is not JSON") from None
    if not isinstance(msg, dict):
        raise Rejected("malformed", detail="body is not an object")
    code = msg.get("d")
    seq, ts, kind = msg.get("seq"), msg.get("ts"), msg.get("kind")
    if not isinstance(code, str) or not code:
        raise Rejected("malformed", detail="d (device code) missing")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise Rejected("malformed", code, "seq must be a positive integer")
    if not isinstance(ts, (int, float)) or isinstance(ts, bool) or not 946684800 <= ts <= 4102444800:
        raise Rejected("malformed", code, "ts must be Unix seconds between 2000 and 2100")
    if kind not in KINDS:
        raise Rejected("malformed", code, f"kind must be one of {sorted(KINDS)}")
    return Parsed(code, seq, float(ts), kind, msg), body, signature


def verify(body: bytes, signature: bytes, key_hex: str, device_code: str) -> None:
    if not hmac.compare_digest(sign(body, key_hex), signature.lower()):
        raise Rejected("altered", device_code, "signature does not match the body")
