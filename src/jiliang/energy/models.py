"""Energy and carbon metering of key energy users and emitters (能源计量, 碳计量; issue 22).

A key energy user (重点用能单位, 《节约能源法》 第五十二条) or key emitter (重点排放单位) is an
organisation of the registry with its sites; what it must meter is a tree of metering
points (进出用能单位 → 次级用能单位 → 主要用能设备, GB 17167-2006 4.2), each of an energy type;
the meters at the points are instruments of the registry, with a telemetry device where
they report online. A month closed for a unit keeps its energy, CO₂ and their uncertainty;
a review (能源计量审查, JJF 1356-2012; 碳计量审查 pilot) keeps its checklist, findings,
rectification and result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.core import energy_metering as em
from jiliang.registry.models import Instrument, Organisation
from jiliang.supervision.telemetry.models import Device


class Level(models.TextChoices):
    ENTRY = em.ENTRY, _("进出用能单位")
    SECONDARY = em.SECONDARY, _("次级用能单位")
    EQUIPMENT = em.EQUIPMENT, _("主要用能设备")


class EnergyType(models.TextChoices):
    ELECTRICITY = "electricity", _("电力")
    GAS = "gas", _("天然气")
    COAL = "coal", _("煤炭")
    OIL = "oil", _("油品")
    HEAT = "heat", _("热力（蒸汽）")
    WATER = "water", _("水")


class KeyUnit(models.Model):
    class ElectricityCategory(models.TextChoices):
        # The category of the unit's electrical energy metering (GB 17167-2006 表4 note; DL/T 448).
        I = "I", "I"  # noqa: E741
        II = "II", "II"
        III = "III", "III"
        IV = "IV", "IV"
        V = "V", "V"

    organisation = models.OneToOneField(Organisation, models.PROTECT, related_name="energy_unit", verbose_name=_("单位"))
    key_energy_user = models.BooleanField(_("重点用能单位"), default=True)
    key_emitter = models.BooleanField(_("重点排放单位"), default=False)
    sector = models.CharField(_("行业"), max_length=60, help_text=_("GB/T 4754 国民经济行业分类"))
    annual_tce = models.FloatField(_("年综合能源消费量（tce）"), null=True, blank=True)
    electricity_category = models.CharField(
        _("电能计量装置类别"), max_length=3, choices=ElectricityCategory.choices, default=ElectricityCategory.III
    )
    output_unit = models.CharField(_("产品产量单位"), max_length=20, blank=True)
    listed_on = models.DateField(_("列入日期"))

    class Meta:
        ordering = ["organisation__region__code", "organisation__name"]
        verbose_name = _("重点用能（排放）单位")
        verbose_name_plural = _("重点用能（排放）单位")

    def __str__(self):
        return self.organisation.name


class Site(models.Model):
    unit = models.ForeignKey(KeyUnit, models.CASCADE, related_name="sites", verbose_name=_("单位"))
    name = models.CharField(_("厂区/场所"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        ordering = ["unit_id", "name"]
        verbose_name = _("用能场所")
        verbose_name_plural = _("用能场所")

    def __str__(self):
        return self.name


class MeteringPoint(models.Model):
    """What is measured: the unit's intake of an energy type, a secondary unit (a workshop),
    or a piece of equipment, at a level; its parent is the point above it (for the balance)."""

    unit = models.ForeignKey(KeyUnit, models.CASCADE, related_name="points", verbose_name=_("单位"))
    site = models.ForeignKey(Site, models.SET_NULL, null=True, blank=True, related_name="points", verbose_name=_("场所"))
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("上级"))
    name = models.CharField(_("计量对象"), max_length=120)
    level = models.CharField(_("计量级别"), max_length=10, choices=Level.choices)
    energy_type = models.CharField(_("能源种类"), max_length=12, choices=EnergyType.choices)
    # In the unit GB 17167 表1/表2 names for the level and type (kW, t/a, m3/h …).
    size = models.FloatField(_("能耗量或功率"), null=True, blank=True)
    emission_source = models.CharField(_("排放源"), max_length=60, blank=True, help_text=_("碳计量审查：对应的排放源"))

    class Meta:
        ordering = ["unit_id", "level", "energy_type", "name"]
        verbose_name = _("计量点")
        verbose_name_plural = _("计量点")

    def __str__(self):
        return self.name

    @property
    def main(self) -> bool:
        return em.is_main(self.level, self.energy_type, self.size)


class EnergyMeter(models.Model):
    point = models.ForeignKey(MeteringPoint, models.CASCADE, related_name="meters", verbose_name=_("计量点"))
    instrument = models.OneToOneField(Instrument, models.PROTECT, related_name="energy_meter", verbose_name=_("计量器具"))
    device = models.OneToOneField(
        Device, models.SET_NULL, null=True, blank=True, related_name="energy_meter", verbose_name=_("在线监测设备")
    )
    accuracy_class = models.CharField(_("准确度等级"), max_length=20)

    class Meta:
        ordering = ["point_id", "id"]
        verbose_name = _("能源计量器具")
        verbose_name_plural = _("能源计量器具")

    def __str__(self):
        return f"{self.instrument.code} {self.accuracy_class}"


class UnitMonth(models.Model):
    """A unit's closed month: energy (tce) and CO₂ (t) with standard uncertainties, the
    amounts per energy type, the output, and the data-quality findings."""

    unit = models.ForeignKey(KeyUnit, models.CASCADE, related_name="months", verbose_name=_("单位"))
    month = models.DateField(_("月份"))  # the first day
    tce = models.FloatField(_("综合能耗（tce）"))
    u_tce = models.FloatField(_("标准不确定度（tce）"))
    co2_t = models.FloatField(_("二氧化碳排放（t）"))
    u_co2_t = models.FloatField(_("标准不确定度（tCO2）"))
    by_type = models.JSONField(_("分品种用量"), default=dict)
    output = models.FloatField(_("产品产量"), null=True, blank=True)
    quality = models.JSONField(_("数据质量"), default=dict)
    closed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit_id", "-month"]
        verbose_name = _("月度能耗")
        verbose_name_plural = _("月度能耗")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="energy_unit_month_unique")]


class Review(models.Model):
    class Kind(models.TextChoices):
        ENERGY = "energy", _("能源计量审查")
        CARBON = "carbon", _("碳计量审查（试点）")

    class Status(models.TextChoices):
        OPEN = "open", _("审查中")
        RECTIFYING = "rectifying", _("整改中")
        CLOSED = "closed", _("已办结")

    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        RECTIFIED = "rectified", _("整改后合格")
        FAILED = "failed", _("不合格")

    unit = models.ForeignKey(KeyUnit, models.PROTECT, related_name="reviews", verbose_name=_("单位"))
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.ENERGY)
    number = models.CharField(_("审查编号"), max_length=40, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    started_on = models.DateField(_("审查日期"))
    reviewers = models.CharField(_("审查组"), max_length=200, blank=True)
    checklist = models.JSONField(_("审查记录"), default=dict)  # item code → {"verdict": yes/no/na, "note": …}
    configuration = models.JSONField(_("器具配备核查"), default=dict)
    rectification_due = models.DateField(_("整改期限"), null=True, blank=True)
    result = models.CharField(_("审查结论"), max_length=10, choices=Result.choices, blank=True)
    decided_on = models.DateField(_("结论日期"), null=True, blank=True)
    summary = models.TextField(_("审查意见"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("计量审查")
        verbose_name_plural = _("计量审查")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", decided_on__isnull=False) | ~Q(status="closed"), name="energy_review_closed_decided"
            )
        ]

    def __str__(self):
        return self.number


class ReviewFinding(models.Model):
    """A nonconformity (不符合项) of a review, and its rectification by the unit."""

    review = models.ForeignKey(Review, models.CASCADE, related_name="findings", verbose_name=_("审查"))
    item = models.CharField(_("审查项目"), max_length=12)
    description = models.TextField(_("不符合事实"))
    rectification = models.TextField(_("整改情况"), blank=True)
    rectified_on = models.DateField(_("整改日期"), null=True, blank=True)
    accepted = models.BooleanField(_("整改确认"), default=False)

    class Meta:
        ordering = ["review_id", "id"]
        verbose_name = _("不符合项")
        verbose_name_plural = _("不符合项")
