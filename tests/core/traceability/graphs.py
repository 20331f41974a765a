"""Build engine inputs from small Python descriptions, for the hand-built tests."""

import numpy as np

from jiliang.core.traceability import DATE_MAX, DATE_MIN, EventBatch, StandardsTable


def standards_table(n_standards, standards):
    """standards: {s: dict(devices=[...], root=False, approvals=[(f, u)], status=[(f, u, code)],
    oot=[(f, u)])}; a standard without "approvals" is approved for ever."""
    devices, ptr, root = [], [0], []
    ap, st, oo = [], [], []
    for s in range(n_standards):
        spec = standards.get(s, {})
        devices += list(spec.get("devices", []))
        ptr.append(len(devices))
        root.append(bool(spec.get("root", False)))
        ap += [(s, f, u) for f, u in spec.get("approvals", [(DATE_MIN, DATE_MAX)])]
        st += [(s, f, u, c) for f, u, c in spec.get("status", [])]
        oo += [(s, f, u) for f, u in spec.get("oot", [])]

    def cols(rows, n):
        return [np.array([r[i] for r in rows], dtype=np.int64) for i in range(n)]

    return StandardsTable(
        n_standards,
        np.array(ptr),
        np.array(devices, dtype=np.int64),
        np.array(root, bool),
        *cols(ap, 3),
        *cols(st, 4),
        *cols(oo, 3),
    )


def event_batch(events, first_id=0):
    """events: list of dicts item, date, until, stds, passed=True, range_ok=True, ratio=nan,
    revoked=False."""
    ptr, ind = [0], []
    for e in events:
        ind += list(e.get("stds", []))
        ptr.append(len(ind))

    def col(name, default, dtype):
        return np.array([e.get(name, default) for e in events], dtype=dtype)

    return EventBatch(
        item=col("item", 0, np.int64),
        date=col("date", 0, np.int64),
        valid_until=col("until", DATE_MAX, np.int64),
        passed=col("passed", True, bool),
        standard_indptr=np.array(ptr),
        standard_indices=np.array(ind, dtype=np.int64),
        range_ok=col("range_ok", True, bool),
        uncertainty_ratio=col("ratio", np.nan, float),
        revoked=col("revoked", False, bool),
        event_id=np.arange(first_id, first_id + len(events)),
        uncertainty=col("uncertainty", np.nan, float),
    )
