"""The federation's tables: what a province sends (its outbox), what an instance received
(applied records and refusals, one high-water mark per origin) and the federated view the
records build (keyed by province code: GB/T 2260's two leading digits, or "national" for
the centre).

The same tables serve both ends. The national centre holds every province's view; a
province holds what the centre sends back (primary standards, the national catalogue,
other provinces' certificates that its own chains rest on, recall notices).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

NATIONAL = "national"  # the origin code of the centre's own records


class ProvinceStatus(models.Model):
    """One origin (a province, or the centre seen from a province): whom to trust for its
    records, and how far its records have been applied here."""

    code = models.CharField(_("省级代码"), max_length=8, unique=True, help_text=_("GB/T 2260 前两位，或 national"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    # Whose key signs this origin's records (the certificate's O field is the credit code);
    # empty: any institution of the platform registered in that province.
    institution_credit_code = models.CharField(_("签名机构统一社会信用代码"), max_length=18, blank=True)
    # The origin's root CA certificates (PEM); empty: this platform's own root CAs.
    anchors_pem = models.TextField(_("信任根证书 PEM"), blank=True)
    applied_through = models.PositiveBigIntegerField(_("连续应用至序号"), default=0)
    highest_seq = models.PositiveBigIntegerField(_("收到的最大序号"), default=0)
    published_seq = models.PositiveBigIntegerField(_("已发布序号"), default=0)
    applied_count = models.PositiveBigIntegerField(_("已应用数"), default=0)
    duplicate_count = models.PositiveBigIntegerField(_("重复数"), default=0)
    refused_count = models.PositiveBigIntegerField(_("拒收数"), default=0)
    last_seen_at = models.DateTimeField(_("最近收到"), null=True, blank=True)
    last_applied_at = models.DateTimeField(_("最近应用"), null=True, blank=True)
    last_signed_at = models.DateTimeField(_("最近应用记录的签名时间"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("省级节点状态")
        verbose_name_plural = _("省级节点状态")

    def __str__(self):
        return f"{self.code} {self.name}".strip()

    @property
    def lag(self) -> int:
        """Records published (or seen) but not yet applied in order."""
        return max(self.published_seq, self.highest_seq) - self.applied_through


class AppliedRecord(models.Model):
    """A record applied here: its id is the idempotency key, written in the same transaction
    as the record's effect."""

    record_id = models.CharField(_("记录标识"), max_length=40, unique=True)
    province = models.CharField(_("来源"), max_length=8)
    seq = models.PositiveBigIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=40)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("签名时间"))
    applied_at = models.DateTimeField(_("应用时间"), auto_now_add=True)

    class Meta:
        ordering = ["province", "seq"]
        verbose_name = _("已应用记录")
        verbose_name_plural = _("已应用记录")
        indexes = [models.Index(fields=["province", "seq"])]


class RefusedRecord(models.Model):
    """A record refused here, with the rule that refused it; nothing of it was applied."""

    record_id = models.CharField(_("记录标识"), max_length=40, blank=True)
    province = models.CharField(_("来源"), max_length=8, blank=True)
    seq = models.PositiveBigIntegerField(_("序号"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=40, blank=True)
    rule = models.CharField(_("规则"), max_length=60)
    detail = models.TextField(_("说明"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    raw = models.TextField(_("原文"), blank=True)
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("拒收记录")
        verbose_name_plural = _("拒收记录")
        indexes = [models.Index(fields=["province", "received_at"])]


class OutboxRecord(models.Model):
    """What this instance publishes, in order: seq is contiguous from 1 (the record id is
    ``origin:seq``). The body is fixed when the change is collected; the signed bytes are made
    once, on first publication, so a re-publication sends the very same bytes."""

    seq = models.PositiveBigIntegerField(_("序号"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=40)
    key = models.CharField(_("对象"), max_length=120, blank=True)
    body = models.JSONField(_("内容"))
    raw = models.BinaryField(_("已签名记录"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("待发布记录")
        verbose_name_plural = _("待发布记录")


class OutboxCursor(models.Model):
    """How far the outbox has read one source of changes (a table's id, the audit ledger's
    sequence, the digest of the last coverage snapshot)."""

    source = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, blank=True)


# ----------------------------------------------------------------- the federated view


class FederatedStandard(models.Model):
    """A province's public measurement standard (with its capabilities), or, under the
    origin "national", a primary standard (计量基准)."""

    province = models.CharField(_("省级代码"), max_length=8)
    number = models.CharField(_("考核证书编号/基准编号"), max_length=60)
    name = models.CharField(_("名称"), max_length=200)
    tier = models.CharField(_("类别"), max_length=12)
    holder = models.CharField(_("建标/保存单位"), max_length=200, blank=True)
    holder_credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.CharField(_("区划代码"), max_length=6, blank=True)
    status = models.CharField(_("状态"), max_length=12)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    capabilities = models.JSONField(_("测量能力"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["province", "number"]
        verbose_name = _("联邦计量标准")
        verbose_name_plural = _("联邦计量标准")
        constraints = [models.UniqueConstraint(fields=["province", "number"], name="federated_standard_unique")]


class FederatedCertificate(models.Model):
    """The index entry of one certificate issued in a province: number, issuer, item, date,
    document hash, and what it rests on (the standards used, and their own certificates or
    the primary standard above them) so a chain continues across provinces."""

    province = models.CharField(_("省级代码"), max_length=8)
    number = models.CharField(_("证书编号"), max_length=60)
    kind = models.CharField(_("类型"), max_length=16)
    issuer = models.CharField(_("出具单位"), max_length=200)
    issuer_credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    item_code = models.CharField(_("器具编号"), max_length=32, blank=True)
    item_name = models.CharField(_("器具名称"), max_length=100, blank=True)
    item_region = models.CharField(_("器具所在区划"), max_length=6, blank=True)
    performed_on = models.DateField(_("检定/校准日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    passed = models.BooleanField(_("结论合格"), null=True, blank=True)
    document_sha256 = models.CharField(_("证书文件 SHA-256"), max_length=64, blank=True)
    standards = models.JSONField(_("所用计量标准"), default=list)  # 考核证书编号 of the province's standards
    upstream = models.JSONField(_("溯源上游"), default=list)  # [{"province", "certificate"} | {"primary"}]
    status = models.CharField(_("状态"), max_length=12, default="issued")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["province", "number"]
        verbose_name = _("联邦证书索引")
        verbose_name_plural = _("联邦证书索引")
        constraints = [models.UniqueConstraint(fields=["province", "number"], name="federated_certificate_unique")]
        indexes = [models.Index(fields=["number"]), models.Index(fields=["item_region"])]


class FederatedCoverage(models.Model):
    """A province's coverage ledger and indicators, as of its latest snapshot."""

    province = models.CharField(_("省级代码"), max_length=8, unique=True)
    as_of = models.DateField(_("截至日期"))
    items = models.PositiveIntegerField(_("强检项目数"), default=0)
    covered = models.PositiveIntegerField(_("已建标项目数"), default=0)
    instruments = models.PositiveBigIntegerField(_("在用器具数"), default=0)
    traceable = models.PositiveBigIntegerField(_("可溯源器具数"), default=0)
    indicators = models.JSONField(_("指标"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["province"]
        verbose_name = _("联邦建标覆盖")
        verbose_name_plural = _("联邦建标覆盖")


class FederatedComparisonResult(models.Model):
    """A comparison's published result in a province: each participant's degree of equivalence."""

    province = models.CharField(_("省级代码"), max_length=8)
    code = models.CharField(_("比对编号"), max_length=60)
    title = models.CharField(_("比对名称"), max_length=300)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    results = models.JSONField(_("结果"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["province", "code"]
        verbose_name = _("联邦比对结果")
        verbose_name_plural = _("联邦比对结果")
        constraints = [models.UniqueConstraint(fields=["province", "code"], name="federated_comparison_unique")]


class FederatedRecall(models.Model):
    """A recall started in a province, with the certificates it puts in doubt; on a province,
    also what the notice reached here."""

    province = models.CharField(_("发起省份"), max_length=8)
    reference = models.CharField(_("召回编号"), max_length=40)
    standard_number = models.CharField(_("计量标准考核证书编号"), max_length=60)
    standard_name = models.CharField(_("计量标准名称"), max_length=200, blank=True)
    window_from = models.DateField(_("失准起始日期"))
    window_to = models.DateField(_("发现失准日期"))
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    certificates = models.JSONField(_("存疑证书"), default=list)
    provinces = models.JSONField(_("涉及省份"), default=list)
    reached = models.JSONField(_("本地影响"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-window_to", "province", "reference"]
        verbose_name = _("跨省召回")
        verbose_name_plural = _("跨省召回")
        constraints = [models.UniqueConstraint(fields=["province", "reference"], name="federated_recall_unique")]


class NationalCatalogueEntry(models.Model):
    """The national catalogue and specifications as the centre publishes them."""

    kind = models.CharField(_("类别"), max_length=16)  # catalogue_item | specification
    code = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("名称"), max_length=300)
    status = models.CharField(_("状态"), max_length=12, default="current")
    body = models.JSONField(_("内容"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("国家目录与规范")
        verbose_name_plural = _("国家目录与规范")
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="national_catalogue_unique")]
