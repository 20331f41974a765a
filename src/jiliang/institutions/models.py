"""Legal metrology institutes and authorised institutions under supervision (issue 21 §3).

- ``Declaration``: a self-declaration (自我声明) of impartiality (公正性) or integrity (诚信)
  that the institution's own staff file, with the day it was made and the day it lapses.
- ``SupervisionVisit`` and ``VisitFinding``: a supervision visit (监督检查) of the
  administration to an institution (法定计量检定机构监督管理办法, 国家质量技术监督局令第15号,
  第三条: the provincial administration supervises the institutes of its province) and what
  it found; the findings of a closed visit reach the credit record (credit_evidence.py).
- ``Evaluation``: a capability evaluation (能力评价) as recorded on a day: each scored item
  of data/evaluation.json with its figures, the total and the result.

The institutions themselves are the registry's organisations; their authorisations are
jiliang.authorisation's; their people and qualifications the registry's.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Organisation


class Declaration(models.Model):
    class Kind(models.TextChoices):
        IMPARTIALITY = "impartiality", _("公正性声明")
        INTEGRITY = "integrity", _("诚信声明")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="declarations", verbose_name=_("机构"))
    kind = models.CharField(_("声明类型"), max_length=14, choices=Kind.choices)
    declared_on = models.DateField(_("声明日期"))
    valid_until = models.DateField(_("有效期至"))
    signed_by = models.CharField(_("声明人"), max_length=50)
    text = models.TextField(_("声明内容"), max_length=4000)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["organisation_id", "kind", "-declared_on", "-id"]
        verbose_name = _("自我声明")
        verbose_name_plural = _("自我声明")
        constraints = [
            models.CheckConstraint(condition=Q(declared_on__lt=F("valid_until")), name="declaration_validity_ordered"),
        ]

    def __str__(self):
        return f"{self.organisation} {self.get_kind_display()} {self.declared_on}"

    def current_on(self, day: dt.date) -> bool:
        return self.declared_on <= day <= self.valid_until


class SupervisionVisit(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("检查中")
        CLOSED = "closed", _("已办结")

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="supervision_visits", verbose_name=_("被检查机构")
    )
    visited_on = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=200)
    scope = models.CharField(_("检查内容"), max_length=300)
    summary = models.TextField(_("检查情况"), max_length=4000, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("监督检查")
        verbose_name_plural = _("监督检查")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True) | Q(status="closed", closed_on__isnull=False),
                name="visit_closed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} {self.visited_on}"

    @property
    def reference(self) -> str:
        return f"JD-{self.pk}"


class VisitFinding(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("严重")

    visit = models.ForeignKey(SupervisionVisit, models.CASCADE, related_name="findings", verbose_name=_("监督检查"))
    clause = models.CharField(_("评价项"), max_length=20)  # an item code of data/evaluation.json
    description = models.TextField(_("问题描述"), max_length=2000)
    severity = models.CharField(_("严重程度"), max_length=6, choices=Severity.choices)
    rectify_by = models.DateField(_("整改期限"))
    rectified_on = models.DateField(_("整改完成日期"), null=True, blank=True)

    class Meta:
        ordering = ["visit_id", "id"]
        verbose_name = _("监督检查发现")
        verbose_name_plural = _("监督检查发现")

    @property
    def reference(self) -> str:
        return f"JD-{self.visit_id}-{self.pk}"


class Evaluation(models.Model):
    class Result(models.TextChoices):
        GOOD = "good", _("良好")
        CONFORMING = "conforming", _("合格")
        IMPROVE = "improve", _("需整改")

    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="capability_evaluations", verbose_name=_("机构"))
    evaluated_on = models.DateField(_("评价日期"))
    rules_version = models.PositiveSmallIntegerField(_("评价细则版本"))
    items = models.JSONField(_("评分项"))  # [{code, points, score, figures}]
    score = models.FloatField(_("得分"))
    result = models.CharField(_("评价结果"), max_length=10, choices=Result.choices)
    note = models.CharField(_("评价意见"), max_length=500, blank=True)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-evaluated_on", "-id"]
        verbose_name = _("能力评价")
        verbose_name_plural = _("能力评价")
        constraints = [models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="evaluation_score_range")]
