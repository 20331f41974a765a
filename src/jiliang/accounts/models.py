"""Who a user is in the measurement system (a role, scoped to a region or an organisation)
and the API tokens programs use to act for that user."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Organisation, Region


class Membership(models.Model):
    """The role of one user; a user without a membership is treated as the public."""

    class Role(models.TextChoices):
        REGION_ADMIN = "region_admin", _("计量行政部门管理员")
        INSTITUTION_STAFF = "institution_staff", _("技术机构人员")
        ENTERPRISE_USER = "enterprise_user", _("企业用户")
        AUDITOR = "auditor", _("审计员（只读）")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="membership", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="memberships", verbose_name=_("管辖地区")
    )
    organisation = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="memberships", verbose_name=_("所在单位")
    )
    # Sub-roles of institution staff (检定员 / 核验员 / 批准人).
    is_verifier = models.BooleanField(_("检定/校准员"), default=False)
    is_checker = models.BooleanField(_("核验员"), default=False)
    is_approver = models.BooleanField(_("批准人"), default=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["region_admin", "auditor"]) | Q(region__isnull=False, organisation__isnull=True),
                name="membership_region_roles_have_region",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["institution_staff", "enterprise_user"])
                | Q(organisation__isnull=False, region__isnull=True),
                name="membership_organisation_roles_have_organisation",
            ),
            models.CheckConstraint(
                condition=Q(role="institution_staff") | Q(is_verifier=False, is_checker=False, is_approver=False),
                name="membership_sub_roles_only_for_staff",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"

    def clean(self):
        errors = {}
        if self.role in (self.Role.REGION_ADMIN, self.Role.AUDITOR):
            if not self.region_id:
                errors["region"] = gettext("行政管理人员或审计人员须写明所监管的区划")
            if self.organisation_id:
                errors["organisation"] = gettext("行政管理人员或审计人员按区划授权，不按单位")
        if self.role in (self.Role.INSTITUTION_STAFF, self.Role.ENTERPRISE_USER):
            if not self.organisation_id:
                errors["organisation"] = gettext("技术机构人员和企业用户须写明所在单位")
            if self.region_id:
                errors["region"] = gettext("技术机构人员和企业用户按单位授权，不按区划")
        if self.role != self.Role.INSTITUTION_STAFF and (self.is_verifier or self.is_checker or self.is_approver):
            errors["role"] = gettext("只有技术机构人员有检定员、核验员和批准人子角色")
        if errors:
            raise ValidationError(errors)


TOKEN_TAG = "jl"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now: dt.datetime | None = None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A bearer token ``jl_<prefix>_<secret>``: only its SHA-256 is stored; the prefix finds the row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True, editable=False)
    digest = models.CharField(_("SHA-256"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.name} ({TOKEN_TAG}_{self.prefix}_…)"

    @classmethod
    def issue(cls, user, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
        """Create a token; the plain text is returned once and never stored."""
        prefix = secrets.token_hex(4)
        token = f"{TOKEN_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
        row = cls.objects.create(user=user, name=name, prefix=prefix, digest=token_digest(token), expires_at=expires_at)
        return row, token

    @staticmethod
    def split(token: str) -> str | None:
        """The lookup prefix of a well-formed token, else None."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_TAG or len(parts[1]) != 8:
            return None
        return parts[1]

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.digest, token_digest(token))

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
