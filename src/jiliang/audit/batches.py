"""Bulk batches: rows written in bulk (the generator, an import) covered by one entry per
``BATCH_ROWS`` rows instead of one per row.

A batch entry names the model (``object_type``) with an empty ``object_id``; its
``row_digest`` is the Merkle root (``jiliang.core.merkle``) of the digests of its rows in
id order, and ``new`` says how many rows and which ids. The digests themselves are kept
one per row in ``LedgerLeaf``, so verify can name the row that changed; a changed, added
or removed leaf no longer gives the root the chained entry recorded. Rows are read back
after the write, so a digest is exactly what the database holds (as for ``record_many``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
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
from .models import AuditEntry, LedgerLeaf
from .recording import ReasonRequired, check_action, check_reason, entry
from .rows import READ_BATCH, SCAN_CHUNK, columns, has_integer_pk, object_type_of, read_rows

BATCH_ROWS = 100_000
# What a batch entry may be: rows that came into being in bulk, or fresh digests of rows.
BATCH_ACTIONS = frozenset({AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT, AuditEntry.Action.UPDATE})
LEAF_COLUMNS = ["batch", "object_id", "row_digest"]


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
    digest = ledger.row_digest
    now = timezone.now()
    covered = 0
    for rows in _chunks_from(model, first_pk) if pks is None else _chunks_of(model, pks):
        ids = [r[pk_pos] for r in rows]
        leaves = [bytes.fromhex(digest(dict(zip(cols, r)))) for r in rows]
        root = merkle.root(leaves).hex()
        content = {
            "batch": {"rows": len(ids), "first_id": ids[0], "last_id": ids[-1], "leaves": "audit.ledgerleaf"},
            **(new or {}),
        }
        sequence, _ = append([entry(action, object_type, "", "", None, content, reason, root, actor, now)])
        bulk.write_columns(LedgerLeaf._meta.db_table, LEAF_COLUMNS, [[sequence] * len(ids), ids, leaves])
        covered += len(ids)
    return covered


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
        elif v is None or kind in (str, float, bool):
            key = (kind, v)
            text = memo.get(key)
            if text is None:
                # A JSON column's text is stored and read back as the value it holds.
                text = memo[key] = _encode_value(json.loads(v) if json_text and v is not None else v)
            append(text)
        else:
            append(_encode_value(v))
    return out


def _fragments(values, json_text: bool) -> list[str]:
    """One column's values as the JSON text ``ledger.row_digest`` writes for them once they
    are read back from the database (whole NumPy columns at once where the type allows)."""
    if isinstance(values, np.ndarray) and not json_text:
        kind = values.dtype.kind
        if kind in "iu":
            return list(map(str, values.tolist()))
        if kind == "b":
            return np.where(values, "true", "false").tolist()
        if kind == "M" and not np.isnat(values).any():
            return ['"' + text + '"' for text in values.astype("datetime64[D]").astype(str).tolist()]
        if kind == "f" and np.isfinite(values).all():
            return list(map(float.__repr__, values.tolist()))
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if values and values.count(values[0]) == len(values):  # one value throughout (a kind, "", NULL): encoded once
        return _encoded_list(values[:1], json_text) * len(values)
    return _encoded_list(values, json_text)


def digests_of_columns(model, names: list[str], values: list) -> list[bytes]:
    """The row digests of rows given column by column (as a bulk writer writes them), the
    same as ``ledger.row_digest`` gives for each row read back: a column not given must be
    one the rows leave NULL. Saves reading millions of rows back right after writing them."""
    given = dict(zip(names, values))
    n = len(values[0]) if values else 0
    fields = {f.attname: f for f in model._meta.concrete_fields}
    keys = sorted(columns(model))  # the order the digest's JSON sorts its keys in
    fragments = []
    for key in keys:
        if key in given:
            fragments.append(_fragments(given[key], isinstance(fields[key], djm.JSONField)))
        elif fields[key].null and not fields[key].has_db_default():
            fragments.append(["null"] * n)
        else:
            raise ledger.LedgerError("columns", f"{object_type_of(model)}.{key} not given and not NULL by default")
    template = "{" + ",".join(f"{_dumps_text(key)}:%s" for key in keys) + "}"
    sha256 = hashlib.sha256
    return [sha256((template % row).encode("utf-8")).digest() for row in zip(*fragments)]


def record_digests(action: str, model, ids, digests, *, actor: Any = UNSET, reason: Any = UNSET, new: dict | None = None) -> int:
    """Cover rows whose digests the writer computed (``digests_of_columns``) as it wrote
    them: batches of ``BATCH_ROWS`` in id order, as ``record_batches`` writes them."""
    object_type, actor, reason = _batch_who(action, model, actor, reason)
    ids = np.asarray(ids, dtype=np.int64)
    digests = np.asarray(digests, dtype="S32")
    order = np.argsort(ids, kind="stable")
    ids, digests = ids[order], digests[order]
    now = timezone.now()
    for start in range(0, ids.size, BATCH_ROWS):
        part_ids = ids[start : start + BATCH_ROWS].tolist()
        leaves = [bytes(d).ljust(32, b"\0") for d in digests[start : start + BATCH_ROWS].tolist()]  # S32 drops trailing NULs
        content = {
            "batch": {"rows": len(part_ids), "first_id": part_ids[0], "last_id": part_ids[-1], "leaves": "audit.ledgerleaf"},
            **(new or {}),
        }
        sequence, _ = append([entry(action, object_type, "", "", None, content, reason, merkle.root(leaves).hex(), actor, now)])
        bulk.write_columns(LedgerLeaf._meta.db_table, LEAF_COLUMNS, [[sequence] * len(part_ids), part_ids, leaves])
    return int(ids.size)


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


def leaf_ids(batch: int) -> set[int]:
    return set(LedgerLeaf.objects.filter(batch=batch).values_list("object_id", flat=True))


def leaves(batch: int) -> tuple[list[int], list[bytes]]:
    """A batch's (ids, digests) in id order, as stored."""
    rows = LedgerLeaf.objects.filter(batch=batch).order_by("object_id").values_list("object_id", "row_digest")
    ids, digests = [], []
    for object_id, value in rows.iterator(chunk_size=READ_BATCH * 50):
        ids.append(object_id)
        digests.append(bytes(value))
    return ids, digests
