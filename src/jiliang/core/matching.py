"""Supply–demand matching (供需对接): rank the providers able to serve each posted need.

Pure computation over arrays (no Django): the services load needs and the providers'
capabilities with their published terms in bulk, give them here, and keep the answer.

The decision rule (the one hard test of capability):

- a need states what it requires as an expanded uncertainty U (k = 2), or as the maximum
  permissible error (MPE) of the instrument to be verified or calibrated, each absolute (in
  the need's unit) or relative (a fraction of the value);
- a need stated as U is met by a capability whose expanded uncertainty (normalised to
  k = 2) is not larger: ratio = U_required / U_offered ≥ 1;
- a need stated as an MPE is met when the test uncertainty ratio TUR = MPE / U_offered is at
  least the need's required ratio: 3 by default, the ratio JJF 1094-2002 §7 takes for
  leaving the uncertainty of the verification out of the conformity decision (U95 ≤ 1/3
  MPEV; the 1/3 read in a secondary source quoting JJF 1094 and its guide, the clause
  text itself not retrieved: confirmed: partly), and the ratio the project keeps per
  regulation (registry Specification
  ``required_ratio``; verification.fitness uses the same). A need may ask for more (4:1,
  ANSI/NCSL Z540.3's TUR, cited from memory; or a regulation's own: JJG 52-2013 asks 1/4).
- relative and absolute statements are compared at the need's reference value, the end of
  its range farthest from zero (where an absolute requirement is hardest for a relative
  capability to meet);
- the capability's range must cover the need's, in the same unit, for the same quantity.

A provider passes when one of its capabilities passes, its published turnaround fits
before the need's deadline, and — for mandatory verification (强制检定) — the caller's
authorisation rule (``authorised``: the legal rule of who may verify, kept in
jiliang.authorisation.rules) accepts it.

The providers that pass are ranked by a weighted sum of four factor scores in [0, 1], each
kept for the explanation shown to the user:

- capability margin m = ratio / required ratio (≥ 1 when it passes): 0.5 + 0.5·log2 m,
  capped at 1 (meeting the rule exactly scores 0.5; twice the margin scores 1);
- distance, by administrative tier of the region codes (GB/T 2260): same county 1, same
  city 2/3, same province 1/3, elsewhere 0 (the registry keeps addresses as text, not
  coordinates);
- turnaround: 1 − turnaround / days until the deadline (more slack, higher);
- fee: the cheapest passing provider's total fee / this one's (fee × number of instruments).

The weights are the project's choice (settings ``JILIANG_MATCHING_WEIGHTS``), not a rule of
law; the hard rules above decide who may be offered at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

U_ABSOLUTE, U_RELATIVE, MPE_ABSOLUTE, MPE_RELATIVE = 0, 1, 2, 3
FACTORS = ("capability", "distance", "turnaround", "fee")
DEFAULT_RATIO = 3.0  # JJF 1094-2002 §7: U95 ≤ 1/3 MPEV
TIER_LABELS = ("county", "city", "province", "elsewhere")
_CELLS = 4_000_000  # needs × capabilities evaluated at once (bounded memory: ~200 MB peak)


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


@dataclass
class Needs:
    """One row per need. ``unit``: the need's unit as an integer code (the caller encodes
    unit strings); ``region``: its six-digit region code; ``days``: days until its deadline."""

    quantity: np.ndarray
    unit: np.ndarray
    low: np.ndarray
    high: np.ndarray
    kind: np.ndarray  # U_ABSOLUTE … MPE_RELATIVE
    value: np.ndarray
    ratio: np.ndarray  # required TUR for MPE needs (ignored for U needs)
    mandatory: np.ndarray
    region: np.ndarray
    days: np.ndarray
    count: np.ndarray

    def __post_init__(self):
        for name in ("quantity", "unit", "kind", "region", "days", "count"):
            setattr(self, name, _i64(getattr(self, name)))
        for name in ("low", "high", "value", "ratio"):
            setattr(self, name, _f64(getattr(self, name)))
        self.mandatory = np.asarray(self.mandatory, dtype=bool)
        n = len(self.quantity)
        if any(len(getattr(self, name)) != n for name in self.__dataclass_fields__):
            raise ValueError("every array of Needs must have one entry per need")

    def __len__(self) -> int:
        return len(self.quantity)


@dataclass
class Offers:
    """One row per capability of a provider that published its terms for the quantity.
    ``u``: expanded uncertainty at k = 2 (relative when ``relative``); ``fee``: per instrument."""

    provider: np.ndarray
    quantity: np.ndarray
    unit: np.ndarray
    low: np.ndarray
    high: np.ndarray
    u: np.ndarray
    relative: np.ndarray
    region: np.ndarray
    turnaround: np.ndarray
    fee: np.ndarray

    def __post_init__(self):
        for name in ("provider", "quantity", "unit", "region", "turnaround"):
            setattr(self, name, _i64(getattr(self, name)))
        for name in ("low", "high", "u", "fee"):
            setattr(self, name, _f64(getattr(self, name)))
        self.relative = np.asarray(self.relative, dtype=bool)
        n = len(self.provider)
        if any(len(getattr(self, name)) != n for name in self.__dataclass_fields__):
            raise ValueError("every array of Offers must have one entry per capability")

    def __len__(self) -> int:
        return len(self.provider)


@dataclass(frozen=True)
class Weights:
    capability: float = 0.35
    distance: float = 0.20
    turnaround: float = 0.20
    fee: float = 0.25

    def as_array(self) -> np.ndarray:
        w = np.array([self.capability, self.distance, self.turnaround, self.fee], dtype=np.float64)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("matching weights must be non-negative and not all zero")
        return w / w.sum()


@dataclass
class Ranking:
    """The best ``top`` providers of each need, best first; -1 / NaN where fewer pass.

    ``offer``: the row of Offers whose capability was judged (its provider is the offer's);
    ``factors``: (needs, top, 4) scores in FACTORS order; ``capable``: providers whose
    capability (and authorisation, for mandatory needs) passes, before turnaround;
    ``candidates``: providers passing every hard rule."""

    offer: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    ratio: np.ndarray
    threshold: np.ndarray
    tier: np.ndarray
    total_fee: np.ndarray
    turnaround: np.ndarray
    factors: np.ndarray
    capable: np.ndarray
    candidates: np.ndarray
    weights: np.ndarray = field(default_factory=lambda: Weights().as_array())


Authorised = Callable[[np.ndarray, np.ndarray], np.ndarray]


def tier_of(need_region: np.ndarray, provider_region: np.ndarray) -> np.ndarray:
    """0 same county (same code), 1 same city (first 4 digits), 2 same province, 3 elsewhere."""
    a, b = _i64(need_region), _i64(provider_region)
    return np.where(a == b, 0, np.where(a // 100 == b // 100, 1, np.where(a // 10000 == b // 10000, 2, 3)))


def capability_score(margin: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(0.5 + 0.5 * np.log2(margin), 0.0, 1.0)


def required_ratio(kind: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The ratio a capability must reach: 1 for a need stated as U, the TUR for an MPE."""
    return np.where(_i64(kind) >= MPE_ABSOLUTE, _f64(ratio), 1.0)


def capability_ratio(needs: Needs, rows: np.ndarray, offers: Offers, cols: np.ndarray) -> np.ndarray:
    """required / offered (rows × cols), each side made absolute at the need's reference value."""
    x_ref = np.maximum(np.abs(needs.low[rows]), np.abs(needs.high[rows]))[:, None]
    kind = needs.kind[rows][:, None]
    relative_need = (kind == U_RELATIVE) | (kind == MPE_RELATIVE)
    required = np.where(relative_need, needs.value[rows][:, None] * x_ref, needs.value[rows][:, None])
    offered = np.where(offers.relative[cols][None, :], offers.u[cols][None, :] * x_ref, offers.u[cols][None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = required / offered
    return np.where(np.isfinite(ratio) & (offered > 0), ratio, 0.0)


def rank(
    needs: Needs,
    offers: Offers,
    *,
    top: int = 5,
    weights: Weights | None = None,
    authorised: Authorised | None = None,
) -> Ranking:
    """The ranking of every need (see the module's rule). ``authorised(need_rows, providers)``
    answers, for pairs of a mandatory need and a provider whose capability passed, whether
    the provider may verify it; without it no provider passes a mandatory need."""
    w = (weights or Weights()).as_array()
    n, k = len(needs), top
    out = Ranking(
        offer=np.full((n, k), -1, np.int64),
        provider=np.full((n, k), -1, np.int64),
        score=np.full((n, k), np.nan),
        ratio=np.full((n, k), np.nan),
        threshold=required_ratio(needs.kind, needs.ratio),
        tier=np.full((n, k), -1, np.int64),
        total_fee=np.full((n, k), np.nan),
        turnaround=np.full((n, k), -1, np.int64),
        factors=np.full((n, k, len(FACTORS)), np.nan),
        capable=np.zeros(n, np.int64),
        candidates=np.zeros(n, np.int64),
        weights=w,
    )
    if n == 0 or len(offers) == 0 or k <= 0:
        return out

    # Group both sides by (quantity, unit): only a group's needs and capabilities meet.
    need_key = needs.quantity * 1_000_003 + needs.unit
    offer_key = offers.quantity * 1_000_003 + offers.unit
    offer_order = np.lexsort((offers.provider, offer_key))  # by key, then provider
    sorted_keys = offer_key[offer_order]
    keys, starts = np.unique(sorted_keys, return_index=True)
    ends = np.append(starts[1:], len(sorted_keys))
    need_order = np.argsort(need_key, kind="stable")
    need_sorted = need_key[need_order]
    for key, start, end in zip(keys.tolist(), starts.tolist(), ends.tolist()):
        lo, hi = np.searchsorted(need_sorted, key, "left"), np.searchsorted(need_sorted, key, "right")
        if lo == hi:
            continue
        cols = offer_order[start:end]
        step = max(1, _CELLS // len(cols))
        for a in range(lo, hi, step):
            _rank_block(needs, need_order[a : min(hi, a + step)], offers, cols, w, authorised, out)
    return out


def _rank_block(needs: Needs, rows, offers: Offers, cols, w, authorised, out: Ranking) -> None:
    threshold = out.threshold[rows][:, None]
    ratio = capability_ratio(needs, rows, offers, cols)
    covers = (offers.low[cols][None, :] <= needs.low[rows][:, None]) & (needs.high[rows][:, None] <= offers.high[cols][None, :])
    margin = ratio / threshold
    # A relative tolerance: 0.3 / 0.1 is 2.9999999999999996 in binary floating point.
    margin = np.where(covers & (margin >= 1.0 - 1e-9), np.maximum(margin, 1.0), -np.inf)

    # One column per provider: its capability of the largest margin (cols are sorted by
    # provider; the score grows with the margin, so this is also its best score).
    providers, seg = np.unique(offers.provider[cols], return_index=True)
    best_margin = np.maximum.reduceat(margin, seg, axis=1)
    position = np.arange(len(cols))[None, :]
    at_best = np.where(margin == np.repeat(best_margin, np.diff(np.append(seg, len(cols))), axis=1), position, len(cols))
    best_col = np.minimum.reduceat(at_best, seg, axis=1)  # first column reaching the best
    capable = np.isfinite(best_margin)
    best = np.where(capable, capability_score(np.where(capable, best_margin, 1.0)), 0.0)

    # Mandatory verification: only those the authorisation rule accepts.
    mandatory = needs.mandatory[rows]
    if mandatory.any():
        r, p = np.nonzero(capable & mandatory[:, None])
        if len(r):
            ok = np.asarray(authorised(rows[r], providers[p]), dtype=bool) if authorised is not None else np.zeros(len(r), bool)
            capable[r[~ok], p[~ok]] = False

    first = cols[seg]  # provider-level facts are the same on every row of a provider
    turnaround = offers.turnaround[first][None, :]
    days = needs.days[rows][:, None]
    feasible = capable & (turnaround <= days)
    out.capable[rows] = capable.sum(axis=1)
    out.candidates[rows] = feasible.sum(axis=1)
    if not feasible.any():
        return

    tier = tier_of(needs.region[rows][:, None], offers.region[first][None, :])
    fee = offers.fee[first][None, :] * needs.count[rows][:, None]
    cheapest = np.min(np.where(feasible, fee, np.inf), axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        fee_score = np.where(fee > 0, cheapest / fee, 1.0)
        slack = np.clip(1.0 - turnaround / np.maximum(days, 1), 0.0, 1.0)
    factors = np.stack([best, 1.0 - tier / 3.0, slack, fee_score], axis=-1)
    score = np.where(feasible, factors @ w, -np.inf)

    k = out.offer.shape[1]
    m = score.shape[1]
    # Best first; scores equal to 9 decimals by the lower provider id (columns are in
    # provider order), so the order does not hang on rounding in the last bits.
    key = np.round(score, 9) - np.arange(m)[None, :] * (1e-10 / (m + 1))
    if m > k:
        part = np.argpartition(-key, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(m), (len(rows), m))
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    chosen = np.take_along_axis(part, order, axis=1)
    chosen_scores = np.take_along_axis(score, chosen, axis=1)
    valid = np.isfinite(chosen_scores)
    width = chosen.shape[1]
    ri = np.arange(len(rows))[:, None]
    col = cols[best_col[ri, chosen]]

    def put(target, values, empty):
        target[rows, :width] = np.where(valid, values, empty)

    put(out.offer, col, -1)
    put(out.provider, providers[chosen], -1)
    put(out.score, chosen_scores, np.nan)
    put(out.ratio, ratio[ri, best_col[ri, chosen]], np.nan)
    put(out.tier, tier[ri, chosen], -1)
    put(out.total_fee, fee[ri, chosen], np.nan)
    put(out.turnaround, np.broadcast_to(turnaround, score.shape)[ri, chosen], -1)
    out.factors[rows, :width] = np.where(valid[..., None], factors[ri, chosen], np.nan)
