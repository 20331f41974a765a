"""Stability and in-service checks of a measurement standard (稳定性考核, 期间核查).

A plan says what the holder checks (a check standard, 核查标准, at one point), how often, and
which control chart of GB/T 17989.2 watches the results; each record is one check (a
subgroup of readings) or one repeatability test (重复性试验, JJF 1033-2023). A check whose
point the tests for special causes flag raises an alert to the holder, which goes to the
supervising bureau when it is not answered in time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.core import control_charts as cc
from jiliang.registry.models import MeasurementStandard


class CheckPlan(models.Model):
    class Chart(models.TextChoices):
        XBAR_R = cc.XBAR_R, _("均值-极差图（X̄-R）")
        XBAR_S = cc.XBAR_S, _("均值-标准差图（X̄-s）")
        X_MR = cc.X_MR, _("单值-移动极差图（X-MR）")

    class Basis(models.TextChoices):
        # JJF 1033-2023 附录C: the stability is compared with |MPE| when the standard is used
        # at its nominal value, with U (k = 2) of the correction when used with corrections.
        NOMINAL = cc.NOMINAL, _("按标称值使用（与最大允许误差绝对值比较）")
        CORRECTED = cc.CORRECTED, _("加修正值使用（与修正值的扩展不确定度比较）")

    standard = models.ForeignKey(MeasurementStandard, models.CASCADE, related_name="check_plans", verbose_name=_("计量标准"))
    check_item = models.CharField(_("核查参数与测量点"), max_length=200)
    check_standard = models.CharField(_("核查标准"), max_length=200)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    method = models.TextField(_("核查方法"), blank=True)
    interval_days = models.PositiveSmallIntegerField(_("核查间隔（天）"), default=30)
    chart = models.CharField(_("控制图"), max_length=8, choices=Chart.choices, default=Chart.X_MR)
    subgroup_size = models.PositiveSmallIntegerField(_("子组大小"), default=1)
    # GB/T 17989.2 §5.2: limits from the first points of the process (Phase I), or §5.3 from
    # given standard values μ0, σ0.
    baseline_points = models.PositiveSmallIntegerField(_("用于计算控制限的前 n 点"), default=20)
    standard_mean = models.FloatField(_("给定中心值 μ0"), null=True, blank=True)
    standard_sigma = models.FloatField(_("给定标准差 σ0"), null=True, blank=True)
    stability_basis = models.CharField(_("稳定性判据"), max_length=10, choices=Basis.choices, default=Basis.NOMINAL)
    stability_allowed = models.FloatField(_("稳定性允许值"), null=True, blank=True)
    repeatability_used = models.FloatField(_("不确定度评定中的重复性"), null=True, blank=True)
    escalate_after_days = models.PositiveSmallIntegerField(_("预警未处理上报天数"), default=14)
    created_on = models.DateField(_("建立日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["standard_id", "id"]
        verbose_name = _("核查计划")
        verbose_name_plural = _("核查计划")
        constraints = [
            models.CheckConstraint(
                condition=(Q(chart=cc.X_MR) & Q(subgroup_size=1))
                | (~Q(chart=cc.X_MR) & Q(subgroup_size__gte=2, subgroup_size__lte=25)),
                name="check_plan_subgroup_fits_chart",
            ),
            models.CheckConstraint(condition=Q(interval_days__gt=0), name="check_plan_interval_positive"),
        ]

    def __str__(self):
        return f"{self.standard.name} · {self.check_item}"


class CheckRecord(models.Model):
    class Kind(models.TextChoices):
        CHECK = "check", _("期间核查")
        REPEATABILITY = "repeatability", _("重复性试验")

    plan = models.ForeignKey(CheckPlan, models.CASCADE, related_name="records", verbose_name=_("核查计划"))
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices, default=Kind.CHECK)
    performed_on = models.DateField(_("核查日期"))
    values = models.JSONField(_("测得值"))
    performer = models.CharField(_("核查人员"), max_length=60)
    note = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "performed_on", "id"]
        verbose_name = _("核查记录")
        verbose_name_plural = _("核查记录")
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind", "performed_on"], name="check_record_one_per_day"),
        ]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)


class CheckAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ESCALATED = "escalated", _("已上报监管部门")
        ANSWERED = "answered", _("已处理")

    plan = models.ForeignKey(CheckPlan, models.CASCADE, related_name="alerts", verbose_name=_("核查计划"))
    record = models.OneToOneField(CheckRecord, models.CASCADE, related_name="alert", verbose_name=_("核查记录"))
    rules = models.JSONField(_("触发的判异准则"))  # codes "test1"… of jiliang.core.control_charts.RULES
    raised_on = models.DateField(_("预警日期"))
    # The last check before it without a signal: where the period in doubt starts.
    last_good_on = models.DateField(_("最近一次受控核查日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    escalated_on = models.DateField(_("上报日期"), null=True, blank=True)
    answer = models.TextField(_("处理说明"), blank=True)
    answered_on = models.DateField(_("处理日期"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("核查预警")
        verbose_name_plural = _("核查预警")
        indexes = [models.Index(fields=["status", "raised_on"], name="check_alert_status_raised")]
