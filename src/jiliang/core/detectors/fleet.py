"""Rules for any instrument: silence, and drift against its peers."""

from __future__ import annotations

import numpy as np

from .base import Detection, DetectorInputError, floats, ints, positive


def silence(last_seen_s, expected_interval_s, now_s: float, *, factor: float = 3.0) -> Detection:
    """No data when data is expected.

    Rule: flag a device whose latest message is older than ``factor`` (3) of its expected
    reporting intervals at ``now_s``. A device never heard from (NaN) is flagged too.
    Score: silence in intervals.
    """
    last = floats("last_seen_s", last_seen_s, allow_nan=True)
    interval = floats("expected_interval_s", np.broadcast_to(np.asarray(expected_interval_s, float), last.shape))
    if (interval <= 0).any():
        raise DetectorInputError("expected_interval_s", "must be positive")
    positive("factor", factor)
    gap = (float(now_s) - last) / interval
    gap = np.where(np.isnan(gap), np.inf, gap)
    return Detection("any.silence", "medium", gap > factor, gap, factor)


def peer_drift(
    group, values, *, z_limit: float = 6.0, alpha: float = 0.2, min_scale: float = 1e-9, min_peers: int = 4
) -> Detection:
    """Drift of a fleet member against its peers.

    Input: ``values`` 2-D (devices × periods) of a quantity that peers in the same
    ``group`` see alike (the supply voltage on one transformer, the temperature of one
    tank farm, the error found at successive in-service checks). Each period, a device's
    deviation from its group's median is scaled by the group's robust spread
    (1.4826 × median absolute deviation over devices and periods, floored at
    ``min_scale``) and smoothed by an EWMA with weight ``alpha``. Rule: flag a device
    whose smoothed scaled deviation in the last period exceeds ``z_limit`` in absolute
    value; groups with fewer than ``min_peers`` devices are not judged. Score: that
    smoothed deviation.
    """
    g = ints("group", group)
    x = floats("values", values, ndim=2, allow_nan=True)
    if x.shape[0] != g.shape[0]:
        raise DetectorInputError("values", f"has {x.shape[0]} rows, expected one per device ({g.shape[0]})")
    if not 0 < alpha <= 1:
        raise DetectorInputError("alpha", "must be in (0, 1]")
    n_dev, n_per = x.shape
    order = np.argsort(g, kind="stable")
    gs, xs = g[order], x[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    sizes = np.diff(np.r_[starts, n_dev])
    z = np.zeros(n_dev)
    judged = np.zeros(n_dev, bool)
    # One vectorised pass per group size: groups of equal size are stacked into a 3-D array.
    for size in np.unique(sizes):
        if size < min_peers:
            continue
        sel = starts[sizes == size]
        rows = sel[:, None] + np.arange(size)[None, :]
        block = xs[rows]  # groups × size × periods
        med = np.nanmedian(block, axis=1, keepdims=True)
        dev = block - med
        mad = np.nanmedian(np.abs(dev).reshape(len(sel), -1), axis=1)[:, None, None] * 1.4826
        scaled = np.nan_to_num(dev / np.maximum(mad, min_scale))
        weights = alpha * (1 - alpha) ** np.arange(n_per - 1, -1, -1)
        weights[0] = (1 - alpha) ** (n_per - 1)  # EWMA started at the first value
        ewma = scaled @ weights
        z[rows.ravel()] = ewma.ravel()
        judged[rows.ravel()] = True
    out = np.empty(n_dev)
    out[order] = z
    ok = np.empty(n_dev, bool)
    ok[order] = judged
    return Detection("any.peer_drift", "medium", ok & (np.abs(out) > z_limit), out, z_limit)
