"""Complaints from the public about instruments, and their photos.

A complaint names an instrument by its code; the instrument's region at filing time is
copied onto the complaint, because it decides which administrators see it in their queue
(and an instrument that later moves must not take its open complaints out of view).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Instrument, Region

# No 0/O, 1/I: references are read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(now=None) -> str:
    """TS + filing date + 6 random characters, e.g. TS20250314K7Q2MD (about 10^9 a day)."""
    now = timezone.localtime(now or timezone.now())
    return "TS" + now.strftime("%Y%m%d") + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


class Complaint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        HANDLED = "handled", _("已处理")

    reference = models.CharField(_("受理编号"), max_length=20, unique=True, editable=False)
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="complaints", verbose_name=_("计量器具"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="complaints", editable=False, verbose_name=_("所在地区"))
    description = models.TextField(_("问题描述"), max_length=2000)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    filed_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    handling_note = models.TextField(_("处理说明"), max_length=2000, blank=True)
    # Whether the handling found the complaint true (查实): a substantiated complaint enters
    # the owner's credit record (jiliang.credit; 国市监信发〔2022〕6号 counts complaints).
    substantiated = models.BooleanField(_("投诉查实"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        # The queue, newest first: a county's by region; a city's, a province's or the
        # nation's (hundreds of regions) by walking the status or time index in order.
        indexes = [
            models.Index(fields=["region", "status", "filed_at"], name="portal_complaint_queue"),
            models.Index(fields=["status", "filed_at", "id"], name="portal_complaint_status"),
            models.Index(fields=["filed_at", "id"], name="portal_complaint_filed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", handled_at__isnull=True) | models.Q(status="handled", handled_at__isnull=False),
                name="portal_complaint_handled_has_time",
            ),
        ]

    def __str__(self):
        return self.reference


def photo_path(photo: ComplaintPhoto, filename: str) -> str:
    # Never the citizen's file name: a random one with the extension of the detected type.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"complaints/{timezone.now():%Y/%m}/{secrets.token_hex(12)}.{ext}"


class ComplaintPhoto(models.Model):
    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="photos", verbose_name=_("投诉"))
    image = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("投诉照片")
        verbose_name_plural = _("投诉照片")

    def __str__(self):
        return self.image.name
