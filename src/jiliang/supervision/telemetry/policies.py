"""Who sees and works the early-warning alerts of smart meters: the administrations of the
alert's region (and the nation); auditors of the region read; only administrators take
and close an alert (the inspectors' work)."""

from __future__ import annotations

from jiliang.policies import AUDITOR, NATIONAL, REGION_ADMIN, Actor, Policy


class AlertPolicy(Policy):
    public = False
    scoped = True

    def opens_alerts(self, actor: Actor) -> bool:
        return actor.kind in (NATIONAL, REGION_ADMIN, AUDITOR)

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(region__code__startswith=actor.region_prefix)
        return queryset.none()

    def writable(self, actor: Actor, alert=None) -> bool:
        return actor.kind == NATIONAL or (
            actor.kind == REGION_ADMIN and (alert is None or actor.reads_region_code(alert.region.code))
        )


POLICY = AlertPolicy()


def policy_for(model_or_obj) -> Policy:
    return POLICY
