"""Who is acting, and the one shape every record's policy has.

The actor is the signed-in user reduced to what access decisions need: a role and its
scope. A region administrator or auditor reaches everything whose region code starts with
the prefix of their region (GB/T 2260: province 2 digits, city 4, county 6); institution
staff and enterprise users reach their own organisation's rows; a superuser is a national
administrator; everyone else is the public.

This module sits below every app (it imports none of them at module level), so accounts,
the registry and the workflows all import it without a cycle.

A policy answers, for one kind of record:

- ``visible(actor, queryset)``: the rows the actor may see (lists, details, exports);
- ``may(actor, action, obj)``: whether the actor may do ``action`` to ``obj``
  (``"view"``, ``"change"``, or a workflow action such as ``"close"``);
- ``public_fields``: the fields anyone may read of a row they may see but do not own;
- for a record with a lifecycle, ``transitions`` (action → states it may start from)
  and ``allowed_actions(actor, obj)``: the actions open to the actor now.

Services, API views, pages, navigation and templates ask the policy; none of them
repeats its rules.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field

from django.apps import apps

ANONYMOUS = "anonymous"
PUBLIC = "public"  # signed in, but without a role
NATIONAL = "national"
REGION_ADMIN = "region_admin"
AUDITOR = "auditor"
STAFF = "institution_staff"
ENTERPRISE = "enterprise_user"

ROLE_KINDS = (ANONYMOUS, PUBLIC, NATIONAL, REGION_ADMIN, AUDITOR, STAFF, ENTERPRISE)


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

    def reads_region_code(self, code: str | None) -> bool:
        """Whether a region code lies in what the actor supervises or audits."""
        return self.kind == NATIONAL or (self.region_scoped and code is not None and code.startswith(self.region_prefix))


# Regions change by decree, a few times a year: a process may keep the tree for a minute.
REGION_CACHE_SECONDS = 60.0
_region_cache: dict[str, tuple[float, list[int]]] = {}
_tree_cache: list[tuple[float, dict[int, tuple[str, str]]]] = []


def _region_model():
    return apps.get_model("registry", "Region")


def region_ids_within(prefix: str) -> list[int]:
    now = time.monotonic()
    hit = _region_cache.get(prefix)
    if hit is not None and now - hit[0] < REGION_CACHE_SECONDS:
        return hit[1]
    ids = list(_region_model().objects.filter(code__startswith=prefix).values_list("id", flat=True))
    _region_cache[prefix] = (now, ids)
    return ids


def region_tree() -> dict[int, tuple[str, str]]:
    """Every region as id → (code, level), kept as long as the scopes above."""
    now = time.monotonic()
    if _tree_cache and now - _tree_cache[0][0] < REGION_CACHE_SECONDS:
        return _tree_cache[0][1]
    tree = {pk: (code, level) for pk, code, level in _region_model().objects.values_list("id", "code", "level")}
    _tree_cache[:] = [(now, tree)]
    return tree


def clear_region_cache(**_) -> None:
    _region_cache.clear()
    _tree_cache.clear()


def actor_for(user) -> Actor:
    """The actor of a request's user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
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
                membership.role,
                user_id=user.pk,
                organisation_id=membership.organisation_id,
                is_verifier=membership.is_verifier,
                is_checker=membership.is_checker,
                is_approver=membership.is_approver,
            )
    user._jiliang_actor = actor
    return actor


def as_actor(who) -> Actor:
    """An Actor from an Actor, a user or a request."""
    if isinstance(who, Actor):
        return who
    if hasattr(who, "user") and hasattr(who, "method"):  # a request
        return actor_for(getattr(who, "user", None))
    return actor_for(who)


class Policy:
    """The shape of every record's policy. Subclasses override what differs; the default
    is reference data: everyone reads every field, only a national administrator writes."""

    public = True  # whether signed-out visitors may read any row at all
    scoped = False  # whether ``visible`` narrows the rows (else every row is visible)
    public_fields: tuple | None = None  # None: every field of a visible row is public
    # For a record with a lifecycle: action → the states it may start from, and the state
    # it leads to (None: the state the action names is chosen by its caller).
    transitions: dict[str, tuple[tuple, str | None]] = {}
    state_field = "status"

    def visible(self, actor: Actor, queryset):
        return queryset

    def may(self, actor: Actor, action: str, obj) -> bool:
        if action == "view":
            return self.may_view(actor, obj)
        if action == "change":
            return self.writable(actor, obj)
        if action in self.transitions:
            return self.in_state_for(action, obj) and self.may_transition(actor, action, obj)
        return False

    def may_view(self, actor: Actor, obj) -> bool:
        if not self.public and not actor.authenticated:
            return False
        return self.visible(actor, type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def writable(self, actor: Actor, obj) -> bool:
        return actor.kind == NATIONAL

    def sees_private(self, actor: Actor, obj) -> bool:
        """Whether the actor reads every field of the row (else only ``public_fields``)."""
        return True

    def readable_fields(self, actor: Actor, obj, names) -> list[str]:
        if self.public_fields is None or self.sees_private(actor, obj):
            return list(names)
        return [name for name in names if name in self.public_fields]

    # -- lifecycles

    def in_state_for(self, action: str, obj) -> bool:
        sources, _ = self.transitions[action]
        return getattr(obj, self.state_field) in sources

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        return self.writable(actor, obj)

    def allowed_actions(self, actor: Actor, obj) -> list[str]:
        return [action for action in self.transitions if self.may(actor, action, obj)]


def policy_of(model_or_obj) -> Policy:
    """The policy of a record kind: ``policy_for`` of its app's ``policies`` module (every
    app keeps its policies in the same room)."""
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    app = apps.get_app_config(model._meta.app_label)
    return importlib.import_module(f"{app.name}.policies").policy_for(model)


class PolicyRefusal(Exception):
    """An action the policy does not allow: the answer is 403 (or 404 when the row is not
    visible to the actor at all)."""

    def __init__(self, message: str, *, hidden: bool = False):
        super().__init__(message)
        self.hidden = hidden
