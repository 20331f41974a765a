"""Calibration and measurement capabilities (CMCs) as the KCDB describes them, and the
KCDB's own published rows.

- ``Claim``: the CMC statement of one of the platform's capability rows (registry.Capability,
  one to one): the KCDB's fields (CIPM MRA-D-04 §2.1 and the KCDB CMC template: quantity,
  instrument or artefact, instrument type or method, range, expanded uncertainty as a
  function of the value, coverage factor, level of confidence) and a review that links the
  comparison participations supporting it (CIPM MRA-D-04 §3: CMCs are supported by
  comparisons).
- ``KcdbCmc``, ``KcdbComparison``/``KcdbDegree``: what the KCDB publishes, imported from files
  saved from its website (docs/kcdb.md). Each keeps the record as published (``raw``, and the
  degrees of equivalence as their printed text) so an export gives back the same numbers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.comparisons.models import Participant
from jiliang.registry.models import Capability


class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待评审")
        RETURNED = "returned", _("退回修改")
        APPROVED = "approved", _("已认可")

    class Form(models.TextChoices):
        RSS = "rss", _("U = Q[a, b·x]（方和根）")
        LINEAR = "linear", _("U = a + b·x（线性）")

    capability = models.OneToOneField(Capability, models.CASCADE, related_name="cmc", verbose_name=_("测量能力"))
    quantity = models.CharField(_("量（KCDB 用名）"), max_length=200)
    instrument = models.CharField(_("仪器或器具"), max_length=200)
    method = models.CharField(_("仪器类型或方法"), max_length=200, blank=True)
    range_min = models.FloatField(_("范围下限"))
    range_max = models.FloatField(_("范围上限"))
    unit = models.CharField(_("单位"), max_length=30)
    form = models.CharField(_("不确定度表达式"), max_length=8, choices=Form.choices, default=Form.RSS)
    a = models.FloatField(_("绝对项 a"), default=0.0)
    b = models.FloatField(_("相对项 b"), default=0.0)
    k = models.FloatField(_("包含因子 k"), default=2.0)
    confidence = models.FloatField(_("包含概率（%）"), default=95.0)
    conditions = models.CharField(_("测量条件"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    supporting = models.ManyToManyField(Participant, blank=True, related_name="cmc_claims", verbose_name=_("支撑比对"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("评审时间"), null=True, blank=True)
    review_note = models.TextField(_("评审意见"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("校准测量能力（CMC）")
        verbose_name_plural = _("校准测量能力（CMC）")
        constraints = [
            models.CheckConstraint(condition=models.Q(range_min__lte=models.F("range_max")), name="cmc_claim_range_ordered"),
            models.CheckConstraint(condition=models.Q(a__gte=0, b__gte=0, k__gt=0), name="cmc_claim_uncertainty_positive"),
            models.CheckConstraint(condition=models.Q(a__gt=0) | models.Q(b__gt=0), name="cmc_claim_uncertainty_stated"),
        ]

    def __str__(self):
        return f"{self.quantity} {self.range_min}–{self.range_max} {self.unit}"


class KcdbFile(models.Model):
    """A file saved from the KCDB and imported: its envelope (everything but the records) so
    an export writes the file back as it came."""

    name = models.CharField(_("文件名"), max_length=200, unique=True)
    # JSON text, not a JSONField: PostgreSQL's jsonb reorders keys, and the export gives the
    # file back as it came.
    envelope = models.TextField(_("文件信息"), default="{}")
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("KCDB 导入文件")
        verbose_name_plural = _("KCDB 导入文件")

    def __str__(self):
        return self.name


class KcdbCmc(models.Model):
    """One CMC as the KCDB API's ``searchData`` answers it (field names in docs/kcdb.md)."""

    file = models.ForeignKey(KcdbFile, models.CASCADE, related_name="cmcs", verbose_name=_("来源文件"))
    position = models.PositiveIntegerField(_("序号"))

    key = models.CharField(_("标识"), max_length=80, unique=True)  # kcdbCode, else NMI + service id
    kcdb_code = models.CharField(_("KCDB 编号"), max_length=60, blank=True)
    nmi_code = models.CharField(_("机构代码"), max_length=40)
    nmi_name = models.CharField(_("机构"), max_length=200, blank=True)
    country = models.CharField(_("国家或经济体"), max_length=80, blank=True)
    rmo = models.CharField(_("区域计量组织"), max_length=20, blank=True)
    nmi_service_code = models.CharField(_("机构服务编号"), max_length=80, blank=True)
    area = models.CharField(_("计量领域"), max_length=20, blank=True)
    quantity = models.CharField(_("量"), max_length=200)
    instrument = models.CharField(_("仪器或器具"), max_length=200, blank=True)
    method = models.CharField(_("仪器类型或方法"), max_length=200, blank=True)
    range_min = models.FloatField(_("范围下限"), null=True, blank=True)
    range_max = models.FloatField(_("范围上限"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=60, blank=True)
    u_low = models.FloatField(_("下限处扩展不确定度"), null=True, blank=True)
    u_high = models.FloatField(_("上限处扩展不确定度"), null=True, blank=True)
    u_unit = models.CharField(_("不确定度单位"), max_length=60, blank=True)
    relative = models.BooleanField(_("相对不确定度"), default=False)
    k = models.FloatField(_("包含因子 k"), null=True, blank=True)
    confidence = models.FloatField(_("包含概率（%）"), null=True, blank=True)
    approved_on = models.CharField(_("批准日期"), max_length=10, blank=True)
    raw = models.TextField(_("KCDB 原始记录"))  # the record's JSON text, its keys in the KCDB's order

    class Meta:
        ordering = ["quantity", "nmi_code", "key"]
        verbose_name = _("KCDB 校准测量能力")
        verbose_name_plural = _("KCDB 校准测量能力")

    def __str__(self):
        return f"{self.nmi_code} {self.key}"


class KcdbComparison(models.Model):
    """A key or supplementary comparison's results (KCDB Appendix B) as its page prints them."""

    code = models.CharField(_("比对编号"), max_length=60, unique=True)
    measurand = models.CharField(_("被测量"), max_length=200)
    statement = models.TextField(_("等效度说明"), blank=True)
    unit = models.CharField(_("单位"), max_length=60, blank=True)
    source_url = models.URLField(_("来源网址"), max_length=300)
    retrieved_on = models.CharField(_("获取日期"), max_length=10)
    header = models.JSONField(_("表头"), default=list)
    source = models.CharField(_("来源文件"), max_length=200)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("KCDB 关键比对")
        verbose_name_plural = _("KCDB 关键比对")

    def __str__(self):
        return self.code


class KcdbDegree(models.Model):
    """One institute's degree of equivalence D_i and its expanded uncertainty U_i (95 %), kept
    as the printed text (the digits are the result; floats are derived for the page)."""

    comparison = models.ForeignKey(KcdbComparison, models.CASCADE, related_name="degrees", verbose_name=_("比对"))
    position = models.PositiveIntegerField(_("序号"))
    lab = models.CharField(_("机构"), max_length=60)
    d = models.CharField(_("等效度 D"), max_length=40)
    u = models.CharField(_("扩展不确定度 U"), max_length=40)

    class Meta:
        ordering = ["comparison_id", "position"]
        verbose_name = _("等效度")
        verbose_name_plural = _("等效度")
        constraints = [models.UniqueConstraint(fields=["comparison", "position"], name="cmc_degree_unique_position")]

    @property
    def en(self) -> float | None:
        """|D_i| / U_i: at most 1 when the institute agrees with the reference value."""
        u = float(self.u)
        return abs(float(self.d)) / u if u else None
