"""Chains across provinces, through the federated certificate index.

A province's own engine (``core.traceability``) knows its own standards and events. Where
a link was calibrated in another province (the event's performer is registered there),
the chain continues in the index: that province's certificate, the standards it used and
what they rested on, certificate by certificate, up to a primary standard. Each link is
judged on the day asked: a verification past its validity or failed, a revoked
certificate, a certificate in doubt under a recall, or a certificate the index does not
hold breaks the chain.

Reverse: a recall started in one province names the certificates in doubt; the centre
finds the provinces whose items they certified, and each such province reaches its own
instruments that rest on them (a recall of the standards that did).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiliang.registry import models as reg

from .models import NATIONAL, FederatedCertificate, FederatedRecall, FederatedStandard

log = logging.getLogger(__name__)

CROSS_PROVINCE_LABEL = _("跨省溯源链不成立（见联邦证书索引）")
MAX_DEPTH = 16
MAX_LINKS = 200


def local_province() -> str:
    code = getattr(settings, "JILIANG_PROVINCE", "")
    return code if len(code) == 2 and code.isdigit() else ""


def _recalled(province: str, number: str, on: dt.date) -> FederatedRecall | None:
    """The recall (in force on ``on``) that puts this certificate in doubt."""
    for recall in FederatedRecall.objects.filter(province=province, window_from__lte=on).only(
        "province", "reference", "certificates", "standard_number", "window_from"
    ):
        if number in recall.certificates:
            return recall
    return None


def federated_chain(province: str, number: str, on: dt.date) -> dict:
    """The chain above certificate ``number`` of ``province``, judged on ``on``."""
    links: list[dict] = []
    primaries: list[str] = []
    reasons: list[str] = []
    seen: set[tuple[str, str]] = set()
    frontier = [(province, number, 0, None)]
    while frontier and len(links) < MAX_LINKS:
        p, n, depth, parent = frontier.pop(0)
        if (p, n) in seen:
            continue
        seen.add((p, n))
        entry = FederatedCertificate.objects.filter(province=p, number=n).first()
        link: dict = {"province": p, "certificate": n, "depth": depth, "parent": parent, "reasons": []}
        links.append(link)
        if entry is None:
            link["reasons"].append("not_indexed")
            continue
        link.update(
            issuer=entry.issuer,
            item={"code": entry.item_code, "name": entry.item_name, "region": entry.item_region},
            kind=entry.kind,
            performed_on=entry.performed_on.isoformat(),
            valid_until=entry.valid_until.isoformat() if entry.valid_until else None,
            document_sha256=entry.document_sha256,
            standards=entry.standards,
        )
        if entry.performed_on > on:
            link["reasons"].append("after_date")
        if entry.status == "revoked":
            link["reasons"].append("revoked")
        if entry.passed is False:
            link["reasons"].append("failed")
        if entry.valid_until is not None and entry.valid_until < on:
            link["reasons"].append("expired")
        recall = _recalled(p, n, on)
        if recall is not None:
            link["reasons"].append("recalled")
            link["recall"] = {"province": recall.province, "reference": recall.reference, "standard": recall.standard_number}
        for s in FederatedStandard.objects.filter(province=p, number__in=entry.standards).values(
            "number", "status", "valid_until"
        ):
            if s["status"] != "active" or (s["valid_until"] is not None and s["valid_until"] < on):
                link["reasons"].append("standard_not_valid")
        if not entry.upstream:
            link["reasons"].append("no_upstream")
        if depth + 1 >= MAX_DEPTH and entry.upstream:
            link["reasons"].append("too_deep")
            continue
        for up in entry.upstream:
            if "primary" in up:
                primaries.append(up["primary"])
            else:
                frontier.append((up["province"], up["certificate"], depth + 1, len(links) - 1))
    for link in links:
        reasons.extend(r for r in link["reasons"] if r not in reasons)
    return {
        "province": province,
        "certificate": number,
        "date": on.isoformat(),
        "traceable": not reasons and bool(primaries),
        "reasons": reasons if primaries or reasons else ["no_primary"],
        "primary_standards": sorted(set(primaries)),
        "links": links,
    }


def _foreign_events(event_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The events among these performed in another province: event id -> (province, number)."""
    here = local_province()
    if not here or not event_ids:
        return {}
    return {
        pk: (region[:2], number)
        for pk, number, region in reg.CalibrationEvent.objects.filter(id__in=event_ids)
        .exclude(performer__region__code__startswith=here)
        .values_list("id", "certificate_number", "performer__region__code")
    }


def extend_local_chain(result: dict, on: dt.date) -> dict:
    """``traceability.services.item_chain``'s answer, with each link calibrated in another
    province continued through the index (and the verdict what the whole chain says)."""
    events = [link["event"]["id"] for link in result.get("links", []) if link.get("event")]
    foreign = _foreign_events(events)
    if not foreign:
        return result
    crossed: list[bool] = []
    for link in result["links"]:
        event = link.get("event")
        parent = link.get("parent")
        above = parent is not None and 0 <= parent < len(crossed) and crossed[parent]
        crossed.append(above or bool(event and event["id"] in foreign))
        if above or not event or event["id"] not in foreign:
            continue  # the index answers for everything above the first crossing
        province, number = foreign[event["id"]]
        chain = federated_chain(province, number, on)
        link["federated"] = chain
        if not chain["traceable"]:
            result["traceable"] = False
            code = "CROSS_PROVINCE"
            if not any(r.get("code") == code for r in result["reasons"]):
                label = str(CROSS_PROVINCE_LABEL)
                result["reasons"] = [*result["reasons"], {"code": code, "label": label, "warning": False}]
    return result


# -------------------------------------------------------------------- reverse, recall


def provinces_reached(origin: str, certificates: list[str]) -> list[str]:
    """At the centre: the provinces (other than ``origin``) whose items were certified on
    these certificates of ``origin``, or on certificates of theirs indexed as resting on them."""
    reached: set[str] = set()
    chunk = 5000
    for start in range(0, len(certificates), chunk):
        numbers = certificates[start : start + chunk]
        for region in (
            FederatedCertificate.objects.filter(province=origin, number__in=numbers)
            .exclude(Q(item_region="") | Q(item_region__startswith=origin))
            .values_list("item_region", flat=True)
            .distinct()
        ):
            reached.add(region[:2])
    return sorted(reached - {origin, NATIONAL})


def reach_locally(recall: FederatedRecall, *, today: dt.date | None = None) -> dict:
    """At a province: the local events that are the recalled certificates (calibrations done
    for us in the recalling province), the instruments they certified, and a local recall of
    each standard whose device they were (its own impact reaches the instruments below)."""
    from jiliang.traceability.services import RecallRefused, create_recall

    today = today or timezone.localdate()
    events = list(
        reg.CalibrationEvent.objects.filter(certificate_number__in=recall.certificates[:100000])
        .exclude(performer__region__code__startswith=local_province() or "--")
        .select_related("instrument")
        .order_by("performed_on")
    )
    standards: dict[int, dt.date] = {}
    for event in events:
        if event.instrument.standard_id:
            standards.setdefault(event.instrument.standard_id, event.performed_on)
    recalls, refused = [], []
    for standard in reg.MeasurementStandard.objects.filter(id__in=list(standards)).order_by("id"):
        start = max(standards[standard.id], recall.window_from)
        try:
            local = create_recall(
                standard,
                start,
                max(today, start),
                reason=f"跨省召回：{recall.province} 省 {recall.standard_number}（{recall.reference}）{recall.reason}"[:500],
            )
            recalls.append(local.pk)
        except RecallRefused as refusal:
            refused.append({"standard": standard.certificate_number, "rule": refusal.rule})
    return {
        "events": len(events),
        "instruments": sorted({e.instrument.code for e in events})[:1000],
        "standards": sorted(
            reg.MeasurementStandard.objects.filter(id__in=list(standards)).values_list("certificate_number", flat=True)
        ),
        "recalls": recalls,
        "refused": refused,
    }
