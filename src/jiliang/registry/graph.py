"""Loading the registry into the traceability engine's arrays, with bulk reads only.

Index spaces (dense, so that a database id maps to an index without a lookup table):
- item index = instrument id (working instruments and standard devices alike);
- standard index = measurement-standard id; primary standards follow at
  ``primary_offset + primary id``; one more root stands for recorded foreign or
  international sources (an event with ``external_source`` and no standard).

Assessment history: a standard is approved from its first approval (the earliest "active"
status change, else the current certificate's start) until its current certificate ends;
the certificates before the current one are known only through the status history, and are
taken to have followed each other without a gap. Suspensions and cancellations come from
the dated status changes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection

from jiliang.audit import feed
from jiliang.core.traceability import (
    DATE_MAX,
    DATE_MIN,
    STATUS_ACTIVE,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
    EventBatch,
    StandardsTable,
    TraceabilityEngine,
)
from jiliang.registry.models import (
    CalibrationEvent,
    EventStandard,
    Instrument,
    MeasurementStandard,
    PrimaryStandard,
    StandardStatusChange,
)

EPOCH = dt.date(1970, 1, 1)
STATUS_CODES = {"active": STATUS_ACTIVE, "suspended": STATUS_SUSPENDED, "cancelled": STATUS_CANCELLED}


def to_day(date: dt.date) -> int:
    return (date - EPOCH).days


def from_day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def _days_sql(column: str) -> str:
    """SQL for a date column as days since 1970-01-01."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


FETCH_CHUNK = 200_000
NO_DAY = -(2**31)  # a NULL date, as read by the event batch


def _add_months_days(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Days since 1970 plus whole months: the same day of the month, the month's last day
    when it is shorter (as verification.services.add_months)."""
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    target = month + months.astype("timedelta64[M]")
    last = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    out = np.minimum(target.astype("datetime64[D]") + (day - month.astype("datetime64[D]")), last)
    return out.astype(np.int64)


def good_until_days(
    is_calibration: np.ndarray,
    performed: np.ndarray,
    valid_until: np.ndarray,
    recalibration_due: np.ndarray,
    plan_months: np.ndarray,
    default_months: int,
) -> np.ndarray:
    """THE rule for how long an event is a good link in a chain (exclusive end, in days):

    - a verification (检定) that passed: its validity, 有效期至 inclusive (the period rules);
      a failed one: its own day only (it is a FAILED link anyway; a 检定结果通知书 states
      no validity);
    - a calibration (校准) states no validity (JJF 1071-2010; the interval is the user's,
      JJF 1139), so: the recalibration date on the certificate when the customer asked for one
      (建议复校日期, inclusive); else, for a device of a measurement standard, the standard's own
      recalibration plan (MeasurementStandard.recalibration_months, JJF 1033-2023 §4.2.1:
      continuous, valid traceability of the standard's devices); else the deployment's
      JILIANG_DEFAULT_RECALIBRATION_MONTHS.

    Arrays per event; NULL dates are ``NO_DAY``; ``plan_months`` is 0 for an instrument that
    is not a standard's device."""
    performed = performed.astype(np.int64)
    out = np.where(valid_until != NO_DAY, valid_until, performed).astype(np.int64) + 1  # verifications
    cal = np.flatnonzero(is_calibration)
    if cal.size:
        due = recalibration_due[cal]
        months = np.where(plan_months[cal] > 0, plan_months[cal], default_months)
        out[cal] = np.where(due != NO_DAY, due + 1, _add_months_days(performed[cal], months))
    return out


def _fetch(sql: str, params=(), dtype=np.int64, columns: int = 1) -> np.ndarray:
    """A query's rows as one 2-D array, read in chunks so that only one chunk of Python
    tuples exists at a time (10^7 rows would otherwise take gigabytes as tuples)."""
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            parts.append(np.array(rows, dtype=dtype).reshape(len(rows), columns))
    if not parts:
        return np.zeros((0, columns), dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


@dataclass
class RegistryGraph:
    """The engine plus what maps its indices back to the registry."""

    engine: TraceabilityEngine
    primary_offset: int
    external_root: int
    last_event_id: int
    standards_fingerprint: tuple
    built_at: dt.datetime
    # Per item (index = instrument id): region id, owner id, catalog item id (-1 none),
    # and whether it is a working instrument in use (not a standard device).
    item_region: np.ndarray
    item_owner: np.ndarray
    item_catalog: np.ndarray
    item_working: np.ndarray
    # The audit ledger's head when the graph was last brought up to date (see edited_since).
    audit_sequence: int = 0
    # When the events were last counted (see refresh_graph); monotonic seconds.
    counted_at: float = 0.0
    # Per item: its standard's recalibration plan in months (0: not a standard's device).
    item_plans: np.ndarray | None = None

    def standard_index(self, standard_id: int) -> int:
        return int(standard_id)

    def describe_standard(self, index: int) -> tuple[str, int]:
        """("standard" | "primary" | "external", database id)."""
        if index == self.external_root:
            return "external", 0
        if index >= self.primary_offset:
            return "primary", index - self.primary_offset
        return "standard", index


def standards_fingerprint() -> tuple:
    """Changes whenever a standard's certificate dates, status (history) or recalibration plan change."""

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM({_days_sql('valid_until')} * 7 + {_days_sql('valid_from')} * 3), 0), "
            f"COALESCE(SUM(CASE status WHEN 'active' THEN id ELSE 2 * id END), 0), "
            f"COALESCE(SUM(recalibration_months * id), 0) FROM {MeasurementStandard._meta.db_table}"
        )
        standards = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {StandardStatusChange._meta.db_table}")
        history = cursor.fetchone()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {PrimaryStandard._meta.db_table}")
        primaries = cursor.fetchone()
    return tuple(int(x) for x in (*standards, *history, *primaries))


def _standards_table(today: int) -> tuple[StandardsTable, int, int, int]:

    std = _fetch(
        f"SELECT id, {_days_sql('valid_from')}, {_days_sql('valid_until')}, "
        f"CASE status WHEN 'suspended' THEN 1 WHEN 'sealed' THEN 1 WHEN 'cancelled' THEN 2 ELSE 0 END FROM {MeasurementStandard._meta.db_table} ORDER BY id",
        columns=4,
    )
    max_std = int(std[:, 0].max()) if std.size else 0
    max_primary = int(_fetch(f"SELECT COALESCE(MAX(id), 0) FROM {PrimaryStandard._meta.db_table}")[0, 0])
    primary_offset = max_std + 1
    external_root = primary_offset + max_primary + 1
    n_standards = external_root + 1

    devices = _fetch(
        f"SELECT standard_id, id FROM {Instrument._meta.db_table} WHERE standard_id IS NOT NULL ORDER BY standard_id, id",
        columns=2,
    )
    counts = np.bincount(devices[:, 0], minlength=n_standards) if devices.size else np.zeros(n_standards, np.int64)
    device_indptr = np.zeros(n_standards + 1, np.int64)
    np.cumsum(counts, out=device_indptr[1:])

    is_root = np.zeros(n_standards, bool)
    is_root[primary_offset:] = True

    changes = _fetch(
        f"SELECT standard_id, {_days_sql('effective_on')}, CASE status WHEN 'active' THEN 0 WHEN 'suspended' THEN 1 "
        f"WHEN 'sealed' THEN 1 WHEN 'cancelled' THEN 2 ELSE 3 END FROM {StandardStatusChange._meta.db_table} ORDER BY standard_id, effective_on, id",
        columns=3,
    )
    # Approval: from the first approval (earliest "active" change, else the certificate's
    # start) to the end of the current certificate (inclusive date -> exclusive bound).
    first_active = std[:, 1].copy()
    if changes.size:
        active = changes[changes[:, 2] == 0]
        if active.size:
            position = np.searchsorted(std[:, 0], active[:, 0])
            np.minimum.at(first_active, position, active[:, 1])
    roots = np.arange(primary_offset, n_standards)
    approval_standard = np.r_[std[:, 0], roots]
    approval_from = np.r_[first_active, np.full(roots.size, DATE_MIN)]
    approval_until = np.r_[std[:, 2] + 1, np.full(roots.size, DATE_MAX)]

    # Status history as intervals: each change lasts until the standard's next change.
    status_standard = status_from = status_until = status_code = np.zeros(0, np.int64)
    if changes.size:
        keep = changes[:, 2] <= 2  # "expired" is the certificate's business, not a status
        changes = changes[keep]
        nxt_same = np.r_[changes[1:, 0] == changes[:-1, 0], False]
        until = np.where(nxt_same, np.r_[changes[1:, 1], 0], DATE_MAX)
        status_standard, status_from, status_until, status_code = (
            changes[:, 0],
            changes[:, 1],
            np.maximum(until, changes[:, 1]),
            changes[:, 2],
        )
    # A standard marked suspended or cancelled with no dated change: from today on.
    changed = set(status_standard[status_code > 0].tolist())
    undated = std[(std[:, 3] > 0) & ~np.isin(std[:, 0], list(changed))]
    if undated.size:
        status_standard = np.r_[status_standard, undated[:, 0]]
        status_from = np.r_[status_from, np.full(len(undated), today)]
        status_until = np.r_[status_until, np.full(len(undated), DATE_MAX)]
        status_code = np.r_[status_code, undated[:, 3]]

    table = StandardsTable(
        n_standards=n_standards,
        device_indptr=device_indptr,
        device_indices=devices[:, 1] if devices.size else np.zeros(0, np.int64),
        is_root=is_root,
        approval_standard=approval_standard,
        approval_from=approval_from,
        approval_until=approval_until,
        status_standard=status_standard,
        status_from=status_from,
        status_until=status_until,
        status_code=status_code.astype(np.int8),
    )
    return table, primary_offset, external_root, max_std


def _item_plans(n_items: int) -> np.ndarray:
    """Per item (index = instrument id): its standard's recalibration plan in months, 0 for
    an instrument that is not a standard's device."""
    rows = _fetch(
        f"SELECT i.id, s.recalibration_months FROM {Instrument._meta.db_table} i "
        f"JOIN {MeasurementStandard._meta.db_table} s ON s.id = i.standard_id",
        columns=2,
    )
    plans = np.zeros(n_items, np.int64)
    if rows.size:
        keep = rows[:, 0] < n_items
        plans[rows[keep, 0]] = rows[keep, 1]
    return plans


def _event_batch(primary_offset: int, external_root: int, item_plans: np.ndarray, after_id: int = 0) -> tuple[EventBatch, int]:
    """Events with id > after_id, sorted by (instrument, date, id), and their standards."""

    events = _fetch(
        f"SELECT id, instrument_id, {_days_sql('performed_on')}, COALESCE({_days_sql('valid_until')}, {NO_DAY}), "
        f"CASE WHEN passed IS NULL OR passed THEN 1 ELSE 0 END, COALESCE(primary_standard_id, -1), "
        f"CASE WHEN external_source <> '' THEN 1 ELSE 0 END, "
        f"COALESCE({_days_sql('recalibration_due')}, {NO_DAY}), CASE WHEN kind = 'calibration' THEN 1 ELSE 0 END "
        f"FROM {CalibrationEvent._meta.db_table} WHERE id > %s ORDER BY instrument_id, performed_on, id",
        [after_id],
        columns=9,
    )
    links = _fetch(
        f"SELECT event_id, standard_id FROM {EventStandard._meta.db_table} WHERE event_id > %s ORDER BY event_id, standard_id",
        [after_id],
        columns=2,
    )
    n = len(events)
    ids = events[:, 0]
    # Standards of each event: its EventStandard rows, plus its primary standard or the
    # external root; gathered in event-id order, then laid out in the engine's row order.
    extra_event = np.r_[ids[events[:, 5] >= 0], ids[events[:, 6] == 1]]
    extra_std = np.r_[primary_offset + events[events[:, 5] >= 0, 5], np.full(int((events[:, 6] == 1).sum()), external_root)]
    link_event = np.r_[links[:, 0], extra_event] if links.size else extra_event
    link_std = np.r_[links[:, 1], extra_std] if links.size else extra_std
    row_of_id = np.argsort(ids, kind="stable")
    sorted_ids = ids[row_of_id]
    link_row = row_of_id[np.searchsorted(sorted_ids, link_event)] if n else np.zeros(0, np.int64)
    order = np.argsort(link_row, kind="stable")
    link_row, link_std = link_row[order], link_std[order]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(link_row, minlength=n), out=indptr[1:])
    # Items are below item_plans' size: a new instrument makes refresh_graph rebuild.
    plan = item_plans[events[:, 1]]
    good_until = good_until_days(
        events[:, 8] == 1, events[:, 2], events[:, 3], events[:, 7], plan, settings.JILIANG_DEFAULT_RECALIBRATION_MONTHS
    )
    batch = EventBatch(
        item=events[:, 1],
        date=events[:, 2],
        valid_until=good_until,
        passed=events[:, 4].astype(bool),
        standard_indptr=indptr,
        standard_indices=link_std,
        event_id=ids,
    )
    return batch, int(ids.max()) if n else after_id


# How often a refresh counts the events to catch deletions made outside the application.
RECOUNT_SECONDS = 60.0

# Records whose audited edits (anything but a creation: new rows come in as new ids) the
# snapshot must see: an event's dates or verdict, its standards, an instrument's region or status.
EDITED_TYPES = ("registry.calibrationevent", "registry.eventstandard", "registry.instrument")


def audit_head() -> int:
    return feed.head()


def edited_since(sequence: int) -> bool:
    """Whether the ledger holds an edit of an event, event link or instrument after ``sequence``
    (every write through the API, the pages, the admin and the services is on the ledger)."""
    return feed.edited_since(sequence, EDITED_TYPES)


def build_graph(today: dt.date | None = None) -> RegistryGraph:
    """Read the whole registry (bulk reads) and solve every event's stored verdict."""

    head = audit_head()  # read first: an edit made while reading is seen at the next refresh
    today_day = to_day(today or dt.date.today())
    fingerprint = standards_fingerprint()
    standards, primary_offset, external_root, _ = _standards_table(today_day)
    n_items = int(_fetch(f"SELECT COALESCE(MAX(id), 0) FROM {Instrument._meta.db_table}")[0, 0]) + 1
    plans = _item_plans(n_items)
    events, last_id = _event_batch(primary_offset, external_root, plans)
    engine = TraceabilityEngine(n_items, standards, events)
    items = _fetch(
        f"SELECT id, region_id, owner_id, COALESCE(catalog_item_id, -1), "
        f"CASE WHEN standard_id IS NULL AND status = 'in_use' THEN 1 ELSE 0 END FROM {Instrument._meta.db_table}",
        columns=5,
    )
    region, owner, catalog = (np.full(n_items, -1, np.int64) for _ in range(3))
    working = np.zeros(n_items, bool)
    region[items[:, 0]], owner[items[:, 0]], catalog[items[:, 0]] = items[:, 1], items[:, 2], items[:, 3]
    working[items[:, 0]] = items[:, 4] == 1
    return RegistryGraph(
        engine,
        primary_offset,
        external_root,
        last_id,
        fingerprint,
        dt.datetime.now(),
        region,
        owner,
        catalog,
        working,
        audit_sequence=head,
        counted_at=time.monotonic(),
        item_plans=plans,
    )


def refresh_graph(graph: RegistryGraph, *, recount_after: float = RECOUNT_SECONDS) -> RegistryGraph:
    """Bring a graph up to date: append new events, or rebuild if standards, items or
    existing events changed."""

    head = audit_head()
    if edited_since(graph.audit_sequence):
        return build_graph()
    n_items = int(_fetch(f"SELECT COALESCE(MAX(id), 0) FROM {Instrument._meta.db_table}")[0, 0]) + 1
    if standards_fingerprint() != graph.standards_fingerprint or n_items > graph.engine.n_items:
        return build_graph()  # something other than new events changed: start again
    # Deletions through the application are on the ledger (edited_since); counting the
    # events catches those made outside it. The count reads every event (a third of a
    # second at 10^6), so it runs at most once per ``recount_after`` seconds.
    now = time.monotonic()
    if now - graph.counted_at >= recount_after:
        known = int(_fetch(f"SELECT COUNT(*) FROM {CalibrationEvent._meta.db_table} WHERE id <= %s", [graph.last_event_id])[0, 0])
        if known != graph.engine.n_events:
            return build_graph()
        graph.counted_at = now
    batch, last_id = _event_batch(graph.primary_offset, graph.external_root, graph.item_plans, after_id=graph.last_event_id)
    if len(batch):
        graph.engine.append_events(batch)
        graph.last_event_id = last_id
    graph.audit_sequence = head
    return graph
