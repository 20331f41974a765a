"""Building plans of public measurement standards (社会公用计量标准建设规划和指导目录).

A region's bureau plans, for a period, which public standards to build, upgrade (升级换代)
or retire; each entry names the catalogue items (实施强制管理的计量器具目录) and coverage gaps it
closes, the institution that will hold it, the target date and its status. Progress is
read against the plan: built on time, built late, overdue, dropped.

Sources: 《计量发展规划（2021—2035年）》(国发〔2021〕37号) asks the regions to plan and build
public standards so that the mandatory items are covered below province level; the guidance
on the building plan and guiding catalogue (建设规划和指导目录, its §3–5) is cited from the
issue text, its own wording not confirmed here (confirmed: false).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import CatalogItem, MeasurementStandard, MetrologyField, Organisation, Region


class BuildingPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草拟")
        APPROVED = "approved", _("已批准")
        CLOSED = "closed", _("已结束")

    region = models.ForeignKey(Region, models.PROTECT, related_name="building_plans", verbose_name=_("地区"))
    title = models.CharField(_("规划名称"), max_length=200)
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("截止年度"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)

    class Meta:
        ordering = ["-first_year", "region__code", "id"]
        verbose_name = _("建设规划")
        verbose_name_plural = _("建设规划")
        constraints = [
            models.CheckConstraint(condition=Q(first_year__lte=F("last_year")), name="plan_period_ordered"),
        ]

    def __str__(self):
        return f"{self.title} ({self.first_year}–{self.last_year})"


class PlanEntry(models.Model):
    class Action(models.TextChoices):
        BUILD = "build", _("新建")
        UPGRADE = "upgrade", _("升级换代")
        RETIRE = "retire", _("撤销")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("建议")
        PLANNED = "planned", _("列入规划")
        IN_PROGRESS = "in_progress", _("建设中")
        DONE = "done", _("已完成")
        DROPPED = "dropped", _("已取消")

    plan = models.ForeignKey(BuildingPlan, models.CASCADE, related_name="entries", verbose_name=_("建设规划"))
    action = models.CharField(_("类型"), max_length=8, choices=Action.choices, default=Action.BUILD)
    name = models.CharField(_("计量标准名称"), max_length=200)
    field = models.ForeignKey(MetrologyField, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("领域"))
    level = models.CharField(_("等级"), max_length=8, choices=MeasurementStandard.Level.choices, blank=True)
    catalog_items = models.ManyToManyField(CatalogItem, blank=True, related_name="plan_entries", verbose_name=_("目录项"))
    # Where the gaps the entry closes came from ("coverage", or another registered source).
    gap_source = models.CharField(_("空白来源"), max_length=40, blank=True)
    gap_instruments = models.PositiveIntegerField(_("涉及器具数"), default=0)
    holder = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="planned_standards", verbose_name=_("建标单位")
    )
    # The standard upgraded or retired, or the one built when the entry is done.
    standard = models.ForeignKey(
        MeasurementStandard, models.PROTECT, null=True, blank=True, related_name="plan_entries", verbose_name=_("计量标准")
    )
    target_date = models.DateField(_("计划完成日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["target_date", "id"]
        verbose_name = _("规划条目")
        verbose_name_plural = _("规划条目")
        constraints = [
            models.CheckConstraint(condition=~Q(status="done") | Q(completed_on__isnull=False), name="plan_entry_done_has_date"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.name}"


class IndicatorFigure(models.Model):
    """A computed figure kept (a region, a year, an indicator): the page reads these when
    they were computed today, so a province of 10^7 instruments is not recounted at each
    visit; ``jiliang plans snapshot`` (nightly) or the first visit of the day computes them.
    Past years are kept as computed (``snapshot --year`` recomputes one)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("地区"))
    key = models.CharField(_("指标"), max_length=40)
    value = models.FloatField(_("数值"), null=True, blank=True)
    numerator = models.FloatField(_("分子"), default=0)
    denominator = models.FloatField(_("分母"), default=0)
    computed_on = models.DateField(_("计算日期"))

    class Meta:
        verbose_name = _("指标数值")
        verbose_name_plural = _("指标数值")
        constraints = [models.UniqueConstraint(fields=["year", "region", "key"], name="indicator_figure_unique")]
