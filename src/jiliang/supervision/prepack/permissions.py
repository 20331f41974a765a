"""Who may do what in a prepackaged-goods inspection, behind two small questions.

- ``may_inspect(user, region_code)``: create a task, enter measurements and judge — the
  administrator of the producer's region (or above), a national administrator (superuser),
  or staff of a technical institution (检定机构 staff carry out inspections on assignment).
- ``administers(user, region_code)``: approve and publish — the region administrator whose
  GB/T 2260 prefix covers the producer's region, or a national administrator.

Roles come from ``jiliang.accounts.roles`` when present; without it only a superuser acts.
"""

from __future__ import annotations

try:
    from jiliang.accounts.roles import ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF, actor_for
except ImportError:  # pragma: no cover - only without the accounts app
    actor_for = None
    NATIONAL, REGION_ADMIN, STAFF, ENTERPRISE = "national", "region_admin", "institution_staff", "enterprise_user"


def _actor(user):
    if user is None or not getattr(user, "is_authenticated", False) or actor_for is None:
        return None
    return actor_for(user)


def administers(user, region_code: str) -> bool:
    if user is not None and getattr(user, "is_superuser", False):
        return True
    actor = _actor(user)
    if actor is None:
        return False
    if actor.kind == NATIONAL:
        return True
    return actor.kind == REGION_ADMIN and bool(region_code) and region_code.startswith(actor.region_prefix)


def may_inspect(user, region_code: str) -> bool:
    if administers(user, region_code):
        return True
    actor = _actor(user)
    return actor is not None and actor.kind == STAFF


def may_inspect_somewhere(user) -> bool:
    """Whether the user carries out inspections at all (the new-task form is theirs)."""
    if user is not None and getattr(user, "is_superuser", False):
        return True
    actor = _actor(user)
    return actor is not None and actor.kind in (NATIONAL, REGION_ADMIN, STAFF)


def _staff_organisation(user) -> int | None:
    actor = _actor(user)
    return actor.organisation_id if actor is not None and actor.kind == STAFF else None


def may_work_on(user, inspection) -> bool:
    """Enter measurements and judge: the region's administrator, or staff of an organisation
    one of whose people inspects it (or who created it)."""
    if administers(user, inspection.producer.region.code):
        return True
    organisation = _staff_organisation(user)
    if organisation is None:
        return False
    return inspection.created_by_id == user.pk or inspection.inspectors.filter(organisation_id=organisation).exists()


def visible(user, queryset):
    """The inspections a user may read: what is published, and everything in their remit
    (an administrator's region, the inspections an institution's people carry out, a
    producer's own products)."""
    from django.db.models import Q

    published = Q(status="published")
    if user is not None and getattr(user, "is_superuser", False):
        return queryset
    actor = _actor(user)
    if actor is None:
        return queryset.filter(published)
    if actor.kind == NATIONAL:
        return queryset
    if actor.kind == REGION_ADMIN:
        return queryset.filter(published | Q(producer__region__code__startswith=actor.region_prefix))
    if actor.kind == STAFF:
        mine = Q(created_by_id=user.pk) | Q(inspectors__organisation_id=actor.organisation_id)
        return queryset.filter(pk__in=queryset.model.objects.filter(published | mine).values("pk"))
    if actor.kind == ENTERPRISE:  # a producer reads the inspections of its own products
        return queryset.filter(published | Q(producer_id=actor.organisation_id))
    return queryset.filter(published)


def notices_for(user, queryset):
    """Notices addressed to the administrations inside the user's region (all for a national administrator)."""
    if user is not None and getattr(user, "is_superuser", False):
        return queryset
    actor = _actor(user)
    if actor is None:
        return queryset.none()
    if actor.kind == NATIONAL:
        return queryset
    if actor.kind == REGION_ADMIN:
        return queryset.filter(recipient__region__code__startswith=actor.region_prefix)
    return queryset.none()
