"""EV chargers (电动汽车充电桩): rules over charging sessions and clock readings."""

from __future__ import annotations

import numpy as np

from .base import Detection, floats, positive, same_length

# JJG 1148-2022《电动汽车交流充电桩(试行)》5.2 时钟示值误差: for a charger with time-of-use
# tariffs, the clock error shall not exceed 5 s at first verification (首次检定) and 3 min at
# subsequent verification (后续检定). Clause text seen in secondary sources only (the
# standard's table of contents "5.2 Clock time error" and a summary quoting "首次检定时，
# 充电桩的时钟时刻误差应不超过5 s；后续检定时，应不超过3 min"); confirmed: partly. That
# in-service inspection (使用中检查) uses the subsequent-verification limit follows the
# usual JJG rule and is not confirmed from the text. The platform watches chargers in
# service, so the in-service limit applies.
CLOCK_LIMIT_FIRST_VERIFICATION_S = 5.0
CLOCK_LIMIT_IN_SERVICE_S = 180.0


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


def clock_error(
    device_time_s, received_time_s, *, limit_s: float = CLOCK_LIMIT_IN_SERVICE_S, max_transit_s: float = 5.0
) -> Detection:
    """Device clock against the platform clock, per message.

    The platform's receive time lies after the device's send time by the transit delay,
    at most ``max_transit_s``. Rule: flag when the device time is ahead of the receive
    time, or behind it by more than the transit allowance, by more than ``limit_s``
    (default 3 min, the in-service limit of JJG 1148-2022 5.2, see above). A
    shifted clock moves sessions into cheaper or dearer tariff periods. Score: device −
    receive time in seconds.
    """
    d = floats("device_time_s", device_time_s)
    r = floats("received_time_s", received_time_s)
    same_length(device_time_s=d, received_time_s=r)
    err = d - r
    flags = (err > limit_s) | (err < -(limit_s + max_transit_s))
    return Detection("charger.clock_error", "medium", flags, err, limit_s)
