"""Measurement-standard assessment (计量标准考核): the files a holder opens for a standard, how
the assessing authority accepts and evaluates them, the certificate it issues, and the
changes a standard in service reports.

计量法 第六至八条 and 计量法实施细则 第七至十条 make the public standards and the highest
standards of departments and enterprises subject to assessment; 计量标准考核办法 (市场监管总局
令第31号, 2020) sets the procedure and JJF 1033-2023 (计量标准考核规范) the requirements (§4),
the procedure (§5: 申请, 受理, 组织与实施, 审批) and what follows in service (§6).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import (
    CatalogItem,
    Instrument,
    MeasurementStandard,
    MetrologyField,
    Organisation,
    Person,
    Specification,
)


class AuthorityProfile(models.Model):
    """What an assessing administration decides for its own files: the format of its
    certificate numbers and whether it takes re-examinations on a signed commitment (告知承诺)."""

    authority = models.OneToOneField(
        Organisation, models.CASCADE, related_name="assessment_profile", verbose_name=_("主持考核部门")
    )
    # {year}, {seq} (a running number per year) and {code} (the region code) are filled in.
    certificate_format = models.CharField(_("证书编号格式"), max_length=80, default="[{year}]量标{code}证字第{seq:03d}号")
    commitment_enabled = models.BooleanField(_("复查考核实行告知承诺"), default=False)

    class Meta:
        verbose_name = _("考核部门设置")
        verbose_name_plural = _("考核部门设置")

    def __str__(self):
        return str(self.authority)


class Assessor(models.Model):
    """A 计量标准考评员 on the register: who, the specialities (fields) they may assess, and
    the validity of their assessor certificate (JJF 1033-2023 §5.3: the evaluation is done by
    registered assessors of the speciality)."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="assessor_registrations", verbose_name=_("人员"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessor",
        verbose_name=_("平台账号"),
    )
    certificate_number = models.CharField(_("考评员证号"), max_length=60, unique=True)
    specialities = models.ManyToManyField(MetrologyField, related_name="assessors", verbose_name=_("考评专业"))
    registered_by = models.ForeignKey(
        Organisation, models.PROTECT, related_name="registered_assessors", verbose_name=_("注册部门")
    )
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))

    class Meta:
        ordering = ["certificate_number"]
        verbose_name = _("计量标准考评员")
        verbose_name_plural = _("计量标准考评员")
        constraints = [models.CheckConstraint(condition=Q(valid_from__lt=F("valid_until")), name="assessor_validity_ordered")]

    def __str__(self):
        return f"{self.person.name} ({self.certificate_number})"


class Application(models.Model):
    """One assessment file: a new standard's (新建考核) or a re-examination (复查考核)."""

    class Kind(models.TextChoices):
        NEW = "new", _("新建考核")
        REEXAMINATION = "reexamination", _("复查考核")

    class Status(models.TextChoices):
        DRAFT = "draft", _("待提交")
        SUBMITTED = "submitted", _("待受理")
        RETURNED = "returned", _("退回补正")
        ACCEPTED = "accepted", _("已受理")
        EVALUATING = "evaluating", _("考评中")
        RECTIFICATION = "rectification", _("整改中")
        EVALUATED = "evaluated", _("待审批")
        APPROVED = "approved", _("考核合格")
        REFUSED = "refused", _("考核不合格")

    OPEN = (Status.SUBMITTED, Status.ACCEPTED, Status.EVALUATING, Status.RECTIFICATION, Status.EVALUATED)

    number = models.CharField(_("申请编号"), max_length=40, unique=True)
    kind = models.CharField(_("考核类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    holder = models.ForeignKey(Organisation, models.PROTECT, related_name="assessment_applications", verbose_name=_("建标单位"))
    authority = models.ForeignKey(
        Organisation, models.PROTECT, related_name="assessments_to_hold", verbose_name=_("主持考核部门")
    )
    # The standard re-examined, or (a new one) the standard created when it is approved.
    standard = models.ForeignKey(
        MeasurementStandard,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="assessment_applications",
        verbose_name=_("计量标准"),
    )
    name = models.CharField(_("计量标准名称"), max_length=200)
    tier = models.CharField(_("类别"), max_length=12, choices=MeasurementStandard.Tier.choices)
    level = models.CharField(_("等级"), max_length=8, choices=MeasurementStandard.Level.choices, blank=True)
    rank = models.CharField(
        _("最高/次级"), max_length=12, choices=MeasurementStandard.Rank.choices, default=MeasurementStandard.Rank.HIGHEST
    )
    field = models.ForeignKey(MetrologyField, models.PROTECT, related_name="+", verbose_name=_("领域"))
    equipment = models.ManyToManyField(Instrument, blank=True, related_name="+", verbose_name=_("计量标准器及主要配套设备"))
    specifications = models.ManyToManyField(Specification, blank=True, related_name="+", verbose_name=_("依据规程规范"))
    catalog_items = models.ManyToManyField(CatalogItem, blank=True, related_name="+", verbose_name=_("开展的检定项目"))
    people = models.ManyToManyField(Person, blank=True, related_name="+", verbose_name=_("检定或校准人员"))
    responsible = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("计量标准负责人")
    )
    # The technical report's structured part (计量标准技术报告, JJF 1033-2023 附录): the keys of
    # rules.REPORT_FIELDS.
    report = models.JSONField(_("技术报告"), default=dict, blank=True)
    late = models.BooleanField(_("逾期申请"), default=False)
    commitment = models.BooleanField(_("告知承诺"), default=False)
    filed_on = models.DateField(_("申请日期"), null=True, blank=True)
    due_on = models.DateField(_("当前环节期限"), null=True, blank=True)
    return_reasons = models.TextField(_("退回原因"), blank=True)
    decided_on = models.DateField(_("审批日期"), null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=300, blank=True)
    post_check_due = models.DateField(_("告知承诺事后核查期限"), null=True, blank=True)

    class PostCheck(models.TextChoices):
        CONFORMING = "conforming", _("核查符合承诺")
        RECTIFY = "rectify", _("不符合承诺，限期整改")
        REVOKED = "revoked", _("整改后仍不符合，撤销")

    post_check = models.CharField(_("事后核查结论"), max_length=12, choices=PostCheck.choices, blank=True)
    post_checked_on = models.DateField(_("事后核查日期"), null=True, blank=True)
    post_check_note = models.CharField(_("事后核查情况"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("计量标准考核申请")
        verbose_name_plural = _("计量标准考核申请")
        constraints = [
            models.CheckConstraint(condition=Q(kind="new") | Q(standard__isnull=False), name="reexamination_names_its_standard"),
        ]
        indexes = [models.Index(fields=["authority", "status", "due_on"])]

    def __str__(self):
        return f"{self.number} {self.name}"


class Document(models.Model):
    """A file attached to an application, of one of the kinds JJF 1033-2023 §5.1 asks for."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="documents", verbose_name=_("申请"))
    kind = models.CharField(_("资料类别"), max_length=32)
    filename = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(_("内容"))
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["application_id", "kind", "id"]
        verbose_name = _("申请资料")
        verbose_name_plural = _("申请资料")


class Assignment(models.Model):
    """An assessor the authority assigned to a file (the first named leads the group)."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="assignments", verbose_name=_("申请"))
    assessor = models.ForeignKey(Assessor, models.PROTECT, related_name="assignments", verbose_name=_("考评员"))
    leader = models.BooleanField(_("考评组长"), default=False)
    assigned_on = models.DateField(_("指派日期"))

    class Meta:
        ordering = ["application_id", "-leader", "id"]
        verbose_name = _("考评指派")
        verbose_name_plural = _("考评指派")
        constraints = [models.UniqueConstraint(fields=["application", "assessor"], name="assessor_assigned_once")]


class ItemResult(models.Model):
    """One evaluation item (rules.EVALUATION_ITEMS) judged in one phase: conforming or not,
    with a note and the evidence seen."""

    class Phase(models.TextChoices):
        DOCUMENTS = "documents", _("书面审查")
        ONSITE = "onsite", _("现场考评")

    application = models.ForeignKey(Application, models.CASCADE, related_name="results", verbose_name=_("申请"))
    phase = models.CharField(_("考评方式"), max_length=10, choices=Phase.choices)
    clause = models.CharField(_("条款"), max_length=10)
    conforming = models.BooleanField(_("符合"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    evidence = models.CharField(_("证据"), max_length=500, blank=True)
    assessor = models.ForeignKey(Assessor, models.PROTECT, related_name="+", verbose_name=_("考评员"))
    recorded_on = models.DateField(_("记录日期"))

    class Meta:
        ordering = ["application_id", "phase", "clause"]
        verbose_name = _("考评项目结果")
        verbose_name_plural = _("考评项目结果")
        constraints = [models.UniqueConstraint(fields=["application", "phase", "clause"], name="item_result_once")]


class Finding(models.Model):
    """A nonconformity the holder must rectify (整改) by the deadline; the assessor closes it
    when the response is accepted."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        RESPONDED = "responded", _("已提交整改")
        CLOSED = "closed", _("整改确认")

    application = models.ForeignKey(Application, models.CASCADE, related_name="findings", verbose_name=_("申请"))
    clause = models.CharField(_("条款"), max_length=10)
    description = models.CharField(_("问题描述"), max_length=500)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(_("整改情况"), blank=True)
    responded_on = models.DateField(_("整改提交日期"), null=True, blank=True)
    closed_on = models.DateField(_("确认日期"), null=True, blank=True)
    raised_by = models.ForeignKey(Assessor, models.PROTECT, related_name="+", verbose_name=_("考评员"))
    raised_on = models.DateField(_("提出日期"))

    class Meta:
        ordering = ["application_id", "deadline", "id"]
        verbose_name = _("整改项")
        verbose_name_plural = _("整改项")


class StandardCertificate(models.Model):
    """The 计量标准考核证书 issued on an approved application: its number, validity and the
    signed XML document (sealed with the authority's key, checkable on the public page)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("有效")
        SUPERSEDED = "superseded", _("已换发")
        REVOKED = "revoked", _("已撤销")

    application = models.OneToOneField(Application, models.PROTECT, related_name="certificate", verbose_name=_("申请"))
    standard = models.ForeignKey(MeasurementStandard, models.PROTECT, related_name="assessment_certificates")
    number = models.CharField(_("证书编号"), max_length=60, unique=True)
    authority = models.ForeignKey(Organisation, models.PROTECT, related_name="+", verbose_name=_("发证部门"))
    issued_on = models.DateField(_("发证日期"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))
    xml = models.BinaryField(_("证书 XML"))
    sha256 = models.CharField(max_length=64, unique=True)
    key_serial = models.CharField(_("签名证书序列号"), max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("计量标准考核证书")
        verbose_name_plural = _("计量标准考核证书")

    def __str__(self):
        return self.number


class ChangeFiling(models.Model):
    """A change to a standard in service reported to the authority (JJF 1033-2023 §6), with
    its own review: accepted as filed, or the standard must be assessed again."""

    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("更换计量标准器或主要配套设备")
        SPECIFICATION = "specification", _("更换检定规程或技术规范")
        RESPONSIBLE = "responsible", _("更换计量标准负责人")
        ENVIRONMENT = "environment", _("环境条件及设施发生变化")
        LOCATION = "location", _("计量标准迁址")
        # The status acts (JJF 1033-2023 §6): accepted, each writes the registry's status change.
        SEAL = "seal", _("计量标准封存")
        CANCEL = "cancel", _("计量标准撤销")
        RESTORE = "restore", _("计量标准恢复使用")

    STATUS_OF_KIND = {"seal": "sealed", "cancel": "cancelled", "restore": "active"}

    class Status(models.TextChoices):
        FILED = "filed", _("待审查")
        ACCEPTED = "accepted", _("同意备案")
        REASSESS = "reassess", _("需重新考核")
        REJECTED = "rejected", _("不予备案")

    number = models.CharField(_("申报编号"), max_length=40, unique=True)
    standard = models.ForeignKey(MeasurementStandard, models.PROTECT, related_name="change_filings", verbose_name=_("计量标准"))
    kind = models.CharField(_("变更类别"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("变更内容"), max_length=500)
    effective_on = models.DateField(_("变更日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.FILED)
    filed_on = models.DateField(_("申报日期"))
    review_note = models.CharField(_("审查意见"), max_length=300, blank=True)
    reviewed_on = models.DateField(_("审查日期"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = _("计量标准变更申报")
        verbose_name_plural = _("计量标准变更申报")


class Reminder(models.Model):
    """A reminder sent at a configured step before a deadline (JILIANG_ASSESSMENT_REMINDER_DAYS):
    once per subject, step and due date, so a moved deadline re-arms every step."""

    class Subject(models.TextChoices):
        ACCEPTANCE = "acceptance", _("受理期限")
        EVALUATION = "evaluation", _("考评期限")
        RECTIFICATION = "rectification", _("整改期限")
        DECISION = "decision", _("审批期限")
        REEXAMINATION = "reexamination", _("复查考核申请")

    subject = models.CharField(_("事项"), max_length=16, choices=Subject.choices)
    object_id = models.PositiveIntegerField()  # the application, the finding or the standard
    label = models.CharField(_("内容"), max_length=300)
    stage = models.PositiveSmallIntegerField(_("提前天数"))
    due_on = models.DateField(_("期限"))
    recipient = models.ForeignKey(Organisation, models.CASCADE, related_name="assessment_reminders", verbose_name=_("接收单位"))
    sent_on = models.DateField(_("发送日期"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("考核期限提醒")
        verbose_name_plural = _("考核期限提醒")
        constraints = [
            models.UniqueConstraint(fields=["subject", "object_id", "stage", "due_on"], name="assessment_reminder_once")
        ]
