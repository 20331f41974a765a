"""Witnessed ledgers: the centre's transparency log of provinces' audit checkpoints, and
the province's side (make a checkpoint of its ledger, check that the ledger only grew).

A province's checkpoint (``province_checkpoint``) is the audit app's checkpoint (head
sequence, entry hash, entry count; ``jiliang.audit.checkpoints``) plus the province's code
and ``ledger_tree``: the RFC 9162 Merkle tree head over its ledger's entry hashes in
sequence order (leaf i = the 32 bytes of entry i+1's hash). Between two checkpoints the
province sends the consistency path (RFC 9162 §2.1.4) from the tree of the earlier one to
the later one: a province that rewrote any entry the earlier checkpoint covered cannot
make a path that verifies, and the centre, holding the earlier root, refuses it.

At the centre, ``accept_checkpoint`` checks the province's signature against the key the
centre registered for it, the consistency path against the province's last witnessed
checkpoint, then appends a leaf (the checkpoint, its signature, the path), countersigns
it and signs the new tree head. A refused checkpoint is kept in ``Refusal`` with the rule
it broke. Anyone can then fetch the signed tree head, an inclusion proof of an entry and
a consistency proof between two tree sizes (``inclusion_bundle``,
``consistency_bundle``, ``ledger_bundle``) and check them offline
(``jiliang audit witness-verify``; the formats are in docs/witness.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiliang.audit import checkpoints as audit_checkpoints
from jiliang.audit.models import AuditEntry
from jiliang.core import ledger
from jiliang.core import transparency as mt
from jiliang.core.dcc import sm2
from jiliang.core.dcc.errors import SigningError
from jiliang.core.errors import InputError

from .models import LogEntry, ProvinceKey, PublishedCheckpoint, Refusal, TreeHead

LEAF_FORMAT = "jiliang-witness-leaf/1"
STH_FORMAT = "jiliang-witness-sth/1"
INCLUSION_FORMAT = "jiliang-witness-inclusion/1"
CONSISTENCY_FORMAT = "jiliang-witness-consistency/1"
LEDGER_FORMAT = "jiliang-witness-ledger/1"
SUBMISSION_FORMAT = "jiliang-witness-submission/1"
RECORD_KIND = "ledger_checkpoint"  # the federation's change-record kind that carries a submission
MAX_BUNDLE_ENTRIES = 1000  # a ledger bundle is bounded: page on with its `from_size`


class WitnessRefused(InputError):
    """A checkpoint refused, naming the rule (``code``) and the reason."""


def _canonical(value) -> bytes:
    return ledger.canonical_json(value).encode("utf-8")


# -- keys ---------------------------------------------------------------------------------


def centre_key_path() -> Path:
    return Path(getattr(settings, "JILIANG_WITNESS_KEY", "") or settings.DATA_DIR / "witness-key.pem")


def centre_key() -> bytes:
    """The centre's signing key for countersignatures and tree heads: the PEM file at
    ``JILIANG_WITNESS_KEY`` (default: ``witness-key.pem`` in the data directory), made on
    first use with the deployment's algorithm (``JILIANG_SIGNATURE_ALGORITHM``), mode 0600."""
    path = centre_key_path()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    private, _public = audit_checkpoints.generate_key(settings.JILIANG_SIGNATURE_ALGORITHM)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(private)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    return private


def centre_public_key() -> str:
    return audit_checkpoints.sign_payload(b"", centre_key())["public_key"]


def register_province(province: str, name: str, public_key_pem: str) -> ProvinceKey:
    """Register (or re-key) a province whose checkpoints the centre accepts."""
    if len(province) != 2 or not province.isdigit():
        raise WitnessRefused("province", "a province is the two-digit code of GB/T 2260", code="witness_province_code")
    try:
        if sm2.is_sm2_pem(public_key_pem.encode("ascii")):
            sm2.load_public_key_pem(public_key_pem.encode("ascii"))
        else:
            serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm, SigningError) as exc:
        raise WitnessRefused("public_key", f"not a PEM public key ({exc})", code="witness_public_key", detail=str(exc)) from None
    key, _ = ProvinceKey.objects.update_or_create(province=province, defaults={"name": name, "public_key": public_key_pem})
    return key


# -- the province's side -------------------------------------------------------------------


def ledger_leaf_hashes(up_to_sequence: int | None = None) -> list[bytes]:
    """Leaf hashes of the ledger's entries in sequence order (up to a sequence)."""
    query = AuditEntry.objects.order_by("sequence")
    if up_to_sequence is not None:
        query = query.filter(sequence__lte=up_to_sequence)
    return [mt.leaf_hash(bytes.fromhex(h)) for h in query.values_list("entry_hash", flat=True).iterator(chunk_size=10_000)]


@dataclass
class Submission:
    """What a province sends: the checkpoint body as signed, its signature, and the
    consistency path from its previous witnessed checkpoint."""

    province: str
    body: bytes
    signature: dict
    consistency_path: list[str]

    def to_json(self) -> dict:
        return {
            "format": SUBMISSION_FORMAT,
            "province": self.province,
            "checkpoint": self.body.decode("utf-8"),
            "signature": self.signature,
            "consistency_path": self.consistency_path,
        }

    @classmethod
    def from_json(cls, data: dict) -> Submission:
        try:
            return cls(
                str(data["province"]),
                str(data["checkpoint"]).encode("utf-8"),
                dict(data["signature"]),
                [str(h) for h in data.get("consistency_path") or []],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WitnessRefused(
                "submission", f"needs province, checkpoint and signature ({exc})", code="witness_malformed", detail=str(exc)
            ) from None


def province_code() -> str:
    code = getattr(settings, "JILIANG_PROVINCE", "") or ""
    if not code:
        raise WitnessRefused("JILIANG_PROVINCE", "this instance has no province code set", code="witness_no_province")
    return code


def make_submission(key_pem: bytes, province: str | None = None, *, check_growth: bool = True) -> Submission:
    """Checkpoint the ledger, put its Merkle tree head in the checkpoint, sign it, and
    prove that the ledger only grew since the last checkpoint this province published.

    With ``check_growth`` (always, but in tests that play a dishonest province) a ledger
    that no longer extends the last published checkpoint is refused here, before anything
    is sent: ``witness_ledger_rewritten``."""
    province = province or province_code()
    previous = PublishedCheckpoint.objects.order_by("-ledger_size").first()
    checkpoint = audit_checkpoints.make_checkpoint(None, actor="witness:checkpoint")
    leaves = ledger_leaf_hashes(checkpoint["sequence"])
    tree_root = mt.root(leaves)
    checkpoint["province"] = province
    checkpoint["ledger_tree"] = {"size": len(leaves), "root": tree_root.hex()}
    body = _canonical(checkpoint)
    path: list[str] = []
    if previous is not None:
        proof = mt.consistency_path(leaves, min(previous.ledger_size, len(leaves)))
        path = [node.hex() for node in proof]
        if check_growth:
            try:
                mt.verify_consistency(previous.ledger_size, len(leaves), bytes.fromhex(previous.ledger_root), tree_root, proof)
            except mt.ProofError as exc:
                raise WitnessRefused(
                    "ledger",
                    f"the audit ledger no longer extends the checkpoint of {previous.ledger_size} entries published "
                    f"on {previous.published_at:%Y-%m-%d}: {exc}",
                    code="witness_ledger_rewritten",
                    size=previous.ledger_size,
                    detail=str(exc),
                ) from None
    signature = audit_checkpoints.sign_payload(body, key_pem)
    PublishedCheckpoint.objects.create(
        ledger_size=len(leaves), ledger_root=tree_root.hex(), checkpoint=body.decode("utf-8"), signature=signature
    )
    return Submission(province, body, signature, path)


def check_growth(earlier_checkpoint: dict) -> None:
    """Whether this ledger still extends a checkpoint made of it earlier (by anyone who
    kept one): recompute the tree of its first entries and prove the rest only appended.
    Raises ``WitnessRefused`` (``witness_ledger_rewritten``) when it does not."""
    try:
        size = int(earlier_checkpoint["ledger_tree"]["size"])
        expected = bytes.fromhex(earlier_checkpoint["ledger_tree"]["root"])
    except (KeyError, TypeError, ValueError) as exc:
        raise WitnessRefused("checkpoint", f"has no ledger tree ({exc})", code="witness_malformed", detail=str(exc)) from None
    leaves = ledger_leaf_hashes()
    if len(leaves) < size:
        raise WitnessRefused(
            "ledger",
            f"the ledger has {len(leaves)} entries, fewer than the {size} checkpointed",
            code="witness_ledger_shrank",
            previous=size,
            size=len(leaves),
        )
    try:
        mt.verify_consistency(size, len(leaves), expected, mt.root(leaves), mt.consistency_path(leaves, size))
    except mt.ProofError as exc:
        raise WitnessRefused("ledger", str(exc), code="witness_ledger_rewritten", size=size, detail=str(exc)) from None


# -- the centre's side ---------------------------------------------------------------------


def _parse_checkpoint(province: str, body: bytes) -> tuple[dict, int, bytes]:
    try:
        checkpoint = json.loads(body)
        size = int(checkpoint["ledger_tree"]["size"])
        root = bytes.fromhex(checkpoint["ledger_tree"]["root"])
        if len(root) != mt.HASH_SIZE or size < 1:
            raise ValueError("the ledger tree needs a positive size and a 32-byte root")
    except (ValueError, KeyError, TypeError) as exc:
        raise WitnessRefused(
            "checkpoint", f"not a witnessed checkpoint ({exc})", code="witness_malformed", detail=str(exc)
        ) from None
    if checkpoint.get("province") != province:
        raise WitnessRefused(
            "province",
            f"the checkpoint names province {checkpoint.get('province')!r}, it came from {province!r}",
            code="witness_province_mismatch",
            named=checkpoint.get("province"),
            sender=province,
        )
    if _canonical(checkpoint) != body:
        raise WitnessRefused(
            "checkpoint", "the body is not in canonical JSON", code="witness_malformed", detail="not canonical JSON"
        )
    return checkpoint, size, root


def _refuse(province: str, body: bytes, signature, exc: WitnessRefused) -> WitnessRefused:
    Refusal.objects.create(
        province=province[:2],
        rule=exc.code,
        reason=exc.reason,
        checkpoint=body.decode("utf-8", "replace"),
        province_signature=signature if isinstance(signature, dict) else None,
        params={k: v if isinstance(v, (int, str)) else str(v) for k, v in exc.params.items()},
    )
    return exc


def refusal_reason(refusal: Refusal) -> str:
    """A kept refusal's reason in the reader's language (the catalogue's message of its rule)."""
    from jiliang.messages import reason

    return reason(WitnessRefused("", refusal.reason, code=refusal.rule, **refusal.params))


def accept_checkpoint(
    province_code: str, body: bytes, signature: dict, consistency_path: Sequence[str] | None = None
) -> LogEntry:
    """Witness a province's checkpoint: verify, append, countersign, sign the new tree head.

    Idempotent: the same checkpoint again returns the entry it already has. A refusal
    (``WitnessRefused``, its ``code`` the rule) changes nothing in the log and is recorded
    in ``Refusal`` (inside the caller's transaction, when there is one)."""
    try:
        return _accept(province_code, body, signature, list(consistency_path or []))
    except WitnessRefused as exc:
        _refuse(province_code, body, signature, exc)
        raise


@transaction.atomic
def _accept(province: str, body: bytes, signature: dict, path: list[str]) -> LogEntry:
    key = ProvinceKey.objects.filter(province=province).first()
    if key is None:
        raise WitnessRefused(
            "province",
            f"province {province!r} is not registered with the witness",
            code="witness_province_unknown",
            province=province,
        )
    problem = audit_checkpoints.verify_payload(body, signature, key.public_key.encode("ascii"))
    if problem:
        raise WitnessRefused("signature", problem, code="witness_signature_invalid", province=province, detail=problem)
    digest = hashlib.sha256(body).hexdigest()
    existing = LogEntry.objects.filter(checkpoint_sha256=digest).first()
    if existing is not None:
        return existing
    checkpoint, size, root = _parse_checkpoint(province, body)
    previous = LogEntry.objects.filter(province=province).order_by("-ledger_size", "-index").first()
    if previous is not None:
        if size < previous.ledger_size:
            raise WitnessRefused(
                "ledger_tree",
                f"the ledger shrank from {previous.ledger_size} to {size} entries",
                code="witness_ledger_shrank",
                previous=previous.ledger_size,
                size=size,
            )
        try:
            nodes = [bytes.fromhex(h) for h in path]
            mt.verify_consistency(previous.ledger_size, size, bytes.fromhex(previous.ledger_root), root, nodes)
        except (ValueError, mt.ProofError) as exc:
            raise WitnessRefused(
                "consistency_path",
                f"not consistent with the checkpoint witnessed at entry {previous.index}: {exc}",
                code="witness_ledger_rewritten",
                size=previous.ledger_size,
                detail=str(exc),
            ) from None
    else:
        path = []
    return _append(province, body, signature, digest, size, root, path)


def _append(province: str, body: bytes, signature: dict, digest: str, size: int, root: bytes, path: list[str]) -> LogEntry:
    head = TreeHead.objects.select_for_update().order_by("-tree_size").first()
    index = head.tree_size if head else 0
    frontier = [bytes.fromhex(h) for h in head.frontier] if head else []
    now = timezone.now()
    leaf = _canonical(
        {
            "format": LEAF_FORMAT,
            "index": index,
            "province": province,
            "checkpoint": body.decode("utf-8"),
            "signature": signature,
            "ledger_consistency": path,
            "witnessed_at": ledger.iso_timestamp(now),
        }
    )
    key = centre_key()
    leaf_digest = mt.leaf_hash(leaf)
    entry = LogEntry.objects.create(
        index=index,
        province=province,
        checkpoint=body.decode("utf-8"),
        checkpoint_sha256=digest,
        province_signature=signature,
        ledger_size=size,
        ledger_root=root.hex(),
        ledger_consistency=path,
        witnessed_at=now,
        leaf=leaf.decode("utf-8"),
        leaf_hash=leaf_digest.hex(),
        countersignature=audit_checkpoints.sign_payload(leaf, key),
    )
    frontier = mt.append_leaf(frontier, index, leaf_digest)
    _sign_head(index + 1, mt.root_of_frontier(frontier), now, key, frontier)
    return entry


def sth_body(tree_size: int, root_hash: str, timestamp: str) -> dict:
    return {"format": STH_FORMAT, "tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp}


def _sign_head(size: int, root: bytes, now, key: bytes, frontier: list[bytes]) -> TreeHead:
    body = sth_body(size, root.hex(), ledger.iso_timestamp(now))
    return TreeHead.objects.create(
        tree_size=size,
        root_hash=root.hex(),
        timestamp=now,
        signature=audit_checkpoints.sign_payload(_canonical(body), key),
        frontier=[node.hex() for node in frontier],
    )


# -- what anyone can fetch -----------------------------------------------------------------


def sth_json(head: TreeHead) -> dict:
    body = sth_body(head.tree_size, head.root_hash, ledger.iso_timestamp(head.timestamp))
    return {**body, "signature": head.signature}


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size").first()


def head_at(tree_size: int | None) -> TreeHead:
    head = latest_head() if tree_size is None else TreeHead.objects.filter(tree_size=tree_size).first()
    if head is None:
        raise WitnessRefused(
            "tree_size", "the log has no tree head of that size", code="witness_no_tree_head", size=tree_size or 0
        )
    return head


def _leaf_hashes(size: int) -> list[bytes]:
    return [
        bytes.fromhex(h) for h in LogEntry.objects.filter(index__lt=size).order_by("index").values_list("leaf_hash", flat=True)
    ]


def entry_json(entry: LogEntry) -> dict:
    return {"index": entry.index, "leaf": entry.leaf, "countersignature": entry.countersignature}


def inclusion_bundle(index: int, tree_size: int | None = None) -> dict:
    """Entry ``index`` with its countersignature, its inclusion path and the signed tree
    head it leads to (the latest, or the one of ``tree_size``)."""
    head = head_at(tree_size)
    entry = LogEntry.objects.filter(index=index).first()
    if entry is None or index >= head.tree_size:
        raise WitnessRefused(
            "index",
            f"entry {index} is not in the tree of {head.tree_size}",
            code="witness_no_entry",
            index=index,
            size=head.tree_size,
        )
    path = mt.inclusion_path(_leaf_hashes(head.tree_size), index)
    return {
        "format": INCLUSION_FORMAT,
        "entry": entry_json(entry),
        "inclusion_path": [node.hex() for node in path],
        "sth": sth_json(head),
    }


def consistency_bundle(first: int, second: int | None = None) -> dict:
    """Both signed tree heads and the consistency path between them."""
    newer = head_at(second)
    older = head_at(first)
    if older.tree_size > newer.tree_size:
        raise WitnessRefused(
            "first",
            "the first tree must not be larger than the second",
            code="witness_sizes_order",
            first=first,
            second=newer.tree_size,
        )
    path = mt.consistency_path(_leaf_hashes(newer.tree_size), older.tree_size)
    return {
        "format": CONSISTENCY_FORMAT,
        "first": sth_json(older),
        "second": sth_json(newer),
        "consistency_path": [node.hex() for node in path],
    }


def ledger_bundle(province: str, from_size: int = 0) -> dict:
    """A province's witnessed checkpoints from the one of ``from_size`` ledger entries on
    (at most ``MAX_BUNDLE_ENTRIES``), each with its inclusion proof in the latest tree:
    whoever holds the province's checkpoint of ``from_size`` entries checks that every
    later one extends it."""
    head = head_at(None)
    entries = list(
        LogEntry.objects.filter(province=province, ledger_size__gte=from_size, index__lt=head.tree_size).order_by(
            "ledger_size", "index"
        )[:MAX_BUNDLE_ENTRIES]
    )
    leaves = _leaf_hashes(head.tree_size)
    return {
        "format": LEDGER_FORMAT,
        "province": province,
        "sth": sth_json(head),
        "entries": [{**entry_json(e), "inclusion_path": [n.hex() for n in mt.inclusion_path(leaves, e.index)]} for e in entries],
    }
