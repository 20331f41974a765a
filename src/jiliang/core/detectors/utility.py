"""Water, gas and electricity meters (水表 / 燃气表 / 电能表)."""

from __future__ import annotations

import numpy as np

from .base import Detection, DetectorInputError, floats

# Service lives in years, defaults a bureau may override: household water meters (DN ≤ 25,
# JJG 162: 使用期限不超过 6 年), household diaphragm gas meters (natural gas: 一般不超过 10 年,
# GB/T 6968 / JJG 577); electricity meters are replaced by the utility on its rotation plan.
SERVICE_LIFE_YEARS = {"water": 6.0, "gas": 10.0, "electricity": 10.0}


def past_service_life(installed_day, as_of_day: float, life_years) -> Detection:
    """Meter in use past its service life.

    Rule: flag when (as_of − installed) / 365.25 > life in years (per meter, see
    :data:`SERVICE_LIFE_YEARS`). Days are day numbers (e.g. ``date.toordinal()``).
    Score: age in years.
    """
    inst = floats("installed_day", installed_day)
    life = floats("life_years", np.broadcast_to(np.asarray(life_years, dtype=float), inst.shape))
    age = (float(as_of_day) - inst) / 365.25
    return Detection("utility.past_service_life", "medium", age > life, age, float(np.min(life)) if life.size else 0.0)


TAMPER_EVENTS = frozenset({"magnetic_field", "cover_open", "terminal_cover_open", "valve_tamper", "optical_port_attack"})


def tamper_events(event_codes, *, suspect=TAMPER_EVENTS) -> Detection:
    """Tamper and magnetic events.

    Rule: flag every event whose code is in ``suspect`` (a strong magnetic field at the
    sensor, meter or terminal cover opened, valve tampering). Score: 1 for a flagged event.
    """
    codes = np.asarray(event_codes, dtype=str)
    if codes.ndim != 1:
        raise DetectorInputError("event_codes", "must be one-dimensional")
    flags = np.isin(codes, sorted(suspect))
    return Detection("utility.tamper", "high", flags, flags.astype(float), 1.0)


def reverse_flow(register, *, resolution: float = 0.001, min_total: float | None = None) -> Detection:
    """Reverse flow: the forward register of a meter running backwards.

    Input: 2-D (meters × readings) of the cumulative forward register (NaN for a missed
    reading). Rule: the register may only grow; flag a meter whose register falls by more
    than ``resolution`` between consecutive readings, summed over the series (a meter
    turned round or driven back by a magnet), or by more than ``min_total`` if given.
    Score: the total fall.
    """
    r = floats("register", register, ndim=2, allow_nan=True)
    step = np.diff(r, axis=1)
    fall = np.where(np.isnan(step), 0.0, np.clip(-step, 0.0, None)).sum(axis=1)
    limit = resolution if min_total is None else float(min_total)
    return Detection("utility.reverse_flow", "high", fall > limit, fall, limit)


def district_balance(
    bulk_volume, member_volume_sum, *, baseline_periods: int = 4, rise: float = 0.05, negative_limit: float = -0.02
) -> Detection:
    """A district's meters against its bulk meter (分区计量 / 总分表平衡).

    Inputs 2-D (districts × periods). The loss ratio of a period is
    (bulk − Σ members) / bulk. Rule: flag a district-period when the loss ratio rises
    more than ``rise`` (5 points) above the district's own median over its first
    ``baseline_periods`` periods (members slowed or bypassed, theft), or falls below
    ``negative_limit`` (members exceed the bulk meter: the bulk meter reads low).
    Score: loss ratio − baseline.
    """
    bulk = floats("bulk_volume", bulk_volume, ndim=2)
    members = floats("member_volume_sum", member_volume_sum, ndim=2)
    if bulk.shape != members.shape:
        raise DetectorInputError("member_volume_sum", f"has shape {members.shape}, expected {bulk.shape}")
    if baseline_periods < 1 or baseline_periods > bulk.shape[1]:
        raise DetectorInputError("baseline_periods", f"must be between 1 and the number of periods ({bulk.shape[1]})")
    if (bulk <= 0).any():
        raise DetectorInputError("bulk_volume", "must be positive")
    loss = (bulk - members) / bulk
    baseline = np.median(loss[:, :baseline_periods], axis=1, keepdims=True)
    excess = loss - baseline
    flags = (excess > rise) | (loss < negative_limit)
    flags[:, :baseline_periods] = loss[:, :baseline_periods] < negative_limit
    return Detection("utility.district_balance", "medium", flags, excess, rise, {"loss_ratio": loss})
