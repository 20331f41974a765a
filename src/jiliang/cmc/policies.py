"""Who sees and works CMC claims and the KCDB rows, written once.

- A claim belongs to the institution holding the standard of its capability row: its staff
  draft it, link the comparison participations that support it and submit it.
- The administrators supervising the holder's region (and the nation) review it: approve or
  return with a note. Approval needs a published comparison of the holder among the support
  (CIPM MRA-D-04 §3.1: CMCs supported by comparisons; the domestic counterpart is 计量发展
  规划（2021—2035年）§33, 建立中国校准测量能力认可体系 — the procedure itself is the
  platform's choice, confirmed: false).
- An approved claim is public (it is a published capability); drafts are the holder's and
  its supervisors'.
- The KCDB's rows are public reference data: everyone reads them, the nation imports them.
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, STAFF, Actor, Policy, as_actor

from .models import Claim, KcdbCmc, KcdbComparison, KcdbDegree, KcdbFile


def holder_id(claim: Claim) -> int:
    return claim.capability.standard.holder_id


class ClaimPolicy(Policy):
    public = True
    scoped = True
    S = Claim.Status
    transitions = {
        "submit": ((S.DRAFT, S.RETURNED), S.SUBMITTED),
        "approve": ((S.SUBMITTED,), S.APPROVED),
        "return": ((S.SUBMITTED,), S.RETURNED),
    }

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        shown = Q(status=Claim.Status.APPROVED)
        if actor.region_scoped:
            shown |= Q(capability__standard__holder__region_id__in=actor.region_ids())
        elif actor.kind == STAFF and actor.organisation_id is not None:
            shown |= Q(capability__standard__holder_id=actor.organisation_id)
        return queryset.filter(shown)

    def may_view(self, actor: Actor, obj) -> bool:
        return obj.status == Claim.Status.APPROVED or self.holds(actor, obj) or self.oversees(actor, obj)

    def holds(self, actor: Actor, obj) -> bool:
        return actor.kind == STAFF and actor.organisation_id == holder_id(obj)

    def oversees(self, actor: Actor, obj) -> bool:
        region = obj.capability.standard.holder.region_id
        return actor.kind == NATIONAL or (actor.region_scoped and region in actor.region_ids())

    def reviews(self, actor: Actor, obj) -> bool:
        return actor.supervises_region(obj.capability.standard.holder.region_id)

    def writable(self, actor: Actor, obj) -> bool:
        editable = obj.status in (Claim.Status.DRAFT, Claim.Status.RETURNED)
        return editable and (self.holds(actor, obj) or actor.kind == NATIONAL)

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        if action == "submit":
            return self.holds(actor, obj) or actor.kind == NATIONAL
        return self.reviews(actor, obj)

    def may_declare(self, actor: Actor, capability) -> bool:
        """A claim on a capability row: the standard's holder (or the nation)."""
        return actor.kind == NATIONAL or (actor.kind == STAFF and actor.organisation_id == capability.standard.holder_id)

    def sees_claims(self, actor: Actor) -> bool:
        """The claims list beyond the published ones (the navigation asks this)."""
        return actor.kind == NATIONAL or actor.region_scoped or actor.kind == STAFF


class KcdbPolicy(Policy):
    """The default: public reference data, imported by a national administrator."""

    def may_import(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL


CLAIMS = ClaimPolicy()
KCDB = KcdbPolicy()
_POLICIES = {Claim: CLAIMS, KcdbCmc: KCDB, KcdbComparison: KCDB, KcdbDegree: KCDB, KcdbFile: KCDB}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]


def allowed_actions(who, claim: Claim) -> list[str]:
    return CLAIMS.allowed_actions(as_actor(who), claim)
