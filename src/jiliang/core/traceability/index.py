"""Sorted (group, date) keys with a small delta for cheap appends, and interval lookups."""

from __future__ import annotations

import sys

import numpy as np

DATE_OFFSET = np.int64(1) << 31
LOW32 = (np.int64(1) << 32) - 1


def make_key(group, date):
    """Pack (group, date) into an int64 that sorts by group, then date."""
    # Addition, not "or": date DATE_MAX + 1 then means "end of the group" as an exclusive bound.
    # In place on one int64 array: at 3x10^7 rows every temporary costs 240 MB.
    key = np.array(group, dtype=np.int64, ndmin=1) if np.ndim(group) else np.int64(group)
    key <<= 32
    key += np.asarray(date)
    key += DATE_OFFSET
    return key


def key_date(key):
    return ((np.asarray(key, dtype=np.int64) & LOW32) - DATE_OFFSET).astype(np.int64)


def expand_ranges(starts, ends):
    """Concatenated aranges [starts[i], ends[i]) and the i each element came from."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lengths.sum())
    owner = np.repeat(np.arange(starts.size, dtype=np.int64), lengths)
    if total == 0:
        return np.zeros(0, np.int64), owner
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return positions, owner


class SortedIndex:
    """Rows sorted by key; appends go to a delta merged in when it grows (LSM style).

    Among equal keys the later row wins, so "the current event" is the latest by
    (date, row) and rows appended later supersede earlier ones on the same day.
    """

    min_delta = 1 << 16  # a delta this small is never worth an O(n) merge

    def __init__(self, keys: np.ndarray, rows: np.ndarray, merge_fraction: float = 0.05):
        if keys.size and np.all(keys[1:] >= keys[:-1]):
            self.keys, self.rows = keys, rows
        else:
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            self.rows = rows[order]
            del order
        self.merge_fraction = merge_fraction
        self.delta_keys = np.zeros(0, np.int64)
        self.delta_rows = np.zeros(0, np.int64)

    def __len__(self):
        return self.keys.size + self.delta_keys.size

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        k = np.concatenate([self.delta_keys, keys.astype(np.int64)])
        r = np.concatenate([self.delta_rows, rows.astype(np.int64)])
        order = np.argsort(k, kind="stable")
        self.delta_keys, self.delta_rows = k[order], r[order]
        if self.delta_keys.size > max(self.min_delta, self.merge_fraction * self.keys.size):
            self.merge()

    def merge(self) -> None:
        """Fold the delta into the base (one O(n) pass; cheaper than a re-sort)."""
        if not self.delta_keys.size:
            return
        pos = np.searchsorted(self.keys, self.delta_keys, side="right")
        self.keys = np.insert(self.keys, pos, self.delta_keys)
        self.rows = np.insert(self.rows, pos, self.delta_rows)
        self.delta_keys = np.zeros(0, np.int64)
        self.delta_rows = np.zeros(0, np.int64)

    @staticmethod
    def _last_le(keys, rows, query):
        if not keys.size:
            return np.full(query.shape, -1, np.int64), np.full(query.shape, -1, np.int64)
        pos = np.searchsorted(keys, query, side="right") - 1
        clipped = np.maximum(pos, 0)
        found = keys[clipped]
        ok = (pos >= 0) & ((found >> 32) == (query >> 32))
        return np.where(ok, found, -1), np.where(ok, rows[clipped], -1)

    def last_le(self, query: np.ndarray):
        """For each query key: (key, row) of the last entry <= it in the same group, or -1."""
        query = np.asarray(query, dtype=np.int64)
        key, row = self._last_le(self.keys, self.rows, query)
        if self.delta_keys.size:
            dkey, drow = self._last_le(self.delta_keys, self.delta_rows, query)
            newer = (dkey >= key) & (dkey >= 0)
            key = np.where(newer, dkey, key)
            row = np.where(newer, drow, row)
        return key, row

    def first_gt(self, query: np.ndarray) -> np.ndarray:
        """For each query key: the first key > it in the same group, or -1."""
        query = np.asarray(query, dtype=np.int64)
        best = np.full(query.shape, np.iinfo(np.int64).max, np.int64)
        for keys in (self.keys, self.delta_keys):
            if not keys.size:
                continue
            pos = np.searchsorted(keys, query, side="right")
            clipped = np.minimum(pos, keys.size - 1)
            found = keys[clipped]
            ok = (pos < keys.size) & ((found >> 32) == (query >> 32))
            best = np.where(ok, np.minimum(best, found), best)
        return np.where(best == np.iinfo(np.int64).max, -1, best)

    def rows_between(self, lo: np.ndarray, hi: np.ndarray):
        """Rows with lo[i] <= key < hi[i], and the i each one answers."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        out_rows, out_owner = [], []
        for keys, rows in ((self.keys, self.rows), (self.delta_keys, self.delta_rows)):
            if not keys.size:
                continue
            a = np.searchsorted(keys, lo, side="left")
            b = np.searchsorted(keys, hi, side="left")
            pos, owner = expand_ranges(a, b)
            out_rows.append(rows[pos])
            out_owner.append(owner)
        if not out_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_rows), np.concatenate(out_owner)

    def low_dates_view(self) -> np.ndarray:
        """The base keys' low 32 bits (date + offset) as a uint32 view, without a copy."""
        words = self.keys.view(np.uint32)
        return words[0::2] if sys.byteorder == "little" else words[1::2]


class IntervalSet:
    """Half-open intervals [from, until) per group: does any interval cover (group, t)?"""

    def __init__(self, group, start, until):
        group = np.asarray(group, np.int64)
        keys = make_key(group, start)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        # Running maximum of the end within each group: any interval with from <= t
        # reaches past t iff the maximum end among them does. Group in the high bits
        # keeps the running maximum from leaking across groups.
        ends = make_key(group[order], np.asarray(until, np.int64)[order])
        self.max_end = np.maximum.accumulate(ends) if ends.size else ends

    def covers(self, group, t):
        group = np.asarray(group, np.int64)
        t = np.asarray(t, np.int64)
        if not self.keys.size:
            return np.zeros(group.shape, bool)
        q = make_key(group, t)
        pos = np.searchsorted(self.keys, q, side="right") - 1
        clipped = np.maximum(pos, 0)
        end = self.max_end[clipped]
        return (pos >= 0) & ((end >> 32) == group) & (end > q)


class StatusHistory:
    """Status intervals per group; at t the latest-starting interval covering t decides."""

    def __init__(self, group, start, until, code):
        keys = make_key(group, start)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.until = np.asarray(until, np.int64)[order]
        self.code = np.asarray(code, np.int8)[order]

    def at(self, group, t):
        """Status code at t (0 active where no interval covers t)."""
        group = np.asarray(group, np.int64)
        t = np.asarray(t, np.int64)
        if not self.keys.size:
            return np.zeros(group.shape, np.int8)
        q = make_key(group, t)
        pos = np.searchsorted(self.keys, q, side="right") - 1
        clipped = np.maximum(pos, 0)
        ok = (pos >= 0) & ((self.keys[clipped] >> 32) == group) & (t < self.until[clipped])
        return np.where(ok, self.code[clipped], 0).astype(np.int8)
