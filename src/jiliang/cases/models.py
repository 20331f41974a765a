"""Enforcement cases (行政处罚案件): the case with the dates of its steps, its evidence (files
with their SHA-256, notes, and the frozen evidence of the telemetry alert it came from),
the log of its steps, and the reminders sent before its deadlines.

The steps and their rules are the pure core's (jiliang.core.cases); the clauses are cited
there and in services.RULES.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.core import cases as core
from jiliang.registry.models import Organisation, Region


class Case(models.Model):
    class Status(models.TextChoices):
        CLUE = core.CLUE, _("线索核查")
        PROPOSED = core.PROPOSED, _("立案待批")
        FILED = core.FILED, _("已立案（调查中）")
        NOTIFIED = core.NOTIFIED, _("已告知")
        DECIDED = core.DECIDED, _("已作出处罚决定")
        EXECUTED = core.EXECUTED, _("已执行")
        CLOSED = core.CLOSED, _("已结案")
        NOT_FILED = core.NOT_FILED, _("不予立案")
        DROPPED = core.DROPPED, _("撤销案件（违法事实不成立）")
        TRANSFERRED = core.TRANSFERRED, _("已移送公安机关")

    class Source(models.TextChoices):
        ALERT = "alert", _("在线监测预警")
        COMPLAINT = "complaint", _("投诉举报")
        FINDING = "finding", _("监督检查发现")
        CLUE = "clue", _("其他线索")

    class Violation(models.TextChoices):
        # 计量法 第五章 法律责任; 计量违法行为处罚细则 (1990 国家技术监督局令第14号, 2015、2022 修订).
        UNVERIFIED = "unverified", _("强制检定的计量器具未按规定申请检定或检定不合格继续使用")
        TAMPERING = "tampering", _("破坏计量器具准确度、伪造数据")
        CHEATING = "cheating", _("使用以欺骗消费者为目的的计量器具")
        UNAPPROVED_STANDARD = "unapproved_standard", _("计量标准未经考核合格开展检定")
        SHORT_MEASURE = "short_measure", _("定量包装商品净含量不合格")
        ILLEGAL_UNIT = "illegal_unit", _("使用非法定计量单位")
        OTHER = "other", _("其他计量违法行为")

    number = models.CharField(_("案件编号"), max_length=30, unique=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="cases", verbose_name=_("管辖地区"))
    party = models.ForeignKey(Organisation, models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("当事人"))
    source = models.CharField(_("案件来源"), max_length=10, choices=Source.choices)
    alert = models.ForeignKey(
        "telemetry.Alert", models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("来源预警")
    )
    complaint = models.ForeignKey(
        "portal.Complaint", models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("来源投诉")
    )
    finding = models.ForeignKey(
        "inspections.Finding", models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("来源检查发现")
    )
    violation = models.CharField(_("违法行为类型"), max_length=20, choices=Violation.choices)
    summary = models.TextField(_("案情摘要"), max_length=4000)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CLUE)
    discovered_on = models.DateField(_("发现线索日期"))
    proposed_on = models.DateField(_("立案申请日期"), null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    filed_on = models.DateField(_("立案日期"), null=True, blank=True)
    filing_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    extension_days = models.PositiveSmallIntegerField(_("延长办案期限（天）"), default=0)
    notified_on = models.DateField(_("告知日期"), null=True, blank=True)
    proposed_penalty = models.TextField(_("拟作出的行政处罚"), blank=True)
    hearing_offered = models.BooleanField(_("告知听证权利"), default=False)
    waived_on = models.DateField(_("放弃陈述申辩日期"), null=True, blank=True)
    hearing_requested_on = models.DateField(_("申请听证日期"), null=True, blank=True)
    hearing_held_on = models.DateField(_("举行听证日期"), null=True, blank=True)
    decided_on = models.DateField(_("处罚决定日期"), null=True, blank=True)
    decision_number = models.CharField(_("处罚决定书文号"), max_length=60, blank=True)
    penalty = models.TextField(_("处罚内容"), blank=True)
    fine = models.DecimalField(_("罚款（元）"), max_digits=12, decimal_places=2, default=0)
    confiscated = models.DecimalField(_("没收违法所得（元）"), max_digits=12, decimal_places=2, default=0)
    warning_only = models.BooleanField(_("仅警告"), default=False)
    rectify_by = models.DateField(_("责令改正期限"), null=True, blank=True)
    rectified_on = models.DateField(_("改正完成日期"), null=True, blank=True)
    executed_on = models.DateField(_("执行完毕日期"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    transferred_on = models.DateField(_("移送公安机关日期"), null=True, blank=True)
    transferred_to = models.CharField(_("接收移送的公安机关"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-discovered_on", "-id"]
        verbose_name = _("行政处罚案件")
        verbose_name_plural = _("行政处罚案件")
        indexes = [
            models.Index(fields=["status", "region"], name="case_status_region"),
            models.Index(fields=["published_on"], name="case_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source="alert") | models.Q(alert__isnull=False), name="case_alert_source_has_alert"
            ),
            models.CheckConstraint(
                condition=~models.Q(source="complaint") | models.Q(complaint__isnull=False),
                name="case_complaint_source_has_complaint",
            ),
        ]

    def __str__(self):
        return self.number

    def facts(self) -> core.Facts:
        return core.Facts(
            status=self.status,
            discovered_on=self.discovered_on,
            proposed_by=self.proposed_by_id,
            filed_on=self.filed_on,
            extension_days=self.extension_days,
            notified_on=self.notified_on,
            hearing_offered=self.hearing_offered,
            waived_on=self.waived_on,
            hearing_requested_on=self.hearing_requested_on,
            hearing_held_on=self.hearing_held_on,
            decided_on=self.decided_on,
            fine=float(self.fine or 0),
            warning_only=self.warning_only,
            executed_on=self.executed_on,
            rectify_by=self.rectify_by,
            rectified_on=self.rectified_on,
            published_on=self.published_on,
            transferred_on=self.transferred_on,
        )


class Evidence(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", _("文件")
        NOTE = "note", _("笔录/说明")
        ALERT = "alert", _("在线监测预警证据（冻结副本）")

    case = models.ForeignKey(Case, models.CASCADE, related_name="evidence", verbose_name=_("案件"))
    kind = models.CharField(_("类型"), max_length=6, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    # The frozen copy of a telemetry alert's evidence at the case's opening (canonical JSON).
    snapshot = models.JSONField(_("证据副本"), null=True, blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    added_on = models.DateField(_("取证日期"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("证据")
        verbose_name_plural = _("证据")


class EvidenceFile(models.Model):
    """A file's bytes, beside its evidence row (the ledger keeps the row and its hash)."""

    evidence = models.OneToOneField(Evidence, models.CASCADE, related_name="file", primary_key=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField()


class Step(models.Model):
    """One step of a case, as it was taken: the case's history, each also on the ledger."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="steps", verbose_name=_("案件"))
    action = models.CharField(_("环节"), max_length=20)
    status_after = models.CharField(_("办理后状态"), max_length=12, choices=Case.Status.choices)
    taken_on = models.DateField(_("日期"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("办案环节")
        verbose_name_plural = _("办案环节")


class Reminder(models.Model):
    """A reminder sent at a configured step before a deadline (JILIANG_CASE_REMINDER_DAYS):
    once per case, step, stage and due date, so a moved deadline re-arms every stage."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="reminders", verbose_name=_("案件"))
    step = models.CharField(_("事项"), max_length=14)
    stage = models.SmallIntegerField(_("提前天数"))
    due_on = models.DateField(_("期限"))
    sent_on = models.DateField(_("发送日期"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("案件期限提醒")
        verbose_name_plural = _("案件期限提醒")
        constraints = [models.UniqueConstraint(fields=["case", "step", "stage", "due_on"], name="case_reminder_once")]
