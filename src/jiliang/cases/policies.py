"""Who sees and works an enforcement case, written once.

- The administrators of the case's region (and the nation) work it; the auditors of the
  region read it (the 负责人's approval of 立案 is another administrator's, services).
- The party (当事人: the staff or users of the organisation) sees its own case from the
  notice of the proposed penalty on: that is when the authority must tell it the facts,
  reasons and basis (行政处罚法 第四十四条); before, the file is the investigation's, whose
  findings the authority keeps confidential (行政处罚法 第五十条).
- The public sees published penalty decisions only (行政处罚法 第四十八条; 市场监督管理行政
  处罚信息公示规定), with personal data masked (公示规定 第六条: services.public_view).
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.core import cases as core
from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy

from .models import Case, Evidence, Reminder, Step

PARTY_SEES = (core.NOTIFIED, core.DECIDED, core.EXECUTED, core.CLOSED)


class CasePolicy(Policy):
    public = False
    scoped = True
    transitions = core.TRANSITIONS

    def scope(self, actor: Actor) -> Q | None:
        if actor.kind == NATIONAL:
            return None
        if actor.region_scoped:
            return Q(region_id__in=actor.region_ids())
        if actor.organisation_scoped:
            # Told of it: a notice was served (a case transferred after its notice too).
            return Q(party_id=actor.organisation_id, notified_on__isnull=False)
        return Q(pk__in=[])

    def visible(self, actor: Actor, queryset):
        scope = self.scope(actor)
        return queryset if scope is None else queryset.filter(scope)

    def may_view(self, actor: Actor, obj) -> bool:
        if actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return obj.region_id in actor.region_ids()
        return actor.organisation_scoped and obj.party_id == actor.organisation_id and obj.notified_on is not None

    def works(self, actor: Actor, obj=None) -> bool:
        """An administrator of the case's region (or any, for a case not yet made)."""
        if obj is None:
            return actor.kind in (NATIONAL, REGION_ADMIN)
        return actor.supervises_region(obj.region_id)

    def writable(self, actor: Actor, obj) -> bool:
        return self.works(actor, obj)

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        return self.works(actor, obj)

    def sees_cases(self, actor: Actor) -> bool:
        """Who works or audits cases (the navigation's link, the dashboard's panel)."""
        return actor.kind == NATIONAL or actor.region_scoped

    def reads_cases(self, actor: Actor) -> bool:
        """Who the cases pages are for: the supervisors, and a party for its own cases."""
        return self.sees_cases(actor) or actor.organisation_scoped

    def published(self, queryset):
        """The rows the public reads: published penalty decisions."""
        return queryset.filter(published_on__isnull=False)


class PartPolicy(Policy):
    """Evidence, steps and reminders: read with their case, written through it (services). The
    party reads the steps of its case, not the evidence (the investigation's: 行政处罚法 第五十条)."""

    public = False
    scoped = True
    party_reads = True

    def visible(self, actor: Actor, queryset):
        if not self.party_reads and actor.organisation_scoped:
            return queryset.none()
        return queryset.filter(case__in=CASES.visible(actor, Case.objects.all()))

    def writable(self, actor: Actor, obj) -> bool:
        return False


class EvidencePolicy(PartPolicy):
    party_reads = False


class StepPolicy(PartPolicy):
    """The party reads its case's steps, but not the gathering of evidence (its titles)."""

    def visible(self, actor: Actor, queryset):
        queryset = super().visible(actor, queryset)
        return queryset.exclude(action="add_evidence") if actor.organisation_scoped else queryset


CASES = CasePolicy()
_POLICIES = {Case: CASES, Evidence: EvidencePolicy(), Step: StepPolicy(), Reminder: PartPolicy()}
EVIDENCE = _POLICIES[Evidence]
STEPS = _POLICIES[Step]


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    if model.__name__ == "EvidenceFile":
        return EVIDENCE
    return _POLICIES[model]
