"""Who sees and works the plans and the indicators, written once.

- A region's administrators keep its building plans (draft, approve, close; the entries'
  progress) and send its signed report upward; auditors of the region read; the nation reads
  and keeps every region's.
- Indicators: a region's administrators and auditors see their region's subtree, the nation
  every region. The public sees none: the figures are the bureau's working figures, sent
  upward before anything is published (the published results — comparisons, inspections,
  penalties — have their own public pages).
"""

from __future__ import annotations

from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy, as_actor

from .models import BuildingPlan, PlanEntry


def _region_id(obj) -> int:
    return obj.region_id if isinstance(obj, BuildingPlan) else obj.plan.region_id


class PlanPolicy(Policy):
    public = False
    scoped = True
    region = "region_id"

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self.region}__in": actor.region_ids()})
        return queryset.none()

    def may_view(self, actor: Actor, obj) -> bool:
        return actor.sees_region(_region_id(obj))

    def writable(self, actor: Actor, obj) -> bool:
        return actor.supervises_region(_region_id(obj))

    def may_create(self, actor: Actor, region) -> bool:
        return actor.supervises_region(region.pk)

    def sees_plans(self, actor: Actor) -> bool:
        """The plans' list (the navigation asks this)."""
        return actor.kind == NATIONAL or actor.region_scoped


class BuildingPlanPolicy(PlanPolicy):
    S = BuildingPlan.Status
    transitions = {
        "approve": ((S.DRAFT,), S.APPROVED),
        "close": ((S.APPROVED,), S.CLOSED),
    }


class PlanEntryPolicy(PlanPolicy):
    region = "plan__region_id"
    S = PlanEntry.Status
    transitions = {
        "plan": ((S.PROPOSED,), S.PLANNED),
        "start": ((S.PLANNED,), S.IN_PROGRESS),
        "complete": ((S.PLANNED, S.IN_PROGRESS), S.DONE),
        "drop": ((S.PROPOSED, S.PLANNED, S.IN_PROGRESS), S.DROPPED),
    }

    def may_transition(self, actor, action, obj) -> bool:
        return self.writable(actor, obj) and obj.plan.status != BuildingPlan.Status.CLOSED


class IndicatorPolicy:
    """Not a record kind: the figures computed over other records."""

    def sees_indicators(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL or actor.region_scoped

    def reads_region(self, actor: Actor, code: str) -> bool:
        return self.sees_indicators(actor) and actor.reads_region_code(code)

    def may_report(self, actor: Actor, code: str) -> bool:
        """Sending the region's signed report upward is its administrators' (or the nation's)."""
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and code.startswith(actor.region_prefix))


PLANS = BuildingPlanPolicy()
ENTRIES = PlanEntryPolicy()
INDICATORS = IndicatorPolicy()
_POLICIES = {BuildingPlan: PLANS, PlanEntry: ENTRIES}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]


def allowed_actions(who, obj) -> list[str]:
    return policy_for(obj).allowed_actions(as_actor(who), obj)
