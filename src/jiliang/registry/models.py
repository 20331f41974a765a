"""The registry of a measurement system: who holds which standard, which instrument was
calibrated with what, under which specification, and until when.

Standard devices (标准器) are instruments linked to their measurement standard, so every
calibration or verification event has one kind of subject: an instrument.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiliang.core import identifiers
from jiliang.messages import enumeration
from jiliang.messages import reason as error_reason


@deconstructible
class IdentifierValidator:
    """A model-field validator around one of the pure identifier checks."""

    def __init__(self, check_name: str):
        self.check_name = check_name

    def __call__(self, value):
        try:
            getattr(identifiers, self.check_name)(value)
        except identifiers.IdentifierError as exc:
            raise ValidationError(error_reason(exc), code="invalid") from exc

    def __eq__(self, other):
        return isinstance(other, IdentifierValidator) and other.check_name == self.check_name


validate_credit_code = IdentifierValidator("validate_credit_code")
validate_region_code = IdentifierValidator("region_level")
validate_specification_code = IdentifierValidator("parse_specification_code")

# The valid_until of a passed verification of a 失准报废 item (只做首次强制检定，失准报废): it
# stays valid until the instrument fails, so it has no end date.
NO_EXPIRY = dt.date(9999, 12, 31)


class Region(models.Model):
    """A GB/T 2260 administrative division: province → city → county."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("区划代码"), max_length=6, unique=True, validators=[validate_region_code])
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True) | ~Q(level="province"), name="region_province_has_no_parent"
            ),
            models.CheckConstraint(
                condition=Q(level="province") | Q(parent__isnull=False), name="region_below_province_has_parent"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        try:
            level = identifiers.region_level(self.code)
        except identifiers.IdentifierError as exc:
            raise ValidationError({"code": error_reason(exc)}) from exc
        errors = {}
        if self.level and self.level != level:
            errors["level"] = gettext("代码 %(code)s 是%(level)s代码，不是%(given)s") % {
                "code": self.code,
                "level": str(self.Level(level).label).lower(),
                "given": str(self.get_level_display()).lower(),
            }
        expected_parent = identifiers.region_parent_code(self.code)
        parent_code = self.parent.code if self.parent_id else None
        if parent_code != expected_parent and not (level == "county" and parent_code == self.code[:2] + "0000"):
            # A county-level city directly under the province (省直辖县级) is allowed.
            errors["parent"] = (
                gettext("区划 %(code)s 须隶属于 %(parent)s") % {"code": self.code, "parent": expected_parent}
                if expected_parent
                else gettext("区划 %(code)s 是省级区划，没有上级") % {"code": self.code}
            )
        if errors:
            raise ValidationError(errors)

    def descendant_codes_prefix(self) -> str:
        """The code prefix every region inside this one shares."""
        return {"province": self.code[:2], "city": self.code[:4], "county": self.code}[self.level]


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ADMINISTRATION = "administration", _("计量行政部门")
        LEGAL_INSTITUTE = "legal_institute", _("法定计量检定机构")
        AUTHORISED_INSTITUTE = "authorised_institute", _("授权计量技术机构")
        PROFESSIONAL_STATION = "professional_station", _("专业计量站")
        ENTERPRISE = "enterprise", _("企业")
        LABORATORY = "laboratory", _("校准/检测实验室")

    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="organisations", verbose_name=_("所在地区"))
    address = models.CharField(_("地址"), max_length=300, blank=True)

    def save(self, *args, **kwargs):
        self.credit_code = (self.credit_code or "").strip().upper()  # one spelling per code
        super().save(*args, **kwargs)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self):
        return self.name


class MetrologyField(models.Model):
    """One of the ten Chinese metrology fields (十大计量领域)."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name = _("计量专业领域")
        verbose_name_plural = _("计量专业领域")

    def __str__(self):
        return self.name


class Quantity(models.Model):
    name = models.CharField(_("量"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    field = models.ForeignKey(MetrologyField, models.PROTECT, related_name="quantities", verbose_name=_("领域"))
    unit = models.CharField(_("单位"), max_length=30, help_text=_("legal unit symbol, e.g. kg, MPa, °C"))

    class Meta:
        ordering = ["field_id", "name"]
        verbose_name = _("量")
        verbose_name_plural = _("量")

    def __str__(self):
        return f"{self.name} [{self.unit}]"


class Specification(models.Model):
    class Kind(models.TextChoices):
        VERIFICATION_REGULATION = "verification_regulation", _("检定规程")
        CALIBRATION_SPECIFICATION = "calibration_specification", _("校准规范")
        VERIFICATION_SCHEME = "verification_scheme", _("检定系统表")
        TECHNICAL_SPECIFICATION = "technical_specification", _("技术规范")
        # A GB / GB/T standard used as the method basis (e.g. a test method a calibration follows).
        STANDARD = "standard", _("国家标准（方法依据）")

    class Status(models.TextChoices):
        CURRENT = "current", _("现行")
        SUPERSEDED = "superseded", _("被代替")
        WITHDRAWN = "withdrawn", _("废止")

    code = models.CharField(_("编号"), max_length=40, unique=True, validators=[validate_specification_code])
    title = models.CharField(_("名称"), max_length=300)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CURRENT)
    field = models.ForeignKey(
        MetrologyField, models.PROTECT, null=True, blank=True, related_name="specifications", verbose_name=_("领域")
    )
    supersedes = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="superseded_by", verbose_name=_("代替")
    )
    # Verification regulations set the period; the uncertainty ratio a calibration needs (1:3).
    required_ratio = models.FloatField(_("测量能力比要求"), default=3.0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("技术规范")
        verbose_name_plural = _("技术规范")
        constraints = [
            models.CheckConstraint(condition=~Q(supersedes=F("id")), name="specification_not_self_superseding"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def clean(self):
        errors = {}
        if self.code and self.kind:
            prefix = self.code.strip()[:3]
            if prefix == "JJF" and self.kind == self.Kind.VERIFICATION_REGULATION:
                errors["kind"] = gettext("JJF 编号是计量技术规范，不是检定规程（JJG）")
            if prefix == "JJG" and self.kind == self.Kind.CALIBRATION_SPECIFICATION:
                errors["kind"] = gettext("JJG 编号是检定规程或检定系统表，不是校准规范（JJF）")
            if prefix.startswith("GB") != (self.kind == self.Kind.STANDARD):
                errors["kind"] = gettext("GB 或 GB/T 编号是标准（类别为标准），且只有 GB 或 GB/T 编号是标准")
        if self.supersedes_id and self.supersedes_id == self.pk:
            errors["supersedes"] = gettext("技术规范不能代替其自身")
        if errors:
            raise ValidationError(errors)


class CatalogItem(models.Model):
    """An item of the catalog of instruments under mandatory management (实施强制管理的计量器具目录,
    市场监管总局公告 2019 年第 48 号, adjusted by 2020 年第 42 号): one kind of instrument, split by
    size or class where the catalogue splits it (e.g. water meters DN15～DN50 used for trade
    settlement: first verification only, limited life; larger ones: periodic verification)."""

    class Supervision(models.TextChoices):
        # 公告 一、二: P items need a type approval (计量法 第十三条), V items mandatory
        # verification in use (计量法 第九条), P+V both.
        P = "P", _("型式批准")
        V = "V", _("强制检定")
        PV = "P+V", _("型式批准＋强制检定")

    class Mode(models.TextChoices):
        # 公告 四: the two modes of mandatory verification; first-only splits in two.
        PERIODIC = "periodic", _("周期检定")
        FIRST_ONLY = "first_only", _("只做首次强制检定，限期使用，到期轮换")
        FIRST_ONLY_SCRAP = "first_only_scrap", _("只做首次强制检定，失准报废")
        NONE = "none", _("不实施强制检定")

    code = models.CharField(_("目录编号"), max_length=20, unique=True)
    number = models.CharField(_("目录序号"), max_length=12, blank=True)
    name = models.CharField(_("器具名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    category = models.CharField(_("项目"), max_length=100, blank=True)
    split = models.CharField(_("分档"), max_length=60, blank=True)
    field = models.ForeignKey(MetrologyField, models.PROTECT, related_name="catalog_items", verbose_name=_("领域"))
    quantity = models.ForeignKey(
        Quantity, models.PROTECT, null=True, blank=True, related_name="catalog_items", verbose_name=_("量")
    )
    regulation = models.ForeignKey(
        Specification, models.PROTECT, null=True, blank=True, related_name="catalog_items", verbose_name=_("检定规程")
    )
    supervision = models.CharField(_("监管方式"), max_length=3, choices=Supervision.choices, default=Supervision.V)
    # The purposes for which the item is under mandatory verification (计量法 第九条), comma-separated
    # Instrument.Purpose values.
    legal_purposes = models.CharField(_("强制检定用途"), max_length=60, blank=True)
    management_mode = models.CharField(_("强制检定方式"), max_length=16, choices=Mode.choices)
    requirement = models.CharField(_("强制检定范围及要求"), max_length=200, blank=True)
    # Maxima from the governing JJG: an instrument may carry a shorter period, never a longer one.
    period_months = models.PositiveSmallIntegerField(_("最长检定周期（月）"), null=True, blank=True)
    service_life_years = models.PositiveSmallIntegerField(_("最长使用期限（年）"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("强制管理计量器具目录项")
        verbose_name_plural = _("强制管理计量器具目录")
        constraints = [
            models.CheckConstraint(
                condition=Q(management_mode="periodic", period_months__isnull=False, period_months__gt=0)
                | Q(management_mode="first_only", service_life_years__isnull=False, service_life_years__gt=0)
                | Q(management_mode__in=["first_only_scrap", "none"]),
                name="catalog_item_mode_has_period_or_life",
            ),
            models.CheckConstraint(
                condition=Q(supervision="P", management_mode="none") | (~Q(supervision="P") & ~Q(management_mode="none")),
                name="catalog_item_verified_unless_p_only",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def needs_type_approval(self) -> bool:
        return self.supervision in (self.Supervision.P, self.Supervision.PV)

    @property
    def needs_verification(self) -> bool:
        return self.supervision in (self.Supervision.V, self.Supervision.PV)

    @property
    def purposes(self) -> list[str]:
        return [p for p in self.legal_purposes.split(",") if p]

    def clean(self):
        unknown = [p for p in self.purposes if p not in Instrument.Purpose.values or p == Instrument.Purpose.NONE]
        if unknown:
            raise ValidationError(
                {"legal_purposes": gettext("不是法定用途（计量法 第九条）：%(unknown)s") % {"unknown": enumeration(unknown)}}
            )


class TypeApproval(models.Model):
    """A pattern approval (型式批准证书, 计量法 第十三条; 计量法实施细则 第十五条; 计量器具新产品管理办法)
    of one model for one catalogue item: required before making, selling or importing
    instruments of items marked P or P+V (公告 2019 年第 48 号 一)."""

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        REVOKED = "revoked", _("已撤销")

    number = models.CharField(_("型式批准证书编号"), max_length=40, unique=True)
    catalog_item = models.ForeignKey(CatalogItem, models.PROTECT, related_name="type_approvals", verbose_name=_("目录项"))
    manufacturer = models.CharField(_("制造单位"), max_length=100)
    model = models.CharField(_("型号"), max_length=60)
    name = models.CharField(_("器具名称"), max_length=100)
    authority = models.CharField(_("批准机关"), max_length=100)
    approved_on = models.DateField(_("批准日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.VALID)

    class Meta:
        ordering = ["number"]
        verbose_name = _("型式批准")
        verbose_name_plural = _("型式批准")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(approved_on__lte=F("valid_until")), name="type_approval_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.manufacturer} {self.model}"

    def clean(self):
        if self.catalog_item_id and not self.catalog_item.needs_type_approval:
            raise ValidationError(
                {
                    "catalog_item": gettext("%(item)s 标注为 V，无需型式批准（公告 2019 年第 48 号 一）")
                    % {"item": self.catalog_item}
                }
            )

    def in_force_on(self, day: dt.date) -> bool:
        return (
            self.status == self.Status.VALID and self.approved_on <= day and (self.valid_until is None or day <= self.valid_until)
        )


class PrimaryStandard(models.Model):
    """A national primary standard (计量基准): the top of a chain."""

    code = models.CharField(_("基准编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    quantity = models.ForeignKey(Quantity, models.PROTECT, related_name="primary_standards", verbose_name=_("量"))
    range_min = models.FloatField(_("测量范围下限"))
    range_max = models.FloatField(_("测量范围上限"))
    unit = models.CharField(_("单位"), max_length=30)
    uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"), default=2.0)
    holder = models.ForeignKey(Organisation, models.PROTECT, related_name="primary_standards", verbose_name=_("保存单位"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("计量基准")
        verbose_name_plural = _("计量基准")
        constraints = [
            models.CheckConstraint(condition=Q(range_min__lte=F("range_max")), name="primary_range_ordered"),
            models.CheckConstraint(condition=Q(uncertainty__gt=0) & Q(k__gt=0), name="primary_uncertainty_positive"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class MeasurementStandard(models.Model):
    """A measurement standard (计量标准) with its assessment certificate (计量标准考核证书)."""

    class Tier(models.TextChoices):
        NATIONAL = "national", _("国家计量标准")
        PUBLIC = "public", _("社会公用计量标准")
        DEPARTMENT = "department", _("部门最高计量标准")
        ENTERPRISE = "enterprise", _("企事业单位最高计量标准")

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    class Rank(models.TextChoices):
        # JJF 1033-2023 §3.2: the highest standard of an organisation or region (最高计量标准);
        # the others are subordinate (次级). Who assesses it follows from the rank (see
        # assessment_refusals below).
        HIGHEST = "highest", _("最高计量标准")
        SUBORDINATE = "subordinate", _("次级计量标准")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        SUSPENDED = "suspended", _("暂停")
        # 封存 (JJF 1033-2023 §6, the holder stops using it for a time and reports it): not in
        # service until restored (恢复使用), to the traceability engine the same as suspended.
        SEALED = "sealed", _("封存")
        CANCELLED = "cancelled", _("撤销")
        EXPIRED = "expired", _("过期")

    name = models.CharField(_("标准名称"), max_length=200)
    tier = models.CharField(_("类别"), max_length=12, choices=Tier.choices)
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices, blank=True)
    rank = models.CharField(_("最高/次级"), max_length=12, choices=Rank.choices, default=Rank.HIGHEST)
    holder = models.ForeignKey(Organisation, models.PROTECT, related_name="standards", verbose_name=_("建标单位"))
    field = models.ForeignKey(MetrologyField, models.PROTECT, related_name="standards", verbose_name=_("领域"))
    certificate_number = models.CharField(_("考核证书编号"), max_length=60, unique=True)
    issuing_department = models.ForeignKey(
        Organisation, models.PROTECT, related_name="approved_standards", verbose_name=_("发证部门")
    )
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    specifications = models.ManyToManyField(Specification, blank=True, related_name="standards", verbose_name=_("依据规程规范"))
    # The holder's own plan for recalibrating the standard's devices (计量标准器的溯源计划:
    # JJF 1033-2023 §4.2.1 asks for continuous, valid traceability; the interval is the
    # holder's to set, JJF 1139). It is what a calibration of a device is good for in a
    # chain when the certificate states no recalibration date (registry.graph.good_until_days).
    recalibration_months = models.PositiveSmallIntegerField(_("复校间隔（月）"), default=12)
    catalog_items = models.ManyToManyField(CatalogItem, blank=True, related_name="standards", verbose_name=_("可开展强检项目"))
    published = models.BooleanField(_("公开"), default=True)

    class Meta:
        ordering = ["certificate_number"]
        verbose_name = _("计量标准")
        verbose_name_plural = _("计量标准")
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lt=F("valid_until")), name="standard_validity_ordered"),
            models.CheckConstraint(condition=Q(recalibration_months__gt=0), name="standard_recalibration_months_positive"),
            models.CheckConstraint(
                condition=(Q(tier="public") & ~Q(level="")) | (~Q(tier="public") & Q(level="")),
                name="standard_level_only_for_public",
            ),
            # Departments and enterprises have their highest standards assessed (计量法 第七、八条);
            # only public standards have subordinate ones registered.
            models.CheckConstraint(condition=Q(tier="public") | Q(rank="highest"), name="standard_subordinate_only_for_public"),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self):
        return f"{self.name} ({self.certificate_number})"

    def save(self, *args, **kwargs):
        if self.valid_from and not self.valid_until:
            self.valid_until = default_valid_until(self.valid_from)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.tier == self.Tier.PUBLIC and not self.level:
            errors["level"] = gettext("社会公用计量标准须给出级别（省级、市级或县级）")
        if self.tier != self.Tier.PUBLIC and self.level:
            errors["level"] = gettext("只有社会公用计量标准有级别")
        if self.tier != self.Tier.PUBLIC and self.rank == self.Rank.SUBORDINATE:
            errors["rank"] = gettext("只有社会公用计量标准可登记为次级；其他计量标准是本单位的最高计量标准")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = gettext("须晚于生效日期（valid_from）")
        if "level" not in errors:
            for name, reason in assessment_refusals(self):
                errors.setdefault(name, reason)
        if errors:
            raise ValidationError(errors)


# Who assesses a standard (主持考核), and so issues its certificate:
# - 计量法 第六条; 计量法实施细则 第八条; 计量标准考核办法 (市场监管总局令第31号, 2020) 第五条: the
#   highest public standard of a county or city is assessed by the government one level up, of a
#   province by SAMR (国务院计量行政部门); a subordinate public standard by the government that
#   set it up (the administration of its own region);
# - 计量法实施细则 第九条: a department's highest standards by the administration at the department's
#   level; 第十条 and 考核办法 第五条: an enterprise's by the administration where it is registered or
#   above it. The department's level is not recorded, so for both only "an administration whose
#   region contains the holder" is checked.
RULE_PUBLIC_HIGHEST = "计量法实施细则 第八条、计量标准考核办法 第五条"
RULE_OTHER = "计量法实施细则 第九条、第十条"


def _region_at_level(region: Region, level: str) -> Region | None:
    node = region
    while node is not None and node.level != level:
        node = node.parent
    return node


def assessment_refusals(standard: MeasurementStandard) -> list[tuple[str, str]]:
    """(field, reason) for each way the issuing department cannot have assessed the standard,
    each reason naming the rule. Every write path (API, import, admin) reaches it through
    the model's clean(); registry.services.standard_refusals is the same rule."""
    if not (standard.holder_id and standard.issuing_department_id):
        return []
    # Read both from the database: an import hands clean() stand-ins that carry only their key.
    # Organisations new in the same import are not there yet; the rule is checked when they are.
    orgs = Organisation.objects.select_related("region__parent__parent").in_bulk(
        [standard.holder_id, standard.issuing_department_id]
    )
    issuer, holder = orgs.get(standard.issuing_department_id), orgs.get(standard.holder_id)
    if issuer is None or holder is None:
        return []
    if issuer.kind != Organisation.Kind.ADMINISTRATION:
        return [
            (
                "issuing_department",
                gettext("%(rule)s：计量标准由计量行政部门考核，不是 %(issuer)s") % {"rule": RULE_OTHER, "issuer": issuer},
            )
        ]
    if standard.tier == MeasurementStandard.Tier.PUBLIC and standard.level:
        own = _region_at_level(holder.region, standard.level)
        if own is None:
            return [
                (
                    "level",
                    gettext("%(rule)s：持有单位 %(holder)s 不在任何%(level)s行政区域内")
                    % {"rule": RULE_PUBLIC_HIGHEST, "holder": holder, "level": standard.get_level_display()},
                )
            ]
        if standard.rank == MeasurementStandard.Rank.SUBORDINATE:
            if issuer.region_id != own.pk:
                return [
                    (
                        "issuing_department",
                        gettext("%(rule)s：%(region)s的次级社会公用计量标准由%(region)s的计量行政部门考核，不是 %(issuer)s")
                        % {"rule": RULE_PUBLIC_HIGHEST, "region": own.name, "issuer": issuer},
                    )
                ]
            return []
        if own.parent_id is None:
            # The province's highest: SAMR, the only administration above a province, lies outside it.
            if issuer.region.code[:2] == own.code[:2]:
                return [
                    (
                        "issuing_department",
                        gettext("%(rule)s：%(region)s的最高社会公用计量标准由市场监管总局考核，不是 %(issuer)s")
                        % {"rule": RULE_PUBLIC_HIGHEST, "region": own.name, "issuer": issuer},
                    )
                ]
            return []
        if issuer.region_id != own.parent_id:
            return [
                (
                    "issuing_department",
                    gettext("%(rule)s：%(region)s的最高社会公用计量标准由上一级（%(parent)s）计量行政部门考核，不是 %(issuer)s")
                    % {"rule": RULE_PUBLIC_HIGHEST, "region": own.name, "parent": own.parent.name, "issuer": issuer},
                )
            ]
        return []
    if standard.tier in (MeasurementStandard.Tier.DEPARTMENT, MeasurementStandard.Tier.ENTERPRISE):
        if not holder.region.code.startswith(issuer.region.descendant_codes_prefix()):
            return [
                (
                    "issuing_department",
                    gettext(
                        "%(rule)s：部门、企业事业单位的最高计量标准由其所在地（%(region)s）的计量行政部门考核，不是 %(issuer)s"
                    )
                    % {"rule": RULE_OTHER, "region": holder.region.name, "issuer": issuer},
                )
            ]
    return []


def reexamination_due_from(valid_until: dt.date) -> dt.date:
    """The day from which the re-examination (复查考核) is to be applied for: the holder applies
    JILIANG_STANDARD_REEXAMINATION_MONTHS (6) months before the certificate expires
    (计量标准考核办法 第十六条; JJF 1033-2023 §5.1)."""
    months = settings.JILIANG_STANDARD_REEXAMINATION_MONTHS
    y, m = divmod(valid_until.year * 12 + valid_until.month - 1 - months, 12)
    day = min(valid_until.day, calendar.monthrange(y, m + 1)[1])
    return dt.date(y, m + 1, day)


def reexamination_horizon(today: dt.date) -> dt.date:
    """Certificates expiring on or before this day are due for their 复查 application today."""
    months = settings.JILIANG_STANDARD_REEXAMINATION_MONTHS
    y, m = divmod(today.year * 12 + today.month - 1 + months, 12)
    return dt.date(y, m + 1, min(today.day, calendar.monthrange(y, m + 1)[1]))


def default_valid_until(valid_from: dt.date) -> dt.date:
    """The day before the anniversary, JILIANG_STANDARD_CERTIFICATE_YEARS (5) later."""
    years = settings.JILIANG_STANDARD_CERTIFICATE_YEARS
    try:
        end = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + years, day=28)
    return end - dt.timedelta(days=1)


class StandardStatusChange(models.Model):
    """The status history of a standard, so its status on any past date is known."""

    standard = models.ForeignKey(MeasurementStandard, models.CASCADE, related_name="status_changes")
    status = models.CharField(_("状态"), max_length=10, choices=MeasurementStandard.Status.choices)
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=300)

    class Meta:
        ordering = ["standard_id", "effective_on", "id"]
        verbose_name = _("计量标准状态变更")
        verbose_name_plural = _("计量标准状态变更")


class Capability(models.Model):
    """What a standard can measure: a quantity over a range with an uncertainty or accuracy."""

    standard = models.ForeignKey(MeasurementStandard, models.CASCADE, related_name="capabilities", verbose_name=_("计量标准"))
    quantity = models.ForeignKey(Quantity, models.PROTECT, related_name="capabilities", verbose_name=_("量"))
    range_min = models.FloatField(_("测量范围下限"))
    range_max = models.FloatField(_("测量范围上限"))
    unit = models.CharField(_("单位"), max_length=30)
    uncertainty = models.FloatField(_("扩展不确定度 U"), null=True, blank=True)
    k = models.FloatField(_("包含因子 k"), null=True, blank=True)
    relative = models.BooleanField(_("相对不确定度"), default=False)
    accuracy_class = models.CharField(_("准确度等级"), max_length=30, blank=True)
    mpe = models.FloatField(_("最大允许误差"), null=True, blank=True)

    class Meta:
        verbose_name = _("测量能力")
        verbose_name_plural = _("测量能力")
        constraints = [
            models.CheckConstraint(condition=Q(range_min__lte=F("range_max")), name="capability_range_ordered"),
            models.CheckConstraint(
                # Explicit IS NOT NULL: a CHECK that evaluates to NULL would let the row through.
                condition=Q(uncertainty__isnull=False, uncertainty__gt=0, k__isnull=False, k__gt=0)
                | ~Q(accuracy_class="")
                | Q(mpe__isnull=False, mpe__gt=0),
                name="capability_states_uncertainty_or_accuracy",
            ),
        ]

    def __str__(self):
        return f"{self.quantity.name} {self.range_min}–{self.range_max} {self.unit}"


class ReferenceMaterial(models.Model):
    class Level(models.TextChoices):
        PRIMARY = "primary", _("一级 GBW")
        SECONDARY = "secondary", _("二级 GBW(E)")

    number = models.CharField(_("标准物质编号"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    producer = models.ForeignKey(Organisation, models.PROTECT, related_name="reference_materials", verbose_name=_("研制单位"))
    expires_on = models.DateField(_("有效期至"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("标准物质")
        verbose_name_plural = _("标准物质")
        constraints = [
            models.CheckConstraint(
                condition=(Q(level="primary") & Q(number__regex=r"^GBW[0-9]{5}$"))
                | (Q(level="secondary") & Q(number__regex=r"^GBW\(E\)[0-9]{6}$")),
                name="reference_material_number_matches_level",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def clean(self):
        import re

        if self.level == self.Level.PRIMARY and not re.fullmatch(r"GBW\d{5}", self.number or ""):
            raise ValidationError({"number": gettext("一级标准物质的编号为 GBW 加五位数字")})
        if self.level == self.Level.SECONDARY and not re.fullmatch(r"GBW\(E\)\d{6}", self.number or ""):
            raise ValidationError({"number": gettext("二级标准物质的编号为 GBW(E) 加六位数字")})


class CertifiedValue(models.Model):
    material = models.ForeignKey(ReferenceMaterial, models.CASCADE, related_name="certified_values")
    component = models.CharField(_("特性量"), max_length=100)
    value = models.FloatField(_("标准值"))
    unit = models.CharField(_("单位"), max_length=30)
    uncertainty = models.FloatField(_("扩展不确定度 U"))
    k = models.FloatField(_("包含因子 k"), default=2.0)

    class Meta:
        verbose_name = _("标准值")
        verbose_name_plural = _("标准值")
        constraints = [
            models.CheckConstraint(condition=Q(uncertainty__gt=0) & Q(k__gt=0), name="certified_value_uncertainty_positive"),
            models.UniqueConstraint(fields=["material", "component"], name="certified_value_unique_component"),
        ]


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="people", verbose_name=_("所在单位"))

    class Meta:
        ordering = ["organisation_id", "name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self):
        return self.name


class Qualification(models.Model):
    """What a person holds to sign: a 注册计量师 registration (一级/二级) with the institution
    registered with (注册单位), a passed 计量专业项目考核 for one catalog item, a legacy
    检定员证 for an item (kept until its end date), or the designation as an authorised
    signatory (授权签字人) of an institution, for one item or (no item) its whole scope.

    注册计量师职业资格制度规定 (人社部规〔2019〕1号) 第十四条: the registered metrologists who
    perform verification in legal metrology institutes and authorised institutions are
    registered (注册), the 注册证 naming the institution and valid 5 years; registration needs
    the 计量专业项目考核合格证 of the items, the items of an old 计量检定员证 counting as passed."""

    class Kind(models.TextChoices):
        METROLOGIST_1 = "metrologist_1", _("一级注册计量师")
        METROLOGIST_2 = "metrologist_2", _("二级注册计量师")
        ITEM_ASSESSMENT = "item_assessment", _("计量专业项目考核合格")
        VERIFIER = "verifier", _("检定员证（项目）")
        SIGNATORY = "signatory", _("授权签字人")

    REGISTRATIONS = (Kind.METROLOGIST_1, Kind.METROLOGIST_2)
    NAMES_ITEM = (Kind.ITEM_ASSESSMENT, Kind.VERIFIER)
    NAMES_ORGANISATION = (Kind.METROLOGIST_1, Kind.METROLOGIST_2, Kind.SIGNATORY)

    person = models.ForeignKey(Person, models.CASCADE, related_name="qualifications", verbose_name=_("人员"))
    kind = models.CharField(_("资格"), max_length=16, choices=Kind.choices)
    certificate_number = models.CharField(_("证书编号"), max_length=60)
    specialty = models.CharField(_("专业"), max_length=100, blank=True)
    catalog_item = models.ForeignKey(
        CatalogItem, models.PROTECT, null=True, blank=True, related_name="qualifications", verbose_name=_("检定项目")
    )
    # The registration's institution (注册单位), or the institution a signatory signs for.
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_qualifications",
        verbose_name=_("注册/授权单位"),
    )
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"))

    class Meta:
        verbose_name = _("资格")
        verbose_name_plural = _("资格")
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lt=F("valid_until")), name="qualification_validity_ordered"),
            models.CheckConstraint(
                condition=~Q(kind__in=["verifier", "item_assessment"]) | Q(catalog_item__isnull=False),
                name="verifier_qualification_names_item",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["metrologist_1", "metrologist_2", "signatory"]) | Q(organisation__isnull=False),
                name="registration_names_organisation",
            ),
        ]

    def default_organisation(self) -> None:
        """A registration or a designation names by default the person's own institution."""
        if self.kind in self.NAMES_ORGANISATION and not self.organisation_id and self.person_id:
            self.organisation_id = Person.objects.filter(pk=self.person_id).values_list("organisation_id", flat=True).first()

    def save(self, *args, **kwargs):
        self.default_organisation()
        super().save(*args, **kwargs)

    def clean(self):
        self.default_organisation()
        errors = {}
        if self.kind in self.NAMES_ITEM and not self.catalog_item_id:
            errors["catalog_item"] = gettext("项目考核或检定员证须写明目录项")
        if self.kind in self.NAMES_ORGANISATION and not self.organisation_id:
            errors["organisation"] = gettext("注册单位或授权签字人须写明所在机构")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = gettext("须晚于生效日期（valid_from）")
        if errors:
            raise ValidationError(errors)


class Instrument(models.Model):
    """A measuring instrument (计量器具); standard devices point at their measurement standard."""

    class Purpose(models.TextChoices):
        TRADE = "trade", _("贸易结算")
        SAFETY = "safety", _("安全防护")
        HEALTH = "health", _("医疗卫生")
        ENVIRONMENT = "environment", _("环境监测")
        NONE = "none", _("非强制")

    class Status(models.TextChoices):
        IN_USE = "in_use", _("在用")
        STOPPED = "stopped", _("停用")
        SCRAPPED = "scrapped", _("报废")

    code = models.CharField(_("器具编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    catalog_item = models.ForeignKey(
        CatalogItem, models.PROTECT, null=True, blank=True, related_name="instruments", verbose_name=_("目录项")
    )
    legal_purpose = models.CharField(_("用途"), max_length=12, choices=Purpose.choices, default=Purpose.NONE)
    # No single-column indexes: (owner, status) and (region, …) below lead with them.
    owner = models.ForeignKey(
        Organisation, models.PROTECT, related_name="instruments", verbose_name=_("使用单位"), db_index=False
    )
    region = models.ForeignKey(Region, models.PROTECT, related_name="instruments", verbose_name=_("所在地区"), db_index=False)
    manufacturer = models.CharField(_("制造商"), max_length=100, blank=True)
    model = models.CharField(_("型号"), max_length=60, blank=True)
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    type_approval_number = models.CharField(_("型式批准编号"), max_length=40, blank=True)
    # The instrument's own period or service life, when shorter than its catalogue item's
    # maximum (registry.services.instrument_refusals: CATALOG-PERIOD-MAX).
    period_months = models.PositiveSmallIntegerField(_("检定周期（月）"), null=True, blank=True)
    service_life_years = models.PositiveSmallIntegerField(_("使用期限（年）"), null=True, blank=True)
    accuracy = models.CharField(_("准确度等级/最大允许误差"), max_length=40, blank=True)
    range_min = models.FloatField(_("测量范围下限"), null=True, blank=True)
    range_max = models.FloatField(_("测量范围上限"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.IN_USE)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    standard = models.ForeignKey(
        MeasurementStandard, models.PROTECT, null=True, blank=True, related_name="devices", verbose_name=_("所属计量标准")
    )
    # The valid_until of the latest verification (检定有效期至), kept by the events themselves
    # (CalibrationEvent.save / delete / bulk_create, the generator): due lists read one
    # column instead of searching every instrument's history.
    verified_until = models.DateField(_("检定有效期至"), null=True, blank=True, editable=False)

    # Derived from audited rows (the events), so the audit ledger's digests leave them out
    # and a save() of an instrument loaded earlier never writes a stale copy back.
    DERIVED_FIELDS = ("verified_until",)

    class Meta:
        ordering = ["code"]
        verbose_name = _("计量器具")
        verbose_name_plural = _("计量器具")
        constraints = [
            models.CheckConstraint(
                condition=Q(range_min__isnull=True) | Q(range_max__isnull=True) | Q(range_min__lte=F("range_max")),
                name="instrument_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(legal_purpose="none") | Q(catalog_item__isnull=False),
                name="mandatory_instrument_names_catalog_item",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "catalog_item"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["serial_number"]),  # found by the number on the nameplate
            models.Index(fields=["region", "id"]),  # a county's instruments, page by page
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        from . import services  # the rule lives with the write rules; services imports models

        reasons = services.instrument_refusals(self)
        if reasons:
            errors: dict[str, list[str]] = {}
            for name, why in reasons:
                errors.setdefault(name, []).append(why)
            raise ValidationError(errors)

    @property
    def is_mandatory(self) -> bool:
        """Under mandatory verification: a catalog item used for one of the four legal purposes."""
        return self.catalog_item_id is not None and self.legal_purpose != self.Purpose.NONE

    @classmethod
    def derived_mismatches(cls):
        """(id, field, stored, expected) of instruments whose derived ``verified_until`` differs
        from their latest verification: the audit ledger leaves the column out of its
        digests, so ``jiliang audit verify`` recomputes it from the (audited) events."""
        rows = (
            cls._base_manager.annotate(expected=latest_verification_until())
            .filter(
                Q(verified_until__isnull=True, expected__isnull=False)
                | Q(verified_until__isnull=False, expected__isnull=True)
                | (Q(verified_until__isnull=False, expected__isnull=False) & ~Q(verified_until=F("expected")))
            )
            .order_by("pk")
            .values_list("pk", "verified_until", "expected")
        )
        return [(pk, "verified_until", stored, expected) for pk, stored, expected in rows.iterator(chunk_size=10_000)]

    def save(self, *args, **kwargs):
        adding = self._state.adding
        if not adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.attname for f in self._meta.concrete_fields if not f.primary_key and f.attname not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)
        if not adding:
            # Events carry their instrument's region (CalibrationEvent.region): follow a
            # move, one save per event so the audit ledger records each change.
            for event in self.events.exclude(region_id=self.region_id):
                event.instrument = self
                event.save(update_fields=["region"])


def fill_event_regions(events) -> None:
    """Set ``region_id`` of events from their instruments, in one query."""
    wanted = {e.instrument_id for e in events if e.instrument_id is not None}
    regions = dict(Instrument.objects.filter(pk__in=wanted).values_list("id", "region_id")) if wanted else {}
    for event in events:
        event.region_id = regions.get(event.instrument_id)


def latest_verification_until(instrument_ref="pk"):
    """The valid_until of the instrument's latest verification, as a subquery; a failed one
    states no validity (检定结果通知书) and ends the instrument's on its own date."""
    return models.Subquery(
        CalibrationEvent.objects.filter(instrument=models.OuterRef(instrument_ref), kind=CalibrationEvent.Kind.VERIFICATION)
        .order_by("-performed_on", "-id")
        .annotate(until=Coalesce("valid_until", "performed_on"))
        .values("until")[:1]
    )


def refresh_verified_until(instrument_ids=None) -> int:
    """Recompute ``Instrument.verified_until`` of the given instruments (all when None) from
    their events; the repair path after writes that bypass the models."""
    instruments = Instrument.objects.all()
    if instrument_ids is not None:
        ids = sorted({i for i in instrument_ids if i is not None})
        if not ids:
            return 0
        instruments = instruments.filter(pk__in=ids)
    return instruments.update(verified_until=latest_verification_until())


class CalibrationEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        fill_event_regions(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        refresh_verified_until(e.instrument_id for e in objs if e.kind == CalibrationEvent.Kind.VERIFICATION)
        return created


class CalibrationEvent(models.Model):
    """A verification (检定, pass/fail) or calibration (校准, values with uncertainty)."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("检定")
        CALIBRATION = "calibration", _("校准")

    # No index of its own: the (instrument, performed_on) index below serves it.
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="events", verbose_name=_("被检器具"), db_index=False)
    # No index of its own: the (performer, id) index below serves it.
    performer = models.ForeignKey(
        Organisation, models.PROTECT, related_name="performed_events", verbose_name=_("检定/校准机构"), db_index=False
    )
    # person and specification: no index, no query selects events by them (only a delete's
    # protection check does, a scan once per deleted person or specification).
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("检定/校准员"), db_index=False
    )
    standards_used = models.ManyToManyField(
        MeasurementStandard, through="EventStandard", related_name="events", verbose_name=_("所用计量标准")
    )
    primary_standard = models.ForeignKey(
        PrimaryStandard, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("所用计量基准")
    )
    external_source = models.CharField(_("境外/国际溯源"), max_length=200, blank=True)
    specification = models.ForeignKey(
        Specification, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("依据"), db_index=False
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    performed_on = models.DateField(_("检定/校准日期"))
    # A verification (检定) has a verdict; when it passed, a validity from the period rules;
    # a failed one gets a 检定结果通知书 and no validity (计量检定印、证管理办法 第五、六条).
    # A calibration (校准) has neither: only a recalibration date the customer asked for
    # (建议复校日期; JJF 1071-2010 / JJF 1139: the interval is the user's to set).
    # The rules live in services.calibration_apart_reasons and the constraints below.
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    passed = models.BooleanField(_("结论合格"), null=True, blank=True)
    recalibration_due = models.DateField(_("建议复校日期"), null=True, blank=True)
    results = models.JSONField(_("校准结果"), default=list, blank=True)
    uncertainty = models.FloatField(_("扩展不确定度 U"), null=True, blank=True)
    certificate_number = models.CharField(_("证书编号"), max_length=60, unique=True)
    # The instrument's region, copied here (by save, bulk_create and the generator) so a
    # region's events are listed by an index instead of a join through every instrument.
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="calibration_events",
        editable=False,
        blank=True,
        db_index=False,
        verbose_name=_("所在地区"),
    )

    objects = CalibrationEventQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_on", "id"]
        verbose_name = _("检定/校准记录")
        verbose_name_plural = _("检定/校准记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(performed_on__lte=F("valid_until")), name="event_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(recalibration_due__isnull=True) | Q(performed_on__lt=F("recalibration_due")),
                name="event_recalibration_after_event",
            ),
            models.CheckConstraint(condition=~Q(kind="verification") | Q(passed__isnull=False), name="verification_has_verdict"),
            # Explicit IS NOT NULL / IS NULL: a CHECK that evaluates to NULL would let the row through.
            models.CheckConstraint(
                condition=~Q(kind="verification")
                | Q(passed=True, valid_until__isnull=False, recalibration_due__isnull=True)
                | Q(passed=False, valid_until__isnull=True, recalibration_due__isnull=True),
                name="verification_validity_only_when_passed",
                violation_error_message=_(
                    "JJF 1001-2011 9.17/9.19、计量检定印、证管理办法 第五、六条：检定合格须给出有效期至，"
                    "不合格出具检定结果通知书，不给有效期"
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind="calibration") | Q(passed__isnull=True, valid_until__isnull=True),
                name="calibration_has_no_verdict_nor_validity",
                violation_error_message=_("JJF 1071-2010、JJF 1139：校准不判定合格与否、不给有效期，可给客户要求的建议复校日期"),
            ),
        ]
        indexes = [
            models.Index(fields=["instrument", "performed_on"]),
            models.Index(fields=["performed_on", "id"]),  # the newest events first, across the province
            models.Index(fields=["region", "id"]),  # a county's events, page by page
            models.Index(fields=["performer", "id"]),  # an institution's events, page by page
        ]

    def __str__(self):
        return self.certificate_number

    def save(self, *args, **kwargs):
        instrument = self._state.fields_cache.get("instrument")
        if instrument is not None and instrument.pk == self.instrument_id:
            self.region_id = instrument.region_id
        elif self.instrument_id is not None:
            self.region_id = Instrument.objects.filter(pk=self.instrument_id).values_list("region_id", flat=True).first()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "instrument" in update_fields and "region" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "region"]
        before = None
        if not self._state.adding and (
            update_fields is None or {"instrument", "kind", "performed_on", "valid_until"} & set(update_fields)
        ):
            before = CalibrationEvent.objects.filter(pk=self.pk).values_list("instrument_id", "kind").first()
        super().save(*args, **kwargs)
        if self.kind == self.Kind.VERIFICATION or (before is not None and before[1] == self.Kind.VERIFICATION):
            refresh_verified_until({self.instrument_id, before[0] if before else None})


@receiver(post_delete, sender=CalibrationEvent)
def _event_deleted(sender, instance, **kwargs):
    # A signal rather than delete(): queryset deletes reach it too.
    if instance.kind == CalibrationEvent.Kind.VERIFICATION:
        refresh_verified_until([instance.instrument_id])


class EventStandard(models.Model):
    """Which measurement standard an event used (explicit so bulk loads can write it)."""

    # Served by the unique (event, standard) and the (standard, event) indexes: none of their own.
    event = models.ForeignKey(CalibrationEvent, models.CASCADE, related_name="standard_links", db_index=False)
    standard = models.ForeignKey(MeasurementStandard, models.PROTECT, related_name="event_links", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "standard"], name="event_standard_unique")]
        indexes = [models.Index(fields=["standard", "event"])]
