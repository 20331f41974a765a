"""Supply–demand matching (供需对接): the needs enterprises and laboratories post, the terms
providers publish (turnaround and fees), the requests sent to a chosen provider (tracked to
the certificate issued for them), and a small inbox that tells both sides.

The ranking rule is the pure core's (jiliang.core.matching, its decision rule cited there).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.core import matching as core
from jiliang.registry.models import CalibrationEvent, CatalogItem, Organisation, Quantity, Region


class ServiceTerms(models.Model):
    """What a provider publishes to take work through the platform: its turnaround and fee
    per instrument, for one quantity or (quantity empty) for every capability it holds. A
    provider without published terms is not offered (it has not opted in)."""

    provider = models.ForeignKey(Organisation, models.CASCADE, related_name="service_terms", verbose_name=_("服务机构"))
    quantity = models.ForeignKey(
        Quantity, models.CASCADE, null=True, blank=True, related_name="service_terms", verbose_name=_("量（空为全部）")
    )
    turnaround_days = models.PositiveSmallIntegerField(_("服务周期（天）"))
    fee_per_instrument = models.DecimalField(_("收费（元/台件）"), max_digits=10, decimal_places=2)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider_id", "quantity_id"]
        verbose_name = _("服务承诺（周期与收费）")
        verbose_name_plural = _("服务承诺（周期与收费）")
        constraints = [
            models.UniqueConstraint(fields=["provider", "quantity"], name="terms_once_per_quantity"),
            models.UniqueConstraint(fields=["provider"], condition=Q(quantity__isnull=True), name="terms_once_general"),
            models.CheckConstraint(condition=Q(turnaround_days__gt=0), name="terms_turnaround_positive"),
            models.CheckConstraint(condition=Q(fee_per_instrument__gte=0), name="terms_fee_not_negative"),
        ]

    def __str__(self):
        return f"{self.provider} {self.quantity or ''}".strip()


class Need(models.Model):
    class Requirement(models.IntegerChoices):
        U_ABSOLUTE = core.U_ABSOLUTE, _("扩展不确定度 U（k=2，绝对）")
        U_RELATIVE = core.U_RELATIVE, _("相对扩展不确定度 U_rel（k=2）")
        MPE_ABSOLUTE = core.MPE_ABSOLUTE, _("被测器具最大允许误差（绝对）")
        MPE_RELATIVE = core.MPE_RELATIVE, _("被测器具最大允许误差（相对）")

    class Status(models.TextChoices):
        OPEN = "open", _("征集中")
        REQUESTED = "requested", _("已委托，待确认")
        ACCEPTED = "accepted", _("已受理")
        COMPLETED = "completed", _("已出具证书")
        WITHDRAWN = "withdrawn", _("已撤回")

    number = models.CharField(_("需求编号"), max_length=30, unique=True)
    poster = models.ForeignKey(Organisation, models.PROTECT, related_name="needs", verbose_name=_("需求单位"))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(_("需求名称"), max_length=200)
    quantity = models.ForeignKey(Quantity, models.PROTECT, related_name="needs", verbose_name=_("量"))
    catalog_item = models.ForeignKey(
        CatalogItem, models.PROTECT, null=True, blank=True, related_name="needs", verbose_name=_("强检目录项")
    )
    range_min = models.FloatField(_("测量范围下限"))
    range_max = models.FloatField(_("测量范围上限"))
    unit = models.CharField(_("单位"), max_length=30)
    requirement = models.SmallIntegerField(_("要求的表示"), choices=Requirement.choices)
    requirement_value = models.FloatField(_("要求值"))
    required_ratio = models.FloatField(_("测量能力比要求"), default=core.DEFAULT_RATIO)
    instrument_count = models.PositiveIntegerField(_("台件数"), default=1)
    region = models.ForeignKey(Region, models.PROTECT, related_name="needs", verbose_name=_("地点（地区）"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    deadline = models.DateField(_("期望完成日期"))
    mandatory = models.BooleanField(_("强制检定"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # At the last matching: the providers whose capability (and authorisation) fit, before
    # turnaround; zero marks an unmet need, which rolls up into the building plan's gaps.
    capable = models.IntegerField(_("能力满足的机构数"), null=True, blank=True)
    matched_at = models.DateTimeField(_("最近匹配时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("计量服务需求")
        verbose_name_plural = _("计量服务需求")
        indexes = [models.Index(fields=["status", "region"], name="need_status_region")]
        constraints = [
            models.CheckConstraint(condition=Q(range_min__lte=models.F("range_max")), name="need_range_ordered"),
            models.CheckConstraint(condition=Q(requirement_value__gt=0), name="need_requirement_positive"),
            models.CheckConstraint(condition=Q(required_ratio__gte=1), name="need_ratio_at_least_one"),
            models.CheckConstraint(condition=Q(instrument_count__gt=0), name="need_count_positive"),
            models.CheckConstraint(
                condition=Q(mandatory=False) | Q(catalog_item__isnull=False), name="need_mandatory_names_item"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Request(models.Model):
    """A need sent to the provider the poster picked, with the fit as it was explained then."""

    class Status(models.TextChoices):
        SENT = "sent", _("待机构确认")
        ACCEPTED = "accepted", _("已受理")
        DECLINED = "declined", _("已谢绝")
        COMPLETED = "completed", _("已出具证书")
        WITHDRAWN = "withdrawn", _("已撤回")

    need = models.ForeignKey(Need, models.CASCADE, related_name="requests", verbose_name=_("需求"))
    provider = models.ForeignKey(Organisation, models.PROTECT, related_name="service_requests", verbose_name=_("服务机构"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SENT)
    fit = models.JSONField(_("匹配说明"), default=dict)
    sent_at = models.DateTimeField(_("委托时间"), auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer = models.CharField(_("答复说明"), max_length=300, blank=True)
    event = models.ForeignKey(
        CalibrationEvent,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("出具的证书"),
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("委托")
        verbose_name_plural = _("委托")
        constraints = [
            # One live request per need: a declined or withdrawn one frees the need again.
            models.UniqueConstraint(
                fields=["need"], condition=Q(status__in=["sent", "accepted", "completed"]), name="request_one_live_per_need"
            ),
            models.CheckConstraint(condition=~Q(status="completed") | Q(event__isnull=False), name="request_completed_has_event"),
        ]

    def __str__(self):
        return f"{self.need.number} → {self.provider}"


class Message(models.Model):
    """The inbox of an organisation: what happened to its needs or the requests addressed to
    it. Shown on its dashboard until read."""

    recipient = models.ForeignKey(Organisation, models.CASCADE, related_name="matching_messages", verbose_name=_("收件单位"))
    request = models.ForeignKey(Request, models.CASCADE, null=True, blank=True, related_name="messages")
    need = models.ForeignKey(Need, models.CASCADE, related_name="messages")

    class Kind(models.TextChoices):
        # Stored as a kind, rendered in the reader's language.
        SENT = "sent", _("收到新的委托")
        ACCEPTED = "accepted", _("委托已受理")
        DECLINED = "declined", _("委托被谢绝")
        COMPLETED = "completed", _("已出具证书")
        WITHDRAWN = "withdrawn", _("委托已撤回")

    kind = models.CharField(_("通知类型"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="message_recipient_unread")]
