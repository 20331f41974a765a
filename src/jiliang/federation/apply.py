"""Applying a received record: verified, then applied exactly once.

The record id (``province:seq``) is the idempotency key: its ``AppliedRecord`` row is
inserted in the same transaction as the record's effect, so a replay, a redelivery after a
crash, or two consumers racing on one message find it there and change nothing (the unique
constraint settles a race). A refusal (a forged or altered record, an unknown kind, a body
its handler rejects) is written to ``RefusedRecord`` with its rule, and nothing of the
record is applied.

Per origin, ``ProvinceStatus`` keeps the high-water mark: ``applied_through`` is the last
sequence applied with none missing before it (where a reconnected province resumes), and
``highest_seq`` the highest seen, so the lag is what lies between.

Other apps add record kinds with the ``handler`` decorator::

    @handler("ledger_checkpoint")
    def apply_checkpoint(record: Record) -> None: ...

A handler runs inside the transaction; it raises ``RecordRefused`` to refuse the body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import AppliedRecord, ProvinceStatus, RefusedRecord
from .policies import forget_federated_view
from .records import Record, RecordRefused, peek, verify_record

log = logging.getLogger(__name__)

APPLIED = "applied"
DUPLICATE = "duplicate"
REFUSED = "refused"

HANDLERS: dict[str, Callable[[Record], None]] = {}
MAX_RAW_KEPT = 65536  # a refused record is kept for the record (bounded)


def handler(kind: str) -> Callable[[Callable[[Record], None]], Callable[[Record], None]]:
    """Register the function that applies records of ``kind``."""

    def register(function: Callable[[Record], None]) -> Callable[[Record], None]:
        HANDLERS[kind] = function
        return function

    return register


def _status(province: str) -> ProvinceStatus:
    status, _ = ProvinceStatus.objects.get_or_create(code=province)
    return status


def _refuse(raw: bytes, refusal: RecordRefused, record: Record | None = None) -> str:
    import hashlib

    seen = peek(raw)
    province = record.province if record else seen.get("province", "")
    with transaction.atomic():
        RefusedRecord.objects.create(
            record_id=record.id if record else seen.get("record_id", ""),
            province=province,
            seq=record.seq if record else seen.get("seq"),
            kind=record.kind if record else seen.get("kind", ""),
            rule=refusal.rule,
            detail=refusal.detail[:2000],
            sha256=hashlib.sha256(raw).hexdigest(),
            raw=raw[:MAX_RAW_KEPT].decode("utf-8", errors="replace"),
        )
        if record is not None or (province and ProvinceStatus.objects.filter(code=province).exists()):
            # A record that failed before its origin was proved counts against the origin it
            # claims only when that origin is enrolled (a forger cannot create origins).
            ProvinceStatus.objects.filter(code=province).update(refused_count=F("refused_count") + 1, last_seen_at=timezone.now())
    log.warning("federation record %s refused: %s", record.id if record else seen.get("record_id", "?"), refusal)
    return REFUSED


def _advance(status: ProvinceStatus, record: Record) -> None:
    """Move the high-water mark past ``record`` and every contiguous one applied before it."""
    now = timezone.now()
    status.applied_count += 1
    status.highest_seq = max(status.highest_seq, record.seq)
    status.last_seen_at = status.last_applied_at = now
    status.last_signed_at = record.signed_at
    if record.seq == status.applied_through + 1:
        through = record.seq
        later = AppliedRecord.objects.filter(province=record.province, seq__gt=through).order_by("seq")
        for seq in later.values_list("seq", flat=True)[:10000].iterator():
            if seq != through + 1:
                break
            through = seq
        status.applied_through = through
    status.save()


def apply_record(raw: bytes) -> str:
    """Verify and apply one record: "applied", "duplicate" (already applied: nothing
    changes) or "refused" (recorded with its rule: nothing applied)."""
    try:
        record = verify_record(raw)
    except RecordRefused as refusal:
        return _refuse(raw, refusal)
    function = HANDLERS.get(record.kind)
    if function is None:
        return _refuse(raw, RecordRefused("federation.unknown_kind", f"no handler for kind {record.kind!r}"), record)
    try:
        with transaction.atomic():
            status = ProvinceStatus.objects.select_for_update().filter(code=record.province).first()
            if status is None:
                status = _status(record.province)
            earlier = AppliedRecord.objects.filter(record_id=record.id).values_list("sha256", flat=True).first()
            if earlier is not None:
                if earlier != record.sha256:
                    raise RecordRefused("federation.conflict", f"{record.id} was applied with other content")
                status.duplicate_count += 1
                status.last_seen_at = timezone.now()
                status.save(update_fields=["duplicate_count", "last_seen_at"])
                return DUPLICATE
            AppliedRecord.objects.create(
                record_id=record.id,
                province=record.province,
                seq=record.seq,
                kind=record.kind,
                sha256=record.sha256,
                signed_at=record.signed_at,
            )
            function(record)
            _advance(status, record)
            transaction.on_commit(forget_federated_view)  # the navigation asks again
    except RecordRefused as refusal:
        return _refuse(raw, refusal, record)
    except IntegrityError:
        # Another consumer applied the same id between our check and our insert.
        if AppliedRecord.objects.filter(record_id=record.id).exists():
            return DUPLICATE
        raise
    return APPLIED


def note_published(province: str, seq: int) -> None:
    """What the transport knows of an origin's head (its stream's last sequence), for the lag."""
    _status(province)
    ProvinceStatus.objects.filter(code=province, published_seq__lt=seq).update(published_seq=seq)
