"""Random inspections (双随机、一公开) and inspection campaigns (专项检查).

- ``Target``: the 检查对象名录库 — an organisation of the registry, what it may be inspected
  for (its kind: fuel station, optician …).
- ``Inspector`` and ``ConflictTie``: the 执法检查人员名录库 — an enforcement officer (a
  user of the supervising administration, its 执法证 and validity, region and fields) and
  the organisations the officer must never be drawn for (回避, 行政处罚法 第四十三条).
- ``Draw``: a published plan with its commitment, performed later with the revealed seed
  and a public value (docs/draws.md).
- ``Campaign``: a 专项检查 with its scope; ``Inspection`` one visit to a target, with its
  checklist answers (``ItemResult``), photos, ``Finding`` rows, sign-offs and
  ``RectificationOrder`` rows.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Organisation, Person, Region


class TargetKind(models.TextChoices):
    FUEL_STATION = "fuel_station", _("加油站")
    OPTICIAN = "optician", _("眼镜制配场所")
    MARKET = "market", _("集贸市场")
    PREPACK_PRODUCER = "prepack_producer", _("定量包装商品生产者")
    INSTRUMENT_USER = "instrument_user", _("强制检定计量器具使用单位")


class Target(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="inspection_targets", verbose_name=_("检查对象"))
    kind = models.CharField(_("对象类别"), max_length=20, choices=TargetKind.choices)
    active = models.BooleanField(_("在库"), default=True)
    added_on = models.DateField(_("入库日期"), default=timezone.localdate)

    class Meta:
        ordering = ["organisation_id", "kind"]
        verbose_name = _("检查对象")
        verbose_name_plural = _("检查对象名录库")
        constraints = [models.UniqueConstraint(fields=["organisation", "kind"], name="inspection_target_unique")]

    def __str__(self):
        return f"{self.organisation} · {self.get_kind_display()}"


class Inspector(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="inspector", verbose_name=_("用户")
    )
    person = models.ForeignKey(Person, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("人员"))
    name = models.CharField(_("姓名"), max_length=50)
    certificate_number = models.CharField(_("执法证号"), max_length=40, unique=True)
    certificate_valid_until = models.DateField(_("执法证有效期至"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="inspectors", verbose_name=_("所属地区"))
    kinds = models.JSONField(_("可检查对象类别"), default=list)  # TargetKind values
    active = models.BooleanField(_("在库"), default=True)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录库")

    def __str__(self):
        return self.name


class ConflictTie(models.Model):
    """A declared tie of an officer to an organisation (回避, 行政处罚法 第四十三条)."""

    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", _("现任职")
        FORMER_EMPLOYMENT = "former_employment", _("曾任职")
        RELATIVE = "relative", _("近亲属任职或经营")
        SHAREHOLDING = "shareholding", _("持股或其他利害关系")

    inspector = models.ForeignKey(Inspector, models.CASCADE, related_name="ties", verbose_name=_("执法检查人员"))
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+", verbose_name=_("机构"))
    kind = models.CharField(_("关系"), max_length=20, choices=Kind.choices)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)  # a former employment's end
    declared_on = models.DateField(_("申报日期"), default=timezone.localdate)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["inspector_id", "organisation_id"]
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")


def new_seed() -> str:
    return secrets.token_hex(32)


class Draw(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("已公示待抽取")
        PERFORMED = "performed", _("已抽取")

    title = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(Region, models.PROTECT, related_name="draws", verbose_name=_("地区"))
    kind = models.CharField(_("对象类别"), max_length=20, choices=TargetKind.choices)
    plan = models.JSONField(_("抽查方案"))
    plan_hash = models.CharField(_("方案哈希"), max_length=64)
    commitment = models.CharField(_("承诺值"), max_length=64)
    seed = models.CharField(_("随机种子"), max_length=64, default=new_seed)  # secret until performed
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    due_on = models.DateField(_("计划抽取日期"))
    published_at = models.DateTimeField(_("公示时间"), default=timezone.now)
    external_value = models.CharField(_("外部公开值"), max_length=200, blank=True)
    public_value = models.CharField(_("公开值"), max_length=300, blank=True)
    result = models.JSONField(_("抽取结果"), null=True, blank=True)
    performed_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("随机抽取")
        verbose_name_plural = _("随机抽取")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="published", result__isnull=True) | Q(status="performed", result__isnull=False),
                name="draw_result_when_performed",
            )
        ]

    def __str__(self):
        return self.title

    def document(self) -> dict:
        """PLAN.json (docs/draws.md §4); the seed only once revealed."""
        performed = self.status == self.Status.PERFORMED
        return {
            "format": "jiliang-draw/1",
            "plan": self.plan,
            "plan_hash": self.plan_hash,
            "commitment": self.commitment,
            "seed": self.seed if performed else None,
            "public_value": self.public_value if performed else None,
            "result": self.result if performed else None,
        }


class Campaign(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    title = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(Region, models.PROTECT, related_name="campaigns", verbose_name=_("范围（地区）"))
    kind = models.CharField(_("对象类别"), max_length=20, choices=TargetKind.choices)
    draw = models.OneToOneField(Draw, models.SET_NULL, null=True, blank=True, related_name="campaign", verbose_name=_("随机抽取"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("专项检查")
        verbose_name_plural = _("专项检查")
        constraints = [models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="campaign_dates_ordered")]

    def __str__(self):
        return self.title


class Inspection(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("待检查")
        COMPLETED = "completed", _("已检查")
        PUBLISHED = "published", _("已公示")

    class Outcome(models.TextChoices):
        CLEAN = "clean", _("未发现问题")
        FINDINGS = "findings", _("发现问题")

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="inspections", verbose_name=_("专项检查"))
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="field_inspections", verbose_name=_("检查对象"))
    kind = models.CharField(_("对象类别"), max_length=20, choices=TargetKind.choices)
    grade = models.CharField(_("信用风险分类"), max_length=1, blank=True)
    inspectors = models.ManyToManyField(Inspector, related_name="inspections", verbose_name=_("执法检查人员"))
    scheduled_on = models.DateField(_("计划检查日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    outcome = models.CharField(_("检查结果"), max_length=10, choices=Outcome.choices, blank=True)
    completed_on = models.DateField(_("检查日期"), null=True, blank=True)
    publish_by = models.DateField(_("公示期限"), null=True, blank=True)
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    summary = models.TextField(_("检查情况"), blank=True)

    class Meta:
        ordering = ["scheduled_on", "id"]
        verbose_name = _("现场检查")
        verbose_name_plural = _("现场检查")
        constraints = [models.UniqueConstraint(fields=["campaign", "organisation"], name="inspection_one_per_campaign")]

    def __str__(self):
        return f"{self.campaign} · {self.organisation}"

    @property
    def reference(self) -> str:
        return f"JC-{self.campaign_id}-{self.pk}"


class ItemResult(models.Model):
    class Verdict(models.TextChoices):
        PASS = "pass", _("符合")
        FAIL = "fail", _("不符合")
        NA = "na", _("不适用")

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="items", verbose_name=_("现场检查"))
    item = models.CharField(_("检查项"), max_length=40)  # a code of jiliang.inspections.checklists
    verdict = models.CharField(_("结论"), max_length=4, choices=Verdict.choices)
    measurement = models.FloatField(_("测得值"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = _("检查项结论")
        verbose_name_plural = _("检查项结论")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="inspection_item_once")]


class Finding(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("严重")

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="findings", verbose_name=_("现场检查"))
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="inspection_findings", verbose_name=_("检查对象"))
    item = models.CharField(_("检查项"), max_length=40)
    description = models.TextField(_("问题描述"))
    severity = models.CharField(_("严重程度"), max_length=6, choices=Severity.choices)
    occurred_on = models.DateField(_("发现日期"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = _("检查发现")
        verbose_name_plural = _("检查发现")

    @property
    def reference(self) -> str:
        return f"JC-{self.inspection.campaign_id}-{self.inspection_id}-{self.pk}"


class Signoff(models.Model):
    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="signoffs", verbose_name=_("现场检查"))
    inspector = models.ForeignKey(Inspector, models.PROTECT, related_name="+", verbose_name=_("执法检查人员"))
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("检查签署")
        verbose_name_plural = _("检查签署")
        constraints = [models.UniqueConstraint(fields=["inspection", "inspector"], name="inspection_signed_once")]


def photo_path(photo: InspectionPhoto, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"inspections/{timezone.now():%Y/%m}/{secrets.token_hex(12)}.{ext}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="photos", verbose_name=_("现场检查"))
    image = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")


class RectificationOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("整改中")
        RECTIFIED = "rectified", _("已整改")
        NOT_RECTIFIED = "not_rectified", _("逾期未整改")

    finding = models.OneToOneField(Finding, models.CASCADE, related_name="order", verbose_name=_("检查发现"))
    issued_on = models.DateField(_("下达日期"))
    working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.OPEN)
    followed_up_on = models.DateField(_("复查日期"), null=True, blank=True)
    follow_up = models.TextField(_("复查情况"), blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("责令整改通知")
        verbose_name_plural = _("责令整改通知")
