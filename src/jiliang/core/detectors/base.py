"""What every detector shares: input checking, the result type and a vectorised
"latest earlier event of the same device" lookup used by the event rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from jiliang.core.errors import InputError

SEVERITIES = ("low", "medium", "high")


class DetectorInputError(InputError):
    """Bad input for a detector; names the field and the reason."""


@dataclass(frozen=True)
class Detection:
    """The verdict of one rule over a set of units (transactions, trips, devices, …).

    ``flags[i]`` says whether unit ``i`` breaks the rule; ``score[i]`` is the measured
    quantity the rule compared with its limit (a ratio, an error, a count), kept as evidence.
    """

    rule: str
    severity: str
    flags: np.ndarray
    score: np.ndarray
    limit: float
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise DetectorInputError("severity", f"must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def indices(self) -> np.ndarray:
        return np.flatnonzero(self.flags)

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.flags))


def floats(name: str, values, ndim: int = 1, allow_nan: bool = False) -> np.ndarray:
    """``values`` as a float array of ``ndim`` dimensions with finite entries."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DetectorInputError(name, "must be numbers") from None
    if arr.ndim != ndim:
        raise DetectorInputError(name, f"must be {ndim}-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if not allow_nan:
        if bad.any():
            raise DetectorInputError(name, f"entry {int(np.flatnonzero(bad.ravel())[0])} is not a finite number")
    elif np.isinf(arr).any():
        raise DetectorInputError(name, "contains an infinite value")
    return arr


def ints(name: str, values, ndim: int = 1) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != ndim:
        raise DetectorInputError(name, f"must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise DetectorInputError(name, "must be integers")
    return arr.astype(np.int64, copy=False)


def same_length(**arrays: np.ndarray) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    first = next(iter(lengths.values()), 0)
    for name, n in lengths.items():
        if n != first:
            raise DetectorInputError(name, f"has {n} entries, expected {first} like the others")
    return first


def positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise DetectorInputError(name, f"must be a positive number, got {value}")
    return value


def latest_before(query_device: np.ndarray, query_time: np.ndarray, ref_device: np.ndarray, ref_time: np.ndarray) -> np.ndarray:
    """For every query (device, time), the time of the latest reference event of the same
    device at or before it; -inf where there is none. Vectorised: one sort and one running
    maximum over queries and references together (no loop per event)."""
    nq = query_time.shape[0]
    if ref_time.size == 0 or nq == 0:
        return np.full(query_time.shape, -np.inf)
    dev = np.concatenate([ref_device, query_device])
    t = np.concatenate([ref_time, query_time])
    is_query = np.concatenate([np.zeros(ref_time.size, bool), np.ones(nq, bool)])
    order = np.lexsort((is_query, t, dev))  # references sort before queries at the same time
    sorted_is_ref = ~is_query[order]
    last_ref = np.maximum.accumulate(np.where(sorted_is_ref, np.arange(order.size), -1))
    found = last_ref >= 0
    src = order[np.clip(last_ref, 0, None)]
    found &= dev[src] == dev[order]
    result_sorted = np.where(found, t[src], -np.inf)
    out = np.empty(order.size)
    out[order] = result_sorted
    return out[ref_time.size :]
