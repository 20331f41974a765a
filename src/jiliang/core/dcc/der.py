"""The few DER (ITU-T X.690) encodings the SM2 certificates, CRLs and keys need.

``cryptography`` parses SM2 certificates but cannot build or sign them (nor hold SM2 keys),
so their TBS structures are assembled here from RFC 5280 / RFC 5208 / RFC 8018. Names and
extension values are still encoded by ``cryptography`` (``x509.Name.public_bytes``,
``ExtensionType.public_bytes``); what is built is parsed back by ``cryptography`` and, in
the tests, checked by OpenSSL.
"""

from __future__ import annotations

import datetime as dt

from jiliang.core.dcc.errors import SigningError

SEQUENCE, SET, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID, BOOLEAN = 0x30, 0x31, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def integer(n: int) -> bytes:
    body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True)
    return tlv(INTEGER, body)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def null() -> bytes:
    return tlv(NULL, b"")


def octet_string(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def bit_string(value: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + value)


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def explicit(number: int, value: bytes) -> bytes:
    return tlv(0xA0 | number, value)


def time(moment: dt.datetime) -> bytes:
    """UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5)."""
    moment = moment.astimezone(dt.UTC)
    if 1950 <= moment.year < 2050:
        return tlv(UTC_TIME, moment.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, moment.strftime("%Y%m%d%H%M%SZ").encode())


def algorithm(dotted: str, parameters: bytes | None = None) -> bytes:
    return sequence(oid(dotted), *([parameters] if parameters is not None else []))


# ------------------------------------------------------------------------ reading


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after it) of the TLV at ``offset``."""
    try:
        tag = data[offset]
        first = data[offset + 1]
        pos = offset + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if not 0 < count <= 4:
                raise SigningError("unsupported length", field="DER", code="der_length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
    except IndexError:
        raise SigningError("truncated", field="DER", code="der_truncated") from None
    end = pos + length
    if end > len(data):
        raise SigningError("truncated", field="DER", code="der_truncated")
    return tag, data[pos:end], end


def children(value: bytes) -> list[tuple[int, bytes]]:
    """The (tag, value) items inside a constructed value."""
    items, offset = [], 0
    while offset < len(value):
        tag, body, offset = read(value, offset)
        items.append((tag, body))
    return items


def decode_oid(body: bytes) -> str:
    if not body:
        raise SigningError("empty object identifier", field="DER", code="der_empty_oid")
    parts = [min(body[0] // 40, 2)]
    parts.append(body[0] - 40 * parts[0])
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def decode_integer(body: bytes) -> int:
    return int.from_bytes(body, "big", signed=True)
