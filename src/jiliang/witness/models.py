"""The centre's witness log of the provinces' audit-ledger checkpoints, and each province's
record of what it published.

At the centre: ``ProvinceKey`` (whose checkpoints are accepted, and the key they must be
signed with), ``LogEntry`` (one leaf of the append-only Merkle log, RFC 9162 §2.1: a
province's signed checkpoint with the centre's countersignature), ``TreeHead`` (the
signed tree head after each append) and ``Refusal`` (a checkpoint refused, kept as
evidence: a forged signature, or a ledger that did not only grow). At a province:
``PublishedCheckpoint``, the checkpoints it sent, the last of which the next must extend.

Log entries and tree heads are written once: the models refuse a change or a delete
through the application (as the audit ledger's do).
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnly(PermissionDenied):
    """Witness log rows are written once."""


class _WrittenOnce(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"{type(self).__name__} rows are append-only")


class ProvinceKey(models.Model):
    """A province whose ledger the centre witnesses, and the public key its checkpoints
    are signed with (its legal metrology institute's key in the platform PKI)."""

    province = models.CharField(_("省级行政区划代码"), max_length=2, primary_key=True, help_text="GB/T 2260")
    name = models.CharField(_("名称"), max_length=100)
    public_key = models.TextField(_("公钥"), help_text="PEM")
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["province"]
        verbose_name = _("见证省份")
        verbose_name_plural = _("见证省份")

    def __str__(self):
        return f"{self.province} {self.name}"


class LogEntry(_WrittenOnce):
    """Leaf ``index`` (0-based) of the log. ``leaf`` is the leaf input, the canonical JSON
    of everything else that matters (province, checkpoint, its signature, the consistency
    path from the province's previous checkpoint, when witnessed, the index); ``leaf_hash``
    is HASH(0x00 || leaf); ``countersignature`` is the centre's signature over ``leaf``."""

    index = models.PositiveBigIntegerField(_("叶序号"), primary_key=True)
    province = models.CharField(_("省级行政区划代码"), max_length=2)
    checkpoint = models.TextField(_("检查点"), help_text="the province's checkpoint body as signed (canonical JSON)")
    checkpoint_sha256 = models.CharField(_("检查点摘要"), max_length=64, unique=True)
    province_signature = models.JSONField(_("省级签名"))
    ledger_size = models.PositiveBigIntegerField(_("台账条数"))
    ledger_root = models.CharField(_("台账树根"), max_length=64)
    ledger_consistency = models.JSONField(_("台账一致性证明"), default=list)
    witnessed_at = models.DateTimeField(_("见证时间"))
    leaf = models.TextField(_("叶内容"))
    leaf_hash = models.CharField(_("叶哈希"), max_length=64)
    countersignature = models.JSONField(_("中心副署"))

    class Meta:
        ordering = ["index"]
        verbose_name = _("见证日志条目")
        verbose_name_plural = _("见证日志条目")
        indexes = [models.Index(fields=["province", "ledger_size"], name="witness_province_size")]

    def __str__(self):
        return f"#{self.index} {self.province} {self.ledger_size}"

    @property
    def checkpoint_data(self) -> dict:
        return json.loads(self.checkpoint)


class TreeHead(_WrittenOnce):
    """The signed tree head (STH) of the log at ``tree_size`` entries. ``frontier`` is the
    compact range of the tree (the roots of its perfect subtrees, left to right), so the
    next append costs O(log n) hashes rather than reading every leaf."""

    tree_size = models.PositiveBigIntegerField(_("树大小"), primary_key=True)
    root_hash = models.CharField(_("树根"), max_length=64)
    timestamp = models.DateTimeField(_("时间"))
    signature = models.JSONField(_("中心签名"))
    frontier = models.JSONField(_("紧凑范围"), default=list)

    class Meta:
        ordering = ["-tree_size"]
        verbose_name = _("签名树头")
        verbose_name_plural = _("签名树头")

    def __str__(self):
        return f"STH {self.tree_size} {self.root_hash[:16]}"


class Refusal(models.Model):
    """A checkpoint the centre refused, kept as it arrived: a signed checkpoint whose
    ledger did not only grow is the province's own signed evidence of a rewritten history."""

    province = models.CharField(_("省级行政区划代码"), max_length=2)
    rule = models.CharField(_("规则"), max_length=50)
    reason = models.TextField(_("原因"))
    checkpoint = models.TextField(_("检查点"))
    province_signature = models.JSONField(_("省级签名"), null=True, blank=True)
    params = models.JSONField(_("参数"), default=dict, help_text="the refusal's message parameters")
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("拒收记录")
        verbose_name_plural = _("拒收记录")

    def __str__(self):
        return f"{self.province} {self.rule}"


class PublishedCheckpoint(_WrittenOnce):
    """At a province: a checkpoint it signed and sent to the centre. The next one must
    extend the last (its ledger tree a prefix of the next), which the province checks
    before it sends anything."""

    ledger_size = models.PositiveBigIntegerField(_("台账条数"), primary_key=True)
    ledger_root = models.CharField(_("台账树根"), max_length=64)
    checkpoint = models.TextField(_("检查点"))
    signature = models.JSONField(_("签名"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        ordering = ["-ledger_size"]
        verbose_name = _("已发布检查点")
        verbose_name_plural = _("已发布检查点")
