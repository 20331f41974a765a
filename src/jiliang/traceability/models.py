"""Recalls: the notices that turn an impact result into work for the affected owners."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import CalibrationEvent, Instrument, MeasurementStandard, Organisation, Region


class Recall(models.Model):
    """A standard found out of tolerance over a window, and the decision to recall."""

    standard = models.ForeignKey(MeasurementStandard, models.PROTECT, related_name="recalls", verbose_name=_("计量标准"))
    window_from = models.DateField(_("失准起始日期"))
    window_to = models.DateField(_("发现失准日期"))
    reason = models.CharField(_("原因"), max_length=500)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    affected_events = models.PositiveIntegerField(_("受影响记录数"))
    affected_instruments = models.PositiveIntegerField(_("受影响器具数"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("追溯召回")
        verbose_name_plural = _("追溯召回")
        constraints = [
            models.CheckConstraint(condition=models.Q(window_from__lte=models.F("window_to")), name="recall_window_ordered")
        ]


class RecallNotice(models.Model):
    """What one owner must do: have these instruments re-verified or re-calibrated."""

    recall = models.ForeignKey(Recall, models.CASCADE, related_name="notices")
    owner = models.ForeignKey(Organisation, models.PROTECT, related_name="recall_notices", verbose_name=_("使用单位"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="recall_notices", verbose_name=_("所在地区"))
    instruments = models.PositiveIntegerField(_("器具数"))
    events = models.PositiveIntegerField(_("记录数"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["recall_id", "owner_id"]
        verbose_name = _("召回通知")
        verbose_name_plural = _("召回通知")
        constraints = [models.UniqueConstraint(fields=["recall", "owner"], name="recall_notice_one_per_owner")]


class RecallItem(models.Model):
    """One event in doubt, with how far below the faulty standard it sits."""

    notice = models.ForeignKey(RecallNotice, models.CASCADE, related_name="items")
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="+")
    event = models.ForeignKey(CalibrationEvent, models.PROTECT, related_name="+")
    depth = models.PositiveSmallIntegerField(_("层级"))

    class Meta:
        indexes = [models.Index(fields=["instrument"])]
