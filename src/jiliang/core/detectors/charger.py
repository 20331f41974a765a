"""EV chargers (电动汽车充电桩): rules over charging sessions and clock readings."""

from __future__ import annotations

import numpy as np

from .base import Detection, floats, positive, same_length


def billed_energy(charger_kwh, billed_kwh, *, tolerance: float = 0.01, resolution_kwh: float = 0.01) -> Detection:
    """Energy billed against the energy the charger's meter measured, per session.

    Rule: flag when billed − measured > ``tolerance``·measured + ``resolution_kwh``
    (1 %, the accuracy class of the charger's energy meter, plus one display digit): the
    operator's platform bills more than was delivered. Score: billed / measured − 1.
    """
    c = floats("charger_kwh", charger_kwh)
    b = floats("billed_kwh", billed_kwh)
    same_length(charger_kwh=c, billed_kwh=b)
    positive("tolerance", tolerance)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(c > 0, b / np.where(c > 0, c, 1.0) - 1.0, np.where(b > 0, np.inf, 0.0))
    flags = (b - c) > tolerance * c + resolution_kwh + 1e-9
    return Detection("charger.billed_energy", "high", flags, rel, tolerance)


def clock_error(device_time_s, received_time_s, *, limit_s: float = 60.0, max_transit_s: float = 5.0) -> Detection:
    """Device clock against the platform clock, per message.

    The platform's receive time lies after the device's send time by the transit delay,
    at most ``max_transit_s``. Rule: flag when the device time is ahead of the receive
    time, or behind it by more than the transit allowance, by more than ``limit_s``
    (default 60 s; set it to the limit of the verification regulation in force). A
    shifted clock moves sessions into cheaper or dearer tariff periods. Score: device −
    receive time in seconds.
    """
    d = floats("device_time_s", device_time_s)
    r = floats("received_time_s", received_time_s)
    same_length(device_time_s=d, received_time_s=r)
    err = d - r
    flags = (err > limit_s) | (err < -(limit_s + max_transit_s))
    return Detection("charger.clock_error", "medium", flags, err, limit_s)
