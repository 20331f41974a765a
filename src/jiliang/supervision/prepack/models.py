"""Net-content inspections of prepackaged goods (定量包装商品净含量计量监督检验), the notices
they send and the credit records they leave.

An ``Inspection`` carries the product, the producer, the sample plan inputs and, once judged,
the core's result (T, n, λ, mean, s, counts, reasons, edition). Measured values are one
``InspectionUnit`` row per package (written with ``bulk_create``); the packagings weighed for
the average-tare method are a list on the inspection, since they are not sample units.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.core import prepack as core
from jiliang.registry.models import Instrument, Organisation, Person

VERDICT_LABELS = {True: _("合格"), False: _("不合格"), None: _("未判定")}


class Inspection(models.Model):
    class Kind(models.TextChoices):
        MASS = "mass", _("质量")
        VOLUME = "volume", _("体积")
        LENGTH = "length", _("长度")
        AREA = "area", _("面积")
        COUNT = "count", _("计数")

    class Unit(models.TextChoices):
        G = "g", "g"
        KG = "kg", "kg"
        ML = "mL", "mL"
        L = "L", "L"
        M = "m", "m"
        M2 = "m2", "m²"
        COUNT = "count", _("件/个")

    class Place(models.TextChoices):
        PRODUCER = "producer", _("生产者")
        RETAILER = "retailer", _("销售者")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        MEASURED = "measured", _("已录入")
        JUDGED = "judged", _("已判定")
        APPROVED = "approved", _("已批准")
        PUBLISHED = "published", _("已公布")

    class Mode(models.TextChoices):
        NET = "net", _("净含量")
        INDIVIDUAL_TARE = "individual", _("逐个皮重")
        AVERAGE_TARE = "average", _("平均皮重")

    product_name = models.CharField(_("商品名称"), max_length=200)
    brand = models.CharField(_("商标/品牌"), max_length=100, blank=True)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    nominal = models.DecimalField(_("标注净含量 Qn"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("单位"), max_length=8, choices=Unit.choices)
    kind = models.CharField(_("计量类别"), max_length=8, choices=Kind.choices, editable=False)
    producer = models.ForeignKey(Organisation, models.PROTECT, related_name="prepack_inspections", verbose_name=_("生产者"))
    batch_size = models.PositiveIntegerField(_("批量 N"))
    sampled_at = models.CharField(_("抽样地点"), max_length=10, choices=Place.choices)
    retailer = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="prepack_samples_sold", verbose_name=_("销售者")
    )
    sampling_date = models.DateField(_("抽样/检验日期"))
    inspectors = models.ManyToManyField(Person, related_name="prepack_inspections", verbose_name=_("检验人员"))
    scales = models.ManyToManyField(
        Instrument, through="InspectionScale", related_name="prepack_inspections", verbose_name=_("所用计量器具")
    )
    edition = models.CharField(_("检验规则版本"), max_length=20, default=core.DEFAULT_EDITION)
    mode = models.CharField(_("测量方式"), max_length=10, choices=Mode.choices, blank=True)
    tare_sample = models.JSONField(_("平均皮重样本"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)

    # The core's result, kept as it was computed.
    passed = models.BooleanField(_("结论合格"), null=True, blank=True)
    T = models.FloatField(_("允许短缺量 T"), null=True, blank=True)
    n = models.PositiveIntegerField(_("样本量 n"), null=True, blank=True)
    correction_factor = models.FloatField(_("修正因子 λ"), null=True, blank=True)
    mean = models.FloatField(_("平均实际含量"), null=True, blank=True)
    s = models.FloatField(_("样本标准偏差 s"), null=True, blank=True)
    mean_ok = models.BooleanField(_("平均实际含量合格"), null=True, blank=True)
    short_T = models.PositiveIntegerField(_("短缺量大于T的件数"), null=True, blank=True)
    short_2T = models.PositiveIntegerField(_("短缺量大于2T的件数"), null=True, blank=True)
    allowed_short_T = models.PositiveIntegerField(_("允许大于T的件数"), null=True, blank=True)
    allowed_short_2T = models.PositiveIntegerField(_("允许大于2T的件数"), null=True, blank=True)
    mean_tare = models.FloatField(_("平均皮重"), null=True, blank=True)
    reasons = models.JSONField(_("不合格原因"), default=list, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    judged_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("批准人")
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    class Meta:
        ordering = ["-sampling_date", "-id"]
        verbose_name = _("定量包装商品净含量检验")
        verbose_name_plural = _("定量包装商品净含量检验")
        constraints = [
            models.CheckConstraint(condition=Q(nominal__gt=0), name="prepack_nominal_positive"),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="prepack_batch_size_positive"),
            models.CheckConstraint(
                condition=Q(sampled_at="producer", retailer__isnull=True) | Q(sampled_at="retailer", retailer__isnull=False),
                name="prepack_retailer_iff_sampled_at_retailer",
            ),
        ]
        indexes = [models.Index(fields=["status", "sampling_date"]), models.Index(fields=["producer", "sampling_date"])]

    @property
    def edition_choice(self):
        """The edition in force on the sampling date beside the one that judged it (JJF 1070-2023
        from 2024-10-12): a provisional judgement is marked on the page and the report."""
        in_force = core.edition_in_force(self.sampling_date)
        return core.EditionChoice(self.edition, in_force, in_force != self.edition)

    def __str__(self):
        return f"{self.number} {self.product_name} {self.nominal.normalize():f} {self.unit}"

    @property
    def number(self) -> str:
        return f"DLBZ-{self.sampling_date:%Y}-{self.pk:06d}" if self.pk else "DLBZ-?"

    @property
    def nominal_text(self) -> str:
        return f"{self.nominal.normalize():f} {self.get_unit_display()}"

    @property
    def verdict_text(self) -> str:
        return str(VERDICT_LABELS[self.passed])


class InspectionScale(models.Model):
    """A measuring instrument used, with its traceability as checked for the inspection day."""

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="scale_links")
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="prepack_uses")
    checked_on = models.DateField(_("溯源核查日期"))
    traceable = models.BooleanField(_("可溯源"))
    chain = models.JSONField(_("溯源链摘要"), default=dict, blank=True)

    class Meta:
        ordering = ["inspection_id", "id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "instrument"], name="prepack_scale_once_per_inspection")]


class InspectionUnit(models.Model):
    """One sampled package: its net content, or its gross value (and its own tare)."""

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="units")
    position = models.PositiveIntegerField(_("序号"))
    gross = models.FloatField(_("毛重"), null=True, blank=True)
    tare = models.FloatField(_("皮重"), null=True, blank=True)
    net = models.FloatField(_("实际含量"), null=True, blank=True)  # given, or computed at judgement

    class Meta:
        ordering = ["inspection_id", "position"]
        constraints = [models.UniqueConstraint(fields=["inspection", "position"], name="prepack_unit_position_unique")]


class Notice(models.Model):
    """A message to an organisation (here: the producer's region administration on a failure)."""

    recipient = models.ForeignKey(Organisation, models.CASCADE, related_name="prepack_notices", verbose_name=_("接收单位"))
    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="notices", verbose_name=_("检验"))
    subject = models.CharField(_("主题"), max_length=200)
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")


class CreditRecord(models.Model):
    """One entry of an organisation's credit history (信用记录). General on purpose: any
    supervision feature adds its own with its source, a reference and a weight."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        OTHER = "other", _("其他")

    class Severity(models.TextChoices):
        NONE = "none", _("无")
        MINOR = "minor", _("一般")
        MAJOR = "major", _("严重")

    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="credit_records", verbose_name=_("机构"))
    date = models.DateField(_("日期"))
    source = models.CharField(_("来源"), max_length=60)
    reference = models.CharField(_("编号"), max_length=100, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.NONE)
    weight = models.IntegerField(_("分值"), default=0, help_text=_("negative for a finding against the organisation"))
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    subject_type = models.ForeignKey(ContentType, models.PROTECT, null=True, blank=True, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["organisation_id", "-date", "-id"]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        indexes = [models.Index(fields=["organisation", "date"]), models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self):
        return f"{self.organisation} {self.date} {self.source}: {self.get_outcome_display()}"
