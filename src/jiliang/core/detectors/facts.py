"""Device facts legal metrology cares about (法制计量要求): the legally relevant software's
identification and checksum, the non-resettable event counter with its parameter-change
log, the seal, and the clock. Each is compared with what the registry knows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Detection, DetectorInputError, ints, same_length


def software_mismatch(reported_id, reported_checksum, approved_id, approved_checksum) -> Detection:
    """Legally relevant software differs from the approved version for the model.

    Rule: flag a device whose reported software identification or checksum differs from
    the one approved for its model (型式批准 / 软件认证); an empty approved checksum means
    the model has none on file and the device is not judged. Score: 1 when flagged.
    """
    rid = np.asarray(reported_id, dtype=str)
    rck = np.asarray(reported_checksum, dtype=str)
    aid = np.asarray(approved_id, dtype=str)
    ack = np.asarray(approved_checksum, dtype=str)
    same_length(reported_id=rid, reported_checksum=rck, approved_id=aid, approved_checksum=ack)
    known = ack != ""
    flags = known & ((rid != aid) | (np.char.lower(rck) != np.char.lower(ack)))
    return Detection("device.software_mismatch", "high", flags, flags.astype(float), 0.0)


def counter_unexplained(previous_counter, reported_counter, verified_changes) -> Detection:
    """Non-resettable event counter against verified parameter changes.

    The counter of a legally relevant device counts every change of a metrological
    parameter and can never go back. Rule: flag a device whose counter went down (the
    counter was reset or the board replaced) or rose by more than the number of changes
    matched to verification records since the previous reading (a change made outside a
    verification). Score: reported − previous − verified changes (negative for a fall,
    reported as −inf).
    """
    prev = ints("previous_counter", previous_counter)
    rep = ints("reported_counter", reported_counter)
    ver = ints("verified_changes", verified_changes)
    same_length(previous_counter=prev, reported_counter=rep, verified_changes=ver)
    if (ver < 0).any():
        raise DetectorInputError("verified_changes", "must not be negative")
    unexplained = (rep - prev - ver).astype(float)
    fell = rep < prev
    score = np.where(fell, -np.inf, unexplained)
    return Detection("device.counter_unexplained", "high", fell | (unexplained > 0), score, 0.0)


def seal_broken(seal_intact) -> Detection:
    """Seal state reported broken (electronic seal / 封印).

    Rule: flag every device reporting its seal not intact. Score: 1 when flagged.
    """
    s = np.asarray(seal_intact)
    if s.ndim != 1 or (s.size and s.dtype != bool):
        raise DetectorInputError("seal_intact", "must be a one-dimensional array of booleans")
    flags = ~s
    return Detection("device.seal_broken", "high", flags, flags.astype(float), 0.0)


@dataclass(frozen=True)
class ParameterChange:
    """One entry of a device's parameter-change log."""

    parameter: str
    old: float
    new: float
    counter: int
    time_s: float


def changes_without_verification(
    change_device, change_time_s, verification_device, verification_time_s, *, window_s: float = 2 * 86400.0
) -> Detection:
    """Parameter changes in the device's log not matched by a verification record.

    Rule: a logged change is explained by a verification record of the same device within
    ``window_s`` (2 days) before or after it. Flag the rest. Score: distance to the nearest
    record in seconds (inf if none).
    """
    from .scale import calibration_without_record

    d = calibration_without_record(change_device, change_time_s, verification_device, verification_time_s, window_s=window_s)
    return Detection("device.change_without_verification", "high", d.flags, d.score, window_s)
