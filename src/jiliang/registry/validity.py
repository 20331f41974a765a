"""Validity as the traceability engine decides it, for whatever shows it: pages, the
API, exports and the registry's own write rules.

The one validity rule (issue 24): whatever shows whether an instrument, an event or a
standard is valid asks these functions (the engine's verdict and its reason codes), never
its own dates. The engine's snapshot of the registry (``graph``) is kept per process and
refreshed incrementally before each question (new events are appended; a change to
standards or instruments rebuilds it).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading

import numpy as np
from django.utils.translation import gettext_lazy as _

from jiliang.core.traceability import ERROR_MASK, Reason, TraceabilityInputError

from . import graph as loader

REASON_LABELS = {
    Reason.NO_EVENT: _("无检定/校准记录"),
    Reason.EXPIRED: _("已过有效期"),
    Reason.FAILED: _("检定/校准不合格"),
    Reason.REVOKED: _("证书已撤销"),
    Reason.STANDARD_NOT_APPROVED: _("计量标准当日未经考核或证书失效"),
    Reason.STANDARD_SUSPENDED: _("计量标准当日暂停使用"),
    Reason.STANDARD_CANCELLED: _("计量标准当日已撤销"),
    Reason.STANDARD_OUT_OF_TOLERANCE: _("计量标准当日失准"),
    Reason.UPSTREAM_BREAK: _("上级溯源链断裂"),
    Reason.RANGE_NOT_COVERED: _("超出计量标准测量范围"),
    Reason.CYCLE: _("溯源数据成环"),
    Reason.NO_STANDARD: _("未记录所用计量标准"),
    Reason.WARN_UNCERTAINTY_RATIO: _("测量能力比不足（警告）"),
}

_lock = threading.Lock()
_graph: loader.RegistryGraph | None = None
# Inside ``one_snapshot()``: the snapshot of the block once it has been brought up to date.
_pinned: contextvars.ContextVar[list | None] = contextvars.ContextVar("traceability_pinned", default=None)


def current_graph() -> loader.RegistryGraph:
    """The process's snapshot, brought up to date with the database (once per
    ``one_snapshot()`` block)."""
    global _graph
    pinned = _pinned.get()
    if pinned:
        return pinned[0]
    with _lock:
        _graph = loader.build_graph() if _graph is None else loader.refresh_graph(_graph)
        graph = _graph
    if pinned is not None:
        pinned.append(graph)
    return graph


@contextlib.contextmanager
def one_snapshot():
    """Every question inside the block reads one snapshot, refreshed at the first question
    only: a page that asks about an item, its events and the standards above them checks
    the database for changes once, not once per question."""
    token = _pinned.set([])
    try:
        yield
    finally:
        _pinned.reset(token)


def forget_graph() -> None:
    global _graph
    with _lock:
        _graph = None


def reasons(flags: int) -> list[dict]:
    return [
        {"code": r.name, "label": str(REASON_LABELS[r]), "warning": not (int(r) & ERROR_MASK)}
        for r in Reason
        if int(flags) & int(r)
    ]


# -- verdicts for pages, API and exports -------------------------------------------------


def _verdict(flags: int) -> dict:
    return {"valid": not (int(flags) & ERROR_MASK), "flags": int(flags), "reasons": reasons(flags)}


def _known(ids, limit: int) -> list[int]:
    return [int(i) for i in ids if 0 <= int(i) < limit]


def item_verdicts(instrument_ids, date: dt.date) -> dict[int, dict]:
    """Traceable on the date, with reasons, per instrument id."""
    engine = current_graph().engine
    ids = _known(instrument_ids, engine.n_items)
    out = {int(i): _verdict(int(Reason.NO_EVENT)) for i in instrument_ids}
    if ids:
        v = engine.validity_at(loader.to_day(date), np.array(ids, np.int64))
        out.update({pk: _verdict(f) for pk, f in zip(ids, v.flags.tolist())})
    return out


def event_verdicts(event_ids, date: dt.date) -> dict[int, dict]:
    """Per event id: valid as a certificate on the date (its own validity, its standards on
    its own date, and the chain above them), with reasons."""
    engine = current_graph().engine
    out = {}
    for pk in dict.fromkeys(int(i) for i in event_ids):
        try:
            row = engine.rows_of_event_ids([pk])
        except TraceabilityInputError:  # not in the snapshot (deleted meanwhile)
            out[pk] = _verdict(int(Reason.NO_EVENT))
            continue
        out[pk] = _verdict(int(engine.event_flags(row, loader.to_day(date))[0]))
    return out


def good_until(event_ids) -> dict[int, dt.date]:
    """Per event id: the last day it counts as a good link in a chain (inclusive), by the one
    rule (``graph.good_until_days``): a verification's validity, a calibration's
    recalibration date or its standard's recalibration plan. Events not in the snapshot are left out."""
    engine = current_graph().engine
    wanted = list(dict.fromkeys(int(i) for i in event_ids))
    try:
        rows = engine.rows_of_event_ids(wanted)
    except TraceabilityInputError:  # one is not in the snapshot (deleted meanwhile): one by one
        known = []
        for pk in wanted:
            with contextlib.suppress(TraceabilityInputError):
                engine.rows_of_event_ids([pk])
                known.append(pk)
        wanted, rows = known, engine.rows_of_event_ids(known) if known else np.zeros(0, np.int64)
    return {pk: loader.from_day(int(day) - 1) for pk, day in zip(wanted, engine.valid_until[rows].tolist())}


def standard_verdicts(standard_ids, date: dt.date) -> dict[int, dict]:
    """Per measurement-standard id: in force on the date (approved, active, not out of
    tolerance, its devices traceable), with reasons."""
    graph = current_graph()
    engine = graph.engine
    ids = [int(i) for i in standard_ids]
    out = {pk: _verdict(int(Reason.STANDARD_NOT_APPROVED)) for pk in ids}
    known = [pk for pk in ids if 0 <= graph.standard_index(pk) < min(engine.n_standards, graph.primary_offset)]
    if known:
        flags = engine.standard_flags(np.array([graph.standard_index(pk) for pk in known], np.int64), loader.to_day(date))
        out.update({pk: _verdict(f) for pk, f in zip(known, flags.tolist())})
    return out
