"""Standard reference data (标准参考数据): a dataset, its numbered versions, their rows.

A version is the citable unit: ``SRD-<code>-v<n>`` names it for ever, and
``SRD-<code>-v<n>#row-<k>`` one row of it. Once approved, a version and its rows never
change: the models refuse a save or a delete of an approved version's rows (and the
querysets refuse bulk updates and deletes), and the approval records the SHA-256 of the
version's canonical content so a changed row is detectable even if written past Django.
A correction is a new version; the old one stays as it was, so a value cited years ago is
still there under its identifier.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Organisation

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9.]*(-[A-Z0-9.]+)*$"
IDENTIFIER = re.compile(r"^SRD-(?P<code>[A-Z0-9][A-Z0-9.-]*?)-v(?P<version>[0-9]+)(?:#row-(?P<row>[0-9]+))?$")


class ImmutableVersion(Exception):
    """A write to an approved version (or its rows): refused, a new version is the way."""


class Dataset(models.Model):
    code = models.CharField(_("数据集代码"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    subject = models.CharField(_("领域"), max_length=100, blank=True)
    issuer = models.ForeignKey(Organisation, models.PROTECT, related_name="reference_datasets", verbose_name=_("发布机构"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("标准参考数据集")
        verbose_name_plural = _("标准参考数据集")
        constraints = [models.CheckConstraint(condition=models.Q(code__regex=CODE_PATTERN), name="refdata_dataset_code_form")]

    def __str__(self):
        return f"{self.code} {self.title}"


class VersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=DatasetVersion.Status.APPROVED).exists():
            raise ImmutableVersion("approved versions are immutable")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=DatasetVersion.Status.APPROVED).exists():
            raise ImmutableVersion("approved versions are immutable")
        return super().delete()


class DatasetVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回修改")
        APPROVED = "approved", _("已批准发布")

    dataset = models.ForeignKey(Dataset, models.PROTECT, related_name="versions", verbose_name=_("数据集"))
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    issuing_body = models.CharField(_("数据来源机构"), max_length=200)
    provenance = models.TextField(_("来源与引用"))
    source_url = models.URLField(_("来源网址"), max_length=300, blank=True)
    method = models.TextField(_("测量或评定方法"))
    uncertainty_note = models.CharField(_("不确定度说明"), max_length=300)
    # The language the source's own texts (names, provenance, method) are written in, BCP 47:
    # the pages mark them with it, so a Chinese page does not pass English data off as its own.
    language = models.CharField(_("数据语言"), max_length=20, default="zh-Hans")
    columns = models.JSONField(_("列定义"), default=list)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    source_file = models.CharField(_("导入文件"), max_length=200, blank=True)
    sha256 = models.CharField(_("内容摘要 SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["dataset__code", "-number"]
        verbose_name = _("标准参考数据版本")
        verbose_name_plural = _("标准参考数据版本")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="refdata_version_unique_number"),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | ~models.Q(sha256=""), name="refdata_approved_has_digest"
            ),
        ]

    def __str__(self):
        return self.identifier

    @property
    def identifier(self) -> str:
        return f"SRD-{self.dataset.code}-v{self.number}"

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return type(self)._base_manager.filter(pk=self.pk).values_list("status", flat=True).first()

    def save(self, *args, **kwargs):
        if self._stored_status() == self.Status.APPROVED:
            raise ImmutableVersion(f"{self.identifier} is approved: publish a new version instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == self.Status.APPROVED:
            raise ImmutableVersion(f"{self.identifier} is approved and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def value_columns(self) -> list[dict]:
        return [c for c in self.columns if c.get("kind") == "value"]


class RowQuerySet(models.QuerySet):
    def _touches_approved(self) -> bool:
        return self.filter(version__status=DatasetVersion.Status.APPROVED).exists()

    def update(self, **kwargs):
        if self._touches_approved():
            raise ImmutableVersion("rows of an approved version are immutable")
        return super().update(**kwargs)

    def delete(self):
        if self._touches_approved():
            raise ImmutableVersion("rows of an approved version are immutable")
        return super().delete()


class DatasetRow(models.Model):
    """One row: the cells as the imported file wrote them (text, so the digits a publisher
    printed are the digits served and cited)."""

    version = models.ForeignKey(DatasetVersion, models.PROTECT, related_name="rows", verbose_name=_("版本"))
    number = models.PositiveIntegerField(_("行号"))
    values = models.JSONField(_("数值"), default=dict)

    objects = RowQuerySet.as_manager()

    class Meta:
        ordering = ["version_id", "number"]
        verbose_name = _("标准参考数据行")
        verbose_name_plural = _("标准参考数据行")
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="refdata_row_unique_number")]

    def _approved(self) -> bool:
        return DatasetVersion.objects.filter(pk=self.version_id, status=DatasetVersion.Status.APPROVED).exists()

    def save(self, *args, **kwargs):
        if self._approved():
            raise ImmutableVersion("rows of an approved version are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._approved():
            raise ImmutableVersion("rows of an approved version are immutable")
        return super().delete(*args, **kwargs)

    @property
    def citation(self) -> str:
        return f"{self.version.identifier}#row-{self.number}"
