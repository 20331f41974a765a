"""The audit ledger's tables: append-only entries forming a hash chain, the head, and the
leaves of bulk batches.

Entries are appended only by ``jiliang.audit`` (``record``, ``record_many``,
``record_batches`` and the signal handlers), with SQL under a lock on the head row. A bulk
write (the generator, an import) is covered by batch entries whose row digest is the Merkle
root (``jiliang.core.merkle``) of the written rows' digests; the digests themselves, kept
in ``LedgerPage`` rows of up to 256 digests each, let verify name the one row that changed. Through the application they
cannot be written otherwise, changed or deleted: the model's ``save`` and ``delete``
refuse, and so do the queryset's ``update``, ``delete``, ``bulk_update`` and ``bulk_create``. Changes made outside the application (raw SQL) are what
``services.verify`` detects.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerImmutable(PermissionDenied):
    """Audit entries are append-only."""


def _refuse(what: str):
    raise LedgerImmutable(f"audit entries are append-only: {what} is not allowed")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse("update")

    def delete(self):
        _refuse("delete")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse("bulk_update")

    def _raw_delete(self, using):
        _refuse("delete")

    def update_or_create(self, *args, **kwargs):
        _refuse("update_or_create")

    def bulk_create(self, objs, *args, **kwargs):
        _refuse("writing entries other than through jiliang.audit.services")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("创建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        STATUS_CHANGE = "status_change", _("状态变更")
        REVOKE = "revoke", _("撤销")
        IMPORT = "import", _("导入")
        CHECKPOINT = "checkpoint", _("检查点")
        LOGIN = "login", _("登录")
        OTHER = "other", _("其他")

    sequence = models.PositiveBigIntegerField(_("序号"), primary_key=True)
    timestamp = models.DateTimeField(_("时间"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("操作用户"),
        # No constraint and DO_NOTHING: deleting a user must not rewrite (and so break) the chain.
    )
    actor = models.CharField(_("操作者"), max_length=150, help_text=_("user name, or the system job (cli:import, …)"))
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=100, help_text="app_label.model")
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    natural_key = models.CharField(_("对象编号"), max_length=200, blank=True)
    old_values = models.TextField(_("原值"), null=True, blank=True, help_text=_("canonical JSON"))
    new_values = models.TextField(_("新值"), null=True, blank=True, help_text=_("canonical JSON"))
    reason = models.TextField(_("原因"), null=True, blank=True)
    row_digest = models.CharField(
        _("行摘要"), max_length=64, null=True, blank=True, help_text=_("SHA-256 of the live row after the write")
    )
    previous_hash = models.CharField(_("前一条哈希"), max_length=64)
    entry_hash = models.CharField(_("本条哈希"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        base_manager_name = "objects"
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id", "sequence"], name="audit_object_history")]
        default_permissions = ("view",)

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.object_type} {self.object_id}"

    @property
    def old(self):
        return None if self.old_values is None else json.loads(self.old_values)

    @property
    def new(self):
        return None if self.new_values is None else json.loads(self.new_values)

    def save(self, *args, **kwargs):
        # The services append with SQL under the head lock; an entry saved any other way
        # would not be on the chain.
        _refuse("changing an entry" if not self._state.adding else "writing entries other than through jiliang.audit.services")

    def delete(self, *args, **kwargs):
        _refuse("delete")


class LedgerPage(models.Model):
    """A page of a bulk batch: the ids and digests of up to ``merkle.PAGE`` of its rows (the
    leaves of the Merkle tree whose root the batch's entry, ``batch`` its sequence, records
    in ``row_digest``), in id order; the batch's leaves are its pages in ``page`` order. One
    row per page rather than per leaf: a batch of 10^6 rows is some 4,000 rows to write."""

    pk = models.CompositePrimaryKey("batch", "page")
    batch = models.PositiveBigIntegerField(_("批次条目序号"))
    page = models.PositiveIntegerField(_("页序号"))
    object_ids = models.BinaryField(_("对象标识"))  # 8-byte big-endian integers, ascending
    row_digests = models.BinaryField(_("行摘要"))  # 32 bytes a row, in the order of object_ids

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("批次摘要页")
        verbose_name_plural = _("批次摘要页")
        default_permissions = ()

    def save(self, *args, **kwargs):
        _refuse("writing leaves other than through jiliang.audit")

    def delete(self, *args, **kwargs):
        _refuse("delete")


class LedgerHead(models.Model):
    """The last entry appended (one row, id 1). Writers lock it, which keeps concurrent
    writers on one chain; verify compares it with where the chain ends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计台账头")
        default_permissions = ()
