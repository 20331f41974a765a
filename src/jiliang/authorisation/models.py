"""The authorisation register (计量授权): which institutions the government's metrology
administrations set up or authorised to perform mandatory verification (强制检定), for
which catalogue items and ranges, in which area, and until when.

计量法 第二十条: 县级以上人民政府计量行政部门可以根据需要设置计量检定机构，或者授权其他
单位的计量检定机构，执行强制检定和其他检定、测试任务. 计量法实施细则 (2018) 第三十条 and
计量授权管理办法 (1989) 第四条 name the forms of an authorisation; 第三十一条 and the 办法
require the 计量授权证书 that states the authorised items and area (在规定的范围内).

An authorisation's items and areas carry the days they were added and removed, and every
act (granted, extended, narrowed, widened, revoked) is a row of its history, so whether an
institution was authorised for an item on a past day is known.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import CatalogItem, Organisation, Region


class Authorisation(models.Model):
    """One 计量授权证书 (or, for an institute the government set up, its designation)."""

    class Form(models.TextChoices):
        # 计量法 第二十条: set up by the administration (依法设置的法定计量检定机构).
        ESTABLISHED = "established", _("依法设置的法定计量检定机构")
        # 实施细则 第三十条 (一)–(四); 计量授权管理办法 第四条.
        AS_LEGAL_INSTITUTE = "as_legal_institute", _("授权作为法定计量检定机构")
        PUBLIC_STANDARD = "public_standard", _("授权建立社会公用计量标准")
        INTERNAL = "internal", _("授权对内部使用的强制检定计量器具执行强制检定")
        OTHER_TASKS = "other_tasks", _("授权承担其他检定、测试任务")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("撤销")

    # The forms under which the holder performs mandatory verification of others'
    # instruments (INTERNAL: only the holder's own; PUBLIC_STANDARD alone: none).
    VERIFYING_FORMS = (Form.ESTABLISHED, Form.AS_LEGAL_INSTITUTE, Form.OTHER_TASKS, Form.INTERNAL)

    number = models.CharField(_("授权证书编号"), max_length=60, unique=True)
    institution = models.ForeignKey(Organisation, models.PROTECT, related_name="authorisations", verbose_name=_("被授权机构"))
    issuing_authority = models.ForeignKey(
        Organisation, models.PROTECT, related_name="issued_authorisations", verbose_name=_("授权部门")
    )
    form = models.CharField(_("授权形式"), max_length=20, choices=Form.choices)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("计量授权")
        verbose_name_plural = _("计量授权")
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lt=F("valid_until")), name="authorisation_validity_ordered"),
            models.CheckConstraint(
                condition=Q(status="active", revoked_on__isnull=True) | Q(status="revoked", revoked_on__isnull=False),
                name="authorisation_revoked_has_date",
            ),
        ]
        indexes = [models.Index(fields=["institution", "valid_until"])]

    def __str__(self):
        return f"{self.number} {self.institution}"

    def in_force_on(self, on: dt.date) -> bool:
        return self.valid_from <= on <= self.valid_until and (self.revoked_on is None or on < self.revoked_on)


class AuthorisedItem(models.Model):
    """A catalogue item (and range) the authorisation covers, from ``added_on`` until the
    day it was removed (narrowed)."""

    authorisation = models.ForeignKey(Authorisation, models.CASCADE, related_name="items", verbose_name=_("计量授权"))
    catalog_item = models.ForeignKey(CatalogItem, models.PROTECT, related_name="authorisations", verbose_name=_("授权项目"))
    range_min = models.FloatField(_("测量范围下限"), null=True, blank=True)
    range_max = models.FloatField(_("测量范围上限"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    added_on = models.DateField(_("授权日期"))
    removed_on = models.DateField(_("取消日期"), null=True, blank=True)

    class Meta:
        ordering = ["authorisation_id", "catalog_item__code", "added_on"]
        verbose_name = _("授权项目")
        verbose_name_plural = _("授权项目")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_min__isnull=True) | Q(range_max__isnull=True) | Q(range_min__lte=F("range_max")),
                name="authorised_item_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gt=F("added_on")), name="authorised_item_removed_after_added"
            ),
            models.UniqueConstraint(fields=["authorisation", "catalog_item", "added_on"], name="authorised_item_once_a_day"),
        ]

    def __str__(self):
        return f"{self.catalog_item.code} {self.range_min}–{self.range_max} {self.unit}".strip()

    def on(self, day: dt.date) -> bool:
        return self.added_on <= day and (self.removed_on is None or day < self.removed_on)


class AuthorisedArea(models.Model):
    """A region the authorisation serves (it and the regions inside it), from ``added_on``
    until the day it was removed."""

    authorisation = models.ForeignKey(Authorisation, models.CASCADE, related_name="areas", verbose_name=_("计量授权"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="authorisations", verbose_name=_("服务区域"))
    added_on = models.DateField(_("授权日期"))
    removed_on = models.DateField(_("取消日期"), null=True, blank=True)

    class Meta:
        ordering = ["authorisation_id", "region__code", "added_on"]
        verbose_name = _("服务区域")
        verbose_name_plural = _("服务区域")
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gt=F("added_on")), name="authorised_area_removed_after_added"
            ),
            models.UniqueConstraint(fields=["authorisation", "region", "added_on"], name="authorised_area_once_a_day"),
        ]

    def on(self, day: dt.date) -> bool:
        return self.added_on <= day and (self.removed_on is None or day < self.removed_on)


class AuthorisationChange(models.Model):
    """One act on an authorisation, oldest first: granted, extended, narrowed, widened,
    revoked; with the reason and what changed."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("授权")
        EXTENDED = "extended", _("延续")
        NARROWED = "narrowed", _("缩小范围")
        WIDENED = "widened", _("扩大范围")
        REVOKED = "revoked", _("撤销")

    authorisation = models.ForeignKey(Authorisation, models.CASCADE, related_name="history", verbose_name=_("计量授权"))
    action = models.CharField(_("动作"), max_length=10, choices=Action.choices)
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=300)
    detail = models.JSONField(_("变更内容"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["authorisation_id", "at", "id"]
        verbose_name = _("授权变更记录")
        verbose_name_plural = _("授权变更记录")
