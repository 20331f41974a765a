"""Bulk batches: rows written in bulk (the generator, an import) covered by one entry per
``BATCH_ROWS`` rows instead of one per row.

A batch entry names the model (``object_type``) with an empty ``object_id``; its
``row_digest`` is the Merkle root (``jiliang.core.merkle``) of the digests of its rows in
id order, and ``new`` says how many rows and which ids. The digests themselves are kept,
with their rows' ids, in ``LedgerPage`` rows of ``merkle.PAGE`` leaves (one table row per
page, not per leaf: writing millions of leaf rows cost as much as the rows they cover), so
verify can name the row that changed; a changed, added or removed leaf no longer gives the
root the chained entry recorded. Rows are read back
after the write, so a digest is exactly what the database holds (as for ``record_many``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import multiprocessing
import pickle
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from json.encoder import encode_basestring as _dumps_text
from typing import Any

import numpy as np
from django.db import models as djm
from django.db import transaction
from django.utils import timezone

from jiliang import bulk
from jiliang.core import ledger, merkle

from . import tracked
from .chain import append
from .context import UNSET, actor_fields, resolve
from .models import AuditEntry, LedgerPage
from .recording import ReasonRequired, check_action, check_reason, entry
from .rows import SCAN_CHUNK, columns, has_integer_pk, model_of, object_type_of, read_rows

BATCH_ROWS = 100_000
# What a batch entry may be: rows that came into being in bulk, or fresh digests of rows.
BATCH_ACTIONS = frozenset({AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT, AuditEntry.Action.UPDATE})
PAGE_COLUMNS = ["batch", "page", "object_ids", "row_digests"]


def _chunks_from(model, first_pk) -> Iterator[list[tuple]]:
    cols = columns(model)
    rows = model._base_manager.filter(pk__gte=first_pk).order_by("pk").values_list(*cols).iterator(chunk_size=SCAN_CHUNK)
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunks_of(model, pks: Iterable[int]) -> Iterator[list[tuple]]:
    pk_pos = columns(model).index(model._meta.pk.attname)
    ordered = sorted(set(pks))
    for start in range(0, len(ordered), BATCH_ROWS):
        wanted = ordered[start : start + BATCH_ROWS]
        rows = sorted(read_rows(model, wanted), key=lambda r: r[pk_pos])
        if len(rows) != len(wanted):
            missing = sorted(set(wanted) - {r[pk_pos] for r in rows})[:5]
            raise ledger.LedgerError("rows", f"{object_type_of(model)} {missing} not in the database")
        yield rows


def _batch_who(action: str, model, actor, reason) -> tuple[str, tuple, Any]:
    """(object type, actor fields, reason) of a batch entry, after the checks every batch passes."""
    check_action(action)
    if action not in BATCH_ACTIONS:
        raise ledger.LedgerError("action", f"a batch records {', '.join(sorted(BATCH_ACTIONS))}, not {action!r}")
    object_type = object_type_of(model)
    actor, reason = resolve(actor, reason)
    check_reason(action, object_type, reason)
    return object_type, actor_fields(actor), reason


def record_batches(
    action: str,
    model,
    *,
    first_pk: int | None = None,
    pks: Iterable[int] | None = None,
    actor: Any = UNSET,
    reason: Any = UNSET,
    new: dict | None = None,
) -> int:
    """Cover rows of ``model`` written in bulk: every row with a primary key from ``first_pk``
    on (the generator hands out ids from there), or the rows ``pks`` (an import). Call it
    in the transaction of the write, after the rows are final. Returns the rows covered."""
    if (first_pk is None) == (pks is None):
        raise ValueError("give first_pk or pks")
    if not has_integer_pk(model):
        raise ledger.LedgerError("model", f"{object_type_of(model)}: batches need integer primary keys")
    object_type, actor, reason = _batch_who(action, model, actor, reason)
    cols = columns(model)
    pk_pos = cols.index(model._meta.pk.attname)
    now = timezone.now()
    covered = 0
    for rows in _chunks_from(model, first_pk) if pks is None else _chunks_of(model, pks):
        by_column = [list(c) for c in zip(*rows)]
        del rows
        ids = np.array(by_column[pk_pos], dtype=np.int64)
        joined = digests_of_columns(model, list(cols), by_column, read_back=True)  # = ledger.row_digest of each row
        covered += _write_batch(action, object_type, ids, joined, actor, reason, now, new)
    return covered


def _write_batch(action, object_type, ids: np.ndarray, joined: bytes, actor, reason, now, new) -> int:
    """One batch entry over rows ``ids`` (ascending) whose digests are ``joined`` end to end,
    and its pages of leaves."""
    first, last = int(ids[0]), int(ids[-1])
    content = {"batch": {"rows": int(ids.size), "first_id": first, "last_id": last, "leaves": "audit.ledgerpage"}, **(new or {})}
    root = merkle.root_of_joined(joined).hex()
    sequence, _ = append([entry(action, object_type, "", "", None, content, reason, root, actor, now)])
    wire_ids, step = ids.astype(">i8").tobytes(), merkle.PAGE
    pages = range(0, ids.size, step)
    bulk.write_columns(
        LedgerPage._meta.db_table,
        PAGE_COLUMNS,
        [
            [sequence] * len(pages),
            list(range(len(pages))),
            [wire_ids[i * 8 : (i + step) * 8] for i in pages],
            [joined[i * 32 : (i + step) * 32] for i in pages],
        ],
    )
    return int(ids.size)


_encode_value = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=ledger.json_default).encode


def _encoded_list(values, json_text: bool) -> list[str]:
    """Values one by one, text through the C string encoder and repeated values (a column of
    one kind, of empty strings, of NULLs) encoded once."""
    memo: dict = {}
    out: list[str] = []
    append = out.append
    for v in values:
        kind = type(v)
        if kind is str and not json_text:
            append(_dumps_text(v))
        elif kind is int:
            append(int.__repr__(v))
        elif kind is float:  # not memoised: -0.0 == 0.0, and NaN is written "NaN"
            append(float.__repr__(v) if math.isfinite(v) else _encode_value(v))
        elif v is None or kind in (str, bool, dt.date):  # equal values of these write the same text
            key = (kind, v)
            text = memo.get(key)
            if text is None:
                # A JSON column's text is stored and read back as the value it holds.
                text = memo[key] = _encode_value(json.loads(v) if json_text and v is not None else v)
            append(text)
        else:
            append(_encode_value(v))
    return out


# What the JSON string encoder would escape (ensure_ascii=False): text free of these is its own JSON body.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _fragments(values, json_text: bool) -> tuple[str | list[str], bool]:
    """One column's values as the JSON text ``ledger.row_digest`` writes for them once they
    are read back from the database (whole NumPy columns at once where the type allows):
    one text for every row when the column holds one value throughout (a kind, "", NULL),
    else a text per row; and whether each text still goes between double quotes (strings
    and dates, quoted by the row's template instead of one by one)."""
    n = len(values)
    if isinstance(values, np.ndarray) and not json_text:
        kind = values.dtype.kind
        if kind in "iu":
            return list(map(str, values.tolist())), False
        if kind == "b":
            return np.where(values, "true", "false").tolist(), False
        if kind == "M" and not np.isnat(values).any():
            return values.astype("datetime64[D]").astype(str).tolist(), True
        if kind == "f" and np.isfinite(values).all():
            return list(map(float.__repr__, values.tolist())), False
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if n and type(values[0]) in (str, type(None)) and values.count(values[0]) == n:  # one value throughout: encoded once
        return _encoded_list(values[:1], json_text)[0], False
    if not json_text:
        try:
            joined = "".join(values)
        except TypeError:  # not all text
            joined = None
        if joined is not None and not _ESCAPED.search(joined):
            return values, True
    return _encoded_list(values, json_text), False


def _utf8_lengths(texts: list[str], joined: str) -> np.ndarray:
    """Byte lengths of the texts in UTF-8 (their lengths when all of them are ASCII)."""
    if joined.isascii():
        return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    sizes = {t: len(t.encode("utf-8")) for t in dict.fromkeys(texts)}  # few distinct texts where any is not ASCII
    return np.fromiter(map(sizes.__getitem__, texts), dtype=np.int64, count=len(texts))


_DIGEST = type(hashlib.sha256()).digest
DIGEST_PIECE = 50_000  # rows laid out at a time: bounds the text of a piece


def digests_of_columns(model, names: list[str], values: list, *, read_back: bool = False) -> bytes:
    """The row digests of rows given column by column (as a bulk writer writes them), the
    same as ``ledger.row_digest`` gives for each row read back: a column not given must be
    one the rows leave NULL. Saves reading millions of rows back right after writing them.
    The 32-byte digests come end to end in one bytes object, in the rows' order.
    ``read_back``: the values are as read from the database (a JSON column's value is the
    value it holds, not its text)."""
    given = dict(zip(names, values))
    n = len(values[0]) if values else 0
    fields = {f.attname: f for f in model._meta.concrete_fields}
    keys = sorted(columns(model))  # the order the digest's JSON sorts its keys in
    for key in keys:
        if key not in given and not (fields[key].null and not fields[key].has_db_default()):
            raise ledger.LedgerError("columns", f"{object_type_of(model)}.{key} not given and not NULL by default")
    json_text = {key: not read_back and isinstance(fields[key], djm.JSONField) for key in keys}
    out = []
    for start in range(0, n, DIGEST_PIECE):
        piece = {key: given[key][start : start + DIGEST_PIECE] for key in keys if key in given}
        out.append(_digest_piece(keys, piece, json_text, min(DIGEST_PIECE, n - start)))
    return b"".join(out)


def _digest_piece(keys: list[str], given: dict, json_text: dict, n: int) -> bytes:
    """Each row's canonical JSON laid out end to end by one join (the row template's fixed
    text between the columns' texts), encoded once and hashed row by row."""
    parts: list = []  # fixed text, column texts, fixed text, …, fixed text
    fixed = "{"
    for i, key in enumerate(keys):
        fixed += ("," if i else "") + _dumps_text(key) + ":"
        texts, quoted = _fragments(given[key], json_text[key]) if key in given else ("null", False)
        if isinstance(texts, str):
            fixed += texts
            continue
        parts += [fixed + ('"' if quoted else ""), texts]
        fixed = '"' if quoted else ""
    parts.append(fixed + "}")
    width = len(parts)
    slots: list = [None] * (n * width)
    row_bytes = np.zeros(n, dtype=np.int64)
    for j, part in enumerate(parts):
        if isinstance(part, str):
            slots[j::width] = [part] * n
            row_bytes += len(part.encode("utf-8"))
        else:
            slots[j::width] = part
            row_bytes += _utf8_lengths(part, "".join(part))
    data = memoryview("".join(slots).encode("utf-8"))
    ends = np.cumsum(row_bytes)
    rows = map(data.__getitem__, map(slice, (ends - row_bytes).tolist(), ends.tolist()))
    return b"".join(map(_DIGEST, map(hashlib.sha256, rows)))  # C iterators throughout: no bytecode per row


def record_digests(action: str, model, ids, digests, *, actor: Any = UNSET, reason: Any = UNSET, new: dict | None = None) -> int:
    """Cover rows whose digests the writer computed (``digests_of_columns``) as it wrote
    them: batches of ``BATCH_ROWS`` in id order, as ``record_batches`` writes them.
    ``digests`` are the rows' 32-byte digests end to end (bytes), or a sequence of them."""
    object_type, actor, reason = _batch_who(action, model, actor, reason)
    ids = np.asarray(ids, dtype=np.int64)
    joined = digests if isinstance(digests, (bytes, bytearray, memoryview)) else b"".join(digests)
    table = np.frombuffer(joined, dtype=np.uint8).reshape(-1, 32)
    if table.shape[0] != ids.size:
        raise ValueError(f"{ids.size} ids but {table.shape[0]} digests")
    if ids.size > 1 and not (ids[1:] > ids[:-1]).all():
        order = np.argsort(ids, kind="stable")
        ids, table = ids[order], table[order]
    now = timezone.now()
    for start in range(0, ids.size, BATCH_ROWS):
        part = table[start : start + BATCH_ROWS]
        _write_batch(action, object_type, ids[start : start + BATCH_ROWS], part.tobytes(), actor, reason, now, new)
    return int(ids.size)


def _digest_job(object_type: str, names: list[str], payload: bytes) -> bytes:
    return digests_of_columns(model_of(object_type), names, pickle.loads(payload))


class ColumnDigests:
    """The digests of rows a bulk writer writes, column batch by column batch
    (``digests_of_columns``), computed in a worker process while the writer goes on: the
    writer's thread only pickles the columns, and the hashing runs beside the writer and the
    database instead of between their steps. ``record`` puts them on the ledger at the end
    (``record_digests``). Without fork (or with ``processes=0``) digests are computed at once.

    Create it before the writer starts threads: the worker is forked here, so that it holds
    no lock another thread had taken. The worker only hashes; it never uses the database."""

    def __init__(self, processes: int = 1):
        self.pool = None
        if processes and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
            self.pool.submit(int).result()  # fork now
        self.batches: dict = {}  # model → [(ids, digests or their future)]

    def add(self, model, names: list[str], values: list) -> None:
        ids = np.array(values[list(names).index(model._meta.pk.attname)], dtype=np.int64)
        if self.pool is None:
            digests: bytes | Future = digests_of_columns(model, names, values)
        else:  # pickled now: the writer may reuse its arrays once it has written them
            payload = pickle.dumps(list(values), protocol=pickle.HIGHEST_PROTOCOL)
            digests = self.pool.submit(_digest_job, object_type_of(model), list(names), payload)
        self.batches.setdefault(model, []).append((ids, digests))

    def record(self, action: str, **kwargs) -> dict[str, int]:
        """Every model's rows on the ledger, in batches; rows covered per model."""
        covered = {}
        for model, parts in self.batches.items():
            ids = np.concatenate([i for i, _ in parts])
            joined = b"".join(d if isinstance(d, bytes) else d.result() for _, d in parts)
            covered[object_type_of(model)] = record_digests(action, model, ids, joined, **kwargs)
        self.batches = {}
        return covered

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def baseline(models_: Iterable | None = None, *, reason: str, actor: Any = UNSET) -> dict[str, int]:
    """Put every current row of the tracked models (or of ``models_``) on the ledger in
    batches (``update``): for a database filled before bulk writes were recorded, after a
    verify of what the ledger did hold came back intact. Returns the rows covered per model."""
    if not (reason or "").strip():
        raise ReasonRequired("a baseline needs a reason (why the current rows are taken as they are)")
    chosen = list(models_) if models_ is not None else [m for m in tracked.tracked_models() if has_integer_pk(m)]
    with transaction.atomic():
        return {
            object_type_of(model): record_batches(AuditEntry.Action.UPDATE, model, first_pk=0, actor=actor, reason=reason)
            for model in chosen
        }


def leaves(batch: int) -> tuple[np.ndarray, list[bytes]]:
    """A batch's (ids, digests) in id order, as stored: its pages one after the other."""
    pages = LedgerPage.objects.filter(batch=batch).order_by("page").values_list("object_ids", "row_digests")
    id_parts, digest_parts = [], []
    for object_ids, row_digests in pages.iterator(chunk_size=200):
        id_parts.append(bytes(object_ids))
        digest_parts.append(bytes(row_digests))
    ids = np.frombuffer(b"".join(id_parts), dtype=">i8").astype(np.int64)
    joined = b"".join(digest_parts)
    return ids, [joined[i : i + 32] for i in range(0, len(joined), 32)]


def leaf_ids(batch: int) -> set[int]:
    return set(leaves(batch)[0].tolist())


def leaf_count() -> int:
    """Leaves held over every batch (one per row covered)."""
    return sum(len(bytes(ids)) // 8 for ids in LedgerPage.objects.values_list("object_ids", flat=True).iterator(chunk_size=200))
