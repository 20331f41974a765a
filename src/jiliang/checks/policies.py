"""Who sees and works a standard's check plans, records and alerts, written once.

- The holder's staff (建标单位) keep their standards' plans and records and answer the
  alerts: the checks are the holder's own quality work (JJF 1033-2023 附录C).
- The supervising bureau (region administrators and auditors of the holder's region, and
  the nation) reads the plans and records of its region, and sees an alert once it has
  been escalated (left unanswered past the plan's days).
- The public sees nothing: these are an institution's internal records.
"""

from __future__ import annotations

from jiliang.policies import NATIONAL, STAFF, Actor, Policy, as_actor

from .models import CheckAlert, CheckPlan, CheckRecord


def _holds(actor: Actor, holder_id: int) -> bool:
    return actor.kind == STAFF and actor.organisation_id == holder_id


class _HolderRecords(Policy):
    public = False
    scoped = True
    holder = "standard__holder"  # the path from the row to the standard's holder

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self.holder}__region_id__in": actor.region_ids()})
        if actor.kind == STAFF:
            return queryset.filter(**{f"{self.holder}_id": actor.organisation_id})
        return queryset.none()


class CheckPlanPolicy(_HolderRecords):
    def may_keep(self, actor: Actor, standard) -> bool:
        """Whether the actor may make plans for ``standard`` (its holder's staff)."""
        return _holds(actor, standard.holder_id)

    def may(self, actor: Actor, action: str, obj) -> bool:
        if action in ("change", "record"):
            return _holds(actor, obj.standard.holder_id)
        return super().may(actor, action, obj)

    def may_view(self, actor: Actor, obj) -> bool:
        return (
            actor.kind == NATIONAL
            or _holds(actor, obj.standard.holder_id)
            or (actor.region_scoped and obj.standard.holder.region_id in actor.region_ids())
        )

    def writable(self, actor: Actor, obj) -> bool:
        return _holds(actor, obj.standard.holder_id)

    def sees_standard(self, actor: Actor, standard) -> bool:
        """Whether the actor may open the standard's check page."""
        return (
            actor.kind == NATIONAL
            or _holds(actor, standard.holder_id)
            or (actor.region_scoped and standard.holder.region_id in actor.region_ids())
        )


class CheckRecordPolicy(_HolderRecords):
    holder = "plan__standard__holder"

    def writable(self, actor: Actor, obj) -> bool:
        return _holds(actor, obj.plan.standard.holder_id)


class CheckAlertPolicy(_HolderRecords):
    holder = "plan__standard__holder"
    # The holder answers an open alert, and one the bureau was told of (answering it then
    # is still the holder's; the bureau reads the answer).
    transitions = {"answer": ((CheckAlert.Status.OPEN, CheckAlert.Status.ESCALATED), CheckAlert.Status.ANSWERED)}

    def visible(self, actor: Actor, queryset):
        queryset = super().visible(actor, queryset)
        if actor.kind == STAFF:
            return queryset
        # The bureau hears of an alert once it was escalated (answered later or not).
        return queryset.filter(escalated_on__isnull=False)

    def may_view(self, actor: Actor, obj) -> bool:
        if _holds(actor, obj.plan.standard.holder_id):
            return True
        return obj.escalated_on is not None and CHECK_PLANS.may_view(actor, obj.plan)

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        return _holds(actor, obj.plan.standard.holder_id)

    def sees_alerts(self, actor: Actor) -> bool:
        """Who the alerts page is for (the navigation asks this)."""
        return actor.kind in (NATIONAL, STAFF) or actor.region_scoped


CHECK_PLANS = CheckPlanPolicy()
CHECK_RECORDS = CheckRecordPolicy()
CHECK_ALERTS = CheckAlertPolicy()
POLICIES = {CheckPlan: CHECK_PLANS, CheckRecord: CHECK_RECORDS, CheckAlert: CHECK_ALERTS}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return POLICIES[model]


def allowed_actions(who, alert: CheckAlert) -> list[str]:
    return CHECK_ALERTS.allowed_actions(as_actor(who), alert)
