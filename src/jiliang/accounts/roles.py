"""The acting user reduced to what access decisions need: a role and its scope.

A region administrator or auditor reaches everything whose region code starts with the
prefix of their region (GB/T 2260: province 2 digits, city 4, county 6); institution
staff and enterprise users reach their own organisation's rows; a superuser is a
national administrator; everyone else is the public.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from jiliang.registry.models import Region

ANONYMOUS = "anonymous"
PUBLIC = "public"  # signed in, but without a role
NATIONAL = "national"
REGION_ADMIN = "region_admin"
AUDITOR = "auditor"
STAFF = "institution_staff"
ENTERPRISE = "enterprise_user"


@dataclass
class Actor:
    kind: str
    user_id: int | None = None
    region_prefix: str = ""
    organisation_id: int | None = None
    is_verifier: bool = False
    is_checker: bool = False
    is_approver: bool = False
    _region_ids: list[int] | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.kind != ANONYMOUS

    @property
    def region_scoped(self) -> bool:
        return self.kind in (REGION_ADMIN, AUDITOR)

    @property
    def organisation_scoped(self) -> bool:
        return self.kind in (STAFF, ENTERPRISE)

    @property
    def read_only(self) -> bool:
        return self.kind in (ANONYMOUS, PUBLIC, AUDITOR)

    def region_ids(self) -> list[int]:
        """Ids of the regions inside the actor's region (a few hundred at most)."""
        if self._region_ids is None:
            self._region_ids = region_ids_within(self.region_prefix)
        return self._region_ids

    def supervises_region(self, region_id: int | None) -> bool:
        return self.kind == NATIONAL or (self.kind == REGION_ADMIN and region_id in self.region_ids())

    def sees_region(self, region_id: int | None) -> bool:
        return self.kind == NATIONAL or (self.region_scoped and region_id in self.region_ids())


# Regions change by decree, a few times a year: a process may keep the tree for a minute.
REGION_CACHE_SECONDS = 60.0
_region_cache: dict[str, tuple[float, list[int]]] = {}


def region_ids_within(prefix: str) -> list[int]:
    now = time.monotonic()
    hit = _region_cache.get(prefix)
    if hit is not None and now - hit[0] < REGION_CACHE_SECONDS:
        return hit[1]
    ids = list(Region.objects.filter(code__startswith=prefix).values_list("id", flat=True))
    _region_cache[prefix] = (now, ids)
    return ids


_tree_cache: list[tuple[float, dict[int, tuple[str, str]]]] = []


def region_tree() -> dict[int, tuple[str, str]]:
    """Every region as id → (code, level), kept as long as the scopes above."""
    now = time.monotonic()
    if _tree_cache and now - _tree_cache[0][0] < REGION_CACHE_SECONDS:
        return _tree_cache[0][1]
    tree = {pk: (code, level) for pk, code, level in Region.objects.values_list("id", "code", "level")}
    _tree_cache[:] = [(now, tree)]
    return tree


def clear_region_cache(**_) -> None:
    _region_cache.clear()
    _tree_cache.clear()


def actor_for(user) -> Actor:
    """The actor of a request's user, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return Actor(ANONYMOUS)
    cached = getattr(user, "_jiliang_actor", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        actor = Actor(NATIONAL, user_id=user.pk)
    else:
        membership = getattr(user, "membership", None)
        if membership is None:
            actor = Actor(PUBLIC, user_id=user.pk)
        elif membership.role in (REGION_ADMIN, AUDITOR):
            region = membership.region
            actor = Actor(membership.role, user_id=user.pk, region_prefix=region.descendant_codes_prefix())
        else:
            actor = Actor(
                membership.role, user_id=user.pk, organisation_id=membership.organisation_id,
                is_verifier=membership.is_verifier, is_checker=membership.is_checker, is_approver=membership.is_approver,
            )
    user._jiliang_actor = actor
    return actor
