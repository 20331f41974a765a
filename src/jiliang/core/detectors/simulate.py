"""Realistic generated traffic with injected frauds and their ground-truth labels.

Two uses: ``SCENARIOS`` gives, per detector, column data shaped like a month of a
province's instruments with frauds injected at ``fraud_share`` and the labels saying which
units were tampered (for tests and ``benchmarks/bench_detectors.py``); :func:`message_stream`
gives per-device telemetry messages (unsigned dicts) for the MQTT simulator.

Noise levels follow how the instruments behave in service: display rounding, the
encoder's integer pulses, a GPS track's shortfall on bends, tank-gauge and temperature
noise, Poisson pulse counts. Every generator takes a ``numpy.random.Generator`` so a seed
reproduces the traffic exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import charger, facts, fleet, fuel, scale, taxi, utility
from .base import Detection, DetectorInputError

# Hangzhou-like taxi tariff: 13 yuan for the first 3 km, 2.5 yuan per km after, 0.5 yuan
# per waiting minute, fares rounded to the yuan.
TARIFF = {"flag_fall": 13.0, "included_km": 3.0, "per_km": 2.5, "per_waiting_min": 0.5, "rounding": 1.0}
FUEL_PRICES = np.array([7.43, 7.94, 8.83, 7.12])  # 92#, 95#, 98#, 0# diesel, yuan per litre


@dataclass
class Case:
    """One detector's generated input, how to run it, and the truth per unit."""

    rule: str
    run: Callable[[], Detection]
    labels: np.ndarray
    unit: str
    inputs: dict = field(default_factory=dict)


def _pick(rng, n, share):
    """Boolean mask choosing about ``share`` of ``n`` units (at least one when share > 0)."""
    mask = rng.random(n) < share
    if share > 0 and n and not mask.any():
        mask[rng.integers(n)] = True
    return mask


def _sale_volumes(rng, n):
    return np.clip(rng.lognormal(np.log(30.0) - 0.18, 0.6, n), 1.0, 150.0)


def fuel_k_factor(rng, size=200, fraud_share=0.1) -> Case:
    """Dispensers × 50 sales; cheating dispensers lower K by 1–6 % on 30–100 % of sales (remote-switched boards)."""
    per = 50
    k_ver = rng.uniform(980, 1020, size)
    cheat_dev = _pick(rng, size, fraud_share)
    dev = np.repeat(np.arange(size), per)
    active = cheat_dev[dev] & (rng.random(size * per) < np.repeat(rng.uniform(0.3, 1.0, size), per))
    k_conf = np.where(active, k_ver[dev] * (1 - rng.uniform(0.01, 0.06, size * per)), k_ver[dev])
    true_v = _sale_volumes(rng, size * per)
    pulses = np.round(true_v * k_ver[dev])
    shown = np.round(pulses / k_conf, 2)
    labels = active & (shown >= 5.0)
    return Case(
        "fuel.k_factor_change",
        lambda: fuel.k_factor_change(pulses, shown, k_ver[dev]),
        labels,
        "sale",
        {"pulses": pulses, "volume_l": shown, "verified_k": k_ver[dev]},
    )


def fuel_amount(rng, size=10000, fraud_share=0.05) -> Case:
    """Sales; a falsified amount is 0.5–3 % above volume × price."""
    v = np.round(_sale_volumes(rng, size), 2)
    price = FUEL_PRICES[rng.integers(0, len(FUEL_PRICES), size)]
    fraud = _pick(rng, size, fraud_share)
    amount = np.round(v * price * np.where(fraud, 1 + rng.uniform(0.005, 0.03, size), 1.0), 2)
    return Case(
        "fuel.amount_mismatch",
        lambda: fuel.amount_mismatch(v, price, amount),
        fraud,
        "sale",
        {"volume_l": v, "unit_price": price, "amount": amount},
    )


def fuel_tank(rng, size=300, fraud_share=0.1, days=30) -> Case:
    """Tanks × days; tampered dispensers on a tank read 1.5–5 % high from a day in the first third."""
    true_sales = rng.uniform(2000, 8000, (size, 1)) * rng.uniform(0.7, 1.3, (size, days))
    fraud = _pick(rng, size, fraud_share)
    start = rng.integers(0, days // 3 + 1, size)
    bias = np.where(fraud, rng.uniform(0.015, 0.05, size), 0.0)[:, None] * (np.arange(days)[None, :] >= start[:, None])
    recorded = true_sales * (1 + rng.normal(0, 0.001, (size, days)) + bias)
    deliveries = np.where(rng.random((size, days)) < 0.2, rng.uniform(15000, 25000, (size, days)), 0.0)
    level = np.empty((size, days + 1))
    level[:, 0] = rng.uniform(20000, 30000, size)
    thermal = rng.normal(0, 0.002, (size, days)) * true_sales  # volume change with temperature
    level[:, 1:] = level[:, :1] + np.cumsum(deliveries - true_sales - thermal, axis=1)
    gauge = level + rng.normal(0, 5.0, level.shape)
    return Case(
        "fuel.tank_reconciliation",
        lambda: fuel.tank_reconciliation(recorded, gauge[:, :-1], gauge[:, 1:], deliveries),
        fraud,
        "tank",
        {"sales_l": recorded, "deliveries_l": deliveries},
    )


def fuel_nozzle_share(rng, size=300, fraud_share=0.1) -> Case:
    """Stations with 4–12 nozzles; at a cheating station one nozzle's uploaded sales drop by 60–100 %."""
    n_noz = rng.integers(4, 13, size)
    station = np.repeat(np.arange(size), n_noz)
    base = rng.gamma(8.0, 1500.0, station.size)
    cur = base * rng.normal(1.0, 0.08, station.size) * rng.uniform(0.8, 1.2, size)[station]
    cheat_station = _pick(rng, size, fraud_share)
    first = np.r_[0, np.cumsum(n_noz)[:-1]]
    victim = first + (rng.random(size) * n_noz).astype(int)
    labels = np.zeros(station.size, bool)
    labels[victim[cheat_station]] = True
    cur = np.where(labels, cur * (1 - rng.uniform(0.6, 1.0, station.size)), cur)
    return Case("fuel.nozzle_share", lambda: fuel.nozzle_share(station, base, cur), labels, "nozzle")


def fuel_events(rng, size=20000, fraud_share=0.02) -> Case:
    normal = np.array(["power_on", "price_change", "shift_change", "paper_out", "network_restored"])
    suspect = np.array(sorted(fuel.SUSPECT_EVENTS))
    fraud = _pick(rng, size, fraud_share)
    codes = np.where(fraud, suspect[rng.integers(0, len(suspect), size)], normal[rng.integers(0, len(normal), size)])
    return Case("fuel.lock_reset", lambda: fuel.lock_reset_events(codes), fraud, "event")


def _trip_km(rng, n):
    return np.clip(rng.lognormal(np.log(6.0), 0.7, n), 0.5, 80.0)


def taxi_distance(rng, size=10000, fraud_share=0.05) -> Case:
    """Trips; a jumping meter over-registers by 8–30 %; GPS under-measures by 0–3 % on bends."""
    true_km = _trip_km(rng, size)
    fraud = _pick(rng, size, fraud_share)
    metered = np.round(true_km * (1 + rng.normal(0, 0.004, size)) * np.where(fraud, rng.uniform(1.08, 1.3, size), 1.0), 2)
    gps = true_km * (1 - rng.uniform(0, 0.03, size))
    labels = fraud & (gps >= 1.0)
    return Case("taxi.distance_ratio", lambda: taxi.distance_ratio(metered, gps), labels, "trip")


def taxi_pulses(rng, size=400, fraud_share=0.1, seconds=600) -> Case:
    """Trips × seconds of 1 Hz traces; a pulse generator adds 1.5–3× the true pulses for 5–30 s while cruising."""
    k = rng.uniform(600, 1200, size)
    # Speed: random cruise levels held for 20–60 s, ramped between (a city drive).
    v = np.empty((size, seconds))
    t = np.arange(seconds)
    levels = rng.uniform(0, 20, (size, seconds // 20 + 2))
    holds = np.cumsum(rng.uniform(20, 60, (size, seconds // 20 + 2)), axis=1)
    for i in range(size):  # generation only; the detector itself is vectorised
        v[i] = np.interp(t, holds[i], levels[i])
    gps_v = np.clip(v + rng.normal(0, 0.3, v.shape), 0, None)
    pulses = rng.poisson(k[:, None] * v / 1000.0).astype(float)
    fraud = _pick(rng, size, fraud_share)
    for i in np.flatnonzero(fraud):
        steady = np.flatnonzero((np.abs(np.diff(v[i], prepend=v[i, 0])) < 0.2) & (v[i] > 8))
        if steady.size == 0:
            fraud[i] = False
            continue
        s0 = steady[rng.integers(steady.size)]
        length = int(rng.integers(5, 31))
        seg = slice(s0, min(s0 + length, seconds))
        pulses[i, seg] += rng.poisson(rng.uniform(1.5, 3) * k[i] * v[i, seg] / 1000.0)
    return Case("taxi.pulse_burst", lambda: taxi.pulse_bursts(pulses, gps_v, k), fraud, "trip")


def taxi_fares(rng, size=10000, fraud_share=0.05) -> Case:
    """Trips; a meter with an altered tariff charges 10–30 % more per km or a higher flag fall."""
    km = np.round(_trip_km(rng, size), 2)
    wait = np.round(rng.exponential(3.0, size), 1)
    fraud_meter = _pick(rng, size, fraud_share)
    honest = taxi.tariff_fare(km, wait, **TARIFF)
    altered_km = dict(TARIFF, per_km=TARIFF["per_km"] * rng.uniform(1.1, 1.3))
    altered_ff = dict(TARIFF, flag_fall=TARIFF["flag_fall"] + 2)
    cheat = np.where(rng.random(size) < 0.5, taxi.tariff_fare(km, wait, **altered_km), taxi.tariff_fare(km, wait, **altered_ff))
    fare = np.where(fraud_meter, cheat, honest)
    labels = fare != honest
    return Case("taxi.fare_outlier", lambda: taxi.fare_outliers(fare, km, wait, **TARIFF), labels, "trip")


def taxi_k_value(rng, size=2000, fraud_share=0.05) -> Case:
    ver = rng.uniform(600, 1200, size)
    fraud = _pick(rng, size, fraud_share)
    rep = np.where(fraud, ver * (1 - rng.uniform(0.02, 0.1, size)), ver)
    return Case("taxi.k_value", lambda: taxi.k_value_mismatch(rep, ver), fraud, "meter")


def scale_openings(rng, size=500, fraud_share=0.1, days=30) -> Case:
    """Scales × openings; honest openings follow an authorised unlock by 1–50 min (device clock ±30 s)."""
    n_open = rng.poisson(2, size) + 1
    dev = np.repeat(np.arange(size), n_open)
    t_open = rng.uniform(0, days * 86400, dev.size)
    fraud = _pick(rng, dev.size, fraud_share)
    honest = ~fraud
    unlock_t = t_open[honest] - rng.uniform(60, 3000, honest.sum()) + rng.normal(0, 30, honest.sum())
    # Some frauds reuse an unlock hours old.
    stale = fraud & (rng.random(dev.size) < 0.3)
    unlock_dev = np.r_[dev[honest], dev[stale]]
    unlock_t = np.r_[unlock_t, t_open[stale] - rng.uniform(2 * 3600, 12 * 3600, stale.sum())]
    # Honest openings of other scales must not cover a fraudulent one: openings are far apart per scale.
    return Case(
        "scale.opened_without_unlock",
        lambda: scale.opened_without_unlock(dev, t_open, unlock_dev, unlock_t),
        _uncovered(dev, t_open, unlock_dev, unlock_t, fraud),
        "opening",
    )


def _uncovered(dev, t, ref_dev, ref_t, fraud):
    """Ground truth for fraud events, dropping the rare fraud that an honest unlock of the same device happens to cover."""
    from .base import latest_before

    covered = (t - latest_before(dev, t, ref_dev, ref_t)) <= 3600
    return fraud & ~covered


def scale_calibration(rng, size=500, fraud_share=0.1) -> Case:
    """Calibration changes; honest ones lie within a day of a verification record, frauds have none within 10 days."""
    dev = np.arange(size)
    t = rng.uniform(0, 365 * 86400, size)
    fraud = _pick(rng, size, fraud_share)
    rec_t = np.where(fraud, t - rng.uniform(10, 200, size) * 86400, t + rng.uniform(-86400, 86400, size))
    return Case("scale.calibration_without_record", lambda: scale.calibration_without_record(dev, t, dev, rec_t), fraud, "change")


def charger_billing(rng, size=10000, fraud_share=0.05) -> Case:
    c = np.round(rng.uniform(3, 70, size), 2)
    fraud = _pick(rng, size, fraud_share)
    billed = np.round(c * np.where(fraud, 1 + rng.uniform(0.02, 0.1, size), 1.0), 2)
    return Case("charger.billed_energy", lambda: charger.billed_energy(c, billed), fraud, "session")


def charger_clock(rng, size=10000, fraud_share=0.05) -> Case:
    recv = rng.uniform(0, 86400 * 30, size)
    fraud = _pick(rng, size, fraud_share)
    offset = np.where(fraud, rng.choice([-1, 1], size) * rng.uniform(240, 3600, size), rng.normal(0, 3, size))
    dev_t = recv - rng.uniform(0, 2, size) + offset
    return Case("charger.clock_error", lambda: charger.clock_error(dev_t, recv), fraud, "message")


def utility_reverse(rng, size=2000, fraud_share=0.05, periods=12) -> Case:
    use = rng.gamma(2.0, 5.0, (size, periods))
    fraud = _pick(rng, size, fraud_share)
    start = rng.integers(1, periods - 1, size)
    sign = np.where(fraud[:, None] & (np.arange(periods)[None, :] >= start[:, None]), -1.0, 1.0)
    reg = np.round(rng.uniform(0, 500, (size, 1)) + np.cumsum(use * sign, axis=1) + 300, 3)
    reg[rng.random(reg.shape) < 0.02] = np.nan  # missed readings
    return Case("utility.reverse_flow", lambda: utility.reverse_flow(reg), fraud, "meter")


def utility_balance(rng, size=300, fraud_share=0.1, periods=12) -> Case:
    base_loss = rng.uniform(0.05, 0.2, (size, 1))
    loss = base_loss + rng.normal(0, 0.01, (size, periods))
    fraud = _pick(rng, size, fraud_share)
    start = rng.integers(4, periods, size)
    active = fraud[:, None] & (np.arange(periods)[None, :] >= start[:, None])
    loss = loss + np.where(active, rng.uniform(0.07, 0.25, (size, 1)), 0.0)
    bulk = rng.uniform(5e3, 5e4, (size, 1)) * rng.uniform(0.8, 1.2, (size, periods))
    members = bulk * (1 - loss)
    return _balance_case(bulk, members, active)


def _balance_case(bulk, members, active) -> Case:
    def run():  # one unit per district-period
        d = utility.district_balance(bulk, members)
        return Detection(d.rule, d.severity, d.flags.ravel(), d.score.ravel(), d.limit)

    return Case("utility.district_balance", run, active.ravel(), "district-period")


def utility_service_life(rng, size=5000, fraud_share=0.0) -> Case:
    kind = rng.choice(list(utility.SERVICE_LIFE_YEARS), size)
    life = np.array([utility.SERVICE_LIFE_YEARS[k] for k in kind])
    as_of = 739000.0
    installed = as_of - rng.uniform(0, 12, size) * 365.25
    labels = (as_of - installed) / 365.25 > life
    return Case("utility.past_service_life", lambda: utility.past_service_life(installed, as_of, life), labels, "meter")


def utility_tamper(rng, size=20000, fraud_share=0.02) -> Case:
    normal = np.array(["low_battery", "valve_closed_by_utility", "reading_ok", "leak_suspected"])
    suspect = np.array(sorted(utility.TAMPER_EVENTS))
    fraud = _pick(rng, size, fraud_share)
    codes = np.where(fraud, suspect[rng.integers(0, len(suspect), size)], normal[rng.integers(0, len(normal), size)])
    return Case("utility.tamper", lambda: utility.tamper_events(codes), fraud, "event")


def any_silence(rng, size=5000, fraud_share=0.05) -> Case:
    interval = rng.choice([60.0, 900.0, 3600.0], size)
    now = 1e6
    fraud = _pick(rng, size, fraud_share)
    last = now - interval * np.where(fraud, rng.uniform(4, 50, size), rng.uniform(0, 1.5, size))
    return Case("any.silence", lambda: fleet.silence(last, interval, now), fraud, "device")


def any_peer_drift(rng, size=200, fraud_share=0.05, periods=24) -> Case:
    """Groups of 8–20 electricity meters on one transformer; a drifting one ramps 4–10 V away."""
    sizes = rng.integers(8, 21, size)
    group = np.repeat(np.arange(size), sizes)
    n = group.size
    common = 230 + rng.normal(0, 2.0, (size, periods))[group]
    x = common + rng.normal(0, 0.5, (n, periods)) + rng.normal(0, 0.2, (n, 1))
    fraud = _pick(rng, n, fraud_share)
    start = rng.integers(0, periods // 2, n)
    ramp = np.clip((np.arange(periods)[None, :] - start[:, None]) / (periods - start[:, None]), 0, 1)
    x = x + np.where(fraud, rng.choice([-1, 1], n) * rng.uniform(4, 10, n), 0.0)[:, None] * ramp
    return Case("any.peer_drift", lambda: fleet.peer_drift(group, x, z_limit=4.0), fraud, "meter")


def device_software(rng, size=5000, fraud_share=0.05) -> Case:
    approved = np.array([f"{rng.integers(0, 2**32):08x}" for _ in range(20)])
    model = rng.integers(0, 20, size)
    fraud = _pick(rng, size, fraud_share)
    reported = np.where(fraud, np.array([f"{x:08x}" for x in rng.integers(0, 2**32, size)]), approved[model])
    ids = np.full(size, "V2.1.0")
    return Case("device.software_mismatch", lambda: facts.software_mismatch(ids, reported, ids, approved[model]), fraud, "device")


def device_counter(rng, size=5000, fraud_share=0.05) -> Case:
    prev = rng.integers(0, 200, size)
    verified = rng.poisson(0.3, size)
    fraud = _pick(rng, size, fraud_share)
    kind = rng.random(size) < 0.8
    rep = prev + verified + np.where(fraud, np.where(kind, rng.integers(1, 5, size), -prev - 1), 0)
    return Case("device.counter_unexplained", lambda: facts.counter_unexplained(prev, rep, verified), fraud, "device")


SCENARIOS: dict[str, Callable[..., Case]] = {
    "fuel.k_factor_change": fuel_k_factor,
    "fuel.amount_mismatch": fuel_amount,
    "fuel.tank_reconciliation": fuel_tank,
    "fuel.nozzle_share": fuel_nozzle_share,
    "fuel.lock_reset": fuel_events,
    "taxi.distance_ratio": taxi_distance,
    "taxi.pulse_burst": taxi_pulses,
    "taxi.fare_outlier": taxi_fares,
    "taxi.k_value": taxi_k_value,
    "scale.opened_without_unlock": scale_openings,
    "scale.calibration_without_record": scale_calibration,
    "charger.billed_energy": charger_billing,
    "charger.clock_error": charger_clock,
    "utility.past_service_life": utility_service_life,
    "utility.tamper": utility_tamper,
    "utility.reverse_flow": utility_reverse,
    "utility.district_balance": utility_balance,
    "any.silence": any_silence,
    "any.peer_drift": any_peer_drift,
    "device.software_mismatch": device_software,
    "device.counter_unexplained": device_counter,
}


def scenario(rule: str, seed: int = 0, *, scale_factor: float = 1.0, fraud_share: float | None = None) -> Case:
    """The generated case for ``rule``; ``scale_factor`` multiplies the default number of units."""
    try:
        make = SCENARIOS[rule]
    except KeyError:
        raise DetectorInputError("rule", f"unknown rule {rule!r}; known: {', '.join(SCENARIOS)}") from None
    import inspect

    defaults = inspect.signature(make).parameters
    kwargs = {"size": max(int(defaults["size"].default * scale_factor), 4)}
    if fraud_share is not None:
        kwargs["fraud_share"] = fraud_share
    return make(np.random.default_rng(seed), **kwargs)


def precision_recall(flags: np.ndarray, labels: np.ndarray) -> tuple[float, float, int, int, int]:
    """Precision, recall, true positives, false positives, false negatives."""
    flags = np.asarray(flags, bool)
    labels = np.asarray(labels, bool)
    if flags.shape != labels.shape:
        raise DetectorInputError("flags", f"has shape {flags.shape}, labels {labels.shape}")
    tp = int(np.count_nonzero(flags & labels))
    fp = int(np.count_nonzero(flags & ~labels))
    fn = int(np.count_nonzero(~flags & labels))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


# ----------------------------------------------------------------------------- telemetry

DEVICE_KINDS = ("sale", "trip", "session", "reading", "scale")  # what each device kind mostly sends


def telemetry_messages(
    rng: np.random.Generator,
    device_kind: np.ndarray,
    device_fraud: np.ndarray,
    verified_k: np.ndarray,
    seq_start: np.ndarray,
    time_s: float,
    register: np.ndarray,
) -> tuple[list[tuple[int, dict]], list[tuple[int, int]]]:
    """One message per device at ``time_s``: ``[(device index, body)]`` and the ground truth
    ``[(device index, seq)]`` of the messages carrying a fraud. ``seq_start`` (next sequence
    number per device) and ``register`` (utility meters' registers) are advanced in place.

    Fraud devices cheat on half their messages: dispensers inflate the amount by 2 %, taxi
    meters over-register distance by 15 %, chargers bill 5 % more energy, utility meters
    run backwards, scales are opened without an authorised unlock.
    """
    n = device_kind.size
    cheat = device_fraud & (rng.random(n) < 0.5)
    vol = np.round(_sale_volumes(rng, n), 2)
    price = FUEL_PRICES[rng.integers(0, len(FUEL_PRICES), n)]
    km = np.round(_trip_km(rng, n), 2)
    wait = np.round(rng.exponential(3.0, n), 1)
    kwh = np.round(rng.uniform(3, 70, n), 2)
    use = np.round(rng.gamma(2.0, 0.05, n), 3)
    register += np.where(cheat, -use, use)
    out, truth = [], []
    seq = seq_start.copy()
    seq_start += 1
    for i in range(n):
        kind = device_kind[i]
        body: dict = {"seq": int(seq[i]), "ts": round(time_s + float(rng.normal(0, 0.5)), 3)}
        if kind == "sale":
            amount = round(float(vol[i] * price[i] * (1.02 if cheat[i] else 1.0)), 2)
            body.update(
                kind="sale",
                volume_l=float(vol[i]),
                unit_price=float(price[i]),
                amount=amount,
                pulses=int(round(vol[i] * verified_k[i])),
            )
        elif kind == "trip":
            gps = float(np.round(km[i] * (1 - rng.uniform(0, 0.03)), 3))
            metered = round(float(km[i] * (1.15 if cheat[i] else 1.0)), 2)
            fare = float(taxi.tariff_fare([metered], [wait[i]], **TARIFF)[0])
            body.update(kind="trip", metered_km=metered, gps_km=gps, fare=fare, waiting_min=float(wait[i]))
        elif kind == "session":
            billed = round(float(kwh[i] * (1.05 if cheat[i] else 1.0)), 2)
            body.update(kind="session", charger_kwh=float(kwh[i]), billed_kwh=billed)
        elif kind == "reading":
            body.update(kind="reading", register=round(float(register[i]), 3))
        else:  # a scale: mostly weighings, now and then an (authorised or not) opening
            if cheat[i] and rng.random() < 0.2:
                body.update(kind="event", code="opened")
            else:
                body.update(kind="event", code="weighing")
                cheat[i] = False
        out.append((i, body))
        if cheat[i]:
            truth.append((i, int(seq[i])))
    return out, truth
