"""The built-in record kinds and what applying each does.

Province → centre: ``standard`` (a public standard and its capabilities), ``certificate``
(a certificate index entry), ``coverage`` (the coverage ledger and indicators snapshot),
``comparison_result``, ``recall``. Centre → provinces: ``primary_standard``,
``catalogue_item``, ``specification``, ``certificate`` (another province's certificate a
chain here rests on), ``recall_notice``. Every effect is an upsert keyed by (origin, number),
so applying a later version of the same object replaces the earlier one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from . import outbox
from .apply import handler
from .models import (
    NATIONAL,
    FederatedCertificate,
    FederatedComparisonResult,
    FederatedCoverage,
    FederatedRecall,
    FederatedStandard,
    NationalCatalogueEntry,
)
from .records import Record, RecordRefused


def national() -> bool:
    return bool(getattr(settings, "JILIANG_NATIONAL", False))


def _get(body: dict, name: str, kind: type | tuple[type, ...] = str, *, required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RecordRefused("federation.invalid_body", f"body.{name}: missing or of the wrong type")
    return value


def _date(body: dict, name: str, *, required: bool = True) -> dt.date | None:
    text = _get(body, name, str, required=required)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RecordRefused("federation.invalid_body", f"body.{name}: {text!r} is not an ISO date") from None


def _origin_of(record: Record) -> str:
    """The province an entry belongs to: the record's origin, or for what the centre relays,
    the province named in the body."""
    if record.province != NATIONAL:
        return record.province
    province = _get(record.body, "province")
    if not (len(province) == 2 and province.isdigit()):
        raise RecordRefused("federation.invalid_body", f"body.province: {province!r} is not a province code")
    return province


@handler("standard")
def apply_standard(record: Record) -> None:
    body = record.body
    FederatedStandard.objects.update_or_create(
        province=_origin_of(record),
        number=_get(body, "number")[:60],
        defaults={
            "name": _get(body, "name")[:200],
            "tier": _get(body, "tier")[:12],
            "holder": str(body.get("holder", ""))[:200],
            "holder_credit_code": str(body.get("holder_credit_code", ""))[:18],
            "region": str(body.get("region", ""))[:6],
            "status": _get(body, "status")[:12],
            "valid_until": _date(body, "valid_until", required=False),
            "capabilities": _get(body, "capabilities", list, required=False) or [],
        },
    )


@handler("primary_standard")
def apply_primary_standard(record: Record) -> None:
    if record.province != NATIONAL:
        raise RecordRefused("federation.invalid_body", "primary standards come from the national centre only")
    body = record.body
    FederatedStandard.objects.update_or_create(
        province=NATIONAL,
        number=_get(body, "code")[:60],
        defaults={
            "name": _get(body, "name")[:200],
            "tier": "primary",
            "holder": str(body.get("holder", ""))[:200],
            "holder_credit_code": str(body.get("holder_credit_code", ""))[:18],
            "status": str(body.get("status", "active"))[:12],
            "capabilities": _get(body, "capabilities", list, required=False) or [],
        },
    )


def _upstream(body: dict) -> list[dict]:
    links = _get(body, "upstream", list, required=False) or []
    clean = []
    for link in links[:64]:
        if isinstance(link, dict) and isinstance(link.get("primary"), str):
            clean.append({"primary": link["primary"][:60]})
        elif isinstance(link, dict) and isinstance(link.get("certificate"), str) and isinstance(link.get("province"), str):
            clean.append({"province": link["province"][:8], "certificate": link["certificate"][:60]})
        else:
            raise RecordRefused("federation.invalid_body", f"body.upstream: {link!r} names neither a certificate nor a primary")
    return clean


@handler("certificate")
def apply_certificate(record: Record) -> None:
    body = record.body
    province = _origin_of(record)
    item = _get(body, "item", dict)
    entry, _ = FederatedCertificate.objects.update_or_create(
        province=province,
        number=_get(body, "number")[:60],
        defaults={
            "kind": _get(body, "kind")[:16],
            "issuer": _get(body, "issuer")[:200],
            "issuer_credit_code": str(body.get("issuer_credit_code", ""))[:18],
            "item_code": str(item.get("code", ""))[:32],
            "item_name": str(item.get("name", ""))[:100],
            "item_region": str(item.get("region", ""))[:6],
            "performed_on": _date(body, "performed_on"),
            "valid_until": _date(body, "valid_until", required=False),
            "passed": _get(body, "passed", bool, required=False),
            "document_sha256": str(body.get("document_sha256", ""))[:64],
            "standards": [str(s)[:60] for s in (_get(body, "standards", list, required=False) or [])[:64]],
            "upstream": _upstream(body),
            "status": str(body.get("status", "issued"))[:12],
        },
    )
    if national() and record.province != NATIONAL and entry.item_region and not entry.item_region.startswith(province):
        # The item lives in another province: its chain there rests on this certificate.
        outbox.enqueue("certificate", {**body, "province": province}, key=f"certificate:{province}:{entry.number}")


@handler("coverage")
def apply_coverage(record: Record) -> None:
    body = record.body
    FederatedCoverage.objects.update_or_create(
        province=_origin_of(record),
        defaults={
            "as_of": _date(body, "as_of"),
            "items": _get(body, "items", int),
            "covered": _get(body, "covered", int),
            "instruments": _get(body, "instruments", int),
            "traceable": _get(body, "traceable", int),
            "indicators": _get(body, "indicators", dict, required=False) or {},
        },
    )


@handler("comparison_result")
def apply_comparison_result(record: Record) -> None:
    body = record.body
    FederatedComparisonResult.objects.update_or_create(
        province=_origin_of(record),
        code=_get(body, "code")[:60],
        defaults={
            "title": _get(body, "title")[:300],
            "published_on": _date(body, "published_on", required=False),
            "results": (_get(body, "results", list, required=False) or [])[:500],
        },
    )


def _recall_fields(body: dict) -> dict:
    certificates = _get(body, "certificates", list)
    if len(certificates) > 100000:
        raise RecordRefused("federation.invalid_body", "body.certificates: more than 100000")
    return {
        "standard_number": _get(body, "standard_number")[:60],
        "standard_name": str(body.get("standard_name", ""))[:200],
        "window_from": _date(body, "window_from"),
        "window_to": _date(body, "window_to"),
        "reason": str(body.get("reason", ""))[:500],
        "certificates": [str(c)[:60] for c in certificates],
    }


@handler("recall")
def apply_recall(record: Record) -> None:
    """A province's recall. At the centre: which other provinces it reaches (their items
    were certified on the certificates in doubt, or on certificates resting on them), and a
    notice to them."""
    from .chains import provinces_reached

    fields = _recall_fields(record.body)
    reference = _get(record.body, "reference")[:40]
    reached = provinces_reached(record.province, fields["certificates"]) if national() else []
    FederatedRecall.objects.update_or_create(
        province=record.province, reference=reference, defaults={**fields, "provinces": reached}
    )
    if national() and reached:
        outbox.enqueue(
            "recall_notice",
            {**record.body, "origin": record.province, "provinces": reached},
            key=f"recall:{record.province}:{reference}",
        )


@handler("recall_notice")
def apply_recall_notice(record: Record) -> None:
    """At a province: the recall of another province reaches the instruments here whose
    chains rest on the certificates in doubt."""
    from .chains import reach_locally

    if record.province != NATIONAL:
        raise RecordRefused("federation.invalid_body", "recall notices come from the national centre only")
    body = record.body
    origin = _get(body, "origin")[:8]
    fields = _recall_fields(body)
    recall, _ = FederatedRecall.objects.update_or_create(
        province=origin,
        reference=_get(body, "reference")[:40],
        defaults={**fields, "provinces": [str(p)[:8] for p in (_get(body, "provinces", list, required=False) or [])]},
    )
    recall.reached = reach_locally(recall)
    recall.save(update_fields=["reached"])


def _catalogue(kind: str):
    def apply(record: Record) -> None:
        if record.province != NATIONAL:
            raise RecordRefused("federation.invalid_body", f"{kind} changes come from the national centre only")
        body = record.body
        NationalCatalogueEntry.objects.update_or_create(
            kind=kind,
            code=_get(body, "code")[:40],
            defaults={"title": _get(body, "title")[:300], "status": str(body.get("status", "current"))[:12], "body": body},
        )

    return apply


handler("catalogue_item")(_catalogue("catalogue_item"))
handler("specification")(_catalogue("specification"))
