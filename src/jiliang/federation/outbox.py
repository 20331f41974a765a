"""What this instance publishes, as numbered records.

A province's outbox is filled from its own changes by :func:`collect`: certificates its
institutions issued (the index entry: number, issuer, item, date, document hash, and what
the certificate rests on), its public standards with their capabilities, its recalls, its
published comparison results, and on request a coverage/indicators snapshot. The centre's
outbox holds what it sends back: primary standards, the national catalogue and
specifications (collected from its registry) and what its handlers enqueue while applying
provinces' records (another province's certificates, recall notices).

Each source is read past a cursor in bounded batches, so a collection is bounded work and
a change is collected once; ``OutboxRecord.seq`` numbers the records contiguously from 1.
A record is signed once, on first publication, and kept: a re-publication after a cut is
byte-identical.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from jiliang.audit.models import AuditEntry
from jiliang.registry import models as reg

from .models import NATIONAL, OutboxCursor, OutboxRecord
from .records import build_record

BATCH = 500


class FederationNotConfigured(ValueError):
    """This instance has no province code (JILIANG_PROVINCE) and is not the centre."""


def local_origin() -> str:
    """This instance's origin code: "national" in national mode, else JILIANG_PROVINCE."""
    if getattr(settings, "JILIANG_NATIONAL", False):
        return NATIONAL
    code = getattr(settings, "JILIANG_PROVINCE", "")
    if not (len(code) == 2 and code.isdigit()):
        raise FederationNotConfigured(
            f"JILIANG_PROVINCE: {code!r} is not a two-digit GB/T 2260 province code (set it, or JILIANG_MODE=national)"
        )
    return code


def signing_institution() -> reg.Organisation:
    """The institution whose seal key signs this instance's records: JILIANG_FEDERATION_INSTITUTION
    (a credit code), else the first legal metrology institute of the province."""
    credit_code = getattr(settings, "JILIANG_FEDERATION_INSTITUTION", "")
    if credit_code:
        organisation = reg.Organisation.objects.filter(credit_code=credit_code).first()
    else:
        origin = local_origin()
        candidates = reg.Organisation.objects.filter(kind=reg.Organisation.Kind.LEGAL_INSTITUTE).order_by("region__code", "id")
        organisation = (candidates if origin == NATIONAL else candidates.filter(region__code__startswith=origin)).first()
    if organisation is None:
        raise FederationNotConfigured(
            "JILIANG_FEDERATION_INSTITUTION: no institution to sign federation records (name one by its credit code)"
        )
    return organisation


def signer():
    from jiliang.certificates import keys

    return keys.signer_for(keys.usable_key(signing_institution()), "seal")


def _reserve(count: int) -> int:
    """Reserve ``count`` consecutive sequence numbers; the first of them."""
    cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(source="seq")
    if cursor.position == 0:  # first use: continue after what is there
        cursor.position = OutboxRecord.objects.aggregate(m=Max("seq"))["m"] or 0
    first = cursor.position + 1
    cursor.position += count
    cursor.save(update_fields=["position"])
    return first


@transaction.atomic
def enqueue_many(items: list[tuple[str, dict, str]]) -> int:
    """Add records (kind, body, key) to publish, in order; how many."""
    if not items:
        return 0
    first = _reserve(len(items))
    OutboxRecord.objects.bulk_create(
        [OutboxRecord(seq=first + k, kind=kind, key=key[:120], body=body) for k, (kind, body, key) in enumerate(items)]
    )
    return len(items)


def enqueue(kind: str, body: dict, *, key: str = "") -> int:
    """Add one record to publish; its sequence number."""
    enqueue_many([(kind, body, key)])
    return OutboxRecord.objects.aggregate(m=Max("seq"))["m"]


def head() -> int:
    return OutboxRecord.objects.aggregate(m=Max("seq"))["m"] or 0


def pending_records(after_seq: int = 0, *, limit: int = 10000, collect_first: bool = True) -> Iterator[tuple[int, bytes]]:
    """The signed records after ``after_seq`` (what a consumer that stopped there lacks)."""
    if collect_first:
        collect()
    origin = local_origin()
    sign_with = None
    rows = OutboxRecord.objects.filter(seq__gt=after_seq).order_by("seq")[:limit]
    for row in rows.iterator(chunk_size=BATCH):
        raw = bytes(row.raw) if row.raw is not None else None
        if raw is None:
            sign_with = sign_with or signer()
            raw = build_record(row.kind, row.body, province=origin, seq=row.seq, signer=sign_with)
            OutboxRecord.objects.filter(seq=row.seq, raw__isnull=True).update(raw=raw)
            raw = bytes(OutboxRecord.objects.values_list("raw", flat=True).get(seq=row.seq))
        yield row.seq, raw


# ------------------------------------------------------------------ collecting changes


def _cursor(source: str) -> OutboxCursor:
    cursor, _ = OutboxCursor.objects.select_for_update().get_or_create(source=source)
    return cursor


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _province_of(region_code: str | None) -> str:
    return (region_code or "")[:2]


def certificate_bodies(events: list[reg.CalibrationEvent]) -> list[dict]:
    """The index entries of ``events`` (loaded in bulk: a handful of queries a batch)."""
    from jiliang.certificates.models import Certificate

    ids = [e.id for e in events]
    documents = {
        c["event_id"]: c for c in Certificate.objects.filter(event_id__in=ids).values("event_id", "kind", "sha256", "status")
    }
    standards_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for event_id, standard_id, number in reg.EventStandard.objects.filter(event_id__in=ids).values_list(
        "event_id", "standard_id", "standard__certificate_number"
    ):
        standards_of[event_id].append((standard_id, number))
    # What each standard rested on at the time: its devices' calibrations before the event.
    standard_ids = {s for links in standards_of.values() for s, _ in links}
    device_events: dict[int, list[tuple[dt.date, int, str, str]]] = defaultdict(list)
    latest = max((e.performed_on for e in events), default=dt.date.today())
    for standard_id, instrument_id, performed_on, number, region in (
        reg.CalibrationEvent.objects.filter(instrument__standard_id__in=standard_ids, performed_on__lte=latest)
        .order_by("instrument_id", "performed_on", "id")
        .values_list(
            "instrument__standard_id",
            "instrument_id",
            "performed_on",
            "certificate_number",
            "performer__region__code",
        )
    ):
        device_events[standard_id].append((performed_on, instrument_id, number, _province_of(region)))
    bodies = []
    for e in events:
        upstream: list[dict] = []
        if e.primary_standard_id:
            upstream.append({"primary": e.primary_standard.code})
        for standard_id, _number in standards_of.get(e.id, []):
            in_force: dict[int, tuple[str, str]] = {}
            for performed_on, device, number, province in device_events.get(standard_id, []):
                if performed_on <= e.performed_on:
                    in_force[device] = (number, province)  # the latest before the event wins
            for number, province in in_force.values():
                # The device's own certificate (its upstream names the primary standard).
                link = {"province": province, "certificate": number}
                if link not in upstream:
                    upstream.append(link)
        document = documents.get(e.id)
        kind = document["kind"] if document else (e.kind if e.passed is not False else "non_conformity")
        bodies.append(
            {
                "number": e.certificate_number,
                "kind": kind,
                "issuer": e.performer.name,
                "issuer_credit_code": e.performer.credit_code,
                "item": {"code": e.instrument.code, "name": e.instrument.name, "region": e.instrument.region.code},
                "performed_on": e.performed_on.isoformat(),
                "valid_until": _iso(e.valid_until),
                "passed": e.passed,
                "document_sha256": document["sha256"] if document else "",
                "standards": [n for _, n in standards_of.get(e.id, [])],
                "upstream": upstream[:64],
                "status": "revoked" if document and document["status"] == "revoked" else "issued",
            }
        )
    return bodies


def _collect_certificates(origin: str) -> int:
    cursor = _cursor("events")
    events = list(
        reg.CalibrationEvent.objects.filter(id__gt=cursor.position, performer__region__code__startswith=origin)
        .select_related("performer", "instrument__region", "primary_standard")
        .order_by("id")[:BATCH]
    )
    # Only certificates this province's institutions issued: an event recorded here for a
    # calibration done elsewhere is the other province's certificate.
    if not events:
        return 0
    enqueue_many([("certificate", body, f"certificate:{body['number']}") for body in certificate_bodies(events)])
    cursor.position = events[-1].id
    cursor.save(update_fields=["position"])
    return len(events)


def _collect_certificate_edits(origin: str) -> int:
    """Certificates revoked (or otherwise changed) since the last collection."""
    cursor = _cursor("certificate_edits")
    entries = list(
        AuditEntry.objects.filter(sequence__gt=cursor.position, object_type="certificates.certificate")
        .exclude(action__in=(AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT))
        .order_by("sequence")
        .values_list("sequence", "object_id")[:BATCH]
    )
    if not entries:
        return 0
    from jiliang.certificates.models import Certificate

    event_ids = Certificate.objects.filter(pk__in=[int(i) for _, i in entries if i.isdigit()]).values_list("event_id", flat=True)
    events = list(
        reg.CalibrationEvent.objects.filter(id__in=list(event_ids), performer__region__code__startswith=origin).select_related(
            "performer", "instrument__region", "primary_standard"
        )
    )
    if events:
        enqueue_many([("certificate", body, f"certificate:{body['number']}") for body in certificate_bodies(events)])
    cursor.position = entries[-1][0]
    cursor.save(update_fields=["position"])
    return len(events)


def standard_body(standard: reg.MeasurementStandard) -> dict:
    return {
        "number": standard.certificate_number,
        "name": standard.name,
        "tier": standard.tier,
        "holder": standard.holder.name,
        "holder_credit_code": standard.holder.credit_code,
        "region": standard.holder.region.code,
        "status": standard.status,
        "valid_until": _iso(standard.valid_until),
        "capabilities": [
            {
                "quantity": c.quantity.name,
                "range": [c.range_min, c.range_max],
                "unit": c.unit,
                "uncertainty": c.uncertainty,
                "k": c.k,
                "relative": c.relative,
                "accuracy_class": c.accuracy_class,
                "mpe": c.mpe,
            }
            for c in standard.capabilities.all()
        ],
    }


def _collect_standards(origin: str) -> int:
    """New public standards, and any standard edited since (status, validity, capabilities)."""
    cursor, edits = _cursor("standards"), _cursor("standard_edits")
    public = reg.MeasurementStandard.objects.filter(
        tier=reg.MeasurementStandard.Tier.PUBLIC, holder__region__code__startswith=origin
    ).select_related("holder__region")
    new = list(public.filter(id__gt=cursor.position).prefetch_related("capabilities__quantity").order_by("id")[:BATCH])
    entries = list(
        AuditEntry.objects.filter(
            sequence__gt=edits.position, object_type__in=("registry.measurementstandard", "registry.capability")
        )
        .exclude(action__in=(AuditEntry.Action.CREATE, AuditEntry.Action.IMPORT))
        .order_by("sequence")
        .values_list("sequence", "object_type", "object_id")[:BATCH]
    )
    edited_ids = {int(i) for _, t, i in entries if t == "registry.measurementstandard" and i.isdigit()}
    edited_ids |= set(
        reg.Capability.objects.filter(
            pk__in=[int(i) for _, t, i in entries if t == "registry.capability" and i.isdigit()]
        ).values_list("standard_id", flat=True)
    )
    edited = list(
        public.filter(id__in=edited_ids, id__lte=cursor.position).prefetch_related("capabilities__quantity").order_by("id")
    )
    enqueue_many([("standard", standard_body(s), f"standard:{s.certificate_number}") for s in [*new, *edited]])
    if new:
        cursor.position = new[-1].id
        cursor.save(update_fields=["position"])
    if entries:
        edits.position = entries[-1][0]
        edits.save(update_fields=["position"])
    return len(new) + len(edited)


def recall_body(recall) -> dict:
    from jiliang.traceability.models import RecallItem

    # The province vouches for its own certificates only: the events its institutions performed
    # (further down, other provinces' certificates are theirs to recall, reached by the notice).
    province = recall.standard.holder.region.code[:2]
    numbers = list(
        RecallItem.objects.filter(notice__recall=recall, event__performer__region__code__startswith=province).values_list(
            "event__certificate_number", flat=True
        )[:100000]
    )
    return {
        "reference": str(recall.pk),
        "standard_number": recall.standard.certificate_number,
        "standard_name": recall.standard.name,
        "window_from": recall.window_from.isoformat(),
        "window_to": recall.window_to.isoformat(),
        "reason": recall.reason,
        "certificates": sorted(set(numbers)),
    }


def _collect_recalls(origin: str) -> int:
    from jiliang.traceability.models import Recall

    cursor = _cursor("recalls")
    recalls = list(
        Recall.objects.filter(id__gt=cursor.position, standard__holder__region__code__startswith=origin)
        .select_related("standard__holder__region")
        .order_by("id")[:BATCH]
    )
    enqueue_many([("recall", recall_body(recall), f"recall:{recall.pk}") for recall in recalls])
    if recalls:
        cursor.position = recalls[-1].id
        cursor.save(update_fields=["position"])
    return len(recalls)


def comparison_body(comparison) -> dict:
    return {
        "code": comparison.code,
        "title": comparison.title,
        "published_on": comparison.published_at.date().isoformat() if comparison.published_at else None,
        "results": [
            {
                "measurand": m.name,
                "unit": m.unit,
                "reference_value": (m.result or {}).get("reference_value"),
                "participants": [
                    {k: p.get(k) for k in ("lab", "En", "z", "d", "U_d") if k in p}
                    for p in (m.result or {}).get("participants", [])
                ][:200],
            }
            for m in comparison.measurands.order_by("id")
            if m.result
        ],
    }


def _collect_comparisons(origin: str) -> int:
    from jiliang.comparisons.models import Comparison

    cursor = _cursor("comparisons")
    published = list(
        Comparison.objects.filter(
            status=Comparison.Status.PUBLISHED, id__gt=cursor.position, administrator_region__code__startswith=origin
        ).order_by("id")[:BATCH]
    )
    enqueue_many([("comparison_result", comparison_body(c), f"comparison:{c.code}") for c in published])
    if published:
        cursor.position = published[-1].id
        cursor.save(update_fields=["position"])
    return len(published)


def coverage_body(origin: str, as_of: dt.date | None = None) -> dict:
    """The province's coverage ledger and traceability share on a day (the same figures as
    its own ledger and validity pages)."""
    from jiliang.traceability.services import validity_summary
    from jiliang.verification.coverage import build_ledger

    as_of = as_of or dt.date.today()
    province_region = f"{origin}0000"
    ledger = build_ledger(as_of, province_region)
    top = next((r for r in ledger.regions if r.code == province_region), None)
    validity = validity_summary(as_of, province_region)
    return {
        "as_of": as_of.isoformat(),
        "items": top.items_in_use if top else 0,
        "covered": top.items_covered if top else 0,
        "instruments": int(validity["instruments"]),
        "traceable": int(validity["traceable"]),
        "indicators": {
            "coverage_rate": top.to_json()["rate"] if top else None,
            "rollup_rate": top.to_json()["rollup_rate"] if top else None,
            "below_province_rate": top.to_json()["below_province_rate"] if top else None,
            "traceable_share": validity["share"],
            "gaps": len(ledger.gaps),
        },
    }


def snapshot_coverage(as_of: dt.date | None = None) -> int | None:
    """Enqueue the coverage snapshot when it differs from the last one sent; its seq."""
    import hashlib

    from jiliang.core.ledger import canonical_json

    origin = local_origin()
    body = coverage_body(origin, as_of)
    digest = hashlib.sha256(canonical_json({k: v for k, v in body.items() if k != "as_of"}).encode()).hexdigest()
    with transaction.atomic():
        cursor = _cursor("coverage")
        if cursor.digest == digest:
            return None
        cursor.digest = digest
        cursor.save(update_fields=["digest"])
        return enqueue("coverage", body, key="coverage")


def _primary_body(p: reg.PrimaryStandard) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "holder": p.holder.name,
        "holder_credit_code": p.holder.credit_code,
        "status": "active",
        "capabilities": [
            {
                "quantity": p.quantity.name,
                "range": [p.range_min, p.range_max],
                "unit": p.unit,
                "uncertainty": p.uncertainty,
                "k": p.k,
            }
        ],
    }


def _collect_new(source: str, queryset, make) -> int:
    """Records for the rows of ``queryset`` past the source's cursor (by id, one batch)."""
    cursor = _cursor(source)
    rows = list(queryset.filter(id__gt=cursor.position).order_by("id")[:BATCH])
    enqueue_many([make(row) for row in rows])
    if rows:
        cursor.position = rows[-1].id
        cursor.save(update_fields=["position"])
    return len(rows)


def _collect_national() -> int:
    """The centre's registry changes provinces need: primary standards, catalogue, specifications."""
    return (
        _collect_new(
            "primary_standards",
            reg.PrimaryStandard.objects.select_related("holder", "quantity"),
            lambda p: ("primary_standard", _primary_body(p), f"primary:{p.code}"),
        )
        + _collect_new(
            "catalogue",
            reg.CatalogItem.objects.all(),
            lambda i: (
                "catalogue_item",
                {
                    "code": i.code,
                    "title": i.name,
                    "category": i.category,
                    "supervision": i.supervision,
                    "management_mode": i.management_mode,
                },
                f"catalogue:{i.code}",
            ),
        )
        + _collect_new(
            "specifications",
            reg.Specification.objects.all(),
            lambda x: (
                "specification",
                {"code": x.code, "title": x.title, "kind": x.kind, "status": x.status},
                f"specification:{x.code}",
            ),
        )
    )


@transaction.atomic
def collect() -> int:
    """Turn the changes since the last collection into outbox records (bounded: one batch
    a source); how many were added."""
    origin = local_origin()
    if origin == NATIONAL:
        return _collect_national()
    return (
        _collect_standards(origin)
        + _collect_certificates(origin)
        + _collect_certificate_edits(origin)
        + _collect_recalls(origin)
        + _collect_comparisons(origin)
    )
