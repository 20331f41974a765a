"""The per-message rules applied to a batch of telemetry as it arrives, with the little
per-device state they need (last authorised unlock, last event counter, last register,
verified parameter changes not yet seen on the counter).

The ingest worker parses a batch into column lists per message kind and calls
:meth:`StreamEngine.process`; every rule is the same vectorised function the batch
detectors use, so a streamed verdict equals the batch verdict on the same messages.
Rules that need a history (tank reconciliation, nozzle share, district balance, peer
drift, silence) run as periodic jobs over the stored readings instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import charger, facts, fuel, taxi, utility
from .base import Detection, latest_before
from .simulate import TARIFF

KINDS = ("sale", "trip", "session", "reading", "event", "facts")
PARAMETER_CHANGE_EVENTS = frozenset({"parameter_change", "calibration_change"})


@dataclass(frozen=True)
class Finding:
    """One message that broke one rule."""

    device: int
    seq: int
    rule: str
    severity: str
    score: float
    limit: float


@dataclass
class DeviceProfile:
    """What the platform knows about a device: its verified K factor (pulses per litre for
    a dispenser, per km for a taxi meter) and the software approved for its model."""

    verified_k: float = float("nan")
    software_id: str = ""
    software_checksum: str = ""


@dataclass
class StreamEngine:
    profiles: dict[int, DeviceProfile] = field(default_factory=dict)
    tariff: dict = field(default_factory=lambda: dict(TARIFF))
    clock_limit_s: float = charger.CLOCK_LIMIT_IN_SERVICE_S  # JJG 1148-2022 5.2, see charger.py
    unlock_window_s: float = 3600.0
    last_unlock: dict[int, float] = field(default_factory=dict)
    last_counter: dict[int, int] = field(default_factory=dict)
    last_register: dict[int, float] = field(default_factory=dict)
    # Verified parameter changes not yet matched to a counter increase, per device.
    counter_allowance: dict[int, int] = field(default_factory=dict)
    # Verification records (Unix s) of the devices whose parameter changes are judged; the
    # caller loads those near the batch's changes before calling process().
    verifications: dict[int, list[float]] = field(default_factory=dict)
    change_window_s: float = 2 * 86400.0

    def process(self, batch: dict[str, dict[str, list]]) -> list[Finding]:
        """``batch[kind]`` holds equal-length column lists: always ``device``, ``seq``,
        ``time_s`` (device clock) and ``received_s``, plus the kind's fields:
        sale: volume_l, unit_price, amount, pulses; trip: metered_km, gps_km, fare,
        waiting_min; session: charger_kwh, billed_kwh; reading: register; event: code;
        facts: software_id, checksum, counter, seal_intact and, optionally, k (the K factor
        configured in the instrument, NaN when not reported)."""
        out: list[Finding] = []
        # Fixed order: a batch's parameter-change events are matched before its counter reports.
        for kind in sorted(batch, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)):
            cols = batch[kind]
            if not cols or not cols.get("device"):
                continue
            dev = np.asarray(cols["device"], dtype=np.int64)
            seq = np.asarray(cols["seq"], dtype=np.int64)
            clock = charger.clock_error(cols["time_s"], cols["received_s"], limit_s=self.clock_limit_s)
            out += _findings(replace(clock, rule="device.clock_error"), dev, seq)
            handler = getattr(self, f"_{kind}", None)
            if handler is not None:
                for detection in handler(dev, cols):
                    out += _findings(detection, dev, seq)
        return out

    def _k(self, dev):
        return np.array([self.profiles.get(int(d), DeviceProfile()).verified_k for d in dev])

    def _sale(self, dev, c):
        yield fuel.amount_mismatch(c["volume_l"], c["unit_price"], c["amount"])
        k = self._k(dev)
        known = ~np.isnan(k)
        if known.any():
            d = fuel.k_factor_change(np.asarray(c["pulses"], float), np.asarray(c["volume_l"], float), np.where(known, k, 1.0))
            yield replace(d, flags=d.flags & known)

    def _trip(self, dev, c):
        yield taxi.distance_ratio(c["metered_km"], c["gps_km"])
        yield taxi.fare_outliers(c["fare"], c["metered_km"], c["waiting_min"], **self.tariff)

    def _session(self, dev, c):
        yield charger.billed_energy(c["charger_kwh"], c["billed_kwh"])

    def _reading(self, dev, c):
        reg = np.asarray(c["register"], float)
        order = np.lexsort((np.asarray(c["seq"]), dev))
        d_sorted, r_sorted = dev[order], reg[order]
        prev = np.empty_like(r_sorted)
        prev[1:] = r_sorted[:-1]
        first = np.r_[True, d_sorted[1:] != d_sorted[:-1]]
        prev[first] = [self.last_register.get(int(d), np.nan) for d in d_sorted[first]]
        fall = np.where(np.isnan(prev), 0.0, np.clip(prev - r_sorted, 0.0, None))
        flags = np.empty(len(dev), bool)
        score = np.empty(len(dev))
        flags[order] = fall > 0.001
        score[order] = fall
        last = np.r_[d_sorted[1:] != d_sorted[:-1], True]
        self.last_register.update(zip(d_sorted[last].tolist(), r_sorted[last].tolist()))
        yield Detection("utility.reverse_flow", "high", flags, score, 0.001)

    def _event(self, dev, c):
        codes = np.asarray(c["code"], dtype=str)
        yield fuel.lock_reset_events(codes)
        yield utility.tamper_events(codes)
        t = np.asarray(c["time_s"], float)
        unlock = codes == "unlock_authorised"
        opened = codes == "opened"
        if opened.any():
            known = [(d, s) for d, s in self.last_unlock.items()]
            ref_dev = np.r_[dev[unlock], np.array([d for d, _ in known], dtype=np.int64)]
            ref_t = np.r_[t[unlock], np.array([s for _, s in known], dtype=float)]
            age = t - latest_before(dev, t, ref_dev, ref_t)
            flags = opened & (age > self.unlock_window_s)
            yield Detection("scale.opened_without_unlock", "high", flags, np.where(opened, age, 0.0), self.unlock_window_s)
        for d, s in zip(dev[unlock].tolist(), t[unlock].tolist()):
            self.last_unlock[d] = max(s, self.last_unlock.get(d, -np.inf))
        change = np.isin(codes, sorted(PARAMETER_CHANGE_EVENTS))
        if change.any():
            # A logged change of a metrological parameter must lie near a verification
            # record; a matched one explains one step of the event counter.
            ref = [(d, v) for d in set(dev[change].tolist()) for v in self.verifications.get(d, [])]
            d = facts.changes_without_verification(
                dev[change],
                t[change],
                np.array([r[0] for r in ref], dtype=np.int64),
                np.array([r[1] for r in ref], dtype=float),
                window_s=self.change_window_s,
            )
            flags = np.zeros(len(dev), bool)
            score = np.zeros(len(dev))
            flags[change], score[change] = d.flags, d.score
            for dv in dev[change][~d.flags].tolist():
                self.counter_allowance[dv] = self.counter_allowance.get(dv, 0) + 1
            yield Detection(d.rule, d.severity, flags, score, d.limit)

    def _facts(self, dev, c):
        prof = [self.profiles.get(int(d), DeviceProfile()) for d in dev]
        yield facts.software_mismatch(
            c["software_id"], c["checksum"], [p.software_id for p in prof], [p.software_checksum for p in prof]
        )
        yield facts.seal_broken(np.asarray(c["seal_intact"], dtype=bool))
        counter = np.asarray(c["counter"], dtype=np.int64)
        order = np.lexsort((np.asarray(c["seq"]), dev))
        prev = np.empty(len(dev), dtype=np.int64)
        allowance = np.zeros(len(dev), dtype=np.int64)
        for i in order.tolist():  # facts reports are rare (one a day per device): a loop is fine
            d = int(dev[i])
            prev[i] = self.last_counter.get(d, counter[i])
            allowance[i] = self.counter_allowance.get(d, 0)
            used = max(min(counter[i] - prev[i], allowance[i]), 0)
            self.counter_allowance[d] = allowance[i] - used
            self.last_counter[d] = max(int(counter[i]), self.last_counter.get(d, int(counter[i])))
        yield facts.counter_unexplained(prev, counter, allowance)
        if "k" in c:
            reported, verified = np.asarray(c["k"], float), self._k(dev)
            judged = ~np.isnan(reported) & ~np.isnan(verified)
            if judged.any():
                d = taxi.k_value_mismatch(np.where(judged, reported, 1.0), np.where(judged, verified, 1.0))
                yield replace(d, flags=d.flags & judged, score=np.where(judged, d.score, 0.0))


def _findings(d: Detection, dev: np.ndarray, seq: np.ndarray) -> list[Finding]:
    idx = d.indices
    return [Finding(int(dev[i]), int(seq[i]), d.rule, d.severity, float(d.score[i]), float(d.limit)) for i in idx.tolist()]
