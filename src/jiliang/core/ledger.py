"""The hash chain of the audit ledger, without Django: canonical serialisation, entry and
row hashes, and a streaming walk that recomputes every link and reports what broke.

Canonical JSON (one definition, used for writing and for verifying):
  keys sorted, separators ``,`` and ``:`` with no spaces, UTF-8 (no ``\\u`` escapes for
  non-ASCII), dates and datetimes as ISO 8601 (datetimes in UTC with microseconds and a
  ``Z``), ``Decimal`` as its string, floats as Python's shortest round-trip repr, ``-0.0``
  as ``0.0``, non-finite floats as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
  and enum members (Django's ``TextChoices``/``IntegerChoices``) as their value.

An entry's hash is SHA-256 over the canonical JSON object of its content (``ENTRY_KEYS``),
which includes the previous entry's hash; the first entry's previous hash is ``GENESIS``.
``old`` and ``new`` are stored as canonical JSON text and spliced in verbatim, so verifying
does not parse them. A third party can recompute a hash with any JSON library:
``sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False))``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring as _dumps_text  # one JSON string, the C fast path

from jiliang.core.errors import InputError

GENESIS = "0" * 64

# The content of an entry, in canonical (sorted) key order; the hash covers exactly these.
ENTRY_KEYS = (
    "action",
    "actor",
    "actor_id",
    "natural_key",
    "new",
    "object_id",
    "object_type",
    "old",
    "previous_hash",
    "reason",
    "row_digest",
    "sequence",
    "timestamp",
)
# The order of the tuples the walker reads (what a database query returns).
ENTRY_COLUMNS = (
    "sequence",
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "natural_key",
    "old",
    "new",
    "reason",
    "row_digest",
    "previous_hash",
    "entry_hash",
)
DELETE_ACTION = "delete"


class LedgerError(InputError):
    """Bad input to the ledger functions; names the field and the reason."""


_UTC = dt.UTC


def iso_timestamp(value: dt.datetime | str) -> str:
    """A datetime as UTC ISO 8601 with microseconds and ``Z``. A string is taken as UTC
    text the way databases store it (``2026-11-23 09:30:00[.123456]``, space or ``T``, an
    optional ``Z`` or ``+00:00``) and brought to the same form."""
    if isinstance(value, str):
        return _timestamp_text(value)
    if not isinstance(value, dt.datetime):
        raise LedgerError("timestamp", f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise LedgerError("timestamp", "must be timezone-aware")
    if value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )


def _timestamp_text(text: str) -> str:
    body = text[:-1] if text.endswith("Z") else text[:-6] if text.endswith("+00:00") else text
    if len(body) == 19:
        body += ".000000"
    if len(body) != 26 or body[10] not in " T" or body[19] != "." or not (body[:4] + body[5:7] + body[8:10]).isdigit():
        raise LedgerError("timestamp", f"not a UTC timestamp: {text!r}")
    return f"{body[:10]}T{body[11:]}Z"


def jsonable(value):
    """One value in its canonical JSON-ready form (see the module docstring)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if value != value:
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value + 0.0  # turns -0.0 into 0.0
    if isinstance(value, dt.datetime):
        return iso_timestamp(value) if value.tzinfo else value.isoformat(timespec="microseconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, enum.Enum):  # an enum member (Django's TextChoices/IntegerChoices too) is its value
        return jsonable(value.value)
    if isinstance(value, str):  # a str subclass: its text, as the row encoder writes it
        return str.__str__(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float):  # float subclasses (numpy.float64)
        return jsonable(float(value))
    if isinstance(value, int):
        return int(value)
    raise LedgerError("value", f"{kind.__name__} has no canonical JSON form")


def canonical_json(value) -> str:
    """The canonical JSON text of a value."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _json_default(value):
    if type(value) is dt.date:  # the common case on the hot path
        return value.isoformat()
    if isinstance(
        value, (dt.datetime, dt.date, dt.time, decimal.Decimal, uuid.UUID, bytes, bytearray, memoryview, set, frozenset)
    ):
        return jsonable(value)
    if isinstance(value, enum.Enum):  # str and int enums never reach here: the encoder writes their value
        return jsonable(value.value)
    if isinstance(value, float):  # float subclasses (numpy.float64) reach default only when not plain floats
        return float(value)
    if isinstance(value, int):
        return int(value)
    raise LedgerError("value", f"{type(value).__name__} has no canonical JSON form")


json_default = _json_default  # for encoders that must write values exactly as row digests do

# Rows are hashed on the hot path of verify: one C-encoder call, no Python walk. Values
# come from the database on both sides (write and verify), so floats are written by their
# repr as they are (NaN, -0.0 included) and dates by ``_json_default``.
_encode_row = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode


def row_digest(row: Mapping) -> str:
    """SHA-256 hex of a database row given as ``{column: value}``: the compact, key-sorted
    JSON of the row (dates ISO 8601, Decimal as a string)."""
    return hashlib.sha256(_encode_row(row).encode("utf-8")).hexdigest()


def row_values_and_digest(row: Mapping) -> tuple[str, str]:
    """The canonical JSON of a row (for an entry's values) and its digest, from one
    encoding when the row holds no NaN, infinity or -0.0 (then the two texts agree)."""
    text = _encode_row(row)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if "NaN" in text or "Infinity" in text or "-0.0" in text:
        return canonical_json(row), digest
    return text, digest


def entry_payload(entry: Mapping | Sequence, timestamp_text: str | None = None) -> str:
    """The canonical JSON text an entry's hash covers. ``entry`` is a mapping with the keys
    of ``ENTRY_KEYS`` or a tuple in ``ENTRY_COLUMNS`` order; ``old``/``new`` are canonical
    JSON text or None. ``timestamp_text`` saves formatting a timestamp already formatted."""
    if isinstance(entry, Mapping):
        entry = tuple(entry.get(c) for c in ENTRY_COLUMNS)
    seq, ts, actor_id, actor, action, otype, oid, nkey, old, new, reason, digest, prev = entry[:13]
    if type(seq) is not int or seq < 1:
        raise LedgerError("sequence", f"must be a positive integer, got {seq!r}")
    q = _dumps_text
    return (
        f'{{"action":{"null" if action is None else q(action)},"actor":{"null" if actor is None else q(actor)},'
        f'"actor_id":{"null" if actor_id is None else int(actor_id)},"natural_key":{"null" if nkey is None else q(nkey)},'
        f'"new":{"null" if new is None else new},"object_id":{"null" if oid is None else q(oid)},'
        f'"object_type":{"null" if otype is None else q(otype)},"old":{"null" if old is None else old},'
        f'"previous_hash":{"null" if prev is None else q(prev)},"reason":{"null" if reason is None else q(reason)},'
        f'"row_digest":{"null" if digest is None else q(digest)},"sequence":{seq},'
        f'"timestamp":"{timestamp_text or iso_timestamp(ts)}"}}'
    )


def entry_hash(entry: Mapping | Sequence) -> str:
    """SHA-256 hex of an entry's canonical content (including its previous hash)."""
    return hashlib.sha256(entry_payload(entry).encode("utf-8")).hexdigest()


def chain(entries: Iterable[dict], previous_hash: str = GENESIS) -> list[dict]:
    """Fill in ``previous_hash`` and ``entry_hash`` of new entries, in order, in place."""
    out = []
    for entry in entries:
        entry["previous_hash"] = previous_hash
        entry["entry_hash"] = previous_hash = entry_hash(entry)
        out.append(entry)
    return out


@dataclass(frozen=True)
class Finding:
    """One thing verify found wrong. ``kind`` is one of ``FINDING_KINDS``."""

    kind: str
    message: str
    sequence: int | None = None
    object_type: str | None = None
    object_id: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


FINDING_KINDS = {
    "entry_changed": "an entry's content no longer matches its hash",
    "entries_deleted": "a gap in the sequence: entries were removed",
    "link_broken": "an entry's previous hash does not match the entry before it (inserted or replaced)",
    "entries_after_head": "entries beyond the recorded head (appended outside the application)",
    "entries_missing_at_end": "the chain ends before the recorded head (last entries removed)",
    "head_changed": "the recorded head does not match the chain",
    "row_changed": "a live row differs from the digest its latest entry recorded",
    "row_deleted": "a row the ledger says exists is missing",
    "row_restored": "a row the ledger says was deleted exists",
    "row_unrecorded": "a live row no entry or batch records (written outside the application)",
    "batch_changed": "a bulk batch's row digests no longer give the Merkle root its entry recorded",
    "derived_changed": "a derived column differs from what the audited rows it derives from give",
    "checkpoint_mismatch": "the chain no longer contains a checkpoint's head",
    "checkpoint_signature_invalid": "a checkpoint's signature does not verify",
}


@dataclass
class ChainWalker:
    """Walks entries in sequence order, chunk by chunk, in constant memory per entry (plus
    the latest row digest of each object, for the live-row check).

    ``feed`` takes tuples in ``ENTRY_COLUMNS`` order. Each entry's hash is recomputed; links
    are checked against the *stored* hash of the previous entry, so one changed entry
    is reported once and does not cascade.

    A walker made with ``previous_sequence=None`` walks one range of a longer chain: its
    first entry's link is not checked but kept (``first_sequence``, ``first_previous_hash``)
    for ``merge_walks`` to check against the range before, so ranges can be walked in
    parallel."""

    previous_hash: str | None = GENESIS
    previous_sequence: int | None = 0
    track_objects: bool = True
    first_sequence: int | None = None
    first_previous_hash: str | None = None
    count: int = 0
    findings: list[Finding] = field(default_factory=list)
    # object_type -> {object_id: row digest, or None when the latest entry deleted it}
    latest: dict[str, dict[str, str | None]] = field(default_factory=dict)
    head_timestamp: str | None = None

    @property
    def first_broken(self) -> int | None:
        sequences = [f.sequence for f in self.findings if f.sequence is not None]
        return min(sequences) if sequences else None

    def feed(self, rows: Iterable[Sequence]) -> None:
        sha256 = hashlib.sha256
        payload = entry_payload
        findings = self.findings
        latest = self.latest
        track = self.track_objects
        prev_hash, prev_seq, count = self.previous_hash, self.previous_sequence, self.count
        last_ts = last_ts_text = None
        for row in rows:
            seq = row[0]
            stored = row[13]
            if row[1] != last_ts:  # entries written in bulk share one timestamp
                last_ts, last_ts_text = row[1], iso_timestamp(row[1])
            if sha256(payload(row, last_ts_text).encode("utf-8")).hexdigest() != stored:
                findings.append(
                    Finding(
                        "entry_changed", f"entry {seq}: content changed since it was written (hash mismatch)", seq, row[5], row[6]
                    )
                )
            if prev_seq is None:  # the first entry of a range: its link is checked by merge_walks
                self.first_sequence, self.first_previous_hash = seq, row[12]
            elif seq != prev_seq + 1:
                first, last = prev_seq + 1, seq - 1
                span = f"entry {first}" if first == last else f"entries {first}–{last}"
                findings.append(Finding("entries_deleted", f"{span} missing: deleted from the ledger", first))
            elif row[12] != prev_hash:
                findings.append(
                    Finding(
                        "link_broken",
                        f"entry {seq}: previous hash does not match entry {prev_seq} "
                        "(an entry was inserted, replaced or re-hashed)",
                        seq,
                        row[5],
                        row[6],
                    )
                )
            if track and row[6]:
                if row[4] == DELETE_ACTION:
                    latest.setdefault(row[5], {})[row[6]] = None
                elif row[11] is not None:
                    latest.setdefault(row[5], {})[row[6]] = row[11]
            if self.first_sequence is None:
                self.first_sequence, self.first_previous_hash = seq, row[12]
            prev_hash, prev_seq = stored, seq
            count += 1
        self.previous_hash, self.previous_sequence, self.count = prev_hash, prev_seq, count
        if last_ts_text is not None:
            self.head_timestamp = last_ts_text

    def check_head(self, head_sequence: int | None, head_hash: str | None) -> None:
        """Compare where the chain ends with the head the application recorded."""
        if self.previous_sequence is None:  # nothing walked
            self.previous_sequence, self.previous_hash = 0, GENESIS
        if head_sequence is None:
            if self.count:
                self.findings.append(Finding("head_changed", "the ledger head record is missing although entries exist"))
            return
        if self.previous_sequence > head_sequence:
            self.findings.append(
                Finding(
                    "entries_after_head",
                    f"entries {head_sequence + 1}–{self.previous_sequence} lie beyond the recorded head {head_sequence}: "
                    "appended outside the application",
                    head_sequence + 1,
                )
            )
        elif self.previous_sequence < head_sequence:
            self.findings.append(
                Finding(
                    "entries_missing_at_end",
                    f"entries {self.previous_sequence + 1}–{head_sequence} missing: the chain ends before the recorded head",
                    self.previous_sequence + 1,
                )
            )
        elif self.previous_hash != head_hash:
            self.findings.append(
                Finding("head_changed", f"entry {head_sequence}: hash differs from the recorded head", head_sequence)
            )


def merge_walks(parts: Sequence[ChainWalker]) -> ChainWalker:
    """One walker for a chain walked as consecutive ranges (each made with
    ``previous_sequence=None``): checks the link at every boundary, the first against the
    genesis, and keeps each object's latest digest from the latest range."""
    merged = ChainWalker()
    prev_seq, prev_hash = 0, GENESIS
    boundary: list[Finding] = []
    for part in parts:
        if not part.count:
            continue
        seq = part.first_sequence
        if seq != prev_seq + 1:
            first, last = prev_seq + 1, seq - 1
            span = f"entry {first}" if first == last else f"entries {first}–{last}"
            boundary.append(Finding("entries_deleted", f"{span} missing: deleted from the ledger", first))
        elif part.first_previous_hash != prev_hash:
            boundary.append(
                Finding(
                    "link_broken",
                    f"entry {seq}: previous hash does not match entry {prev_seq} (an entry was inserted, replaced or re-hashed)",
                    seq,
                )
            )
        merged.findings.extend(part.findings)
        merged.count += part.count
        for object_type, latest in part.latest.items():
            merged.latest.setdefault(object_type, {}).update(latest)
        prev_seq, prev_hash = part.previous_sequence, part.previous_hash
        merged.head_timestamp = part.head_timestamp
    merged.findings.extend(boundary)
    merged.findings.sort(key=lambda f: f.sequence if f.sequence is not None else 0)
    merged.previous_sequence, merged.previous_hash = prev_seq, prev_hash
    return merged


def walk(rows: Iterable[Sequence], previous_hash: str = GENESIS, previous_sequence: int = 0) -> ChainWalker:
    """Walk a whole chain (tuples in ``ENTRY_COLUMNS`` order); see ``ChainWalker``."""
    walker = ChainWalker(previous_hash, previous_sequence)
    walker.feed(rows)
    return walker
