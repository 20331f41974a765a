"""Fuel dispensers (燃油加油机): rules over sale transactions, tank days and events.

Every function takes column arrays (one entry per transaction, nozzle or tank) and returns a
:class:`Detection`; limits are keyword parameters with the defaults named in the rule.
"""

from __future__ import annotations

import numpy as np

from .base import Detection, DetectorInputError, floats, ints, positive, same_length

# JJG 443 (燃油加油机) maximum permissible error of a dispenser in service: ±0.30 %.
DISPENSER_MPE = 0.003


def k_factor_change(pulses, volume_l, verified_k, *, tolerance: float = DISPENSER_MPE, min_volume_l: float = 5.0) -> Detection:
    """Pulse equivalent (K factor) changed from the verified value.

    Rule: for each sale with displayed volume V ≥ ``min_volume_l`` (so the 0.01 L display
    rounding stays below 0.1 %), the observed K = pulses / V. Flag the sale when
    |K / K_verified − 1| > ``tolerance`` (default the dispenser MPE, 0.30 %). A lowered K
    makes the display run ahead of the fuel delivered: the classic "adjusted pulse" cheat.
    Score: the relative deviation K / K_verified − 1.
    """
    p = floats("pulses", pulses)
    v = floats("volume_l", volume_l)
    k = floats("verified_k", verified_k)
    same_length(pulses=p, volume_l=v, verified_k=k)
    positive("tolerance", tolerance)
    if (k <= 0).any():
        raise DetectorInputError("verified_k", "must be positive")
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = np.where(v > 0, p / np.where(v > 0, v, 1.0) / k - 1.0, 0.0)
    flags = (v >= min_volume_l) & (np.abs(deviation) > tolerance)
    return Detection("fuel.k_factor_change", "high", flags, deviation, tolerance)


def amount_mismatch(
    volume_l, unit_price, amount, *, volume_resolution: float = 0.01, amount_resolution: float = 0.01
) -> Detection:
    """Volume × unit price ≠ amount.

    Rule: the amount may differ from V × P only by rounding: half a volume digit times
    the price plus half an amount digit. Flag when
    |amount − V·P| > P·``volume_resolution``/2 + ``amount_resolution``/2 (+1e-9).
    Score: amount − V·P in yuan.
    """
    v = floats("volume_l", volume_l)
    p = floats("unit_price", unit_price)
    a = floats("amount", amount)
    same_length(volume_l=v, unit_price=p, amount=a)
    diff = a - v * p
    allowance = p * volume_resolution / 2 + amount_resolution / 2 + 1e-9
    return Detection("fuel.amount_mismatch", "high", np.abs(diff) > allowance, diff, float(amount_resolution))


def tank_reconciliation(
    sales_l, level_start_l, level_end_l, deliveries_l, *, tolerance: float = 0.005, min_days: int = 7
) -> Detection:
    """Sales against the tank's level (进销存比对), per tank over a run of days.

    Inputs are 2-D (tanks × days). The physical outflow of a day is
    start level − end level + deliveries. Rule: over the cumulative run from day 0, the
    excess of recorded sales over physical outflow, Σsales / Σoutflow − 1, exceeds
    ``tolerance`` (0.5 %, well above gauge and temperature noise once ``min_days`` days are
    summed) on any day from ``min_days`` on. Dispensers that read high sell more than
    leaves the tank. Score: the largest cumulative excess ratio; ``extra["first_day"]``
    the first day the limit was crossed (−1 if never).
    """
    s = floats("sales_l", sales_l, ndim=2)
    a = floats("level_start_l", level_start_l, ndim=2)
    b = floats("level_end_l", level_end_l, ndim=2)
    d = floats("deliveries_l", deliveries_l, ndim=2)
    for name, arr in (("level_start_l", a), ("level_end_l", b), ("deliveries_l", d)):
        if arr.shape != s.shape:
            raise DetectorInputError(name, f"has shape {arr.shape}, expected {s.shape} like sales_l")
    outflow = np.cumsum(a - b + d, axis=1)
    sold = np.cumsum(s, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(outflow > 0, sold / np.where(outflow > 0, outflow, 1.0) - 1.0, 0.0)
    excess[:, : max(min_days - 1, 0)] = 0.0
    over = excess > tolerance
    flags = over.any(axis=1)
    first = np.where(flags, over.argmax(axis=1), -1)
    return Detection("fuel.tank_reconciliation", "high", flags, excess.max(axis=1, initial=0.0), tolerance, {"first_day": first})


def nozzle_share(
    station, baseline_volume_l, current_volume_l, *, relative_change: float = 0.5, min_share: float = 0.02
) -> Detection:
    """Abnormal per-nozzle share of a station's sales.

    Rule: for each nozzle, the growth g = current volume / baseline volume, compared with the
    median growth of its station's nozzles (so a busy month or a price war moves all
    nozzles alike, and one nozzle's collapse does not make its siblings look abnormal).
    Flag when |g / median g − 1| > ``relative_change`` (50 %) for a nozzle that carried at
    least ``min_share`` (2 %) of the station's baseline volume. A nozzle whose reported
    sales collapse while its siblings carry on is a nozzle taken off the monitoring (sales
    bypassing the upload); one that jumps is being over-reported. Score: g / median g − 1.
    """
    st = ints("station", station)
    base = floats("baseline_volume_l", baseline_volume_l)
    cur = floats("current_volume_l", current_volume_l)
    same_length(station=st, baseline_volume_l=base, current_volume_l=cur)
    if (base < 0).any() or (cur < 0).any():
        raise DetectorInputError("current_volume_l", "volumes must not be negative")
    _, inv = np.unique(st, return_inverse=True)
    base_total = np.bincount(inv, weights=base)[inv]
    with np.errstate(divide="ignore", invalid="ignore"):
        base_share = np.where(base_total > 0, base / base_total, 0.0)
        growth = np.where(base > 0, cur / np.where(base > 0, base, 1.0), np.nan)
    # Median growth per station, vectorised: sort by (station, growth) and take the middle.
    order = np.lexsort((np.nan_to_num(growth, nan=np.inf), inv))
    counts = np.bincount(inv)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    g_sorted = growth[order]
    lo = g_sorted[starts + (counts - 1) // 2]
    hi = g_sorted[starts + counts // 2]
    median = ((lo + hi) / 2)[inv]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(median > 0, growth / median - 1.0, 0.0)
    change = np.nan_to_num(change)
    flags = (base_share >= min_share) & (np.abs(change) > relative_change)
    return Detection("fuel.nozzle_share", "medium", flags, change, relative_change)


# Event codes a dispenser reports that need an inspector's eye (加油机锁定/复位/掉电).
SUSPECT_EVENTS = frozenset({"lock", "reset", "power_loss_during_sale", "encoder_disconnected", "main_board_replaced"})


def lock_reset_events(event_codes, *, suspect=SUSPECT_EVENTS) -> Detection:
    """Lock and reset events.

    Rule: flag every event whose code is in ``suspect`` (lock, reset, power loss during a
    sale, encoder disconnected, main board replaced): each either follows a tampering
    attempt or wipes evidence. Score: 1 for a flagged event.
    """
    codes = np.asarray(event_codes, dtype=str)
    if codes.ndim != 1:
        raise DetectorInputError("event_codes", "must be one-dimensional")
    flags = np.isin(codes, sorted(suspect))
    return Detection("fuel.lock_reset", "medium", flags, flags.astype(float), 1.0)
