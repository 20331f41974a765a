"""The demo's users: one for every role of ``jiliang.policies``, each tied to a real
organisation (or region) of the generated province, in the demo group whose members the
sign-in page lists (jiliang.accounts.demo_logins)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count

from jiliang.accounts.demo_logins import DEMO_GROUP, DEMO_PASSWORD, ROLES
from jiliang.accounts.models import Membership
from jiliang.registry import models as reg


def _enterprise_with_most_mandatory() -> reg.Organisation:
    """The enterprise with the most working instruments under mandatory verification, in a county."""
    mandatory = reg.Instrument.objects.filter(
        catalog_item__isnull=False,
        standard__isnull=True,
        status=reg.Instrument.Status.IN_USE,
        owner__kind=reg.Organisation.Kind.ENTERPRISE,
        owner__region__level="county",
    ).exclude(legal_purpose="none")
    owner_id = mandatory.values("owner").annotate(n=Count("id")).order_by("-n", "owner").values_list("owner", flat=True).first()
    return reg.Organisation.objects.select_related("region").get(pk=owner_id)


@dataclass
class DemoCast:
    """The organisations the demo's users belong to (demo_activity plants its records around them)."""

    province: reg.Region
    city: reg.Region
    county: reg.Region
    institute: reg.Organisation
    enterprise: reg.Organisation
    users: dict  # username → User


def choose_cast() -> tuple[reg.Region, reg.Region, reg.Region, reg.Organisation, reg.Organisation]:
    enterprise = _enterprise_with_most_mandatory()
    county = enterprise.region
    city = reg.Region.objects.get(code=county.code[:4] + "00")
    province = reg.Region.objects.get(code=county.code[:2] + "0000")
    # The provincial legal metrology institute: the legal institute of the province's own region with the most staff.
    institute = (
        reg.Organisation.objects.filter(kind=reg.Organisation.Kind.LEGAL_INSTITUTE, region=province)
        .annotate(n=Count("people"))
        .order_by("-n", "pk")
        .first()
    )
    return province, city, county, institute, enterprise


@transaction.atomic
def create_demo_users() -> DemoCast:
    """Create (once) the demo's users and put them in the demo group."""
    province, city, county, institute, enterprise = choose_cast()
    memberships = {
        "province-admin": dict(role=Membership.Role.REGION_ADMIN, region=province),
        "city-admin": dict(role=Membership.Role.REGION_ADMIN, region=city),
        "county-admin": dict(role=Membership.Role.REGION_ADMIN, region=county),
        "inspector": dict(role=Membership.Role.REGION_ADMIN, region=county),
        "auditor": dict(role=Membership.Role.AUDITOR, region=province),
        "institute": dict(
            role=Membership.Role.INSTITUTION_STAFF, organisation=institute, is_verifier=True, is_checker=True, is_approver=True
        ),
        "enterprise": dict(role=Membership.Role.ENTERPRISE_USER, organisation=enterprise),
        # A 计量标准考评员 on the register, on the staff of another institute (jiliang.assessment.demo).
        "assessor": dict(
            role=Membership.Role.INSTITUTION_STAFF,
            organisation=reg.Organisation.objects.filter(kind=reg.Organisation.Kind.LEGAL_INSTITUTE, region=city).first()
            or institute,
        ),
    }
    User = get_user_model()
    group, _created = Group.objects.get_or_create(name=DEMO_GROUP)
    hashed = None
    users = {}
    for spec in ROLES:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            hashed = hashed or make_password(DEMO_PASSWORD)  # one slow hash for all (the demo's time budget)
            admin = spec.username == "admin"
            user = User(username=spec.username, email="admin@example.org" if admin else "", password=hashed)
            user.is_staff = user.is_superuser = admin
            user.save()
            if spec.username in memberships:
                Membership.objects.create(user=user, **memberships[spec.username])
        user.groups.add(group)
        users[spec.username] = user
    return DemoCast(province, city, county, institute, enterprise, users)
