"""Who sees and works credit records, written once.

- The organisation itself (its institution staff or enterprise users) reads its own record,
  objects to a piece of it (异议) and asks for repair (信用修复).
- The supervising bureau (administrators and auditors of the organisation's region, and
  the nation) reads the records of its region; its administrators decide objections and
  repairs. Auditors read only.
- The public sees no record: 国市监信发〔2022〕6号 makes the risk classes an internal tool for
  allocating supervision (the proportion and frequency of random inspections); what the
  public reads are the published inspection results and penalties themselves, in their apps.
- The rule set is published: anyone reads it; a provincial or national administrator
  publishes a new version.
"""

from __future__ import annotations

from jiliang.policies import ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF, Actor, Policy, as_actor


def _own(actor: Actor, organisation_id: int | None) -> bool:
    return actor.kind in (STAFF, ENTERPRISE) and organisation_id is not None and actor.organisation_id == organisation_id


class CreditPolicy(Policy):
    """One policy for every credit record kind (evidence, grades, objections, repairs): each
    row names its organisation."""

    public = False
    scoped = True
    transitions = {"decide": ((("open",)), None)}

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(organisation__region_id__in=actor.region_ids())
        if actor.organisation_scoped:
            return queryset.filter(organisation_id=actor.organisation_id)
        return queryset.none()

    def visible_organisations(self, actor: Actor, queryset):
        """The organisations whose records the actor reads."""
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(region_id__in=actor.region_ids())
        if actor.organisation_scoped:
            return queryset.filter(pk=actor.organisation_id)
        return queryset.none()

    def sees_record(self, actor: Actor, organisation) -> bool:
        return _own(actor, organisation.pk) or actor.sees_region(organisation.region_id)

    def may_view(self, actor: Actor, obj) -> bool:
        return self.sees_record(actor, obj.organisation)

    def writable(self, actor: Actor, obj) -> bool:
        return False  # records change only through the services' actions

    def may_request(self, actor: Actor, organisation) -> bool:
        """Object to or ask to repair a piece: the organisation's own people."""
        return _own(actor, organisation.pk)

    def may_decide(self, actor: Actor, organisation) -> bool:
        """Decide an objection or a repair: an administrator supervising the organisation's region."""
        return actor.supervises_region(organisation.region_id)

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        return self.may_decide(actor, obj.organisation)

    def may_set_rules(self, actor: Actor) -> bool:
        """Publish a rule-set version: the nation, or a provincial administrator (the rule set
        is the province's; a city or county applies it)."""
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and len(actor.region_prefix) <= 2)

    def sees_dashboard(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL or actor.region_scoped

    def sees_own(self, actor: Actor) -> bool:
        return actor.organisation_scoped and actor.organisation_id is not None

    def opens_credit(self, actor: Actor) -> bool:
        """Who the credit pages are for (the navigation asks this)."""
        return self.sees_dashboard(actor) or self.sees_own(actor)


CREDIT = CreditPolicy()


def policy_for(model_or_obj) -> Policy:
    return CREDIT


def allowed_actions(who, obj) -> list[str]:
    return CREDIT.allowed_actions(as_actor(who), obj)
