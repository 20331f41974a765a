"""Mandatory verification (强制检定): registrations and their review, reminders, overdue
notices, verification records and monthly coverage snapshots.

Due dates are not stored: they follow from the latest verification event of an instrument
(see ``scheduling``), so recording a verification moves them at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import (
    CalibrationEvent,
    CatalogItem,
    Instrument,
    MeasurementStandard,
    Organisation,
    Person,
    Region,
)


class Registration(models.Model):
    """The filing (备案) of one instrument under mandatory verification by its owner."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回")
        APPROVED = "approved", _("已备案")

    instrument = models.OneToOneField(Instrument, models.PROTECT, related_name="registration", verbose_name=_("计量器具"))
    owner = models.ForeignKey(Organisation, models.PROTECT, related_name="registrations", verbose_name=_("使用单位"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="registrations", verbose_name=_("所在地区"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_on = models.DateField(_("申请日期"))
    reviewed_on = models.DateField(_("审核日期"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    assigned_institution = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="assigned_registrations", verbose_name=_("指定检定机构")
    )
    assigned_standard = models.ForeignKey(
        MeasurementStandard,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_registrations",
        verbose_name=_("所用计量标准"),
    )
    coverage_gap = models.BooleanField(_("无可用计量标准"), default=False)

    class Meta:
        ordering = ["-submitted_on", "id"]
        verbose_name = _("强检备案")
        verbose_name_plural = _("强检备案")
        constraints = [
            models.CheckConstraint(condition=~Q(status="returned") | ~Q(return_reason=""), name="registration_return_has_reason"),
            models.CheckConstraint(
                condition=Q(assigned_institution__isnull=True) | Q(coverage_gap=False), name="registration_gap_is_not_assigned"
            ),
        ]
        indexes = [models.Index(fields=["region", "status"]), models.Index(fields=["owner", "status"])]

    def __str__(self):
        return f"{self.instrument.code} ({self.get_status_display()})"


class RegistrationHistory(models.Model):
    """Every step a registration went through, oldest first."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("提交")
        RESUBMITTED = "resubmitted", _("重新提交")
        RETURNED = "returned", _("退回")
        APPROVED = "approved", _("批准")
        ASSIGNED = "assigned", _("指定检定机构")
        GAP_FLAGGED = "gap_flagged", _("标记为建标空白")

    registration = models.ForeignKey(Registration, models.CASCADE, related_name="history")
    action = models.CharField(_("动作"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["registration_id", "at", "id"]
        verbose_name = _("备案记录")
        verbose_name_plural = _("备案记录")


class Reminder(models.Model):
    """A due-date reminder sent to the owner; one per instrument, stage and due date, so a
    moved due date re-arms every stage."""

    instrument = models.ForeignKey(Instrument, models.CASCADE, related_name="reminders")
    stage = models.PositiveSmallIntegerField(_("提前天数"))
    due_on = models.DateField(_("到期日"))
    recipient = models.ForeignKey(Organisation, models.CASCADE, related_name="reminders", verbose_name=_("接收单位"))
    sent_on = models.DateField(_("发送日期"))

    class Meta:
        ordering = ["-sent_on", "id"]
        verbose_name = _("到期提醒")
        verbose_name_plural = _("到期提醒")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "stage", "due_on"], name="reminder_once_per_stage_and_due_date")
        ]
        indexes = [models.Index(fields=["due_on"])]


class Notice(models.Model):
    """A notice to an administration: an overdue instrument (超期未检) escalated once per
    due date, or a coverage gap found on approval."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("超期未检")
        COVERAGE_GAP = "coverage_gap", _("建标空白")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    addressee = models.ForeignKey(Organisation, models.CASCADE, related_name="notices", verbose_name=_("接收部门"))
    region = models.ForeignKey(Region, models.CASCADE, related_name="notices", verbose_name=_("地区"))
    instrument = models.ForeignKey(Instrument, models.CASCADE, null=True, blank=True, related_name="notices")
    catalog_item = models.ForeignKey(CatalogItem, models.CASCADE, null=True, blank=True, related_name="+")
    due_on = models.DateField(_("到期日"), null=True, blank=True)
    issued_on = models.DateField(_("发出日期"))
    text = models.CharField(_("内容"), max_length=300)

    class Meta:
        ordering = ["-issued_on", "id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "instrument", "due_on"], condition=Q(kind="overdue"), name="overdue_notice_once_per_due_date"
            ),
        ]
        indexes = [models.Index(fields=["addressee", "issued_on"])]


class VerificationRecord(models.Model):
    """The signed result of one verification: a certificate (检定证书) when it passed, a
    notice of non-conformity (检定结果通知书) when it failed."""

    class Document(models.TextChoices):
        CERTIFICATE = "certificate", _("检定证书")
        NONCONFORMITY = "nonconformity", _("检定结果通知书")

    event = models.OneToOneField(CalibrationEvent, models.PROTECT, related_name="verification_record")
    institution = models.ForeignKey(Organisation, models.PROTECT, related_name="verification_records", verbose_name=_("检定机构"))
    standard = models.ForeignKey(
        MeasurementStandard, models.PROTECT, related_name="verification_records", verbose_name=_("计量标准")
    )
    document = models.CharField(_("文书"), max_length=14, choices=Document.choices)
    number = models.CharField(_("编号"), max_length=60, unique=True)
    verifier = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("检定员"))
    checker = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("核验员"))
    approver = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("批准人"))
    fee = models.DecimalField(_("收费（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "id"]
        verbose_name = _("检定结果")
        verbose_name_plural = _("检定结果")
        constraints = [
            models.CheckConstraint(
                condition=~Q(verifier=models.F("checker")) & ~Q(verifier=models.F("approver")) & ~Q(checker=models.F("approver")),
                name="verification_three_different_signatories",
            ),
        ]


class CoverageSnapshot(models.Model):
    """The coverage of one region at the end of one month, kept for the history chart."""

    month = models.DateField(_("月份"), help_text=_("first day of the month"))
    region = models.ForeignKey(Region, models.CASCADE, related_name="coverage_snapshots")
    items_in_use = models.PositiveIntegerField(_("在用强检项目数"))
    items_covered = models.PositiveIntegerField(_("已建标项目数"))
    instruments = models.PositiveBigIntegerField(_("强检器具数"))
    rollup_in_use = models.PositiveIntegerField(_("含下级在用项目数"))
    rollup_covered = models.PositiveIntegerField(_("含下级已建标项目数"))
    # 省级以下: the cities' and counties' own standards only (jiliang.verification.coverage).
    below_province_in_use = models.PositiveIntegerField(_("省级以下在用项目数"), default=0)
    below_province_covered = models.PositiveIntegerField(_("省级以下自有标准覆盖项目数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        ordering = ["month", "region_id"]
        verbose_name = _("建标覆盖率快照")
        verbose_name_plural = _("建标覆盖率快照")
        constraints = [models.UniqueConstraint(fields=["month", "region"], name="coverage_snapshot_once_per_month")]

    @property
    def rate(self) -> float | None:
        return self.items_covered / self.items_in_use if self.items_in_use else None

    @property
    def below_province_rate(self) -> float | None:
        return self.below_province_covered / self.below_province_in_use if self.below_province_in_use else None
