"""A comparison (计量比对) and its workflow: measurands, participants, the artefact's
circulation, sealed submissions, computed results, the draft reports and the follow-up
actions that unsatisfactory results open.

Reading rules (who sees what, and when) live in ``visibility``; every write goes through
``services``. Values of a submission are sealed until the pilot closes submissions.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import MeasurementStandard, Organisation, Quantity, Region

from .sealing import Content, associated_data, unseal


def _random_name(folder: str, filename: str) -> str:
    # Random names: a file's name must not tell who submitted what.
    suffix = filename.rsplit(".", 1)[-1][:10] if "." in filename else "bin"
    return f"comparisons/{folder}/{uuid.uuid4().hex}.{suffix}"


def protocol_upload_to(instance, filename):
    return _random_name("protocols", filename)


def budget_upload_to(instance, filename):
    return _random_name("budgets", filename)


class Comparison(models.Model):
    class Kind(models.TextChoices):
        # Domestic comparisons by who organises them (JJF 1117-2010 §3; 计量比对管理办法, 原国家质检总局令
        # 第107号): 国家计量比对 (SAMR), 大区计量比对 (a multi-province region), 地方计量比对 (a province).
        NATIONAL = "national", _("国家计量比对")
        REGIONAL = "regional", _("大区计量比对")
        LOCAL = "local", _("地方计量比对")
        PROFICIENCY = "proficiency", _("能力验证")
        # International types (CIPM MRA), kept only for results imported from the KCDB.
        CIPM_KEY = "cipm_key", _("CIPM关键比对")
        RMO_KEY = "rmo_key", _("RMO关键比对")
        SUPPLEMENTARY = "supplementary", _("补充比对")

    # The kinds a comparison organised on this platform may have; the others come from the KCDB.
    DOMESTIC_KINDS = ("national", "regional", "local", "proficiency")
    INTERNATIONAL_KINDS = ("cipm_key", "rmo_key", "supplementary")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        OPEN = "open", _("接收结果")
        CLOSED = "closed", _("结果已截止")
        COMPUTED = "computed", _("已计算")
        DRAFT_A = "draft_a", _("报告草案A")
        DRAFT_B = "draft_b", _("报告草案B")
        APPROVED = "approved", _("已批准")
        PUBLISHED = "published", _("已公布")

    code = models.CharField(_("比对编号"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=300)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    pilot = models.ForeignKey(Organisation, models.PROTECT, related_name="piloted_comparisons", verbose_name=_("主导实验室"))
    administrator_region = models.ForeignKey(
        Region, models.PROTECT, related_name="comparisons", verbose_name=_("组织单位（地区）")
    )
    description = models.TextField(_("说明"), blank=True)
    protocol = models.FileField(_("比对方案"), upload_to=protocol_upload_to, blank=True)
    protocol_name = models.CharField(_("方案文件名"), max_length=200, blank=True)
    registration_deadline = models.DateField(_("报名截止"), null=True, blank=True)
    circulation_start = models.DateField(_("传递开始"), null=True, blank=True)
    circulation_end = models.DateField(_("传递结束"), null=True, blank=True)
    submission_deadline = models.DateTimeField(_("结果提交截止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    estimator = models.CharField(_("参考值估计方法"), max_length=24, blank=True)
    sigma_pt = models.FloatField(_("能力评定标准差 σ_pt"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("批准人")
    )
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    class Meta:
        ordering = ["-submission_deadline", "-id"]
        verbose_name = _("计量比对")
        verbose_name_plural = _("计量比对")

    def __str__(self):
        return f"{self.code} {self.title}"

    ORDER = [s.value for s in Status]

    def reached(self, status: str) -> bool:
        """True when the comparison is at ``status`` or past it in the workflow."""
        return self.ORDER.index(self.status) >= self.ORDER.index(status)


class Measurand(models.Model):
    comparison = models.ForeignKey(Comparison, models.CASCADE, related_name="measurands", verbose_name=_("比对"))
    name = models.CharField(_("被测量"), max_length=200)
    quantity = models.ForeignKey(Quantity, models.PROTECT, related_name="+", verbose_name=_("量"))
    unit = models.CharField(_("单位"), max_length=30)
    nominal_value = models.FloatField(_("标称值"), null=True, blank=True)
    # Set by the computation (visible only when the comparison's results are).
    result = models.JSONField(_("计算结果"), null=True, blank=True)
    plot_svg = models.TextField(_("结果图 (SVG)"), blank=True)

    class Meta:
        ordering = ["comparison_id", "id"]
        constraints = [models.UniqueConstraint(fields=["comparison", "name"], name="comparison_measurand_unique_name")]
        verbose_name = _("被测量")
        verbose_name_plural = _("被测量")

    def __str__(self):
        return f"{self.name} ({self.unit})"


class Participant(models.Model):
    comparison = models.ForeignKey(Comparison, models.CASCADE, related_name="participants", verbose_name=_("比对"))
    institution = models.ForeignKey(
        Organisation, models.PROTECT, related_name="comparison_participations", verbose_name=_("参加单位")
    )
    standard = models.ForeignKey(
        MeasurementStandard,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="comparison_participations",
        verbose_name=_("所用计量标准"),
    )
    label = models.CharField(_("实验室代号"), max_length=60)
    in_reference = models.BooleanField(_("参与参考值计算"), default=True)

    class Meta:
        ordering = ["comparison_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comparison", "institution"], name="comparison_participant_unique_institution"),
            models.UniqueConstraint(fields=["comparison", "label"], name="comparison_participant_unique_label"),
        ]
        verbose_name = _("参加单位")
        verbose_name_plural = _("参加单位")

    def __str__(self):
        return self.label


class ArtefactMovement(models.Model):
    """One stay of the travelling artefact: who held it, from when to when, how it arrived."""

    comparison = models.ForeignKey(Comparison, models.CASCADE, related_name="circulation", verbose_name=_("比对"))
    holder = models.ForeignKey(Organisation, models.PROTECT, related_name="+", verbose_name=_("持有单位"))
    received_on = models.DateField(_("接收日期"))
    sent_on = models.DateField(_("发出日期"), null=True, blank=True)
    condition_on_arrival = models.CharField(_("到达时状态"), max_length=300)
    notes = models.TextField(_("备注"), blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["comparison_id", "received_on", "id"]
        verbose_name = _("传递记录")
        verbose_name_plural = _("传递记录")


class Submission(models.Model):
    """A participant's result for one measurand. Sealed (see ``sealing`` and ``visibility``):
    until the close the row holds only ``sealed``, the values' ciphertext, and the plain
    columns are empty; the close writes them and reveals ``seal_key``."""

    participant = models.ForeignKey(Participant, models.CASCADE, related_name="submissions", verbose_name=_("参加单位"))
    measurand = models.ForeignKey(Measurand, models.CASCADE, related_name="submissions", verbose_name=_("被测量"))
    value = models.FloatField(_("测得值"), null=True, blank=True)
    u = models.FloatField(_("标准不确定度 u"), null=True, blank=True)
    dof = models.FloatField(_("自由度"), null=True, blank=True)
    budget = models.JSONField(_("不确定度分量"), default=list, blank=True)
    budget_file = models.FileField(_("不确定度评定文件"), upload_to=budget_upload_to, blank=True)
    budget_file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    sealed = models.TextField(_("密封结果"), blank=True)
    seal_key = models.CharField(_("密封密钥"), max_length=64, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"))
    revision = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ["measurand_id", "participant_id"]
        constraints = [models.UniqueConstraint(fields=["participant", "measurand"], name="comparison_submission_unique")]
        verbose_name = _("比对结果")
        verbose_name_plural = _("比对结果")

    @property
    def is_sealed(self) -> bool:
        return bool(self.sealed) and not self.seal_key

    def aad(self) -> bytes:

        return associated_data(self.participant_id, self.measurand_id, self.revision)

    def plain_content(self):

        return Content(self.value, self.u, self.dof, self.budget or [], self.budget_file_name)

    @cached_property
    def content(self):
        """The submitted values: decrypted with the submission's key while sealed. Read only
        for viewers ``visibility.submissions`` lets see the values."""

        if not self.is_sealed:
            return self.plain_content()
        return unseal(bytes.fromhex(SubmissionKey.objects.get(submission_id=self.pk).key), self.sealed, self.aad())


class SubmissionKey(models.Model):
    """The key of a sealed submission, kept out of the submission's (audited) row, out of the
    ledger, the admin, the API and the exports; moved into the row at the close."""

    submission = models.OneToOneField(Submission, models.CASCADE, primary_key=True, related_name="+")
    key = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()


class Report(models.Model):
    class Stage(models.TextChoices):
        DRAFT_A = "draft_a", _("报告草案A")
        DRAFT_B = "draft_b", _("报告草案B")

    comparison = models.ForeignKey(Comparison, models.CASCADE, related_name="reports", verbose_name=_("比对"))
    stage = models.CharField(_("阶段"), max_length=8, choices=Stage.choices)
    introduction = models.TextField(_("引言"), blank=True)
    discussion = models.TextField(_("结果讨论"), blank=True)
    conclusions = models.TextField(_("结论"), blank=True)
    html = models.TextField(_("报告 (HTML)"))
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    written_at = models.DateTimeField(_("编写时间"))

    class Meta:
        ordering = ["comparison_id", "stage"]
        constraints = [models.UniqueConstraint(fields=["comparison", "stage"], name="comparison_report_unique_stage")]
        verbose_name = _("比对报告")
        verbose_name_plural = _("比对报告")


class FollowUpAction(models.Model):
    """What an institution must do about a standard whose result was not satisfactory."""

    class Verdict(models.TextChoices):
        UNSATISFACTORY = "unsatisfactory", _("不满意")
        QUESTIONABLE = "questionable", _("有问题")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        IN_PROGRESS = "in_progress", _("整改中")
        CLOSED = "closed", _("已关闭")

    comparison = models.ForeignKey(Comparison, models.CASCADE, related_name="follow_ups", verbose_name=_("比对"))
    participant = models.ForeignKey(Participant, models.CASCADE, related_name="follow_ups", verbose_name=_("参加单位"))
    measurand = models.ForeignKey(Measurand, models.CASCADE, related_name="follow_ups", verbose_name=_("被测量"))
    institution = models.ForeignKey(Organisation, models.PROTECT, related_name="comparison_follow_ups", verbose_name=_("单位"))
    standard = models.ForeignKey(
        MeasurementStandard,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="comparison_follow_ups",
        verbose_name=_("计量标准"),
    )
    verdict = models.CharField(_("评价"), max_length=16, choices=Verdict.choices)
    reason = models.CharField(_("依据"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(_("整改期限"))
    notes = models.TextField(_("处理记录"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["participant", "measurand"], name="comparison_follow_up_unique")]
        verbose_name = _("比对后续处理")
        verbose_name_plural = _("比对后续处理")
