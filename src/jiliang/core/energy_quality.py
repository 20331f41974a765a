"""Data-quality checks of energy meters' readings (能耗在线监测数据质量), over arrays.

The readings of a month are one 2-D array, meters × slots (15 minutes: 96 a day), of each
meter's cumulative register at the slot, NaN where no reading arrived. Every check works on
whole arrays (NumPy, no loop per meter) so a province's 10^5 meters take seconds a chunk:

- ``gaps``: the longest run of missing readings (失联, 数据缺失);
- ``stuck``: the register frozen while the meter normally moves (数值冻结);
- ``jumps``: an increment implausibly large against the meter's own typical increment, or
  the register running backwards (跳变, 倒走);
- ``balance``: a meter against the sum of its sub-meters (总分表平衡, GB 17167-2006 4.2: the
  meters of a level cover what the level above them measures);
- ``intensity``: energy per unit of output this month against the unit's own history
  (单位产品能耗异常).

Each returns a :class:`jiliang.core.detectors.base.Detection` (the alert workflow's type):
``flags`` per meter (or group), ``score`` the quantity compared with the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiliang.core.detectors.base import Detection, DetectorInputError, floats, ints, positive

SLOTS_PER_DAY = 96  # 15-minute readings

# Limits, defaults a bureau may change (energy.settings JILIANG_ENERGY_QUALITY): the text
# of the rules sets none, they are the platform's choices (named in the report of issue 22).
GAP_SLOTS = 4  # one hour without a reading
STUCK_SLOTS = 96  # one day without the register moving, for a meter that normally moves
JUMP_FACTOR = 20.0  # an increment above 20 × the meter's median increment
BALANCE_LOSSES = 0.03  # unmetered losses allowed between a meter and its sub-meters
INTENSITY_RISE = 0.15  # energy per unit of output 15 % off the unit's median month


def _longest_run(mask: np.ndarray) -> np.ndarray:
    """Longest run of True per row, without a loop: a running count that restarts at each False."""
    count = np.cumsum(mask, axis=1, dtype=np.int32)
    reset = np.where(mask, 0, count)
    np.maximum.accumulate(reset, axis=1, out=reset)
    count -= reset
    return count.max(axis=1, initial=0)


def _has_run(mask: np.ndarray, length: int) -> np.ndarray:
    """Whether each row holds a run of at least ``length`` True values: runs of 1, 2, 4, …
    starting at each position, combined by the binary digits of ``length`` (log₂ passes
    over booleans instead of a count per element)."""
    if length <= 1:
        return np.asarray(mask.any(axis=1)) if length == 1 else np.ones(mask.shape[0], bool)
    acc: np.ndarray | None = None
    acc_len = 0
    power, p = mask, 1
    rest = length
    while rest:
        if rest & 1:
            if acc is None:
                acc, acc_len = power, p
            else:
                width = mask.shape[1] - (acc_len + p) + 1
                if width <= 0:
                    return np.zeros(mask.shape[0], bool)
                acc = acc[:, :width] & power[:, acc_len : acc_len + width]
                acc_len += p
        rest >>= 1
        if rest:
            width = mask.shape[1] - 2 * p + 1
            if width <= 0:
                return np.zeros(mask.shape[0], bool)
            power = power[:, :width] & power[:, p : p + width]
            p *= 2
    assert acc is not None  # length ≥ 2 has a set bit
    return np.asarray(acc.any(axis=1))


def _runs(mask: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Flags (a run of at least ``length``) and scores (the longest run, counted on the flagged
    rows only: the rare ones)."""
    flags = _has_run(mask, length)
    score = np.zeros(mask.shape[0])
    rows = np.flatnonzero(flags)
    if rows.size:
        score[rows] = _longest_run(mask[rows])
    return flags, score


def _registers(register) -> np.ndarray:
    return floats("register", register, ndim=2, allow_nan=True)


def gaps(register, *, limit_slots: int = GAP_SLOTS, _checked: bool = False) -> Detection:
    """Missing readings. Rule: flag a meter with a run of at least ``limit_slots`` missing
    slots. Score: the longest run, in slots (on flagged meters; 0 elsewhere)."""
    r = register if _checked else _registers(register)
    flags, score = _runs(np.isnan(r), limit_slots)
    return Detection("energy.gap", "medium", flags, score, float(limit_slots))


@dataclass(frozen=True)
class Increments:
    """The per-slot increments of a month and each meter's typical increment, shared by the
    checks that need them (computed once per chunk)."""

    step: np.ndarray  # meters × (slots − 1), NaN across a missing reading
    typical: np.ndarray  # meters: the mean of the positive increments (0 for a meter that never moves)


def increments(register, *, _checked: bool = False) -> Increments:
    r = register if _checked else _registers(register)
    step = np.diff(r, axis=1)
    moving = step > 0  # NaN compares False
    count = np.count_nonzero(moving, axis=1)
    total = np.sum(step, axis=1, where=moving)
    # The mean, not the median: a jump of J among n steps moves it by J/n only, so the ratio
    # J/mean stays above any sensible factor (it tends to n as J grows), at a fraction of the
    # cost of a partition per row.
    typical = np.divide(total, count, out=np.zeros(r.shape[0]), where=count > 0)
    return Increments(step, typical)


def stuck(register=None, *, limit_slots: int = STUCK_SLOTS, inc: Increments | None = None) -> Detection:
    """A frozen register. Rule: flag a meter that normally moves (a positive typical
    increment) whose register stays exactly the same for at least ``limit_slots``
    consecutive slots. Score: the longest frozen run, in slots."""
    inc = inc or increments(register)
    flags, score = _runs(inc.step == 0, limit_slots)
    flags &= inc.typical > 0
    return Detection("energy.stuck", "medium", flags, score, float(limit_slots))


def jumps(register=None, *, factor: float = JUMP_FACTOR, resolution: float = 0.0, inc: Increments | None = None) -> Detection:
    """Implausible jumps. Rule: flag a meter with an increment above ``factor`` × its typical
    (mean positive) increment, or one below −``resolution`` (the register running backwards).
    Score: the largest increment over the typical one (+inf for a backward step)."""
    positive("factor", factor)
    inc = inc or increments(register)
    if inc.step.shape[1] == 0:
        n = inc.step.shape[0]
        return Detection("energy.jump", "high", np.zeros(n, bool), np.zeros(n), float(factor))
    largest = np.nan_to_num(np.fmax.reduce(inc.step, axis=1))  # fmax skips NaN
    smallest = np.nan_to_num(np.fmin.reduce(inc.step, axis=1))
    ratio = np.divide(largest, inc.typical, out=np.zeros(largest.shape), where=inc.typical > 0)
    backwards = smallest < -resolution
    flags = (ratio > factor) | backwards
    return Detection("energy.jump", "high", flags, np.where(backwards, np.inf, ratio), float(factor))


def relative_mpe(accuracy_class) -> np.ndarray:
    """The relative maximum permissible error of a meter of class ``c`` (c %): c / 100."""
    return floats("accuracy_class", accuracy_class) / 100.0


def balance(parent_energy, parent_class, child_energy, child_class, child_parent, *, losses: float = BALANCE_LOSSES) -> Detection:
    """A meter against the sum of its sub-meters over a period (总分表平衡).

    Inputs: each parent meter's energy E_p and class c_p (%), each child meter's energy E_i,
    class c_i and the row of its parent. The difference d = E_p − Σ E_i is allowed the
    unmetered ``losses`` (a share of E_p: lines, transformers, pipes) and the meters'
    permissible errors combined in quadrature, A = losses·E_p + √((c_p/100·E_p)² + Σ(c_i/100·E_i)²).
    Rule: flag a parent when d > A (sub-meters miss energy: an unmetered branch, a slow
    meter) or d < −√(…) (the sub-meters read more than their parent: one of them, or the
    parent, is wrong). Score: d / E_p.
    """
    ep = floats("parent_energy", parent_energy)
    cp = relative_mpe(parent_class)
    ec = floats("child_energy", child_energy)
    cc = relative_mpe(child_class)
    idx = ints("child_parent", child_parent)
    if cp.shape != ep.shape:
        raise DetectorInputError("parent_class", f"has {cp.size} entries, expected {ep.size}")
    if cc.shape != ec.shape or idx.shape != ec.shape:
        raise DetectorInputError("child_parent", f"needs one entry per child ({ec.size})")
    if idx.size and (idx.min() < 0 or idx.max() >= ep.size):
        raise DetectorInputError("child_parent", "names a parent that is not there")
    if losses < 0:
        raise DetectorInputError("losses", "must not be negative")
    children = np.bincount(idx, weights=ec, minlength=ep.size)
    errors = np.sqrt((cp * ep) ** 2 + np.bincount(idx, weights=(cc * ec) ** 2, minlength=ep.size))
    d = ep - children
    flags = (d > losses * ep + errors) | (d < -errors)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(ep > 0, d / ep, np.inf * np.sign(d))
    return Detection("energy.balance", "medium", flags, score, float(losses), {"difference": d, "allowed_errors": errors})


def intensity(energy, output, *, rise: float = INTENSITY_RISE) -> Detection:
    """Energy per unit of output against the unit's history (单位产品能耗).

    Inputs 2-D (units × months, the last the month judged) of energy and output. The
    baseline is each unit's median intensity over its earlier months. Rule: flag when the
    last month's intensity differs from the baseline by more than ``rise`` either way (up:
    waste or a meter reading high; down: a meter missing energy). Score: relative change.
    """
    e = floats("energy", energy, ndim=2, allow_nan=True)
    q = floats("output", output, ndim=2, allow_nan=True)
    if e.shape != q.shape:
        raise DetectorInputError("output", f"has shape {q.shape}, expected {e.shape}")
    if e.shape[1] < 2:
        raise DetectorInputError("energy", "needs the month judged and at least one month before it")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, e / q, np.nan)
    history = ratio[:, :-1]
    known = ~np.isnan(history).all(axis=1)
    baseline = np.full(e.shape[0], np.nan)
    if known.any():
        baseline[known] = np.nanmedian(history[known], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = ratio[:, -1] / baseline - 1.0
    flags = np.abs(np.nan_to_num(change, nan=0.0)) > rise
    return Detection("energy.intensity", "low", flags, change, float(rise), {"baseline": baseline, "intensity": ratio[:, -1]})


def month_energy(register, *, _checked: bool = False) -> np.ndarray:
    """Each meter's energy over the month: its last reading less its first (NaN without two)."""
    r = register if _checked else _registers(register)
    present = ~np.isnan(r)
    rows = np.arange(r.shape[0])
    if r.shape[1] == 0:
        return np.full(r.shape[0], np.nan)
    first = r[rows, present.argmax(axis=1)]
    last = r[rows, r.shape[1] - 1 - present[:, ::-1].argmax(axis=1)]
    return np.where(present.sum(axis=1) >= 2, last - first, np.nan)


@dataclass(frozen=True)
class MonthChecks:
    gap: Detection
    stuck: Detection
    jump: Detection
    energy: np.ndarray  # each meter's energy over the month (last − first reading), NaN if unknown

    @property
    def detections(self) -> tuple[Detection, ...]:
        return (self.gap, self.stuck, self.jump)


def check_month(
    register,
    *,
    gap_slots: int = GAP_SLOTS,
    stuck_slots: int = STUCK_SLOTS,
    jump_factor: float = JUMP_FACTOR,
    resolution: float = 0.0,
) -> MonthChecks:
    """The per-meter checks of a month's readings at once, the increments computed once."""
    r = _registers(register)
    inc = increments(r, _checked=True)
    total = month_energy(r, _checked=True)
    return MonthChecks(
        gaps(r, limit_slots=gap_slots, _checked=True),
        stuck(limit_slots=stuck_slots, inc=inc),
        jumps(factor=jump_factor, resolution=resolution, inc=inc),
        total,
    )
