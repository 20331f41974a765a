"""Who sees and changes the authorisation register.

The register is public: who is authorised for what is what an owner needs to know to
send an instrument to the right institution (计量授权管理办法 publishes the authorised
institutions). Only the issuing administration acts on an authorisation: a region
administrator whose region holds the issuing authority, or a national administrator.
"""

from __future__ import annotations

from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy

from .models import Authorisation, AuthorisationChange, AuthorisedArea, AuthorisedItem


class AuthorisationPolicy(Policy):
    public_fields = ("id", "number", "institution", "issuing_authority", "form", "valid_from", "valid_until", "status")
    transitions = {
        "extend": (("active",), None),
        "narrow": (("active",), None),
        "widen": (("active",), None),
        "revoke": (("active",), "revoked"),
    }

    def visible(self, actor, queryset):
        return queryset

    def sees_private(self, actor, obj) -> bool:
        return True

    def may_grant(self, actor: Actor, authority) -> bool:
        """Whether the actor acts for the administration that would issue it."""
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and actor.supervises_region(authority.region_id))

    def writable(self, actor, obj):
        return self.may_grant(actor, obj.issuing_authority)


class PartPolicy(AuthorisationPolicy):
    """Items, areas and history: read with their authorisation, changed only through it."""

    def writable(self, actor, obj):
        return self.may_grant(actor, obj.authorisation.issuing_authority)


_POLICIES = {
    Authorisation: AuthorisationPolicy(),
    AuthorisedItem: PartPolicy(),
    AuthorisedArea: PartPolicy(),
    AuthorisationChange: PartPolicy(),
}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]
