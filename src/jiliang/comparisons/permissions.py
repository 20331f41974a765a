"""Who a user is for the comparison workflow, reduced to two questions.

``actor_organisations(user)``: the organisations the user acts for (institution staff of
an organisation); ``administers_region(user, region)``: whether the user is the
administrator (计量行政部门) of that region — a region administrator whose GB/T 2260 prefix
covers the region's code, or a superuser (national administrator). Read from
``jiliang.accounts`` when it is installed; otherwise only a superuser administers.
"""

from __future__ import annotations

from jiliang.policies import AUDITOR, NATIONAL, REGION_ADMIN, STAFF, actor_for


def actor_organisations(user) -> frozenset[int]:
    """Ids of the organisations whose staff the user is (empty for everyone else)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    actor = actor_for(user)
    if actor.kind == STAFF and actor.organisation_id is not None:
        return frozenset({actor.organisation_id})
    return frozenset()


def region_prefix(user, *, reading: bool = False) -> str | None:
    """The GB/T 2260 code prefix the user administers: "" for the whole country, None for none.
    With ``reading``, an auditor's prefix too (auditors read what the administrator reads)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ""
    actor = actor_for(user)
    if actor.kind == NATIONAL:
        return ""
    if actor.kind == REGION_ADMIN or (reading and actor.kind == AUDITOR):
        return actor.region_prefix
    return None


def administers_region(user, region) -> bool:
    """True when ``user`` is the administrator of ``region`` (a Region or its code)."""
    prefix = region_prefix(user)
    if prefix is None or region is None:
        return False
    code = region if isinstance(region, str) else region.code
    return code.startswith(prefix)
