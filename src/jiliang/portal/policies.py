"""Who works the complaint queue (计量投诉): the administrations of the instrument's region
(计量法实施细则 第三十四条: the metrology administration handles complaints in its area);
auditors of the region read it; only the region's administrators handle a complaint."""

from __future__ import annotations

from jiliang.policies import NATIONAL, Actor, Policy

from .models import Complaint


class ComplaintPolicy(Policy):
    public = False
    scoped = True
    transitions = {"handle": ((Complaint.Status.OPEN,), None)}

    def opens_queue(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL or actor.region_scoped

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(region_id__in=actor.region_ids())
        return queryset.none()

    def may_view(self, actor: Actor, complaint: Complaint) -> bool:
        return actor.sees_region(complaint.region_id)

    def may_transition(self, actor: Actor, action: str, complaint: Complaint) -> bool:
        return actor.supervises_region(complaint.region_id)


POLICY = ComplaintPolicy()


def policy_for(model_or_obj) -> Policy:
    return POLICY
