"""Complaint use cases: file (public), handle (the supervising administrator), and the
photo checks. Each write is one transaction with its audit entry.

The ledger entries name the complaint, its instrument and region and the status change,
but not the citizen's description or contact: the ledger is append-only, and personal
details must stay deletable. The entry's row digest still covers the whole row, so a
complaint changed outside the application shows up in ``jiliang audit verify``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang.audit.services import audit_context, record
from jiliang.registry.models import Instrument

from .models import Complaint, ComplaintPhoto, new_reference
from .policies import POLICY as COMPLAINTS

PUBLIC_ACTOR = "portal:public"
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
CONTACT_MAX = 100

# Magic numbers: the type is what the bytes say, never the name or the browser's claim.
IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"RIFF", "image/webp", "webp"),  # + "WEBP" at offset 8, checked below
)


def max_photos() -> int:
    return int(getattr(settings, "JILIANG_COMPLAINT_MAX_PHOTOS", 3))


def max_photo_bytes() -> int:
    return int(getattr(settings, "JILIANG_COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def max_photo_pixels() -> int:
    return int(getattr(settings, "JILIANG_COMPLAINT_PHOTO_MAX_PIXELS", 40_000_000))


@dataclass(frozen=True)
class CheckedPhoto:
    name: str
    content_type: str
    extension: str
    data: bytes


def check_photo(upload, index: int) -> CheckedPhoto:
    """The photo's bytes if they are a JPEG, PNG or WebP image within the size limits;
    else a ValidationError on the field ``photos`` naming the file and the reason."""
    name = getattr(upload, "name", f"#{index + 1}")

    def bad(message: str, **params):
        return ValidationError({"photos": [message % {"name": name, **params}]})

    limit = max_photo_bytes()
    too_large = _("%(name)s：超过 %(mb)s MB")
    if upload.size is not None and upload.size > limit:
        raise bad(too_large, mb=f"{limit / 2**20:g}")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise bad(too_large, mb=f"{limit / 2**20:g}")
    if not data:
        raise bad(_("%(name)s：文件为空"))
    kind = next(((ctype, ext) for magic, ctype, ext in IMAGE_SIGNATURES if data.startswith(magic)), None)
    if kind is not None and kind[0] == "image/webp" and data[8:12] != b"WEBP":
        kind = None
    if kind is None:
        raise bad(_("%(name)s：不是 JPEG、PNG 或 WebP 图片"))
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_photo_pixels():
                raise bad(
                    _("%(name)s：%(width)d×%(height)d 像素，超过 %(max)d 像素"),
                    width=width,
                    height=height,
                    max=max_photo_pixels(),
                )
            image.verify()  # a truncated or forged file fails here
    except ValidationError:
        raise
    except ImportError:  # pragma: no cover - Pillow is a dependency; the signature check stands alone
        pass
    except Exception:
        raise bad(_("%(name)s：图片已损坏或与其格式不符")) from None
    return CheckedPhoto(name=name, content_type=kind[0], extension=kind[1], data=data)


def find_instrument(code: str) -> Instrument:
    code = (code or "").strip()
    if not code:
        raise ValidationError({"instrument_code": [_("必填：器具铭牌或二维码上的器具编号")]})
    instrument = Instrument.objects.filter(code=code).select_related("region").first()
    if instrument is None:
        raise ValidationError({"instrument_code": [_("未找到编号为 %(code)s 的计量器具，请核对") % {"code": code}]})
    return instrument


def file_complaint(*, instrument_code: str, description: str, contact: str = "", photos=()) -> Complaint:
    """Check everything first, then write the complaint, its photos and the ledger entry
    in one transaction; on any failure nothing stays behind (files included)."""
    errors: dict[str, list[str]] = {}
    instrument = None
    try:
        instrument = find_instrument(instrument_code)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        errors["description"] = [_("至少 %(n)d 个字：请说明出了什么问题、在什么地方") % {"n": DESCRIPTION_MIN}]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("最多 %(n)d 个字（已输入 %(given)d 个）") % {"n": DESCRIPTION_MAX, "given": len(description)}]
    contact = (contact or "").strip()
    if len(contact) > CONTACT_MAX:
        errors["contact"] = [_("最多 %(n)d 个字（已输入 %(given)d 个）") % {"n": CONTACT_MAX, "given": len(contact)}]
    photos = list(photos or [])
    checked: list[CheckedPhoto] = []
    if len(photos) > max_photos():
        errors["photos"] = [_("最多 %(n)d 张照片（已选 %(given)d 张）") % {"n": max_photos(), "given": len(photos)}]
    else:
        for i, upload in enumerate(photos):
            try:
                checked.append(check_photo(upload, i))
            except ValidationError as exc:
                errors.setdefault("photos", []).extend(exc.message_dict["photos"])
    if errors:
        raise ValidationError(errors)

    saved: list[ComplaintPhoto] = []
    try:
        with transaction.atomic(), audit_context(actor=PUBLIC_ACTOR):
            complaint = _create_with_unique_reference(instrument, description, contact)
            for photo in checked:
                row = ComplaintPhoto(complaint=complaint, content_type=photo.content_type, size=len(photo.data))
                row.image.save(f"photo.{photo.extension}", ContentFile(photo.data), save=False)
                saved.append(row)
                row.save()
            record(
                "create",
                complaint,
                new={
                    "reference": complaint.reference,
                    "instrument": instrument.code,
                    "region": instrument.region.code,
                    "photos": len(saved),
                    "contact_given": bool(contact),
                },
            )
    except BaseException:
        for row in saved:  # the rows rolled back; their files must go too
            row.image.storage.delete(row.image.name)
        raise
    return complaint


def _create_with_unique_reference(instrument, description, contact) -> Complaint:
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a clash retries without losing the outer transaction
                return Complaint.objects.create(
                    reference=new_reference(),
                    instrument=instrument,
                    region_id=instrument.region_id,
                    description=description,
                    contact=contact,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique complaint reference")  # pragma: no cover - 32^6 a day


def handle_complaint(complaint: Complaint, *, user, note: str, substantiated: bool | None = None) -> Complaint:
    """Close a complaint with what was found; ``substantiated`` (查实) says whether it was true."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"handling_note": [_("必填：说明处理情况（现场检查结果、处理措施等）")]})
    if len(note) > DESCRIPTION_MAX:
        raise ValidationError(
            {"handling_note": [_("最多 %(n)d 个字（已输入 %(given)d 个）") % {"n": DESCRIPTION_MAX, "given": len(note)}]}
        )
    with transaction.atomic(), audit_context(actor=user, reason=note[:300]):
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status != Complaint.Status.OPEN:
            raise ValidationError({"status": [_("投诉 %(reference)s 已处理") % {"reference": locked.reference}]})
        locked.status = Complaint.Status.HANDLED
        locked.handled_at = timezone.now()
        locked.handled_by = user
        locked.handling_note = note
        locked.substantiated = substantiated
        locked.save(update_fields=["status", "handled_at", "handled_by", "handling_note", "substantiated"])
        record(
            "status_change",
            locked,
            old={"status": Complaint.Status.OPEN.value},
            new={"status": Complaint.Status.HANDLED.value} | ({} if substantiated is None else {"substantiated": substantiated}),
        )
    return locked


# ---------------------------------------------------------------- throttle


def complaint_rate() -> tuple[int, int]:
    """(complaints, seconds) one client address may file: JILIANG_COMPLAINT_RATE "5/hour"."""
    text = str(getattr(settings, "JILIANG_COMPLAINT_RATE", "5/hour"))
    count, _sep, period = text.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period.strip() or "hour"]
    return int(count), seconds


ATTEMPTS_PER_FILING = 4  # posts (with their uploads) allowed per filing allowed


def _throttle_key(address: str, what: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"jiliang:complaints:{what}:{digest}"


def throttled(address: str) -> bool:
    """Too many complaints filed, or too many posts tried, from this address in the window."""
    limit = complaint_rate()[0]
    return (
        cache.get(_throttle_key(address, "filed"), 0) >= limit
        or cache.get(_throttle_key(address, "tried"), 0) >= limit * ATTEMPTS_PER_FILING
    )


def _count(key: str, seconds: int) -> None:
    if not cache.add(key, 1, seconds):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, seconds)


def count_attempt(address: str) -> None:
    _count(_throttle_key(address, "tried"), complaint_rate()[1])


def count_filing(address: str) -> None:
    """Filings are counted apart from attempts: a citizen fixing a typo is not punished."""
    _count(_throttle_key(address, "filed"), complaint_rate()[1])


def open_complaints_count(actor) -> int:
    """For dashboards: open complaints the actor's queue holds (0 for those without one)."""
    if not COMPLAINTS.opens_queue(actor):
        return 0
    return COMPLAINTS.visible(actor, Complaint.objects.all()).filter(status=Complaint.Status.OPEN).count()
