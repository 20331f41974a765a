"""The traceability engine: stored per-event verdicts, validity at a date, chains, impact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .data import DATE_MAX, DATE_MIN, EventBatch, StandardsTable, TraceabilityInputError
from .index import IntervalSet, SortedIndex, StatusHistory, expand_ranges, key_date, make_key
from .reasons import (
    DEPTH_UNIT,
    ERROR_MASK,
    KIND_ITEM,
    KIND_STANDARD,
    NO_BREAK,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
    Reason,
    location_key,
    split_location,
)


def _bit(reason) -> np.uint32:
    return np.uint32(int(reason))


_DENSE_TABLE = 1 << 26  # cells of the (standard, day) lookup table, at most (256 MB)


@dataclass
class Validity:
    """Validity of items at one date (arrays aligned with the items asked about)."""

    date: int
    items: np.ndarray
    valid: np.ndarray  # bool: traceable (no error bit)
    flags: np.ndarray  # uint32 Reason bits, warnings included
    event: np.ndarray  # row of the current event, -1 if none
    break_kind: np.ndarray  # int8: -1 none, 0 item, 1 standard
    break_index: np.ndarray  # item or standard index of the nearest break
    break_depth: np.ndarray  # links above the item's own event (0 = at the item or its standards)


@dataclass
class ChainLink:
    depth: int
    parent: int  # index of the link below in Chain.links, -1 for the item's own event
    item: int
    via_standard: int  # the standard of the parent event that this item is a device of
    event: int  # engine row, -1 when the device had no event on that date
    event_id: int
    date: int
    valid_until: int
    passed: bool
    certificate: int
    uncertainty: float
    uncertainty_ratio: float
    standards: tuple
    roots: tuple  # which of `standards` are primary standards / foreign sources
    flags: int  # problems found at this link (Reason bits)
    is_break: bool = False


@dataclass
class Chain:
    item: int
    date: int
    valid: bool
    flags: int
    break_kind: int
    break_index: int
    links: list = field(default_factory=list)


@dataclass
class Impact:
    """Events in doubt, breadth first from the seeds; arrays aligned by position."""

    events: np.ndarray  # engine rows
    event_ids: np.ndarray
    depth: np.ndarray  # 0 for events performed with the standard in the window
    parent: np.ndarray  # row of the upstream event in doubt that pulled this one in; -1 at depth 0
    items: np.ndarray
    by_owner: GroupCounts | None = None  # per owner: events and distinct items
    by_region: GroupCounts | None = None


class GroupCounts(Mapping):
    """Affected events and distinct items per group key (owner, region).

    A read-only mapping key -> (events, distinct items), backed by the sorted arrays
    ``group_keys``, ``n_events``, ``n_items`` (no Python object per group until asked)."""

    def __init__(self, group_keys, n_events, n_items):
        self.group_keys, self.n_events, self.n_items = group_keys, n_events, n_items

    def __getitem__(self, key):
        pos = int(np.searchsorted(self.group_keys, key))
        if pos >= self.group_keys.size or self.group_keys[pos] != key:
            raise KeyError(key)
        return int(self.n_events[pos]), int(self.n_items[pos])

    def __iter__(self):
        return iter(self.group_keys.tolist())

    def __len__(self):
        return int(self.group_keys.size)

    def items(self):
        return zip(self.group_keys.tolist(), zip(self.n_events.tolist(), self.n_items.tolist()))

    def as_dict(self) -> dict:
        return dict(self.items())

    def __repr__(self):
        return f"GroupCounts({len(self)} groups)"


def _group_counts(keys, event_items):
    if keys is None:
        return None
    label_keys, label = np.unique(np.asarray(keys)[event_items], return_inverse=True)
    n_events = np.bincount(label, minlength=label_keys.size)
    # Distinct (group, item) pairs, by sorting one packed int64.
    pair = np.sort(label.astype(np.int64) << 32 | event_items.astype(np.int64))
    first = np.ones(pair.size, bool)
    first[1:] = pair[1:] != pair[:-1]
    n_items = np.bincount((pair[first] >> 32).astype(np.int64), minlength=label_keys.size)
    return GroupCounts(label_keys, n_events, n_items)


def _set_where(flags, mask, reason):
    """flags |= reason where mask, in one pass (no boolean indexing)."""
    flags |= mask.astype(np.uint32) * np.uint32(int(reason))


def _sorted_unique(a):
    """np.unique by sorting (NumPy's hash-based unique is slow on large int arrays)."""
    a = np.asarray(a, np.int64)
    if a.size > 1 and not np.all(a[1:] > a[:-1]):
        a = np.sort(a)
        a = a[np.r_[True, a[1:] != a[:-1]]]  # size > 1 here
    return a


def _segment_reduce(ufunc, values, segment_of, n_segments, initial):
    """ufunc-reduce values into their segments (segment_of need not be sorted)."""
    out = np.full(n_segments, initial, dtype=values.dtype)
    if not values.size:
        return out
    order = np.argsort(segment_of, kind="stable")
    seg = segment_of[order]
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    reduced = ufunc.reduceat(values[order], starts)
    out[seg[starts]] = ufunc(out[seg[starts]], reduced)
    return out


class TraceabilityEngine:
    """A snapshot of the registry's traceability graph, with a stored verdict per event."""

    def __init__(self, n_items: int, standards: StandardsTable, events: EventBatch):
        if n_items < 0:
            raise TraceabilityInputError("n_items: must be >= 0")
        self.n_items = int(n_items)
        st = standards.checked(self.n_items)
        self.n_standards = st.n_standards
        self.standards = st
        self.device_indptr, self.device_indices = st.device_indptr, st.device_indices
        self.is_root = st.is_root
        self._device_count = np.diff(self.device_indptr)
        # item -> standards it is a device of (reverse CSR)
        owner_std = np.repeat(np.arange(self.n_standards, dtype=np.int64), self._device_count)
        order = np.argsort(self.device_indices, kind="stable")
        self._std_of_device = owner_std[order]
        self._std_of_device_ptr = np.zeros(self.n_items + 1, np.int64)
        np.cumsum(np.bincount(self.device_indices, minlength=self.n_items), out=self._std_of_device_ptr[1:])
        self.is_device = np.diff(self._std_of_device_ptr) > 0
        # Devices of primary standards head the chain: their events need no standard above.
        self.is_root_device = np.zeros(self.n_items, bool)
        self.is_root_device[self.device_indices[np.repeat(self.is_root, self._device_count)]] = True
        self._approvals = IntervalSet(st.approval_standard, st.approval_from, st.approval_until)
        self._status = StatusHistory(st.status_standard, st.status_from, st.status_until, st.status_code)
        self._oot = [st.oot_standard, st.oot_from, st.oot_until]
        self._oot_set = IntervalSet(*self._oot)

        ev = events.checked(self.n_items, self.n_standards)
        # Rows physically sorted by (item, date) so that current-event gathers run in order.
        # The check runs on the narrow columns: no packed int64 key for 3x10^7 rows.
        item, date = ev.item, ev.date
        presorted = not (bool(np.any(item[1:] < item[:-1])) or bool(np.any((item[1:] == item[:-1]) & (date[1:] < date[:-1]))))
        order = None if presorted else np.argsort(make_key(item, date), kind="stable")
        del item, date

        def take(a):
            return a if presorted else a[order]

        self.item = take(ev.item).astype(np.int32, copy=False)
        self.date = take(ev.date)
        self.valid_until = take(ev.valid_until)
        self.passed = take(ev.passed)
        self.range_ok = take(ev.range_ok)
        self.ratio = take(ev.uncertainty_ratio)
        self._required = None if ev.required_ratio is None else take(ev.required_ratio)
        self.revoked = take(ev.revoked)
        if ev.event_id is not None:
            self._event_id = take(ev.event_id)
        else:  # ids are positions in the batch: nothing to store when it came sorted
            self._event_id = None if presorted else order.astype(np.int64)
        self._certificate = None if ev.certificate is None else take(ev.certificate)
        self._uncertainty = None if ev.uncertainty is None else take(ev.uncertainty)
        if presorted:  # the loader sent events ordered by (item, date): no copies needed
            self.link_indptr = ev.standard_indptr
            self.link_std = ev.standard_indices.astype(np.int32, copy=False)
        else:
            counts = np.diff(ev.standard_indptr)[order]
            pos, _ = expand_ranges(ev.standard_indptr[:-1][order], ev.standard_indptr[1:][order])
            self.link_indptr = np.zeros(order.size + 1, np.int64)
            np.cumsum(counts, out=self.link_indptr[1:])
            self.link_std = ev.standard_indices[pos].astype(np.int32)
            del pos, counts
        order = ev = None  # free the permutation and the input (``take`` is done with them)
        # Rows 0.._n_base-1 stay sorted by (item, date): each item's events are the segment
        # _base_ptr[item]:_base_ptr[item+1], searched in place. Rows appended later go to a
        # small index of their own.
        self._n_base = self.n_events
        self._base_ptr = self._segment_starts(self.item, self.n_items)
        self._segment_end = np.zeros(self._n_base, bool)  # the last row of each item's segment
        ends = self._base_ptr[1:]
        self._segment_end[ends[ends > self._base_ptr[:-1]] - 1] = True
        del ends
        self._by_item = SortedIndex(np.zeros(0, np.int64), np.zeros(0, np.int64))
        # Device events alone, in a small index that stays in cache for the many lookups of
        # "the current calibration of this device on that day".
        on_device = self.is_device[self.item]
        device_rows = np.flatnonzero(on_device)
        self._by_device = SortedIndex(make_key(self.item[device_rows], self.date[device_rows]), device_rows)
        # Events nothing depends on (those of items that are no standard's device) are solved
        # when a question first needs them; device events are solved now.
        self._unsolved = np.logical_not(on_device, out=on_device)
        del on_device
        self._standard_index = None  # (standard, date) -> rows, built on the first impact question
        self._timeline = None
        self._flags = np.zeros(self.n_events, np.uint32)
        self._best = np.empty(self.n_events, np.int64)  # written as rows are solved
        self._id_index = None
        self._solve(device_rows)

    @staticmethod
    def _segment_starts(item, n_items):
        """ptr with item i's rows at ptr[i]:ptr[i+1], for rows sorted by item."""
        ptr = np.full(n_items + 1, item.size, np.int64)
        if item.size:
            first = np.flatnonzero(item[1:] != item[:-1]) + 1
            first = np.concatenate([np.zeros(1, np.int64), first])
            present = item[first].astype(np.int64)
            ptr[: present[-1] + 1] = np.repeat(first, np.diff(present, prepend=-1))
        return ptr

    @property
    def _by_standard(self) -> SortedIndex:
        """Events by (standard used, date), for impact questions (built on first use)."""
        if self._standard_index is None:
            rows = np.arange(self.n_events, dtype=np.int32 if self.n_events < 2**31 else np.int64)
            link_row = np.repeat(rows, np.diff(self.link_indptr))  # int32 rows: half the memory
            self._standard_index = SortedIndex(make_key(self.link_std, self.date[link_row]), link_row)
        return self._standard_index

    @property
    def flags(self) -> np.ndarray:
        """Stored verdict bits of every event (solves the events not yet asked about)."""
        self._ensure_solved(np.flatnonzero(self._unsolved))
        return self._flags

    @property
    def best(self) -> np.ndarray:
        """Stored break location of every event (see reasons.location_key)."""
        self._ensure_solved(np.flatnonzero(self._unsolved))
        return self._best

    # ------------------------------------------------------------------ basics
    @property
    def n_events(self) -> int:
        return int(self.item.size)

    @property
    def event_id(self) -> np.ndarray:
        """The caller's id of every row (materialised on demand when ids are row numbers)."""
        if self._event_id is None:
            return np.arange(self.n_events, dtype=np.int64)
        return self._event_id

    def _ids(self, rows):
        return np.asarray(rows, np.int64) if self._event_id is None else self._event_id[rows]

    @staticmethod
    def _value(column, row, default):
        return default if column is None else column[row].item()

    def current_events(self, items, dates) -> np.ndarray:
        """Row of each item's current event at each date (latest by date, then row), or -1."""
        items = np.asarray(items, np.int64)
        dates = np.broadcast_to(np.asarray(dates, np.int64), items.shape)
        # Binary search within each item's sorted segment of the base rows, all at once.
        lo, hi = self._base_ptr[items], self._base_ptr[items + 1]
        start = lo.copy()
        last = max(self._n_base - 1, 0)
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) >> 1
            right = active & (self.date[np.minimum(mid, last)] <= dates)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(active & ~right, mid, hi)
        row = np.where(lo > start, lo - 1, -1)
        if len(self._by_item):  # appended rows win ties: they are later
            _, added = self._by_item.last_le(make_key(items, dates))
            newer = (added >= 0) & ((row < 0) | (self.date[np.maximum(added, 0)] >= self.date[np.maximum(row, 0)]))
            row = np.where(newer, added, row)
        return row

    def device_events(self, devices, dates) -> np.ndarray:
        """current_events for items that are devices of standards (faster, same answer)."""
        _, row = self._by_device.last_le(make_key(devices, dates))
        return row

    def _bad_event(self, rows, t):
        """Own problems of device events used on date t (rows >= 0)."""
        return (t >= self.valid_until[rows]) | ~self.passed[rows] | self.revoked[rows]

    # ------------------------------------------------------------------ solving
    def _local(self, rows):
        """Direct flags, direct break keys and dependency edges of rows (sorted int64)."""
        n = rows.size
        t_rows = self.date[rows].astype(np.int64)
        flags = np.zeros(n, np.uint32)
        best = np.full(n, NO_BREAK, np.int64)
        ratio = self.ratio[rows]
        required = np.float32(3.0) if self._required is None else self._required[rows]
        flags[ratio < required] |= _bit(Reason.WARN_UNCERTAINTY_RATIO)
        no_range = ~self.range_ok[rows]
        flags[no_range] |= _bit(Reason.RANGE_NOT_COVERED)
        n_links = self.link_indptr[rows + 1] - self.link_indptr[rows]
        no_standard = (n_links == 0) & ~self.is_root_device[self.item[rows]]
        flags[no_standard] |= _bit(Reason.NO_STANDARD)
        own = no_range | no_standard
        best[own] = location_key(KIND_ITEM, self.item[rows][own])

        pos, pr = expand_ranges(self.link_indptr[rows], self.link_indptr[rows + 1])
        ps = self.link_std[pos].astype(np.int64)
        t = t_rows[pr]
        del pos
        pf = np.zeros(ps.size, np.uint32)
        pf[~self._approvals.covers(ps, t)] |= _bit(Reason.STANDARD_NOT_APPROVED)
        status = self._status.at(ps, t)
        pf[status == STATUS_SUSPENDED] |= _bit(Reason.STANDARD_SUSPENDED)
        pf[status == STATUS_CANCELLED] |= _bit(Reason.STANDARD_CANCELLED)
        pf[self._oot_set.covers(ps, t)] |= _bit(Reason.STANDARD_OUT_OF_TOLERANCE)
        nonroot = ~self.is_root[ps]
        pf[nonroot & (self._device_count[ps] == 0)] |= _bit(Reason.UPSTREAM_BREAK)
        hit = pf != 0
        if hit.any():
            flags |= _segment_reduce(np.bitwise_or, pf[hit], pr[hit], n, np.uint32(0))
            best = np.minimum(best, _segment_reduce(np.minimum, location_key(KIND_STANDARD, ps[hit]), pr[hit], n, NO_BREAK))
        del pf, status, hit

        # Devices of the non-root standards, and each device's current event that day.
        ps, pr, t = ps[nonroot], pr[nonroot], t[nonroot]
        dpos, owner = expand_ranges(self.device_indptr[ps], self.device_indptr[ps + 1])
        dr = pr[owner]
        dt = t[owner]
        device = self.device_indices[dpos]
        del dpos, owner, ps, pr, t
        u = self.device_events(device, dt)
        broken = u < 0
        ok_u = ~broken
        broken[ok_u] = self._bad_event(u[ok_u], dt[ok_u])
        if broken.any():
            flags |= _segment_reduce(
                np.bitwise_or, np.full(int(broken.sum()), Reason.UPSTREAM_BREAK, np.uint32), dr[broken], n, np.uint32(0)
            )
            best = np.minimum(best, _segment_reduce(np.minimum, location_key(KIND_ITEM, device[broken]), dr[broken], n, NO_BREAK))
        edge = ~broken
        return flags, best, dr[edge], u[edge]

    def _solve(self, rows):
        """Recompute stored verdicts of rows; rows outside must not depend on rows inside."""
        rows = _sorted_unique(rows)
        if not rows.size:
            return
        flags, best, src, dst = self._local(rows)
        n = rows.size
        cyc = np.zeros(n, bool)
        inside_pos = np.searchsorted(rows, dst)
        inside = (inside_pos < n) & (rows[np.minimum(inside_pos, n - 1)] == dst)
        # Dependencies outside the set are settled: take their verdicts as they are.
        ext_src, ext_dst = src[~inside], dst[~inside]
        if ext_src.size:
            ext_best = self._best[ext_dst]
            broken = ext_best < NO_BREAK
            flags |= _segment_reduce(
                np.bitwise_or,
                np.where(broken, np.uint32(Reason.UPSTREAM_BREAK), np.uint32(0)).astype(np.uint32),
                ext_src,
                n,
                np.uint32(0),
            )
            cyc |= _segment_reduce(np.logical_or, (self._flags[ext_dst] & _bit(Reason.CYCLE)) != 0, ext_src, n, False)
            best = np.minimum(
                best, _segment_reduce(np.minimum, np.minimum(ext_best + DEPTH_UNIT, NO_BREAK), ext_src, n, NO_BREAK)
            )
        src, dst = src[inside], inside_pos[inside]
        if src.size:
            member = self._cycle_members(src, dst, n)
            cyc |= member
            best[member] = np.minimum(best[member], location_key(KIND_ITEM, self.item[rows[member]]))
            order = np.argsort(src, kind="stable")
            src, dst = src[order], dst[order]
            starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
            heads = src[starts]
            # Bellman-Ford by levels: each round lets breaks climb one link further.
            while True:
                cand = np.minimum.reduceat(np.minimum(best[dst] + DEPTH_UNIT, NO_BREAK), starts)
                cyc_up = np.logical_or.reduceat(cyc[dst], starts)
                new_best = best.copy()
                new_best[heads] = np.minimum(best[heads], cand)
                new_cyc = cyc.copy()
                new_cyc[heads] |= cyc_up
                if np.array_equal(new_best, best) and np.array_equal(new_cyc, cyc):
                    break
                best, cyc = new_best, new_cyc
            up = np.logical_or.reduceat(best[dst] < NO_BREAK, starts)
            flags[heads[up]] |= _bit(Reason.UPSTREAM_BREAK)
        flags[cyc] |= _bit(Reason.CYCLE)
        self._flags[rows] = flags
        self._best[rows] = best
        self._unsolved[rows] = False

    @staticmethod
    def _cycle_members(src, dst, n):
        graph = coo_matrix((np.ones(src.size, np.int8), (src, dst)), shape=(n, n)).tocsr()
        _, label = connected_components(graph, directed=True, connection="strong")
        size = np.bincount(label, minlength=n)
        member = size[label] > 1
        member[src[src == dst]] = True
        return member

    def _ensure_solved(self, rows):
        """Solve the rows among these that no question has needed yet."""
        rows = np.asarray(rows, np.int64)
        pending = rows[self._unsolved[rows]]
        if pending.size:
            self._solve_leaves(_sorted_unique(pending))

    def _solve_leaves(self, rows):
        """Stored verdicts of events nothing depends on, from each standard's timeline.

        The same verdict as ``_solve`` (a property test holds them equal), but a leaf event's
        verdict depends only on its own columns and on (standard, date) pairs, and a
        standard's verdict only changes at a few dates: so each link is one table lookup."""
        keys, t_flags, t_best = self._standard_timeline()
        lo, hi = self.link_indptr[rows], self.link_indptr[rows + 1]
        n_links = hi - lo
        t = self.date[rows]
        single = bool(np.all(n_links == 1))
        if single:  # the common case: one standard per verification
            std, t_link, owner = self.link_std[lo], t, None
        else:
            pos, owner = expand_ranges(lo, hi)
            std, t_link = self.link_std[pos], t[owner]
            del pos
        at = self._timeline_lookup(keys, std, t_link)
        del std, t_link
        if single:
            flags, best = t_flags[at], t_best[at]
        else:
            flags = _segment_reduce(np.bitwise_or, t_flags[at], owner, rows.size, np.uint32(0))
            best = _segment_reduce(np.minimum, t_best[at], owner, rows.size, NO_BREAK)
        del at, owner
        required = np.float32(3.0) if self._required is None else self._required[rows]
        _set_where(flags, self.ratio[rows] < required, Reason.WARN_UNCERTAINTY_RATIO)
        no_range = ~self.range_ok[rows]
        no_standard = n_links == 0  # leaves are never devices of a primary standard
        own = no_range | no_standard
        if own.any():
            _set_where(flags, no_range, Reason.RANGE_NOT_COVERED)
            _set_where(flags, no_standard, Reason.NO_STANDARD)
            best[own] = np.minimum(best[own], location_key(KIND_ITEM, self.item[rows[own]]))
        self._flags[rows] = flags
        self._best[rows] = best
        self._unsolved[rows] = False

    def _timeline_lookup(self, keys, std, t):
        """Position in the timeline of the interval holding each (standard, date)."""
        if not t.size:
            return np.zeros(0, np.int64)
        t0, t1 = int(t.min()), int(t.max())
        span = t1 - t0 + 1
        cells = self.n_standards * span
        if cells > _DENSE_TABLE or cells > 8 * t.size:  # a table too wide, or for too few links: search
            return np.searchsorted(keys, make_key(std, t), side="right") - 1
        # A dense (standard, day) -> interval table over the days asked about: a gather per
        # link instead of a binary search (10x faster at 10^7 links).
        group, start = keys >> 32, key_date(keys)
        end = np.full(keys.size, t1 + 1, np.int64)
        same = group[1:] == group[:-1]
        end[:-1][same] = start[1:][same]
        lengths = np.clip(end, t0, t1 + 1) - np.clip(start, t0, t1 + 1)
        # Cells hold the interval's place within its standard (a few dozen at most: one byte),
        # a quarter of the memory to fill and gather of a global int32 position.
        first = np.searchsorted(group, np.arange(self.n_standards + 1, dtype=np.int64))
        local = np.arange(keys.size, dtype=np.int64) - first[group]
        width = np.uint8 if local.max() < 2**8 else np.uint16 if local.max() < 2**16 else np.int32
        table = np.repeat(local.astype(width), lengths)  # every standard starts at DATE_MIN
        cell = std.astype(np.int32)  # cells <= _DENSE_TABLE < 2^31
        cell *= np.int32(span)
        cell += t.astype(np.int32, copy=False)
        cell -= np.int32(t0)
        at = first[std]
        at += table[cell]
        return at

    def _standard_timeline(self):
        """Per standard, the dates where its verdict for an event using it may change
        (approvals, status, out-of-tolerance windows, its devices' calibrations and their
        expiry), and the verdict from each date on: (keys, flags, best)."""
        if self._timeline is not None:
            return self._timeline
        st = self.standards
        groups = [np.arange(self.n_standards, dtype=np.int64)]
        dates = [np.full(self.n_standards, DATE_MIN, np.int64)]
        for group, start, until in (
            (st.approval_standard, st.approval_from, st.approval_until),
            (st.status_standard, st.status_from, st.status_until),
            tuple(self._oot),
        ):
            groups += [np.asarray(group, np.int64)] * 2
            dates += [np.asarray(start, np.int64), np.asarray(until, np.int64)]
        device_rows = np.concatenate([self._by_device.rows, self._by_device.delta_rows]).astype(np.int64)
        device = self.item[device_rows]
        spos, owner = expand_ranges(self._std_of_device_ptr[device], self._std_of_device_ptr[device + 1])
        uses = self._std_of_device[spos]
        groups += [uses, uses]
        dates += [self.date[device_rows][owner].astype(np.int64), self.valid_until[device_rows][owner].astype(np.int64)]
        keys = _sorted_unique(make_key(np.concatenate(groups), np.concatenate(dates)))
        flags, best = self._standard_verdict(keys >> 32, key_date(keys))
        self._timeline = (keys, flags, best)
        return self._timeline

    def _standard_verdict(self, ps, t):
        """Verdict bits and break location that standard ps[i] on date t[i] gives an event
        performed with it (the per-link part of ``_local`` plus its settled dependencies)."""
        n = ps.size
        flags = np.zeros(n, np.uint32)
        flags[~self._approvals.covers(ps, t)] |= _bit(Reason.STANDARD_NOT_APPROVED)
        status = self._status.at(ps, t)
        flags[status == STATUS_SUSPENDED] |= _bit(Reason.STANDARD_SUSPENDED)
        flags[status == STATUS_CANCELLED] |= _bit(Reason.STANDARD_CANCELLED)
        flags[self._oot_set.covers(ps, t)] |= _bit(Reason.STANDARD_OUT_OF_TOLERANCE)
        nonroot = ~self.is_root[ps]
        flags[nonroot & (self._device_count[ps] == 0)] |= _bit(Reason.UPSTREAM_BREAK)
        best = np.where(flags != 0, location_key(KIND_STANDARD, ps), NO_BREAK)
        which = np.flatnonzero(nonroot)
        dpos, owner = expand_ranges(self.device_indptr[ps[which]], self.device_indptr[ps[which] + 1])
        at = which[owner]
        device = self.device_indices[dpos]
        u = self.device_events(device, t[at])
        broken = u < 0
        ok = ~broken
        broken[ok] = self._bad_event(u[ok], t[at][ok])
        flags |= _segment_reduce(
            np.bitwise_or, np.full(int(broken.sum()), Reason.UPSTREAM_BREAK, np.uint32), at[broken], n, np.uint32(0)
        )
        best = np.minimum(best, _segment_reduce(np.minimum, location_key(KIND_ITEM, device[broken]), at[broken], n, NO_BREAK))
        u, at = u[~broken], at[~broken]
        up_best = self._best[u]
        flags |= _segment_reduce(
            np.bitwise_or,
            np.where(up_best < NO_BREAK, np.uint32(Reason.UPSTREAM_BREAK), np.uint32(0)).astype(np.uint32),
            at,
            n,
            np.uint32(0),
        )
        cyc = _segment_reduce(np.logical_or, (self._flags[u] & _bit(Reason.CYCLE)) != 0, at, n, False)
        flags[cyc] |= _bit(Reason.CYCLE)
        best = np.minimum(best, _segment_reduce(np.minimum, np.minimum(up_best + DEPTH_UNIT, NO_BREAK), at, n, NO_BREAK))
        return flags, best

    # ------------------------------------------------------------------ questions
    def validity_at(self, date: int, items=None) -> Validity:
        """Validity of every item (or of `items`) at `date`, with reasons and break location."""
        date = int(date)
        if items is None:
            items = np.arange(self.n_items, dtype=np.int64)
            row = self._current_all(date)
        else:
            items = np.asarray(items, np.int64)
            if items.size and (items.min() < 0 or items.max() >= self.n_items):
                raise TraceabilityInputError(f"items: index outside 0..{self.n_items - 1}")
            row = self.current_events(items, np.full(items.size, date, np.int64))
        has = row >= 0
        if not self.n_events:
            flags = np.full(items.size, np.uint32(Reason.NO_EVENT), np.uint32)
            kind = np.full(items.size, KIND_ITEM, np.int8)
            return Validity(
                date, items, np.zeros(items.size, bool), flags, row, kind, items.copy(), np.zeros(items.size, np.int32)
            )
        r = np.maximum(row, 0)
        self._ensure_solved(row[has])
        flags = self._flags[r]
        _set_where(flags, self.valid_until[r] <= date, Reason.EXPIRED)
        _set_where(flags, ~self.passed[r], Reason.FAILED)
        _set_where(flags, self.revoked[r], Reason.REVOKED)
        flags[~has] = _bit(Reason.NO_EVENT)
        best = self._best[r]
        own = (flags & _bit(Reason.NO_EVENT | Reason.EXPIRED | Reason.FAILED | Reason.REVOKED)) != 0
        best[own] = location_key(KIND_ITEM, items[own])
        depth, kind, index = split_location(best)
        valid = (flags & _bit(ERROR_MASK)) == 0
        return Validity(date, items, valid, flags, row, kind, index, depth)

    def event_flags(self, rows, date: int) -> np.ndarray:
        """Reason bits of events (engine rows) as certificates on `date`: the verdict stored
        for each on its own date (standards used, chain above) plus, on `date`, its own
        validity (expired, failed, revoked)."""
        rows = self._check_rows(rows)
        date = int(date)
        self._ensure_solved(rows)
        flags = self._flags[rows]
        flags |= np.where(date >= self.valid_until[rows], _bit(Reason.EXPIRED), np.uint32(0))
        flags |= np.where(self.passed[rows], np.uint32(0), _bit(Reason.FAILED))
        flags |= np.where(self.revoked[rows], _bit(Reason.REVOKED), np.uint32(0))
        return flags

    def standard_flags(self, standards, date: int) -> np.ndarray:
        """Reason bits of measurement standards on `date`: approval, status and out-of-
        tolerance windows on that day, and UPSTREAM_BREAK when one of the standard's devices
        held no traceable calibration that day (the rules an event's standard is judged by)."""
        ps = np.asarray(standards, np.int64)
        if ps.size and (ps.min() < 0 or ps.max() >= self.n_standards):
            raise TraceabilityInputError(f"standards: index outside 0..{self.n_standards - 1}")
        n = ps.size
        t = np.full(n, int(date), np.int64)
        flags = np.zeros(n, np.uint32)
        if not n:
            return flags
        flags[~self._approvals.covers(ps, t)] |= _bit(Reason.STANDARD_NOT_APPROVED)
        status = self._status.at(ps, t)
        flags[status == STATUS_SUSPENDED] |= _bit(Reason.STANDARD_SUSPENDED)
        flags[status == STATUS_CANCELLED] |= _bit(Reason.STANDARD_CANCELLED)
        flags[self._oot_set.covers(ps, t)] |= _bit(Reason.STANDARD_OUT_OF_TOLERANCE)
        nonroot = ~self.is_root[ps]
        flags[nonroot & (self._device_count[ps] == 0)] |= _bit(Reason.UPSTREAM_BREAK)
        owners = np.flatnonzero(nonroot)
        dpos, owner = expand_ranges(self.device_indptr[ps[owners]], self.device_indptr[ps[owners] + 1])
        if dpos.size:
            device = self.device_indices[dpos]
            at = owners[owner]
            u = self.device_events(device, t[at])
            broken = u < 0
            ok = ~broken
            broken[ok] = self._bad_event(u[ok], t[at][ok]) | (self._best[u[ok]] < NO_BREAK)
            if broken.any():
                flags |= _segment_reduce(
                    np.bitwise_or, np.full(int(broken.sum()), Reason.UPSTREAM_BREAK, np.uint32), at[broken], n, np.uint32(0)
                )
        return flags

    def _current_all(self, date: int) -> np.ndarray:
        """Current event of every item: a prefix count per item segment, no search."""
        nb = self._n_base
        row = np.full(self.n_items, -1, np.int64)
        if nb:
            # The last row of each item's segment dated on or before the day: on or before,
            # and either the segment's last row or followed by a later date.
            on = self.date[:nb] <= date
            last = on.copy()
            last[:-1] &= ~on[1:] | self._segment_end[:-1]
            found = np.flatnonzero(last)
            row[self.item[found]] = found
        if self.n_events > nb:
            items = np.unique(self.item[nb:])
            row[items] = self.current_events(items, np.full(items.size, date, np.int64))
        return row

    def chain(self, item: int, date: int) -> Chain:
        """The links from the item's current event up to primary standards, breadth first."""
        item, date = int(item), int(date)
        if not 0 <= item < self.n_items:
            raise TraceabilityInputError(f"item: index {item} outside 0..{self.n_items - 1}")
        v = self.validity_at(date, np.array([item]))
        result = Chain(item, date, bool(v.valid[0]), int(v.flags[0]), int(v.break_kind[0]), int(v.break_index[0]))
        row = int(v.event[0])
        queue = [(row, item, -1, -1, 0, date)]
        seen = set()
        while queue:
            row, it, parent, via, depth, t = queue.pop(0)
            if row < 0:
                result.links.append(
                    ChainLink(
                        depth,
                        parent,
                        it,
                        via,
                        -1,
                        -1,
                        -1,
                        -1,
                        False,
                        -1,
                        float("nan"),
                        float("nan"),
                        (),
                        (),
                        int(Reason.NO_EVENT),
                    )
                )
                continue
            stds = tuple(int(s) for s in self.link_std[self.link_indptr[row] : self.link_indptr[row + 1]])
            roots = tuple(bool(self.is_root[s]) for s in stds)
            problems = int(self._flags[row]) & ~int(Reason.UPSTREAM_BREAK) & ~int(Reason.CYCLE)
            if t >= self.valid_until[row]:
                problems |= _bit(Reason.EXPIRED)
            if not self.passed[row]:
                problems |= _bit(Reason.FAILED)
            if self.revoked[row]:
                problems |= _bit(Reason.REVOKED)
            if row in seen:
                problems |= _bit(Reason.CYCLE)
            link = ChainLink(
                depth,
                parent,
                it,
                via,
                row,
                int(self._ids(row)),
                int(self.date[row]),
                int(self.valid_until[row]),
                bool(self.passed[row]),
                int(self._value(self._certificate, row, -1)),
                float(self._value(self._uncertainty, row, np.nan)),
                float(self.ratio[row]),
                stds,
                roots,
                int(problems),
            )
            result.links.append(link)
            if row in seen:
                continue
            seen.add(row)
            here = len(result.links) - 1
            for s, root in zip(stds, roots):
                if root:
                    continue
                devices = self.device_indices[self.device_indptr[s] : self.device_indptr[s + 1]]
                t_row = int(self.date[row])
                ups = self.device_events(devices, np.full(devices.size, t_row, np.int64))
                for d, u in zip(devices.tolist(), ups.tolist()):
                    queue.append((u, d, here, s, depth + 1, t_row))
        self._mark_break(result)
        return result

    def _mark_break(self, chain: Chain):
        if chain.valid:
            return
        for link in chain.links:
            at_item = chain.break_kind == KIND_ITEM and link.item == chain.break_index
            at_std = chain.break_kind == KIND_STANDARD and chain.break_index in link.standards
            if (at_item or at_std) and link.flags & ERROR_MASK:
                link.is_break = True
                return

    # ------------------------------------------------------------------ impact
    def dependents(self, rows):
        """Events that used a standard while one of these events was its device's current one.

        Returns (dependent rows, the row each came from)."""
        rows = np.asarray(rows, np.int64)
        rows = rows[self.is_device[self.item[rows]]]  # only device events have dependents
        if not rows.size:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        d = self.item[rows].astype(np.int64)
        t = self.date[rows].astype(np.int64)
        # Only the last event of a day is ever current.
        last = self.device_events(d, t) == rows
        rows, d, t = rows[last], d[last], t[last]
        nxt = self._by_device.first_gt(make_key(d, t))
        end = np.where(nxt >= 0, nxt & ((np.int64(1) << 32) - 1), np.int64(DATE_MAX) + (1 << 31) + 1) - (1 << 31)
        spos, owner = expand_ranges(self._std_of_device_ptr[d], self._std_of_device_ptr[d + 1])
        s = self._std_of_device[spos]
        keep = ~self.is_root[s]
        s, owner = s[keep], owner[keep]
        found, which = self._by_standard.rows_between(make_key(s, t[owner]), make_key(s, end[owner]))
        return found, rows[owner[which]]

    def _closure(self, seeds, with_paths=False):
        seeds = _sorted_unique(seeds)
        events, depth, parent = [seeds], [np.zeros(seeds.size, np.int32)], [np.full(seeds.size, -1, np.int64)]
        seen = np.zeros(self.n_events, bool)
        seen[seeds] = True
        frontier, level = seeds, 0
        while frontier.size:
            level += 1
            found, came_from = self.dependents(frontier)
            fresh = ~seen[found]
            found, came_from = found[fresh], came_from[fresh]
            order = np.argsort(found, kind="stable")  # keeps the first parent of each
            found, came_from = found[order], came_from[order]
            first = np.ones(found.size, bool)
            first[1:] = found[1:] != found[:-1]
            found, came_from = found[first], came_from[first]
            seen[found] = True
            events.append(found)
            depth.append(np.full(found.size, level, np.int32))
            parent.append(came_from)
            frontier = found
        return np.concatenate(events), np.concatenate(depth), np.concatenate(parent)

    def events_with_standard(self, standard: int, date_from: int, date_to: int) -> np.ndarray:
        """Rows of events performed with `standard` on dates from..to inclusive."""
        self._check_standard(standard)
        rows, _ = self._by_standard.rows_between(make_key([standard], [date_from]), make_key([standard], [int(date_to) + 1]))
        return _sorted_unique(rows)

    def impact(self, standard: int, date_from: int, date_to: int, item_owner=None, item_region=None) -> Impact:
        """Every event in doubt when `standard` was out of tolerance on from..to inclusive."""
        seeds = self.events_with_standard(standard, date_from, date_to)
        events, depth, parent = self._closure(seeds)
        items = self.item[events].astype(np.int64)
        for name, arr in (("item_owner", item_owner), ("item_region", item_region)):
            if arr is not None and np.asarray(arr).shape != (self.n_items,):
                raise TraceabilityInputError(f"{name}: must have one entry per item ({self.n_items})")
        return Impact(
            events, self._ids(events), depth, parent, items, _group_counts(item_owner, items), _group_counts(item_region, items)
        )

    def default_window(self, standard: int, found_date: int) -> tuple[int, int]:
        """From the standard's last good device calibration before found_date, to found_date."""
        self._check_standard(standard)
        devices = self.device_indices[self.device_indptr[standard] : self.device_indptr[standard + 1]]
        rows = self.current_events(devices, np.full(devices.size, int(found_date), np.int64))
        good = rows[rows >= 0]
        good = good[self.passed[good] & ~self.revoked[good]]
        start = int(self.date[good].min()) if good.size else int(found_date)
        return start, int(found_date)

    def _check_standard(self, standard):
        if not 0 <= int(standard) < self.n_standards:
            raise TraceabilityInputError(f"standard: index {standard} outside 0..{self.n_standards - 1}")

    # ------------------------------------------------------------------ incremental refresh
    def append_events(self, batch: EventBatch) -> np.ndarray:
        """Add new events, store their verdicts and refresh every event they change.

        Returns the rows given to the new events."""
        ev = batch.checked(self.n_items, self.n_standards)
        start = self.n_events
        new = np.arange(start, start + len(ev), dtype=np.int64)
        if not new.size:
            return new
        cat = np.concatenate
        if self._event_id is not None or ev.event_id is not None:
            first_id = int(self.event_id.max()) + 1 if start else 0
            ids = ev.event_id if ev.event_id is not None else np.arange(first_id, first_id + new.size)
            self._event_id = cat([self.event_id, ids])
        for name, new_values, default in (
            ("_required", ev.required_ratio, 3.0),
            ("_certificate", ev.certificate, -1),
            ("_uncertainty", ev.uncertainty, np.nan),
        ):
            old_values = getattr(self, name)
            if old_values is not None or new_values is not None:
                dtype = (old_values if old_values is not None else new_values).dtype
                if old_values is None:
                    old_values = np.full(start, default, dtype)
                if new_values is None:
                    new_values = np.full(new.size, default, dtype)
                setattr(self, name, cat([old_values, new_values.astype(dtype)]))
        self.item = cat([self.item, ev.item.astype(np.int32)])
        self.date = cat([self.date, ev.date])
        self.valid_until = cat([self.valid_until, ev.valid_until])
        self.passed = cat([self.passed, ev.passed])
        self.range_ok = cat([self.range_ok, ev.range_ok])
        self.ratio = cat([self.ratio, ev.uncertainty_ratio])
        self.revoked = cat([self.revoked, ev.revoked])
        self.link_indptr = cat([self.link_indptr, ev.standard_indptr[1:] + self.link_indptr[-1]])
        self.link_std = cat([self.link_std, ev.standard_indices.astype(np.int32)])
        self._flags = cat([self._flags, np.zeros(new.size, np.uint32)])
        self._best = cat([self._best, np.full(new.size, NO_BREAK, np.int64)])
        self._unsolved = cat([self._unsolved, np.zeros(new.size, bool)])  # solved just below
        self._id_index = None
        self._by_item.insert(make_key(ev.item, ev.date), new)
        on_device = self.is_device[ev.item]
        self._by_device.insert(make_key(ev.item[on_device], ev.date[on_device]), new[on_device])
        link_row = np.repeat(new, np.diff(ev.standard_indptr))
        if self._standard_index is not None:  # else built later from every row
            self._standard_index.insert(make_key(ev.standard_indices, self.date[link_row]), link_row)
        # New device events may become the current calibration for events already stored
        # (a late entry); those and everything downstream get re-solved.
        changed, _ = self.dependents(new[on_device])
        self._refresh(np.concatenate([new, changed]))
        return new

    def revoke_events(self, rows) -> np.ndarray:
        """Mark events revoked and refresh the verdicts downstream; returns the refreshed rows."""
        rows = self._check_rows(rows)
        self.revoked[rows] = True
        changed, _ = self.dependents(rows)
        return self._refresh(changed)

    def mark_out_of_tolerance(self, standard: int, date_from: int, date_to: int) -> np.ndarray:
        """Record that a standard was out of tolerance on from..to inclusive and refresh."""
        seeds = self.events_with_standard(standard, date_from, date_to)
        self._oot = [np.r_[self._oot[0], standard], np.r_[self._oot[1], date_from], np.r_[self._oot[2], int(date_to) + 1]]
        self._oot_set = IntervalSet(*self._oot)
        return self._refresh(seeds)

    def _refresh(self, seeds) -> np.ndarray:
        self._timeline = None  # devices' events, approvals or doubt windows changed
        events, _, _ = self._closure(seeds)
        self._solve(events)
        return events

    def rows_of_event_ids(self, event_ids) -> np.ndarray:
        """Engine rows of caller event ids (raises if one is unknown)."""
        if self._id_index is None:
            ids = self.event_id
            order = np.argsort(ids, kind="stable")
            self._id_index = (ids[order], order)
        ids, order = self._id_index
        q = np.asarray(event_ids, np.int64)
        pos = np.minimum(np.searchsorted(ids, q), max(ids.size - 1, 0))
        if not ids.size or np.any(ids[pos] != q):
            raise TraceabilityInputError("event_ids: unknown event id")
        return order[pos]

    def _check_rows(self, rows):
        rows = np.asarray(rows, np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self.n_events):
            raise TraceabilityInputError(f"rows: outside 0..{self.n_events - 1}")
        return rows


def validity_summary(validity: Validity, groups, top: int = 3) -> dict:
    """Traceable share per group (region, catalog item, owner...) with the top reasons.

    groups: one key per item of `validity`. Returns {group: {"items", "traceable",
    "share", "reasons": [(reason name, count), ...]}} with at most `top` error reasons,
    most frequent first (ties by bit order)."""
    groups = np.asarray(groups)
    if groups.shape != validity.items.shape:
        raise TraceabilityInputError(f"groups: must have one entry per item ({validity.items.size})")
    keys, label = np.unique(groups, return_inverse=True)
    n = np.bincount(label, minlength=keys.size)
    ok = np.bincount(label, weights=validity.valid, minlength=keys.size).astype(np.int64)
    error_reasons = [r for r in Reason if int(r) & ERROR_MASK]
    counts = np.stack(
        [np.bincount(label, weights=(validity.flags & _bit(r)) != 0, minlength=keys.size) for r in error_reasons]
    ).astype(np.int64)
    out = {}
    for g in range(keys.size):
        order = np.argsort(-counts[:, g], kind="stable")[:top]
        reasons = [(error_reasons[i].name, int(counts[i, g])) for i in order if counts[i, g]]
        out[keys[g].item()] = {"items": int(n[g]), "traceable": int(ok[g]), "share": float(ok[g] / n[g]), "reasons": reasons}
    return out
