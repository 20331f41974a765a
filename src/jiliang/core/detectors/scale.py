"""Electronic price scales (电子计价秤): rules over the device's event log."""

from __future__ import annotations

import numpy as np

from .base import Detection, floats, ints, latest_before, same_length


def _events(device, time_s, name_d, name_t):
    d = ints(name_d, device)
    t = floats(name_t, time_s)
    same_length(**{name_d: d, name_t: t})
    return d, t


def opened_without_unlock(
    open_device, open_time_s, unlock_device, unlock_time_s, *, window_s: float = 3600.0, clock_slack_s: float = 120.0
) -> Detection:
    """Scale opened (or put into calibration mode) without an authorised unlock.

    Rule: every opening of a sealed scale must follow an authorised unlock (issued by the
    platform to a registered repairer or verifier) of the same scale within ``window_s``
    (1 h) before it; ``clock_slack_s`` (2 min) allows the device clock to run ahead of the
    platform's. Flag openings with no such unlock. Score: seconds since the latest unlock
    (inf if none).
    """
    od, ot = _events(open_device, open_time_s, "open_device", "open_time_s")
    ud, ut = _events(unlock_device, unlock_time_s, "unlock_device", "unlock_time_s")
    last = latest_before(od, ot + clock_slack_s, ud, ut)
    age = ot - last
    flags = age > window_s
    return Detection("scale.opened_without_unlock", "high", flags, age, window_s)


def calibration_without_record(
    change_device, change_time_s, record_device, record_time_s, *, window_s: float = 2 * 86400.0
) -> Detection:
    """Calibration (span / linearity) changed without a verification record.

    Rule: a calibration change logged by the scale must lie within ``window_s`` (2 days)
    of a verification record for that scale in the registry, before or after it (the
    record may be entered the next day). Flag changes with none. Score: the distance in
    seconds to the nearest record (inf if none).
    """
    cd, ct = _events(change_device, change_time_s, "change_device", "change_time_s")
    rd, rt = _events(record_device, record_time_s, "record_device", "record_time_s")
    before = ct - latest_before(cd, ct, rd, rt)
    after = -latest_before(cd, -ct, rd, -rt) - ct  # gap to the earliest record at or after
    nearest = np.minimum(before, after)
    return Detection("scale.calibration_without_record", "high", nearest > window_s, nearest, window_s)
