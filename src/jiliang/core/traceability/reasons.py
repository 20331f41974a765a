"""Reason codes (bit flags) for a traceability verdict, and the encoding of break locations."""

from __future__ import annotations

import enum

import numpy as np


class Reason(enum.IntFlag):
    """Why an event or item is not traceable (bits 0-15) or deserves a warning (bits 16+)."""

    NO_EVENT = 1 << 0  # the item has no calibration/verification on or before the date
    EXPIRED = 1 << 1  # its current event's validity ended on or before the date
    FAILED = 1 << 2  # its current event's result did not pass
    REVOKED = 1 << 3  # its current event's certificate was revoked
    STANDARD_NOT_APPROVED = 1 << 4  # a standard used had no valid assessment certificate that day
    STANDARD_SUSPENDED = 1 << 5  # a standard used was suspended that day
    STANDARD_CANCELLED = 1 << 6  # a standard used was cancelled that day
    STANDARD_OUT_OF_TOLERANCE = 1 << 7  # a standard used was in an out-of-tolerance window
    UPSTREAM_BREAK = 1 << 8  # a device of a standard used was itself not traceable that day
    RANGE_NOT_COVERED = 1 << 9  # the standard's capability did not cover the item's range
    CYCLE = 1 << 10  # the chain runs into a cycle in the data
    NO_STANDARD = 1 << 11  # the event records no standard at all
    WARN_UNCERTAINTY_RATIO = 1 << 16  # standard-to-item uncertainty ratio below the requirement


ERROR_MASK = 0xFFFF
"""Bits that make an item untraceable; the bits above are warnings."""

STATUS_ACTIVE = 0
STATUS_SUSPENDED = 1
STATUS_CANCELLED = 2

# A break location packs (depth, kind, index) into one int64 so that "the nearest break,
# ties broken by kind then index" is a plain minimum.
KIND_ITEM = 0
KIND_STANDARD = 1
DEPTH_UNIT = np.int64(1) << 40
KIND_UNIT = np.int64(1) << 32
NO_BREAK = np.int64(1) << 62


def location_key(kind, index, depth=0):
    """Pack break locations (arrays or scalars) into sortable int64 keys."""
    return (
        np.asarray(depth, dtype=np.int64) * DEPTH_UNIT
        + np.asarray(kind, dtype=np.int64) * KIND_UNIT
        + np.asarray(index, dtype=np.int64)
    )


def split_location(key):
    """Unpack keys into (depth, kind, index); kind is -1 where there is no break."""
    key = np.asarray(key, dtype=np.int64)
    none = key >= NO_BREAK
    depth = (key >> 40).astype(np.int32)
    kind = ((key >> 32) & 0xFF).astype(np.int8)
    index = key & 0xFFFFFFFF
    depth[none] = -1
    kind[none] = -1
    index[none] = -1
    return depth, kind, index


def describe(flags: int) -> list[str]:
    """Names of the reason bits set in one flag value."""
    return [r.name for r in Reason if int(flags) & int(r)]
