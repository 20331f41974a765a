"""The API's request-level gate. The rules per record kind are the registry's policies
(``jiliang.registry.policies``), re-exported here for the API's viewsets."""

from __future__ import annotations

from rest_framework import exceptions, permissions

from jiliang.policies import STAFF, Actor, Policy, actor_for  # noqa: F401  (re-exported)
from jiliang.registry.policies import (  # noqa: F401  (re-exported)
    EventPolicy,
    InstrumentPolicy,
    OrganisationPolicy,
    OwnedPolicy,
    PersonPolicy,
    QualificationPolicy,
    ReferenceMaterialPolicy,
    ReferencePolicy,
    StandardPolicy,
)


def request_actor(request) -> Actor:
    return actor_for(getattr(request, "user", None))


class RegistryPermission(permissions.BasePermission):
    """The request-level gate: private tables need a signed-in user; writes need a role
    that can write at all (the row-level check is in the view's ``check_write``)."""

    def has_permission(self, request, view):
        action_map = getattr(view, "action_map", None)
        if action_map is not None and request.method.lower() not in action_map and request.method != "OPTIONS":
            return True  # let the view answer 405 whoever asks
        actor = request_actor(request)
        policy: Policy = view.policy
        if request.method in permissions.SAFE_METHODS:
            if not policy.public and not actor.authenticated:
                raise exceptions.NotAuthenticated()
            return True
        if not actor.authenticated:
            raise exceptions.NotAuthenticated()
        return not actor.read_only
