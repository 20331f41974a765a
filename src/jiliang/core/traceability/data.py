"""The engine's input: plain NumPy arrays that a loader fills from bulk reads.

See the package docstring for the field-by-field contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiliang.core.errors import ReasonError

DATE_MAX = int(np.iinfo(np.int32).max)
"""An open end date ("valid until further notice")."""
DATE_MIN = int(np.iinfo(np.int32).min) + 1


class TraceabilityInputError(ReasonError):
    """Input arrays that break the contract; the message names the field and the reason."""


def _array(name, value, dtype, length=None):
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise TraceabilityInputError(f"{name}: cannot be read as an array ({exc})") from exc
    if arr.ndim != 1:
        raise TraceabilityInputError(f"{name}: must be one-dimensional, got shape {arr.shape}")
    if np.dtype(dtype).kind in "iu":
        if arr.size and arr.dtype.kind not in "iub":
            raise TraceabilityInputError(f"{name}: must hold integers, got {arr.dtype}")
        if arr.size and np.dtype(dtype) == np.int32 and arr.dtype.itemsize > 4:
            if arr.min() < DATE_MIN - 1 or arr.max() > DATE_MAX:
                raise TraceabilityInputError(f"{name}: values do not fit in int32")
    if np.dtype(dtype) == np.bool_ and arr.size and arr.dtype.kind not in "biu":
        raise TraceabilityInputError(f"{name}: must hold booleans, got {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    if length is not None and arr.shape[0] != length:
        raise TraceabilityInputError(f"{name}: length {arr.shape[0]} differs from {length}")
    return arr


def _index_array(name, value, upper, length=None):
    # Keep the caller's integer width (int32 indices stay int32: less memory at 10^7 rows).
    arr = np.asarray(value)
    if not (arr.size and arr.dtype.kind in "iu" and arr.ndim == 1):
        arr = _array(name, value, np.int64, length)
    elif length is not None and arr.shape[0] != length:
        raise TraceabilityInputError(f"{name}: length {arr.shape[0]} differs from {length}")
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        bad = arr[(arr < 0) | (arr >= upper)][0]
        raise TraceabilityInputError(f"{name}: index {bad} outside 0..{upper - 1}")
    return arr


def _csr(name, indptr, indices, rows, upper):
    indptr = _array(f"{name}_indptr", indptr, np.int64, rows + 1)
    indices = _index_array(f"{name}_indices", indices, upper)
    if indptr[0] != 0 or indptr[-1] != indices.size:
        raise TraceabilityInputError(f"{name}_indptr: must start at 0 and end at len({name}_indices)={indices.size}")
    if np.any(indptr[1:] < indptr[:-1]):  # no int64 temporary of the differences
        raise TraceabilityInputError(f"{name}_indptr: must be non-decreasing")
    return indptr, indices


def _intervals(name, standard, start, until, n_standards):
    standard = _index_array(f"{name}_standard", standard, max(n_standards, 1))
    start = _array(f"{name}_from", start, np.int32, standard.size)
    until = _array(f"{name}_until", until, np.int32, standard.size)
    if np.any(until < start):
        raise TraceabilityInputError(f"{name}_until: earlier than {name}_from")
    return standard, start, until


@dataclass(frozen=True)
class StandardsTable:
    """Measurement standards: their devices, roots, assessments, status and doubt windows."""

    n_standards: int
    device_indptr: np.ndarray
    device_indices: np.ndarray
    is_root: np.ndarray
    approval_standard: np.ndarray
    approval_from: np.ndarray
    approval_until: np.ndarray
    status_standard: np.ndarray = None
    status_from: np.ndarray = None
    status_until: np.ndarray = None
    status_code: np.ndarray = None
    oot_standard: np.ndarray = None
    oot_from: np.ndarray = None
    oot_until: np.ndarray = None

    def checked(self, n_items: int) -> StandardsTable:
        """A copy with every array converted to its dtype and checked (raises on bad input)."""
        n = int(self.n_standards)
        if n < 0:
            raise TraceabilityInputError("n_standards: must be >= 0")
        dptr, dind = _csr("device", self.device_indptr, self.device_indices, n, max(n_items, 1))
        is_root = _array("is_root", self.is_root, np.bool_, n)
        appr = _intervals("approval", self.approval_standard, self.approval_from, self.approval_until, n)
        empty = np.zeros(0, np.int64)
        st = (self.status_standard, self.status_from, self.status_until)
        st = tuple(empty if a is None else a for a in st)
        status = _intervals("status", *st, n)
        code = _array("status_code", empty if self.status_code is None else self.status_code, np.int8, status[0].size)
        if code.size and (code.min() < 0 or code.max() > 2):
            raise TraceabilityInputError("status_code: must be 0 active, 1 suspended or 2 cancelled")
        oo = tuple(empty if a is None else a for a in (self.oot_standard, self.oot_from, self.oot_until))
        oot = _intervals("oot", *oo, n)
        return StandardsTable(n, dptr, dind, is_root, *appr, *status, code, *oot)


@dataclass(frozen=True)
class EventBatch:
    """Calibrations and verifications of items, with the standards each one used (CSR)."""

    item: np.ndarray
    date: np.ndarray
    valid_until: np.ndarray
    passed: np.ndarray
    standard_indptr: np.ndarray
    standard_indices: np.ndarray
    range_ok: np.ndarray = None
    uncertainty_ratio: np.ndarray = None
    required_ratio: np.ndarray = None
    revoked: np.ndarray = None
    event_id: np.ndarray = None
    certificate: np.ndarray = None
    uncertainty: np.ndarray = None

    def __len__(self) -> int:
        return int(np.asarray(self.item).shape[0])

    def checked(self, n_items: int, n_standards: int) -> EventBatch:
        """A copy with every array converted to its dtype and checked (raises on bad input).
        Optional columns left out stay None (event_id then means "position in the batch")."""
        item = _index_array("event_item", self.item, max(n_items, 1))
        n = item.size
        date = _array("event_date", self.date, np.int32, n)
        until = _array("event_valid_until", self.valid_until, np.int32, n)
        if np.any(until < date):
            raise TraceabilityInputError("event_valid_until: earlier than event_date")
        passed = _array("event_passed", self.passed, np.bool_, n)
        ptr, ind = _csr("event_standard", self.standard_indptr, self.standard_indices, n, max(n_standards, 1))

        def opt(name, value, dtype, default):
            if value is None:
                return np.full(n, default, dtype)
            return _array(name, value, dtype, n)

        def absent_or(name, value, dtype):  # optional columns stay None: no memory for defaults
            return None if value is None else _array(name, value, dtype, n)

        range_ok = opt("event_range_ok", self.range_ok, np.bool_, True)
        ratio = opt("event_uncertainty_ratio", self.uncertainty_ratio, np.float32, np.nan)
        required = absent_or("event_required_ratio", self.required_ratio, np.float32)
        revoked = opt("event_revoked", self.revoked, np.bool_, False)
        event_id = absent_or("event_id", self.event_id, np.int64)
        certificate = absent_or("event_certificate", self.certificate, np.int64)
        uncertainty = absent_or("event_uncertainty", self.uncertainty, np.float64)
        return EventBatch(
            item, date, until, passed, ptr, ind, range_ok, ratio, required, revoked, event_id, certificate, uncertainty
        )
