"""Verifying the ledger: the chain, and every live row of every tracked model against it.

The walk recomputes every entry's hash and link. The rows are then checked table by table:
each row's digest against the latest entry that recorded it — its own entry, or the leaf of
the bulk batch that covered it — so a row changed, deleted or inserted outside the
application is found; so is a batch whose leaves no longer give its recorded Merkle root,
and a derived column that differs from what the audited rows it derives from give.

Type-level entries (an empty ``object_id``) mark the walk: a batch (its ``row_digest`` the
root) covers its leaves and supersedes earlier entries of those rows; a ``delete`` of a whole
model (``generate --replace``) ends everything recorded of it before."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, connections, models
from django.db.models import Max, Min
from django.db.models.functions import Cast

from jiliang.core import ledger, merkle

from . import batches, tracked
from .chain import ENTRY_COLUMNS
from .checkpoints import check_checkpoint
from .models import AuditEntry, LedgerHead
from .rows import SCAN_CHUNK, columns, has_integer_pk, model_of, object_type_of, scan_rows

PARALLEL_MIN_ENTRIES = 200_000
FINDINGS_PER_KIND = 1_000  # per model and kind; the rest are counted in one finding


@dataclass
class VerifyReport:
    entries: int
    head: dict
    findings: list[ledger.Finding] = field(default_factory=list)
    rows_checked: int = 0
    unchecked_types: list[str] = field(default_factory=list)
    checkpoint: dict | None = None
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return not self.findings

    def to_json(self) -> dict:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "rows_checked": self.rows_checked,
            "head": self.head,
            "checkpoint": self.checkpoint,
            "findings": [f.to_json() for f in self.findings],
            "unchecked_types": self.unchecked_types,
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------- the walk


def _entry_rows(chunk_size: int, first: int | None = None, last: int | None = None):
    """Entries as tuples in ``ledger.ENTRY_COLUMNS`` order, streamed in sequence order."""
    cols = list(ENTRY_COLUMNS.values())
    queryset = AuditEntry.objects.order_by("sequence")
    if first is not None:
        queryset = queryset.filter(sequence__gte=first, sequence__lte=last)
    if connection.vendor == "sqlite":
        # The stored UTC text as it is: parsing it into a datetime only to print it back
        # would be most of the walk's time.
        queryset = queryset.annotate(timestamp_text=Cast("timestamp", models.TextField()))
        cols[1] = "timestamp_text"
    return queryset.values_list(*cols).iterator(chunk_size=chunk_size)


def _forget(latest: dict, ids: set[int]) -> None:
    """Drop per-row digests of rows a later batch covers (the batch's leaf is newer)."""
    for key in [k for k in latest if k.isdigit() and int(k) in ids]:
        del latest[key]


def _marked(rows: Iterable[tuple], walker: ledger.ChainWalker, markers: list) -> Iterator[tuple]:
    """The entries on their way to the walker. A type-level entry is noted as a marker
    (sequence, object type, "batch" | "clear", root), and applied to the per-row digests the
    walker has gathered so far: the walker reads an entry only after those before it."""
    for row in rows:
        if not row[6] and row[5]:
            object_type = row[5]
            if row[4] == ledger.DELETE_ACTION:
                markers.append((row[0], object_type, "clear", None))
                walker.latest[object_type] = {}
            elif row[11] is not None and row[4] in batches.BATCH_ACTIONS:
                markers.append((row[0], object_type, "batch", row[11]))
                if walker.latest.get(object_type):
                    _forget(walker.latest[object_type], batches.leaf_ids(row[0]))
        yield row


def _walk_range(task: tuple) -> ledger.ChainWalker:
    first, last, track, chunk_size = task
    walker = ledger.ChainWalker(previous_hash=None, previous_sequence=None, track_objects=track)
    markers: list = []
    walker.feed(_marked(_entry_rows(chunk_size, first, last), walker, markers))
    walker.markers = markers
    return walker


def _settle(parts: list[ledger.ChainWalker]) -> list:
    """Walks of consecutive ranges: a range's markers also end or supersede the per-row
    digests of the ranges before it. Returns all markers in order."""
    markers = []
    for k, part in enumerate(parts):
        for sequence, object_type, kind, _root in part.markers:
            for earlier in parts[:k]:
                if kind == "clear":
                    earlier.latest.pop(object_type, None)
                elif earlier.latest.get(object_type):
                    _forget(earlier.latest[object_type], batches.leaf_ids(sequence))
        markers.extend(part.markers)
    return markers


def _live_batches(markers: list) -> dict[str, list[tuple[int, str]]]:
    """Per object type, the batches after its last whole-model delete: (sequence, root)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for sequence, object_type, kind, root in markers:
        if kind == "clear":
            out[object_type] = []
        else:
            out.setdefault(object_type, []).append((sequence, root))
    return out


# ---------------------------------------------------------------- the rows

# What forked row checkers read: set before the fork, so the children share the parent's
# memory instead of receiving 10^6 digests through a pipe.
_shared_latest: dict[str, dict[str, str | None]] = {}
_shared_batches: dict[str, list[tuple[int, str]]] = {}


class _Findings:
    """Findings of one model, at most ``FINDINGS_PER_KIND`` of a kind, the rest counted."""

    def __init__(self, object_type: str):
        self.object_type, self.items, self.counts = object_type, [], {}

    def add(self, kind: str, key, message: str, sequence: int | None = None) -> None:
        n = self.counts[kind] = self.counts.get(kind, 0) + 1
        if n <= FINDINGS_PER_KIND:
            self.items.append(
                ledger.Finding(
                    kind, f"{self.object_type} {key}: {message}", sequence, self.object_type, None if key is None else str(key)
                )
            )

    def done(self) -> list[ledger.Finding]:
        for kind, n in self.counts.items():
            if n > FINDINGS_PER_KIND:
                self.items.append(
                    ledger.Finding(
                        kind, f"{self.object_type}: {n - FINDINGS_PER_KIND} more {kind} findings", None, self.object_type
                    )
                )
        return self.items


def _batch_leaves(object_type: str, found: _Findings) -> tuple[np.ndarray, np.ndarray]:
    """The leaves of the model's live batches as (sorted ids, digests), a later batch's leaf
    winning; each batch's leaves checked against the root its entry recorded."""
    id_parts, digest_parts = [], []
    for sequence, root in _shared_batches.get(object_type, []):
        ids, digests = batches.leaves(sequence)
        if len(ids) != len(digests) or merkle.root(digests).hex() != root:
            ids, digests = ids[: len(digests)], digests[: len(ids)]  # a page whose ids and digests disagree
            found.add(
                "batch_changed",
                None,
                f"the digests of batch {sequence} ({len(ids)} rows) no longer give the Merkle root "
                "its entry recorded (leaves changed, added or removed outside the application)",
                sequence,
            )
        id_parts.append(np.array(ids, dtype=np.int64))
        digest_parts.append(np.array(digests, dtype="S32"))
    if not id_parts:
        return np.empty(0, np.int64), np.empty(0, "S32")
    ids, digests = np.concatenate(id_parts)[::-1], np.concatenate(digest_parts)[::-1]
    ids, first = np.unique(ids, return_index=True)  # in reverse: each id's last leaf
    return ids, digests[first]


def _check_rows(object_type: str) -> tuple[list[ledger.Finding], int]:
    """Every live row of one model against the ledger: its latest entry's digest, else its
    batch leaf; rows the ledger does not know, and recorded rows that are gone."""
    model = model_of(object_type)
    cols = columns(model)
    pk_pos = cols.index(model._meta.pk.attname)
    found = _Findings(object_type)
    latest = _shared_latest.get(object_type, {})
    integer = has_integer_pk(model)
    if integer:
        per_row = {int(k): v for k, v in latest.items() if k.isdigit()}
        leaf_ids, leaf_digests = _batch_leaves(object_type, found)
        if per_row and leaf_ids.size:  # a row's own later entry wins over its batch leaf
            keep = ~np.isin(leaf_ids, np.fromiter(per_row, dtype=np.int64, count=len(per_row)))
            leaf_ids, leaf_digests = leaf_ids[keep], leaf_digests[keep]
    else:
        per_row, leaf_ids, leaf_digests = dict(latest), np.empty(0, np.int64), np.empty(0, "S32")
    seen_leaf = np.zeros(leaf_ids.size, dtype=bool)
    seen: set = set()
    checked = 0
    digest = ledger.row_digest

    def check(chunk: list[tuple]) -> None:
        keys = [r[pk_pos] if integer else str(r[pk_pos]) for r in chunk]
        hexes = [digest(dict(zip(cols, r))) for r in chunk]
        covered = np.zeros(len(chunk), dtype=bool)
        if leaf_ids.size:
            ids = np.array(keys, dtype=np.int64)
            at = np.minimum(np.searchsorted(leaf_ids, ids), leaf_ids.size - 1)
            covered = leaf_ids[at] == ids
            got = np.array([bytes.fromhex(h) for h in hexes], dtype="S32")
            for i in np.flatnonzero(covered & (leaf_digests[at] != got)):
                found.add("row_changed", keys[i], "row changed outside the application (differs from its batch leaf)")
            seen_leaf[at[covered]] = True
        for i in np.flatnonzero(~covered):
            key = keys[i]
            if key not in per_row:
                found.add("row_unrecorded", key, "row not on the ledger (written outside the application)")
                continue
            seen.add(key)
            expected = per_row[key]
            if expected is None:
                found.add("row_restored", key, "exists although the ledger records its deletion")
            elif hexes[i] != expected:
                found.add("row_changed", key, "row changed outside the application (digest mismatch)")

    chunk: list[tuple] = []
    for row in scan_rows(model):
        chunk.append(row)
        if len(chunk) >= SCAN_CHUNK:
            check(chunk)
            checked += len(chunk)
            chunk = []
    if chunk:
        check(chunk)
        checked += len(chunk)
    for key in leaf_ids[~seen_leaf].tolist():
        found.add("row_deleted", key, "row deleted outside the application")
    for key, expected in per_row.items():
        if expected is not None and key not in seen:
            found.add("row_deleted", key, "row deleted outside the application")
    for pk, name, stored, expected in getattr(model, "derived_mismatches", lambda: [])():
        found.add("derived_changed", pk, f"{name} is {stored} but the audited rows it derives from give {expected}")
    return found.done(), checked


def _read_head() -> tuple[int, str] | None:
    return LedgerHead.objects.filter(pk=1).values_list("sequence", "entry_hash").first()


def _not_written_since(findings: list[ledger.Finding], sequence: int) -> list[ledger.Finding]:
    """Drop row findings for objects the application wrote after the walk read the chain
    (their newer entries are checked by the next verify)."""
    return [
        f
        for f in findings
        if f.object_id is None
        or f.kind == "batch_changed"
        or not AuditEntry.objects.filter(object_type=f.object_type, sequence__gt=sequence)
        .filter(models.Q(object_id=f.object_id) | models.Q(object_id=""))
        .exists()
    ]


def _parallel_workers(requested: int | None, entries: int) -> int:
    """Worker processes for verify: forked, so only for a large ledger in a database the
    children can open (not an in-memory one) and outside a transaction they could not see."""
    # One process by default: on a machine shared with the web server, forking a second
    # one did not pay off in the benchmark (benchmarks/bench_audit.py).
    wanted = requested if requested is not None else getattr(settings, "JILIANG_AUDIT_VERIFY_WORKERS", 1)
    if (
        wanted <= 1
        or entries < PARALLEL_MIN_ENTRIES
        or "fork" not in multiprocessing.get_all_start_methods()
        or connection.in_atomic_block
        or (connection.vendor == "sqlite" and connection.is_in_memory_db())
    ):
        return 1
    return wanted


def _map(function, tasks: list, workers: int) -> list:
    if workers <= 1 or len(tasks) <= 1:
        return [function(task) for task in tasks]
    connections.close_all()  # each child opens its own connection
    with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
        return pool.map(function, tasks, chunksize=1)


def _row_tasks(walker: ledger.ChainWalker, live_batches: dict, report: VerifyReport) -> list[str]:
    """The models to check: every tracked one, and any other the ledger names."""
    types = {object_type_of(m) for m in tracked.tracked_models()}
    for object_type in [*walker.latest, *live_batches]:
        if object_type in types or not (walker.latest.get(object_type) or live_batches.get(object_type)):
            continue
        if model_of(object_type) is None:
            if object_type not in report.unchecked_types:
                report.unchecked_types.append(object_type)
            continue
        types.add(object_type)
    for object_type in types:
        _shared_latest[object_type] = walker.latest.get(object_type, {})
        _shared_batches[object_type] = live_batches.get(object_type, [])
    # The biggest first, so forked workers finish together.
    return sorted(types, key=lambda t: -(len(_shared_latest[t]) + sum(1 for _ in _shared_batches[t]) * batches.BATCH_ROWS))


def verify(
    *,
    checkpoint: Mapping | None = None,
    public_key_pem: bytes | None = None,
    check_rows: bool = True,
    chunk_size: int = 20_000,
    workers: int | None = None,
) -> VerifyReport:
    """Walk the whole chain in sequence order (streamed in chunks), compare its end with
    the recorded head, check every live row of every tracked model against the ledger, and
    optionally check a checkpoint. Reads only; a report with no findings means intact.

    With ``workers`` > 1 (default: the setting ``JILIANG_AUDIT_VERIFY_WORKERS``, else 1) a
    large ledger is walked as consecutive sequence ranges by forked processes, whose walks
    are joined with their boundary links checked (``ledger.merge_walks``), and the models'
    rows are checked by forked processes too."""
    started = time.perf_counter()
    head_before = _read_head()
    bounds = AuditEntry.objects.aggregate(first=Min("sequence"), last=Max("sequence"))
    first, last = bounds["first"] or 1, bounds["last"] or 0
    n = _parallel_workers(workers, last - first + 1)
    step = -(-(last - first + 1) // n) if last >= first else 1
    ranges = [(lo, min(lo + step - 1, last), check_rows, chunk_size) for lo in range(first, last + 1, step)] or [
        (1, 0, check_rows, chunk_size)
    ]
    parts = _map(_walk_range, ranges, n)
    markers = _settle(parts)
    walker = ledger.merge_walks(parts)
    head_after = _read_head()
    end = walker.previous_sequence or 0
    # Writers keep appending while verify runs: a chain that ends between the head seen
    # before and the head seen after is whole up to where it was read.
    if not (head_after and (head_before[0] if head_before else 0) <= end < head_after[0]):
        walker.check_head(*(head_after or (None, None)))
    report = VerifyReport(
        entries=walker.count,
        head={"sequence": walker.previous_sequence, "entry_hash": walker.previous_hash, "timestamp": walker.head_timestamp},
        findings=walker.findings,
    )
    if check_rows:
        try:
            row_findings = []
            for findings, checked in _map(_check_rows, _row_tasks(walker, _live_batches(markers), report), n):
                row_findings.extend(findings)
                report.rows_checked += checked
            if row_findings and _read_head() != head_before:  # only when someone wrote meanwhile
                row_findings = _not_written_since(row_findings, end)
            report.findings.extend(row_findings)
        finally:
            _shared_latest.clear()
            _shared_batches.clear()
    if checkpoint is not None:
        report.checkpoint = check_checkpoint(checkpoint, public_key_pem, report)
    report.seconds = time.perf_counter() - started
    return report
