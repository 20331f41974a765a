"""Checking files fetched from the centre's witness log, offline (``jiliang audit
witness-verify FILE…``): no database and no network, only the files and, when given, the
centre's and the provinces' public keys. The formats are in docs/witness.md.

Every file is checked on its own (signatures, the leaf hashes, the inclusion and
consistency paths, RFC 9162 §2.1.3.2 / §2.1.4.2), then the files against each other: two
tree heads of one size must have one root (else the centre showed two logs), and a
province checkpoint someone kept must be the one the log witnessed at its size (else the
province rewrote its history, or signed two)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from jiliang.audit.checkpoints import verify_payload
from jiliang.core import ledger
from jiliang.core import transparency as mt

from . import services as s


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: int = 0
    heads: dict[int, tuple[str, str]] = field(default_factory=dict)  # size → (root, file)
    witnessed: dict[tuple[str, int], str] = field(default_factory=dict)  # (province, ledger size) → root
    kept: list[tuple[str, dict]] = field(default_factory=list)  # province checkpoints held by the verifier

    def ok(self, text: str) -> None:
        self.lines.append(f"ok: {text}")

    def fail(self, text: str) -> None:
        self.failures += 1
        self.lines.append(f"FAIL: {text}")

    @property
    def intact(self) -> bool:
        return self.failures == 0


def _canonical(value) -> bytes:
    return ledger.canonical_json(value).encode("utf-8")


def _hash(text, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise mt.ProofError(f"{what} is not hexadecimal") from None
    if len(value) != mt.HASH_SIZE:
        raise mt.ProofError(f"{what} is not 32 bytes")
    return value


def _sth(name: str, sth: Mapping, report: Report, centre_key: bytes | None) -> tuple[int, bytes] | None:
    try:
        size, root = int(sth["tree_size"]), _hash(sth["root_hash"], "root_hash")
        body = s.sth_body(size, sth["root_hash"], sth["timestamp"])
    except (KeyError, TypeError, ValueError) as exc:
        report.fail(f"{name}: not a signed tree head ({exc})")
        return None
    problem = verify_payload(_canonical(body), sth.get("signature") or {}, centre_key)
    if problem:
        report.fail(f"{name}: tree head {size}: centre signature: {problem}")
        return None
    seen = report.heads.setdefault(size, (root.hex(), name))
    if seen[0] != root.hex():
        report.fail(f"{name}: tree head {size} has root {root.hex()[:16]}…, {seen[1]} one of {seen[0][:16]}… (two logs)")
        return None
    report.ok(f"{name}: tree head {size} signed by the centre")
    return size, root


def _entry(name: str, entry: Mapping, path, size: int, root: bytes, report: Report, centre_key, province_keys) -> dict | None:
    """An entry and its inclusion proof; the leaf's content when all holds."""
    try:
        leaf_text, index = entry["leaf"], int(entry["index"])
        leaf_bytes = leaf_text.encode("utf-8")
        leaf = json.loads(leaf_text)
        nodes = [_hash(h, "a path node") for h in path]
    except (KeyError, TypeError, ValueError) as exc:
        report.fail(f"{name}: not a log entry ({exc})")
        return None
    where = f"{name}: entry {index}"
    problem = verify_payload(leaf_bytes, entry.get("countersignature") or {}, centre_key)
    if problem:
        report.fail(f"{where}: centre countersignature: {problem}")
        return None
    if leaf.get("format") != s.LEAF_FORMAT or leaf.get("index") != index:
        report.fail(f"{where}: the leaf is not entry {index} of a witness log")
        return None
    try:
        mt.verify_inclusion(index, size, mt.leaf_hash(leaf_bytes), nodes, root)
    except mt.ProofError as exc:
        report.fail(f"{where}: inclusion in tree {size}: {exc}")
        return None
    province = str(leaf.get("province"))
    key = province_keys.get(province)
    problem = verify_payload(str(leaf.get("checkpoint", "")).encode("utf-8"), leaf.get("signature") or {}, key)
    if problem:
        report.fail(f"{where}: province {province}'s signature: {problem}")
        return None
    checkpoint = json.loads(leaf["checkpoint"])
    tree = checkpoint.get("ledger_tree") or {}
    report.witnessed[(province, int(tree.get("size", 0)))] = str(tree.get("root"))
    report.ok(
        f"{where}: province {province}'s checkpoint of {tree.get('size')} ledger entries, "
        f"signed{'' if key else ' (key embedded, not pinned)'}, countersigned, in tree {size}"
    )
    return leaf


def _ledger(name: str, doc: Mapping, report: Report, centre_key, province_keys) -> None:
    head = _sth(name, doc.get("sth") or {}, report, centre_key)
    if head is None:
        return
    previous: tuple[int, bytes] | None = None
    for entry in doc.get("entries") or []:
        leaf = _entry(name, entry, entry.get("inclusion_path") or [], *head, report, centre_key, province_keys)
        if leaf is None:
            previous = None
            continue
        tree = json.loads(leaf["checkpoint"])["ledger_tree"]
        size, root = int(tree["size"]), _hash(tree["root"], "ledger root")
        if previous is not None:
            try:
                nodes = [_hash(h, "a path node") for h in leaf.get("ledger_consistency") or []]
                mt.verify_consistency(previous[0], size, previous[1], root, nodes)
                report.ok(f"{name}: ledger of {size} entries extends the one of {previous[0]}")
            except mt.ProofError as exc:
                report.fail(f"{name}: ledger of {size} entries does not extend the one of {previous[0]}: {exc}")
        previous = (size, root)


def _inclusion(name: str, doc: Mapping, report: Report, centre_key, province_keys) -> None:
    head = _sth(name, doc.get("sth") or {}, report, centre_key)
    if head is not None:
        _entry(name, doc.get("entry") or {}, doc.get("inclusion_path") or [], *head, report, centre_key, province_keys)


def _consistency(name: str, doc: Mapping, report: Report, centre_key) -> None:
    first = _sth(name, doc.get("first") or {}, report, centre_key)
    second = _sth(name, doc.get("second") or {}, report, centre_key)
    if first is None or second is None:
        return
    try:
        nodes = [_hash(h, "a path node") for h in doc.get("consistency_path") or []]
        mt.verify_consistency(first[0], second[0], first[1], second[1], nodes)
        report.ok(f"{name}: the log of {first[0]} entries is a prefix of the log of {second[0]}")
    except mt.ProofError as exc:
        report.fail(f"{name}: tree {first[0]} → {second[0]}: {exc}")


def verify_documents(
    documents: list[tuple[str, dict]], centre_key: bytes | None = None, province_keys: Mapping[str, bytes] | None = None
) -> Report:
    """Check each document (name, parsed JSON), then the documents against each other."""
    report = Report()
    keys = dict(province_keys or {})
    for name, doc in documents:
        kind = doc.get("format") if isinstance(doc, dict) else None
        if kind == s.STH_FORMAT:
            _sth(name, doc, report, centre_key)
        elif kind == s.INCLUSION_FORMAT:
            _inclusion(name, doc, report, centre_key, keys)
        elif kind == s.CONSISTENCY_FORMAT:
            _consistency(name, doc, report, centre_key)
        elif kind == s.LEDGER_FORMAT:
            _ledger(name, doc, report, centre_key, keys)
        elif kind == s.SUBMISSION_FORMAT:  # what a province sent, kept by it or by anyone
            try:
                report.kept.append((name, {**json.loads(doc["checkpoint"]), "signature": doc["signature"]}))
            except (KeyError, TypeError, ValueError) as exc:
                report.fail(f"{name}: not a submission ({exc})")
        elif isinstance(doc, dict) and "ledger_tree" in doc:  # a checkpoint with its signature
            report.kept.append((name, doc))
        else:
            report.fail(f"{name}: not a witness file (format {kind!r}; see docs/witness.md)")
    for name, checkpoint in report.kept:
        _kept(name, checkpoint, report, keys)
    return report


def _kept(name: str, checkpoint: dict, report: Report, keys: Mapping[str, bytes]) -> None:
    """A province checkpoint the verifier kept: signed by the province, and the one the log
    witnessed at its size."""
    province = str(checkpoint.get("province"))
    signature = checkpoint.get("signature")
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    problem = verify_payload(_canonical(body), signature or {}, keys.get(province))
    if problem:
        report.fail(f"{name}: province {province}'s signature: {problem}")
        return
    try:
        size, root = int(checkpoint["ledger_tree"]["size"]), str(checkpoint["ledger_tree"]["root"])
    except (KeyError, TypeError, ValueError) as exc:
        report.fail(f"{name}: no ledger tree ({exc})")
        return
    witnessed = report.witnessed.get((province, size))
    if witnessed is None:
        report.fail(f"{name}: no file given shows the log witnessing province {province}'s checkpoint of {size} entries")
    elif witnessed != root:
        report.fail(
            f"{name}: province {province} signed two ledgers of {size} entries: the kept one has root {root[:16]}…, "
            f"the witnessed one {witnessed[:16]}… (history rewritten)"
        )
    else:
        report.ok(f"{name}: province {province}'s kept checkpoint of {size} entries is the witnessed one")
