"""The platform's key infrastructure and the certificates it issued.

Private keys are stored only as encrypted PKCS#8 PEM (see ``keystore``); certificates
are stored as the exact signed DCC bytes, with their SHA-256, so a downstream DCC can
name this one by hash and a changed byte is found.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import CalibrationEvent, Organisation, Person


class Algorithm(models.TextChoices):
    """Signature algorithm of a CA and the keys it issues (jiliang.core.dcc.pki.ALGORITHMS)."""

    ECDSA_P256 = "ecdsa-p256", _("ECDSA P-256 / SHA-256（国际算法）")
    SM2_SM3 = "sm2-sm3", _("SM2 / SM3（国密）")


class CertificateAuthority(models.Model):
    """The platform root CA (one active at a time)."""

    name = models.CharField(_("名称"), max_length=200)
    algorithm = models.CharField(_("签名算法"), max_length=12, choices=Algorithm.choices, default=Algorithm.ECDSA_P256)
    cert_pem = models.TextField(_("根证书 PEM"))
    key_pem = models.TextField(_("私钥（加密 PKCS#8）"))
    serial = models.CharField(_("序列号"), max_length=64, unique=True)
    valid_from = models.DateTimeField(_("有效期起"))
    valid_until = models.DateTimeField(_("有效期至"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("根证书机构")
        verbose_name_plural = _("根证书机构")
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_ca")]

    def __str__(self):
        return self.name


class SigningKey(models.Model):
    """A document-signing key and its X.509 certificate, issued by the CA: an institution's seal
    key (no person), or the key of one signing person (检定员/核验员/批准人) of the institution."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("启用")
        ROTATED = "rotated", _("已轮换")
        REVOKED = "revoked", _("已吊销")

    class Reason(models.TextChoices):
        KEY_COMPROMISE = "key_compromise", _("密钥泄露")
        SUPERSEDED = "superseded", _("被替代")
        CESSATION = "cessation_of_operation", _("停止运营")
        OTHER = "unspecified", _("其他")

    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="signing_keys", verbose_name=_("机构"))
    person = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
        verbose_name=_("签名人"),
        help_text=_("空：机构印章密钥"),
    )
    authority = models.ForeignKey(CertificateAuthority, models.PROTECT, related_name="signing_keys", verbose_name=_("签发机构"))
    algorithm = models.CharField(_("签名算法"), max_length=12, choices=Algorithm.choices, default=Algorithm.ECDSA_P256)
    cert_pem = models.TextField(_("证书 PEM"))
    key_pem = models.TextField(_("私钥（加密 PKCS#8）"))
    serial = models.CharField(_("序列号"), max_length=64, unique=True, help_text=_("X.509 serial, hexadecimal"))
    valid_from = models.DateTimeField(_("有效期起"))
    valid_until = models.DateTimeField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    reason = models.CharField(_("吊销原因"), max_length=24, choices=Reason.choices, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["organisation_id", "-valid_from"]
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="active", person__isnull=True),
                name="one_active_key_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="active", person__isnull=False), name="one_active_key_per_person"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | models.Q(revoked_at__isnull=False), name="revoked_key_has_time"
            ),
        ]

    def __str__(self):
        holder = f"{self.organisation} {self.person.name}" if self.person_id else str(self.organisation)
        return f"{holder} {self.serial} ({self.get_status_display()})"


class PdfSignature(models.TextChoices):
    """What signs a certificate's PDF itself (jiliang.certificates.pades)."""

    NONE = "", _("尚未生成")
    PADES = "pades", _("PAdES 签名（签发机构印章密钥）")
    UNSIGNED_SM2 = "unsigned_sm2", _("PDF 未签名（SM2 部署：PDF 签名库不支持 SM2）；所附 DCC 已以 SM2 签名，以 DCC 为准")
    UNSIGNED_EXTERNAL = "unsigned_external", _("PDF 未签名（外部导入的证书）；所附 DCC 带其原签名")


class Certificate(models.Model):
    """One issued (or imported) certificate: the signed DCC of a calibration event."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("检定证书")
        NON_CONFORMITY = "non_conformity", _("检定结果通知书")
        CALIBRATION = "calibration", _("校准证书")

    class Status(models.TextChoices):
        ISSUED = "issued", _("有效")
        IMPORTED = "imported", _("外部导入")  # recorded here, not issued by an institution of the platform
        REVOKED = "revoked", _("已撤销")

    class SignatureStatus(models.TextChoices):
        PLATFORM = "platform", _("本平台机构签名")
        TRUSTED = "trusted", _("外部签名（受信任）")
        UNTRUSTED = "untrusted", _("外部签名（不受信任）")
        UNSIGNED = "unsigned", _("未签名")

    event = models.OneToOneField(
        CalibrationEvent, models.PROTECT, related_name="digital_certificate", verbose_name=_("检定/校准记录")
    )
    kind = models.CharField(_("证书类型"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("证书编号"), max_length=60, unique=True)
    xml = models.BinaryField(_("DCC XML"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    issued_at = models.DateTimeField(_("签发时间"))
    signers = models.JSONField(_("签名人"), default=list, help_text=_("[{person_id, name, role, key_serial}]"))
    signing_key = models.ForeignKey(
        SigningKey, models.PROTECT, null=True, blank=True, related_name="certificates", verbose_name=_("签名密钥")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revocation_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    published = models.BooleanField(_("公开"), default=True)
    external = models.BooleanField(_("外部导入"), default=False, help_text=_("a DCC issued by an outside laboratory"))
    signature_status = models.CharField(
        _("签名状态"),
        max_length=10,
        choices=SignatureStatus.choices,
        default=SignatureStatus.PLATFORM,
        help_text=_("记录时核验所得的 DCC 签名者类别"),
    )
    signed_by = models.CharField(_("签名证书主体"), max_length=500, blank=True, help_text=_("DCC 各签名所用证书的主体"))
    # The PDF made (and PAdES-signed) once at issue and served as stored (see pades.py).
    pdf = models.BinaryField(_("证书 PDF"), blank=True, default=b"")
    pdf_signature = models.CharField(_("PDF 签名"), max_length=20, choices=PdfSignature.choices, blank=True, default="")
    pdf_key = models.ForeignKey(
        SigningKey, models.PROTECT, null=True, blank=True, related_name="signed_pdfs", verbose_name=_("PDF 签名密钥")
    )
    pdf_made_at = models.DateTimeField(_("PDF 生成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "id"]
        verbose_name = _("数字证书")
        verbose_name_plural = _("数字证书")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | models.Q(revoked_at__isnull=False), name="revoked_certificate_has_time"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def crl_serial(self) -> int:
        """The number this certificate carries in the X.509 revocation list (from its hash)."""
        return crl_serial_of(self.sha256)


def crl_serial_of(sha256_hex: str) -> int:
    # 127 bits of the document hash: positive and below the 20-octet serial limit (RFC 5280 4.1.2.2).
    return int(sha256_hex[:32], 16) >> 1


class RevocationList(models.Model):
    """A published CRL of the platform CA: revoked signing keys and revoked certificates."""

    authority = models.ForeignKey(CertificateAuthority, models.PROTECT, related_name="revocation_lists")
    number = models.PositiveIntegerField(_("序号"))
    crl_pem = models.TextField(_("CRL PEM"))
    this_update = models.DateTimeField(_("本次更新"))
    next_update = models.DateTimeField(_("下次更新"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("证书吊销列表")
        verbose_name_plural = _("证书吊销列表")
        constraints = [models.UniqueConstraint(fields=["authority", "number"], name="crl_number_unique")]
