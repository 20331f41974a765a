"""Credit records (信用记录): one per organisation, made of the evidence the platform holds.

- ``Evidence``: the pieces collected from the source apps (their ``credit_evidence``
  providers), rebuilt by each collection, so nothing is typed in twice. A piece is named by
  (organisation, kind, reference), which is what objections and repairs point at.
- ``RuleSetVersion``: the published rule sets after the shipped default (``rules.py``,
  ``data/default_rules.json``), each applying from its date.
- ``CreditGrade``: the grade history, one row per change (a new class, or the same class
  under a new rule version), with the score, the rule version and the evidence behind it;
  ``current`` marks each organisation's latest row.
- ``Objection`` (异议) and ``Repair`` (信用修复): the organisation's requests about one piece,
  decided by the supervising authority; an upheld objection or a granted repair adds an
  ``Exclusion`` so the piece stops counting from the decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Organisation


# Evidence and grades are derived rows written by the million with INSERT … SELECT: no
# database-level foreign key (its per-row trigger would double the write), Django cascades.
class Evidence(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+", verbose_name=_("机构"), db_constraint=False)
    kind = models.CharField(_("信息类别"), max_length=40)
    occurred_on = models.DateField(_("发生日期"))
    reference = models.CharField(_("编号"), max_length=100)

    class Meta:
        ordering = ["organisation_id", "-occurred_on", "kind", "reference"]
        verbose_name = _("信用信息")
        verbose_name_plural = _("信用信息")


class RuleSetVersion(models.Model):
    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateField(_("施行日期"))
    document = models.JSONField(_("规则"))
    note = models.CharField(_("修订说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-version"]
        verbose_name = _("信用分类规则版本")
        verbose_name_plural = _("信用分类规则版本")

    def __str__(self):
        return f"v{self.version} ({self.effective_from})"


class CreditGrade(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+", verbose_name=_("机构"), db_constraint=False)
    grade = models.CharField(_("信用等级"), max_length=8)
    previous = models.CharField(_("原等级"), max_length=8, blank=True)
    score = models.FloatField(_("分值"))
    graded_on = models.DateField(_("评定日期"))
    rule_version = models.PositiveIntegerField(_("规则版本"))
    # "kind:reference" of each counted piece, ";"-separated: the evidence behind the grade.
    evidence = models.TextField(_("依据信息"), blank=True)
    current = models.BooleanField(_("现行"), default=True)
    created_at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["organisation_id", "-graded_on", "-id"]
        verbose_name = _("信用等级")
        verbose_name_plural = _("信用等级")

    def pieces(self) -> list[tuple[str, str]]:
        return [tuple(p.split(":", 1)) for p in self.evidence.split(";") if ":" in p]


class _Request(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACCEPTED = "accepted", _("已采纳")
        REFUSED = "refused", _("不予采纳")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+", verbose_name=_("机构"))
    kind = models.CharField(_("信息类别"), max_length=40)
    reference = models.CharField(_("编号"), max_length=100)
    occurred_on = models.DateField(_("发生日期"))
    statement = models.TextField(_("理由"), max_length=4000)
    attachment = models.FileField(_("证明材料"), upload_to="credit/%Y/%m", max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    filed_on = models.DateField(_("提出日期"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decision_reason = models.CharField(_("决定理由"), max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["-filed_on", "-id"]


class Objection(_Request):
    class Meta(_Request.Meta):
        verbose_name = _("信用异议")
        verbose_name_plural = _("信用异议")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "reference"], condition=Q(status="open"), name="credit_objection_one_open"
            )
        ]


class Repair(_Request):
    class Meta(_Request.Meta):
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "reference"], condition=Q(status="open"), name="credit_repair_one_open"
            )
        ]


class Exclusion(models.Model):
    class Why(models.TextChoices):
        OBJECTION = "objection", _("异议成立")
        REPAIR = "repair", _("信用修复")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    reference = models.CharField(max_length=100)
    why = models.CharField(max_length=10, choices=Why.choices)
    effective_on = models.DateField()
    objection = models.ForeignKey(Objection, models.CASCADE, null=True, blank=True, related_name="+")
    repair = models.ForeignKey(Repair, models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["organisation", "kind", "reference"])]
