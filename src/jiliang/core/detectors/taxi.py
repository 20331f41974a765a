"""Taxi meters (出租汽车计价器): rules over trips and their 1 Hz pulse traces."""

from __future__ import annotations

import numpy as np

from .base import Detection, DetectorInputError, floats, positive, same_length


def distance_ratio(metered_km, gps_km, *, limit: float = 0.05, min_gps_km: float = 1.0) -> Detection:
    """Metered distance against GPS distance, per trip.

    Rule: for trips with GPS distance ≥ ``min_gps_km``, flag when
    metered / GPS − 1 > ``limit`` (5 %: a meter's own error, a few per mille, plus the
    GPS track's 1–2 % shortfall on bends leave honest trips well below). Meters that
    "jump" (跳表) overcharge by 8 % and more. Score: the ratio − 1.
    """
    m = floats("metered_km", metered_km)
    g = floats("gps_km", gps_km)
    same_length(metered_km=m, gps_km=g)
    positive("limit", limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(g > 0, m / np.where(g > 0, g, 1.0) - 1.0, 0.0)
    flags = (g >= min_gps_km) & (ratio > limit)
    return Detection("taxi.distance_ratio", "high", flags, ratio, limit)


def pulse_bursts(
    pulses,
    speed_mps,
    k_pulses_per_km,
    *,
    window_s: int = 5,
    burst_factor: float = 1.5,
    z: float = 4.0,
    steady_accel_mps2: float = 1.0,
    min_expected: float = 15.0,
) -> Detection:
    """Pulse bursts at steady speed, per trip.

    Inputs: ``pulses`` and GPS ``speed_mps`` as 2-D (trips × seconds, 1 Hz; NaN pads short
    trips), the verified K (pulses per km) per trip. At steady speed (|Δv| ≤
    ``steady_accel_mps2``, 1 m/s², each second: GPS speed noise passes, real acceleration
    does not) the wheel-sensor pulses should be E = K·v/1000 per second, Poisson-scattered. Rule: flag a trip with a window of
    ``window_s`` (5) steady seconds whose pulse sum exceeds
    ``burst_factor``·ΣE + ``z``·√ΣE (1.5 times the expected count plus four Poisson standard
    deviations); windows expecting fewer than ``min_expected`` (15) pulses, near standstill
    where the GPS speed is mostly noise, are not judged. Pulses injected by a hidden
    generator (加装作弊器) are what this catches. Score: the largest
    ratio Σpulses / ΣE over steady windows.
    """
    p = floats("pulses", pulses, ndim=2, allow_nan=True)
    v = floats("speed_mps", speed_mps, ndim=2, allow_nan=True)
    k = floats("k_pulses_per_km", k_pulses_per_km)
    if p.shape != v.shape:
        raise DetectorInputError("speed_mps", f"has shape {v.shape}, expected {p.shape} like pulses")
    if k.shape[0] != p.shape[0]:
        raise DetectorInputError("k_pulses_per_km", f"has {k.shape[0]} entries, expected one per trip ({p.shape[0]})")
    if window_s < 1:
        raise DetectorInputError("window_s", "must be at least 1")
    n_trips, n_sec = p.shape
    if n_sec < window_s:
        return Detection("taxi.pulse_burst", "high", np.zeros(n_trips, bool), np.zeros(n_trips), burst_factor)
    expected = np.nan_to_num(k[:, None] * v / 1000.0)
    accel = np.abs(np.diff(v, axis=1, prepend=v[:, :1]))
    steady = (accel <= steady_accel_mps2) & ~np.isnan(p)

    def window_sum(a):
        c = np.cumsum(np.pad(a, ((0, 0), (1, 0))), axis=1)
        return c[:, window_s:] - c[:, :-window_s]

    sp = window_sum(np.nan_to_num(p))
    se = window_sum(expected)
    all_steady = window_sum(steady.astype(float)) == window_s
    judged = all_steady & (se >= min_expected)
    burst = judged & (sp > burst_factor * se + z * np.sqrt(se))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(judged, sp / np.where(se > 0, se, 1.0), 0.0)
    return Detection("taxi.pulse_burst", "high", burst.any(axis=1), ratio.max(axis=1), burst_factor)


def tariff_fare(
    metered_km, waiting_min, *, flag_fall: float, included_km: float, per_km: float, per_waiting_min: float, rounding: float = 1.0
) -> np.ndarray:
    """The fare the tariff gives for a trip, rounded to ``rounding`` yuan (half up)."""
    km = floats("metered_km", metered_km)
    wait = floats("waiting_min", waiting_min)
    raw = flag_fall + per_km * np.maximum(km - included_km, 0.0) + per_waiting_min * wait
    return np.floor(raw / rounding + 0.5) * rounding


def fare_outliers(
    fare,
    metered_km,
    waiting_min,
    *,
    flag_fall: float,
    included_km: float,
    per_km: float,
    per_waiting_min: float,
    rounding: float = 1.0,
    tolerance: float | None = None,
) -> Detection:
    """Fare against distance (and waiting time) under the approved tariff, per trip.

    Rule: recompute the fare from the trip's metered km and waiting minutes with the
    approved tariff (flag fall for the included km, a rate per further km and per
    waiting minute, rounded to ``rounding`` yuan). Flag when
    |fare − tariff fare| > ``tolerance`` (default half a rounding step): a meter whose
    tariff table was altered. Score: fare − tariff fare in yuan.
    """
    f = floats("fare", fare)
    km = floats("metered_km", metered_km)
    wait = floats("waiting_min", waiting_min)
    same_length(fare=f, metered_km=km, waiting_min=wait)
    tol = rounding / 2 if tolerance is None else float(tolerance)
    expected = tariff_fare(
        km, wait, flag_fall=flag_fall, included_km=included_km, per_km=per_km, per_waiting_min=per_waiting_min, rounding=rounding
    )
    diff = f - expected
    return Detection("taxi.fare_outlier", "high", np.abs(diff) > tol + 1e-9, diff, tol)


def k_value_mismatch(reported_k, verified_k, *, tolerance: float = 1e-6) -> Detection:
    """K value (pulses per km) configured in the meter ≠ the value at verification.

    Rule: flag when |K_reported / K_verified − 1| > ``tolerance``: the constant is a
    setting, so any change not made at a verification is a change of the meter.
    Score: the relative difference.
    """
    r = floats("reported_k", reported_k)
    k = floats("verified_k", verified_k)
    same_length(reported_k=r, verified_k=k)
    if (k <= 0).any():
        raise DetectorInputError("verified_k", "must be positive")
    rel = r / k - 1.0
    return Detection("taxi.k_value", "high", np.abs(rel) > tolerance, rel, tolerance)
