"""Who may do what in a prepackaged-goods inspection, behind small questions (each takes a
user or an ``Actor``); the states each step starts from are ``policies.TRANSITIONS``.

- ``may_inspect(who, region_code)``: create a task, enter measurements and judge — the
  administrator of the producer's region (or above), a national administrator (superuser),
  or staff of a technical institution (检定机构 staff carry out inspections on assignment).
- ``administers(who, region_code)``: approve and publish — the region administrator whose
  GB/T 2260 prefix covers the producer's region, or a national administrator.
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF, Actor, as_actor


def _actor(who) -> Actor:
    return as_actor(who)


def administers(who, region_code: str) -> bool:
    actor = _actor(who)
    if actor.kind == NATIONAL:
        return True
    return actor.kind == REGION_ADMIN and bool(region_code) and region_code.startswith(actor.region_prefix)


def may_inspect(who, region_code: str) -> bool:
    return administers(who, region_code) or _actor(who).kind == STAFF


def may_inspect_somewhere(who) -> bool:
    """Whether the user carries out inspections at all (the new-task form is theirs)."""
    return _actor(who).kind in (NATIONAL, REGION_ADMIN, STAFF)


def may_work_on(who, inspection) -> bool:
    """Enter measurements and judge: the region's administrator, or staff of an organisation
    one of whose people inspects it (or who created it)."""
    actor = _actor(who)
    if administers(actor, inspection.producer.region.code):
        return True
    if actor.kind != STAFF or actor.organisation_id is None:
        return False
    return (
        inspection.created_by_id == actor.user_id or inspection.inspectors.filter(organisation_id=actor.organisation_id).exists()
    )


def visible(who, queryset):
    """The inspections a user may read: what is published, and everything in their remit
    (an administrator's region, the inspections an institution's people carry out, a
    producer's own products)."""
    published = Q(status="published")
    actor = _actor(who)
    if actor.kind == NATIONAL:
        return queryset
    if actor.kind == REGION_ADMIN:
        return queryset.filter(published | Q(producer__region__code__startswith=actor.region_prefix))
    if actor.kind == STAFF:
        mine = Q(created_by_id=actor.user_id) | Q(inspectors__organisation_id=actor.organisation_id)
        return queryset.filter(pk__in=queryset.model.objects.filter(published | mine).values("pk"))
    if actor.kind == ENTERPRISE:  # a producer reads the inspections of its own products
        return queryset.filter(published | Q(producer_id=actor.organisation_id))
    return queryset.filter(published)


def notices_for(who, queryset):
    """Notices addressed to the administrations inside the user's region (all for a national administrator)."""
    actor = _actor(who)
    if actor.kind == NATIONAL:
        return queryset
    if actor.kind == REGION_ADMIN:
        return queryset.filter(recipient__region__code__startswith=actor.region_prefix)
    return queryset.none()
