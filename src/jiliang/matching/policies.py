"""Who sees and works the matching records, written once.

- An enterprise or laboratory (its users or staff) posts needs and sees its own; it picks a
  provider and may withdraw a need or a request not yet answered.
- A provider (institution staff) sees the requests addressed to it and answers them
  (accept, decline, complete with the certificate issued), and sees the open needs in its
  scope: the needs of its own province (a provider serves beyond its county; a mandatory
  need still goes only to one authorised for the area, jiliang.authorisation.rules).
  It publishes its own service terms.
- The administrators and auditors of a region read the region's needs and requests (the
  unmet ones feed the building plan's gaps); the nation reads all.
- Service terms are public (a published price list); an organisation's inbox is its own.
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, STAFF, Actor, Policy

from .models import Message, Need, Request, ServiceTerms


def _organisation_province(actor: Actor) -> str | None:
    """The first two digits of the actor's organisation's region (cached on the actor)."""
    cached = getattr(actor, "_matching_province", False)
    if cached is False:
        from jiliang.registry.models import Organisation

        code = Organisation.objects.filter(pk=actor.organisation_id).values_list("region__code", flat=True).first()
        cached = code[:2] if code else None
        actor._matching_province = cached
    return cached


class NeedPolicy(Policy):
    public = False
    scoped = True
    transitions = {
        "pick": ((Need.Status.OPEN,), Need.Status.REQUESTED),
        "withdraw": ((Need.Status.OPEN, Need.Status.REQUESTED), Need.Status.WITHDRAWN),
    }

    def scope(self, actor: Actor) -> Q | None:
        if actor.kind == NATIONAL:
            return None
        if actor.region_scoped:
            return Q(region__code__startswith=actor.region_prefix)
        if actor.organisation_scoped:
            own = Q(poster_id=actor.organisation_id)
            addressed = Q(pk__in=Request.objects.filter(provider_id=actor.organisation_id).values("need_id"))
            scope = own | addressed
            province = _organisation_province(actor) if actor.kind == STAFF else None
            if province:
                scope |= Q(status=Need.Status.OPEN, region__code__startswith=province)
            return scope
        return Q(pk__in=[])

    def visible(self, actor: Actor, queryset):
        scope = self.scope(actor)
        return queryset if scope is None else queryset.filter(scope)

    def may_view(self, actor: Actor, obj) -> bool:
        return actor.authenticated and self.visible(actor, Need.objects.filter(pk=obj.pk)).exists()

    def may_post(self, actor: Actor) -> bool:
        """An enterprise or an institution posts needs for its own instruments."""
        return actor.organisation_scoped and actor.organisation_id is not None

    def owns(self, actor: Actor, obj) -> bool:
        return actor.organisation_scoped and obj.poster_id == actor.organisation_id

    def writable(self, actor: Actor, obj) -> bool:
        return self.owns(actor, obj)

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        return self.owns(actor, obj)

    def reads_needs(self, actor: Actor) -> bool:
        """Who the matching pages are for (the navigation's link)."""
        return actor.kind == NATIONAL or actor.region_scoped or actor.organisation_scoped


class RequestPolicy(Policy):
    public = False
    scoped = True
    transitions = {
        "accept": ((Request.Status.SENT,), Request.Status.ACCEPTED),
        "decline": ((Request.Status.SENT,), Request.Status.DECLINED),
        "complete": ((Request.Status.ACCEPTED,), Request.Status.COMPLETED),
        "withdraw": ((Request.Status.SENT,), Request.Status.WITHDRAWN),
    }
    PROVIDER_ACTIONS = ("accept", "decline", "complete")

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(need__region__code__startswith=actor.region_prefix)
        if actor.organisation_scoped:
            return queryset.filter(Q(provider_id=actor.organisation_id) | Q(need__poster_id=actor.organisation_id))
        return queryset.none()

    def is_provider(self, actor: Actor, obj) -> bool:
        return actor.kind == STAFF and obj.provider_id == actor.organisation_id

    def may_view(self, actor: Actor, obj) -> bool:
        if actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return obj.need.region.code.startswith(actor.region_prefix)
        return actor.organisation_scoped and actor.organisation_id in (obj.provider_id, obj.need.poster_id)

    def writable(self, actor: Actor, obj) -> bool:
        return False  # changed only through its transitions

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        if action in self.PROVIDER_ACTIONS:
            return self.is_provider(actor, obj)
        return actor.organisation_scoped and obj.need.poster_id == actor.organisation_id


class TermsPolicy(Policy):
    """A provider's published terms: anyone reads them, its own staff keep them."""

    public = True

    def writable(self, actor: Actor, obj) -> bool:
        return self.may_publish(actor, obj.provider_id)

    def may_publish(self, actor: Actor, provider_id: int | None) -> bool:
        return actor.kind == STAFF and provider_id is not None and actor.organisation_id == provider_id


class MessagePolicy(Policy):
    public = False
    scoped = True

    def visible(self, actor: Actor, queryset):
        if actor.organisation_scoped and actor.organisation_id is not None:
            return queryset.filter(recipient_id=actor.organisation_id)
        return queryset.none()

    def may_view(self, actor: Actor, obj) -> bool:
        return actor.organisation_scoped and obj.recipient_id == actor.organisation_id

    def writable(self, actor: Actor, obj) -> bool:
        return self.may_view(actor, obj)  # marking it read


NEEDS = NeedPolicy()
REQUESTS = RequestPolicy()
TERMS = TermsPolicy()
MESSAGES = MessagePolicy()
_POLICIES = {Need: NEEDS, Request: REQUESTS, ServiceTerms: TERMS, Message: MESSAGES}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]
