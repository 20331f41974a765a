"""Traceability use cases over the registry: one item's chain, the region summary, the
impact of a standard found out of tolerance, and the recall that follows.

The engine's snapshot and the verdicts every page asks for live with the registry
(``jiliang.registry.validity``), whose own write rules need them too.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiliang.audit.services import record
from jiliang.core.traceability import ERROR_MASK, Reason
from jiliang.registry import graph as loader
from jiliang.registry import models as reg
from jiliang.registry.validity import (  # noqa: F401  (re-exported for the app's callers)
    REASON_LABELS,
    current_graph,
    event_verdicts,
    forget_graph,
    item_verdicts,
    one_snapshot,
    reasons,
    standard_verdicts,
)

from .models import Recall, RecallItem, RecallNotice

# -- one item ------------------------------------------------------------------------

# Functions (answer, date) -> answer that continue a chain beyond this registry.
CHAIN_EXTENSIONS: list = []


def item_chain(instrument: reg.Instrument, date: dt.date) -> dict:
    """The verdict and the ordered links from the instrument up to primary standards."""
    graph = current_graph()
    engine = graph.engine
    chain = engine.chain(instrument.id, loader.to_day(date))
    event_ids = {link.event_id for link in chain.links if link.event >= 0}
    events = reg.CalibrationEvent.objects.in_bulk(event_ids)
    instruments = reg.Instrument.objects.select_related("standard").in_bulk({link.item for link in chain.links})
    standard_ids, primary_ids = set(), set()
    for link in chain.links:
        for s in link.standards + ((link.via_standard,) if link.via_standard >= 0 else ()):
            kind, pk = graph.describe_standard(s)
            (standard_ids if kind == "standard" else primary_ids).add(pk)
    standards = reg.MeasurementStandard.objects.in_bulk(standard_ids)
    primaries = reg.PrimaryStandard.objects.in_bulk(primary_ids)

    def standard_ref(index: int) -> dict:
        kind, pk = graph.describe_standard(index)
        if kind == "standard":
            s = standards.get(pk)
            return {"kind": kind, "id": pk, "name": s.name if s else "", "certificate_number": s.certificate_number if s else ""}
        if kind == "primary":
            p = primaries.get(pk)
            return {"kind": kind, "id": pk, "name": p.name if p else "", "certificate_number": p.code if p else ""}
        return {"kind": kind, "id": None, "name": str(_("境外/国际溯源")), "certificate_number": ""}

    links = []
    for link in chain.links:
        event = events.get(link.event_id) if link.event >= 0 else None
        item = instruments.get(link.item)
        links.append(
            {
                "depth": link.depth,
                "parent": link.parent,
                "instrument": {"id": link.item, "code": item.code if item else "", "name": item.name if item else ""},
                "via_standard": standard_ref(link.via_standard) if link.via_standard >= 0 else None,
                "event": None
                if event is None
                else {
                    "id": event.id,
                    "certificate_number": event.certificate_number,
                    "kind": event.kind,
                    "performed_on": event.performed_on.isoformat(),
                    # A verification's validity; a calibration has none, only the customer's
                    # recalibration date; good_until is what the chain counts it for
                    # (registry.graph.good_until_days says which rule).
                    "valid_until": event.valid_until.isoformat() if event.valid_until else None,
                    "recalibration_due": event.recalibration_due.isoformat() if event.recalibration_due else None,
                    "good_until": loader.from_day(link.valid_until - 1).isoformat(),
                    "passed": event.passed,
                    "uncertainty": event.uncertainty,
                },
                "standards": [standard_ref(s) for s in link.standards],
                "reasons": reasons(link.flags),
                "is_break": link.is_break,
            }
        )
    answer = {
        "instrument": {"id": instrument.id, "code": instrument.code, "name": instrument.name},
        "date": date.isoformat(),
        "traceable": chain.valid,
        "reasons": reasons(chain.flags),
        "break": _break(graph, chain.break_kind, chain.break_index),
        "links": links,
    }
    # A link calibrated in another province continues through the federated certificate index
    # (jiliang.federation registers that extension; this app does not import it).
    for extend in CHAIN_EXTENSIONS:
        answer = extend(answer, date)
    return answer


def _break(graph, kind: int, index: int) -> dict | None:
    if kind < 0:
        return None
    if kind == 0:
        item = reg.Instrument.objects.filter(pk=index).values("id", "code", "name").first()
        return {"kind": "instrument", **(item or {"id": index})}
    what, pk = graph.describe_standard(index)
    s = (
        reg.MeasurementStandard.objects.filter(pk=pk).values("id", "name", "certificate_number").first()
        if what == "standard"
        else None
    )
    return {"kind": what, **(s or {"id": pk})}


# -- the whole region ----------------------------------------------------------------


def validity_summary(date: dt.date, region_code: str | None = None) -> dict:
    """Traceable share of working instruments per region and per catalog item, with the top reasons."""
    graph = current_graph()
    v = graph.engine.validity_at(loader.to_day(date))
    mask = graph.item_working.copy()
    prefix = ""
    regions = dict(reg.Region.objects.values_list("id", "code"))
    if region_code:
        region = reg.Region.objects.filter(code=region_code).first()
        if region is None:
            raise ValueError("region: " + gettext("没有代码为 %(code)s 的区划") % {"code": region_code})
        prefix = region.descendant_codes_prefix()
        inside = np.zeros(max(regions) + 2, bool)
        inside[[rid for rid, code in regions.items() if code.startswith(prefix)]] = True
        mask &= inside[np.maximum(graph.item_region, 0)] & (graph.item_region >= 0)
    items = np.flatnonzero(mask)
    valid = v.valid[items]
    flags = v.flags[items]
    region_of = graph.item_region[items]
    catalog_of = graph.item_catalog[items]

    def grouped(keys: np.ndarray) -> dict[int, dict]:
        out = {}
        if not keys.size:
            return out
        uk, inverse = np.unique(keys, return_inverse=True)
        total = np.bincount(inverse, minlength=uk.size)
        ok = np.bincount(inverse, weights=valid, minlength=uk.size).astype(np.int64)
        bits = {
            r: np.bincount(inverse, weights=(flags & np.uint32(int(r))) != 0, minlength=uk.size).astype(np.int64)
            for r in Reason
            if int(r) & ERROR_MASK
        }
        for k, key in enumerate(uk.tolist()):
            top = sorted(((int(c[k]), r) for r, c in bits.items() if c[k]), reverse=True)[:3]
            out[key] = {
                "instruments": int(total[k]),
                "traceable": int(ok[k]),
                "top_reasons": [{"code": r.name, "label": str(REASON_LABELS[r]), "instruments": n} for n, r in top],
            }
        return out

    by_region_id = grouped(region_of)
    # Roll county figures up to their cities and the province by code prefix.
    rolled: dict[str, dict] = {}
    for rid, figures in by_region_id.items():
        code = regions.get(rid, "")
        for parent in {code, code[:4] + "00", code[:2] + "0000"}:
            if region_code and not parent.startswith(prefix):
                continue  # an enclosing region outside the one asked about
            entry = rolled.setdefault(parent, {"instruments": 0, "traceable": 0})
            entry["instruments"] += figures["instruments"]
            entry["traceable"] += figures["traceable"]
    names = dict(reg.Region.objects.filter(code__in=rolled).values_list("code", "name"))
    catalog = {c.id: c for c in reg.CatalogItem.objects.all()}
    share = lambda f: round(f["traceable"] / f["instruments"], 4) if f["instruments"] else None  # noqa: E731
    by_code = {regions.get(rid): f for rid, f in by_region_id.items()}
    return {
        "date": date.isoformat(),
        "region": region_code,
        "instruments": int(items.size),
        "traceable": int(valid.sum()),
        "share": round(float(valid.mean()), 4) if items.size else None,
        "regions": [
            {
                "code": code,
                "name": names.get(code, ""),
                **figures,
                "share": share(figures),
                "top_reasons": by_code.get(code, {}).get("top_reasons", []),
            }
            for code, figures in sorted(rolled.items())
        ],
        "catalog_items": [
            {
                "code": catalog[cid].code if cid in catalog else None,
                "name": catalog[cid].name if cid in catalog else str(_("未列入目录")),
                **figures,
                "share": share(figures),
            }
            for cid, figures in sorted(grouped(catalog_of).items(), key=lambda kv: -kv[1]["instruments"])
        ],
    }


# -- impact and recall ---------------------------------------------------------------


def default_window(standard: reg.MeasurementStandard, found_on: dt.date, graph=None) -> tuple[dt.date, dt.date]:
    """The period in doubt when a standard is found out of tolerance on ``found_on``: from
    its last good calibration before that day (everything since rests on it) to that day.
    The engine knows the calibration in force the day before; when that one failed (the
    finding itself) the last passed calibration of its devices is the start."""
    graph = graph or current_graph()
    start, _ = graph.engine.default_window(graph.standard_index(standard.id), loader.to_day(found_on) - 1)
    date_from = loader.from_day(start)
    if date_from >= found_on - dt.timedelta(days=1):
        last_good = (
            reg.CalibrationEvent.objects.filter(instrument__standard=standard, passed=True, performed_on__lt=found_on)
            .order_by("-performed_on")
            .values_list("performed_on", flat=True)
            .first()
        )
        date_from = last_good or standard.valid_from or date_from
    return date_from, found_on


def impact(
    standard: reg.MeasurementStandard,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    found_on: dt.date | None = None,
) -> dict:
    """Every event in doubt when the standard was out of tolerance over [from, to].

    Default window: from the standard's last good calibration before `found_on` (default:
    today) to `found_on`."""
    graph = current_graph()
    engine = graph.engine
    index = graph.standard_index(standard.id)
    if date_from is None or date_to is None:
        found = found_on or date_to or dt.date.today()
        default_from, _ = default_window(standard, found, graph=graph)
        date_from = date_from or default_from
        date_to = date_to or found
    if date_from > date_to:
        raise ValueError("from: must not be after to")
    result = engine.impact(index, loader.to_day(date_from), loader.to_day(date_to), graph.item_owner, graph.item_region)
    return {"standard": standard, "from": date_from, "to": date_to, "result": result, "graph": graph}


def impact_document(found: dict, limit: int = 1000) -> dict:
    """The JSON shape of an impact: counts, groups by owner and region, the first events."""
    result, standard = found["result"], found["standard"]
    owners = dict(reg.Organisation.objects.filter(id__in=list(result.by_owner or {})).values_list("id", "name"))
    regions = dict(reg.Region.objects.filter(id__in=list(result.by_region or {})).values_list("id", "code"))
    shown = result.event_ids[:limit].tolist()
    events = reg.CalibrationEvent.objects.in_bulk(shown)
    instruments = reg.Instrument.objects.in_bulk([e.instrument_id for e in events.values()])
    parent_ids = found["graph"].engine.event_id
    return {
        "standard": {"id": standard.id, "name": standard.name, "certificate_number": standard.certificate_number},
        "from": found["from"].isoformat(),
        "to": found["to"].isoformat(),
        "events": int(result.events.size),
        "instruments": int(np.unique(result.items).size),
        "max_depth": int(result.depth.max()) if result.depth.size else 0,
        "by_owner": [
            {"id": k, "name": owners.get(k, ""), "events": e, "instruments": i}
            for k, (e, i) in sorted((result.by_owner or {}).items(), key=lambda kv: -kv[1][1])
        ],
        "by_region": [
            {"id": k, "code": regions.get(k, ""), "events": e, "instruments": i}
            for k, (e, i) in sorted((result.by_region or {}).items(), key=lambda kv: -kv[1][1])
        ],
        "affected": [
            {
                "event": eid,
                "certificate_number": events[eid].certificate_number,
                "instrument": instruments[events[eid].instrument_id].code,
                "performed_on": events[eid].performed_on.isoformat(),
                "depth": int(result.depth[k]),
                "via_event": int(parent_ids[result.parent[k]]) if result.parent[k] >= 0 else None,
            }
            for k, eid in enumerate(shown)
            if eid in events
        ],
        "truncated": result.events.size > limit,
    }


class RecallRefused(ValueError):
    """A recall the rules refuse; ``rule`` names the rule, the message says why."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(f"{rule}: {message}")


def recall_refusal(standard: reg.MeasurementStandard, date_from: dt.date, date_to: dt.date, result) -> RecallRefused | None:
    """Why a recall of ``standard`` over [from, to] with this impact must not be issued:
    a recall already covers that period (its notices are out: a second would send the same
    owners the same work twice), or the period touches no calibration or verification
    (a notice to nobody)."""
    earlier = (
        Recall.objects.filter(standard=standard, window_from__lte=date_from, window_to__gte=date_to)
        .order_by("created_at")
        .first()
    )
    if earlier is not None:
        return RecallRefused(
            "recall.repeat",
            _("该计量标准在 %(start)s 至 %(end)s 期间已于 %(made)s 发出召回（第 %(id)s 号），不重复召回")
            % {"start": earlier.window_from, "end": earlier.window_to, "made": earlier.created_at.date(), "id": earlier.pk},
        )
    if not result.events.size:
        return RecallRefused(
            "recall.no_effect",
            _("%(start)s 至 %(end)s 期间没有使用该计量标准的检定或校准记录，召回不影响任何器具")
            % {"start": date_from, "end": date_to},
        )
    return None


@transaction.atomic
def create_recall(
    standard: reg.MeasurementStandard,
    date_from: dt.date | None,
    date_to: dt.date | None,
    *,
    reason: str,
    actor=None,
    found_on: dt.date | None = None,
) -> Recall:
    """Record a recall and one notice per affected owner, with the events in doubt."""
    if not reason or not reason.strip():
        raise ValueError("reason: a recall needs its reason")
    found = impact(standard, date_from, date_to, found_on)
    result = found["result"]
    refusal = recall_refusal(standard, found["from"], found["to"], result)
    if refusal is not None:
        raise refusal
    recall = Recall.objects.create(
        standard=standard,
        window_from=found["from"],
        window_to=found["to"],
        reason=reason.strip(),
        created_by=actor,
        affected_events=int(result.events.size),
        affected_instruments=int(np.unique(result.items).size),
    )
    graph = found["graph"]
    owners = graph.item_owner[result.items]
    notices = {}
    for owner, (n_events, n_items) in (result.by_owner or {}).items():
        first_item = result.items[np.flatnonzero(owners == owner)[0]]
        notices[owner] = RecallNotice(
            recall=recall, owner_id=owner, region_id=int(graph.item_region[first_item]), instruments=n_items, events=n_events
        )
    RecallNotice.objects.bulk_create(notices.values())
    RecallItem.objects.bulk_create(
        (
            RecallItem(notice=notices[int(o)], instrument_id=int(i), event_id=int(e), depth=int(d))
            for o, i, e, d in zip(owners.tolist(), result.items.tolist(), result.event_ids.tolist(), result.depth.tolist())
        ),
        batch_size=5000,
    )
    _audit("create", recall, reason)
    return recall


def _audit(action: str, obj, reason: str) -> None:
    """Append to the audit ledger."""
    record(action, obj, actor=None, old=None, new={"id": obj.pk}, reason=reason)
