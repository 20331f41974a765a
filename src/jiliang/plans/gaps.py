"""Where a plan's proposals come from: gap sources, registered by the apps that know of gaps.

A gap source is a function ``(region_code, as_of) -> list[Gap]``: the measurement needs of
the region (and its subtree) that no standard of the region meets. The coverage ledger
(强检项目建标台账, jiliang.verification.coverage) is the first; another app adds its own
(say the unmet needs of the supply-and-demand matching) with ``register_source`` in its
``AppConfig.ready``, or a deployment names one in ``JILIANG_PLAN_GAP_SOURCES`` (dotted paths).
The plan never imports the sources: it asks whatever is registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Gap:
    source: str  # the source's name, kept on the entry it proposes
    region_code: str
    item_code: str  # a catalogue item (实施强制管理的计量器具目录), "" when the need names none
    item_name: str
    instruments: int  # how many instruments (or requests) wait on it: the proposal's weight
    note: str = ""


GapSource = Callable[[str, dt.date], list[Gap]]
_SOURCES: dict[str, GapSource] = {}


def register_source(name: str, fn: GapSource) -> None:
    """Add (or replace) a gap source under ``name``."""
    _SOURCES[name] = fn


def sources() -> dict[str, GapSource]:
    out = dict(_SOURCES)
    for path in getattr(settings, "JILIANG_PLAN_GAP_SOURCES", ()):
        out.setdefault(path.rsplit(".", 1)[-1], import_string(path))
    return out


def coverage_gaps(region_code: str, as_of: dt.date) -> list[Gap]:
    """The ledger's gaps in the region's subtree: items in use that no public standard serves."""
    from jiliang.verification.coverage import build_ledger

    ledger = build_ledger(as_of, region_code=region_code)
    return [Gap("coverage", g.region_code, g.item_code, g.item_name, g.instruments, g.nearest_institution) for g in ledger.gaps]


def register_default_sources() -> None:
    register_source("coverage", coverage_gaps)


def collect(region_code: str, as_of: dt.date) -> list[Gap]:
    """Every registered source's gaps, heaviest first."""
    found: list[Gap] = []
    for _name, fn in sorted(sources().items()):
        found.extend(fn(region_code, as_of))
    found.sort(key=lambda g: (-g.instruments, g.region_code, g.item_code, g.source))
    return found
