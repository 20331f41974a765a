"""The coverage ledger (强检项目建标台账) over arrays. Two figures, as the plans define them:

- 省域 (served): an item in use in a region (or anywhere below it) is covered when a public
  standard held in the region or anywhere below it covers the item, or, where the
  configurable rule allows, a standard of an ancestor region ("served by the level above");
  for the province this is "covered anywhere in the province".
- 省级以下 (own): for each city and county, the items in use there covered by the region's
  own public standards, no ancestor and no region below counted; rolled up over the cities
  and counties of a subtree (the province's own row does not count).

Pure: regions are rows (a parent index and a level each), catalog items are columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from jiliang.core.errors import InputError

PROVINCE, CITY, COUNTY = 0, 1, 2
BELOW = 3  # served by a standard held in a region below (for the 省域 figure)
LEVEL_NAMES = ("province", "city", "county", "below")
NOT_SERVED = -1


class CoverageInputError(InputError):
    """Bad input for the coverage ledger; names the field and the reason."""


@dataclass
class CoverageResult:
    instruments: np.ndarray  # [R, I] instruments in the region and every region below it
    in_use: np.ndarray  # [R, I] bool
    covered: np.ndarray  # [R, I] bool, only where in use
    served_by: np.ndarray  # [R, I] int8: level of the serving region, NOT_SERVED when a gap
    items_in_use: np.ndarray  # [R]
    items_covered: np.ndarray  # [R]
    rollup_in_use: np.ndarray  # [R] in-use pairs of the region and its subtree
    rollup_covered: np.ndarray  # [R]
    own_covered: np.ndarray  # [R, I] bool: in use and covered by the region's own standard (cities and counties only)
    own_in_use: np.ndarray  # [R] items in use, 0 for the province (省级以下 counts cities and counties)
    own_items_covered: np.ndarray  # [R]
    below_province_in_use: np.ndarray  # [R] own in-use items over the cities and counties of the subtree
    below_province_covered: np.ndarray  # [R]

    @property
    def rate(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.items_in_use > 0, self.items_covered / np.maximum(self.items_in_use, 1), np.nan)

    @property
    def rollup_rate(self) -> np.ndarray:
        return np.where(self.rollup_in_use > 0, self.rollup_covered / np.maximum(self.rollup_in_use, 1), np.nan)

    @property
    def below_province_rate(self) -> np.ndarray:
        n = self.below_province_in_use
        return np.where(n > 0, self.below_province_covered / np.maximum(n, 1), np.nan)


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.zeros(parent.size, dtype=np.int64)
    node = parent.copy()
    for _ in range(parent.size + 1):
        alive = node >= 0
        if not alive.any():
            return depth
        depth += alive
        node = np.where(alive, parent[np.maximum(node, 0)], -1)
    raise CoverageInputError("parent", "the region tree has a cycle")


def ancestor_at_level(parent: np.ndarray, level: np.ndarray, target: int) -> np.ndarray:
    """Index of each region's nearest strict ancestor at the target level, or -1."""
    found = np.full(parent.size, -1, dtype=np.int64)
    node = parent.copy()
    while (node >= 0).any():
        hit = (node >= 0) & (found < 0) & (level[np.maximum(node, 0)] == target)
        found[hit] = node[hit]
        node = np.where(node >= 0, parent[np.maximum(node, 0)], -1)
    return found


def compute_coverage(
    parent: np.ndarray,
    level: np.ndarray,
    counts: np.ndarray,
    holds: np.ndarray,
    fallback: Mapping[int, tuple[int, ...]],
) -> CoverageResult:
    """parent[R] (index, -1 for a root), level[R] (PROVINCE/CITY/COUNTY), counts[R, I] the
    instruments located directly in each region, holds[R, I] whether the region holds an
    active public standard covering the item; fallback[level] the ancestor levels allowed
    to serve a region of that level, nearest first (the 省域 figure only: the 省级以下
    figure never counts another region's standard)."""
    parent = np.asarray(parent, dtype=np.int64)
    level = np.asarray(level, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    holds = np.asarray(holds, dtype=bool)
    n = parent.size
    if parent.ndim != 1 or level.shape != (n,):
        raise CoverageInputError("level", f"needs one level per region ({n}), got shape {level.shape}")
    if counts.ndim != 2 or counts.shape[0] != n:
        raise CoverageInputError("counts", f"needs shape (regions={n}, items), got {counts.shape}")
    if holds.shape != counts.shape:
        raise CoverageInputError("holds", f"needs the shape of counts {counts.shape}, got {holds.shape}")
    if ((parent < -1) | (parent >= n)).any():
        raise CoverageInputError("parent", "an index is outside the regions")
    if ((level < PROVINCE) | (level > COUNTY)).any():
        raise CoverageInputError("level", "levels are 0 (province), 1 (city) or 2 (county)")
    if (counts < 0).any():
        raise CoverageInputError("counts", "instrument counts cannot be negative")

    depth = _depths(parent)
    total = counts.copy()
    for d in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero(depth == d)
        np.add.at(total, parent[rows], total[rows])
    in_use = total > 0

    # A standard held anywhere in a region's subtree serves the region's items (省域).
    held_below = holds.copy()
    for d in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero(depth == d)
        np.logical_or.at(held_below, parent[rows], held_below[rows])
    served_by = np.where(holds, level[:, None], np.where(held_below, BELOW, NOT_SERVED)).astype(np.int8)
    for lvl, allowed in fallback.items():
        rows = np.flatnonzero(level == lvl)
        for up in allowed:
            anc = ancestor_at_level(parent, level, up)[rows]
            has = anc >= 0
            serve = np.zeros((rows.size, counts.shape[1]), dtype=bool)
            serve[has] = holds[anc[has]]
            open_ = (served_by[rows] == NOT_SERVED) & serve
            block = served_by[rows]
            block[open_] = up
            served_by[rows] = block
    served_by[~in_use] = NOT_SERVED
    covered = in_use & (served_by != NOT_SERVED)

    items_in_use = in_use.sum(axis=1)
    items_covered = covered.sum(axis=1)
    below = level != PROVINCE
    own_covered = in_use & holds & below[:, None]
    own_in_use = np.where(below, items_in_use, 0)
    own_items_covered = own_covered.sum(axis=1)
    rollup_in_use, rollup_covered = items_in_use.copy(), items_covered.copy()
    below_in_use, below_covered = own_in_use.copy(), own_items_covered.copy()
    for d in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero(depth == d)
        for acc in (rollup_in_use, rollup_covered, below_in_use, below_covered):
            np.add.at(acc, parent[rows], acc[rows])
    return CoverageResult(
        total,
        in_use,
        covered,
        served_by,
        items_in_use,
        items_covered,
        rollup_in_use,
        rollup_covered,
        own_covered,
        own_in_use,
        own_items_covered,
        below_in_use,
        below_covered,
    )
