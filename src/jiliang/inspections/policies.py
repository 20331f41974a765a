"""Who sees and works draws, campaigns, inspections and the two 名录库, written once.

- The supervising administration (region administrators of the region, the nation) keeps
  the lists, publishes and performs draws, runs campaigns; its auditors read them.
- An inspector (a region administrator's account on the 执法检查人员名录库) works the
  inspections he or she is assigned to.
- The public sees every draw once published (plan and commitment; seed and result once
  performed: 国发〔2019〕5号, 一公开) and an inspection once its result is published.
"""

from __future__ import annotations

from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy, as_actor

from .models import Campaign, ConflictTie, Draw, Finding, Inspection, Inspector, RectificationOrder, Target


def _supervises(actor: Actor, region_id) -> bool:
    return actor.supervises_region(region_id)


def inspector_of(actor: Actor) -> Inspector | None:
    if actor.user_id is None:
        return None
    return Inspector.objects.filter(user_id=actor.user_id, active=True).first()


class _Supervised(Policy):
    """Rows under a region: the bureau of the region reads and writes them."""

    public = False
    scoped = True
    region = "region"

    def visible(self, actor: Actor, queryset):
        return self.in_scope(actor, queryset)

    def in_scope(self, actor: Actor, queryset):
        """The rows of the regions the actor supervises or audits."""
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self.region}_id__in": actor.region_ids()})
        return queryset.none()

    def writable(self, actor: Actor, obj) -> bool:
        return _supervises(actor, self._region_id(obj))

    def _region_id(self, obj):
        node = obj
        for part in self.region.split("__"):
            node = getattr(node, part)
        return node.pk

    def sees_lists(self, actor: Actor) -> bool:
        """Who the administrator's pages are for (the navigation asks this)."""
        return actor.kind == NATIONAL or actor.region_scoped


class TargetPolicy(_Supervised):
    region = "organisation__region"


class InspectorPolicy(_Supervised):
    pass


class ConflictTiePolicy(_Supervised):
    region = "inspector__region"


class DrawPolicy(_Supervised):
    """Published draws are public (一公开); performing is the bureau's."""

    public = True
    transitions = {"perform": ((Draw.Status.PUBLISHED,), Draw.Status.PERFORMED)}

    def visible(self, actor: Actor, queryset):
        return queryset

    def may_view(self, actor: Actor, obj) -> bool:
        return True

    def may_publish(self, actor: Actor, region) -> bool:
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and region.pk in actor.region_ids())


class CampaignPolicy(_Supervised):
    transitions = {"close": ((Campaign.Status.OPEN,), Campaign.Status.CLOSED)}

    def may_create(self, actor: Actor, region) -> bool:
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and region.pk in actor.region_ids())


class InspectionPolicy(_Supervised):
    """The assigned inspectors record and sign; the bureau publishes; the public reads
    published results."""

    public = True
    region = "organisation__region"
    transitions = {
        "record": ((Inspection.Status.ASSIGNED,), None),
        "sign": ((Inspection.Status.ASSIGNED,), Inspection.Status.COMPLETED),
        "publish": ((Inspection.Status.COMPLETED,), Inspection.Status.PUBLISHED),
    }

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(organisation__region_id__in=actor.region_ids())
        return queryset.filter(status=Inspection.Status.PUBLISHED)

    def may_view(self, actor: Actor, obj) -> bool:
        # An officer drawn from a higher administration inspects outside his own region.
        return obj.status == Inspection.Status.PUBLISHED or self.sees_private(actor, obj) or self.is_assigned(actor, obj)

    def sees_private(self, actor: Actor, obj) -> bool:
        """Photos and the working record: the administrations of the region only."""
        return actor.kind == NATIONAL or actor.sees_region(obj.organisation.region_id)

    def is_assigned(self, actor: Actor, obj) -> bool:
        me = inspector_of(actor)
        return me is not None and obj.inspectors.filter(pk=me.pk).exists()

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        if action in ("record", "sign"):
            return self.is_assigned(actor, obj)
        return _supervises(actor, obj.organisation.region_id)

    def sees_today(self, actor: Actor) -> bool:
        """The inspector's list of the day: for the accounts on the 执法检查人员名录库."""
        return actor.kind == REGION_ADMIN and inspector_of(actor) is not None


class FindingPolicy(_Supervised):
    public = True
    region = "organisation__region"

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL or actor.region_scoped:
            return super().visible(actor, queryset)
        return queryset.filter(inspection__status=Inspection.Status.PUBLISHED)


class RectificationPolicy(_Supervised):
    region = "finding__organisation__region"
    transitions = {"follow_up": ((RectificationOrder.Status.OPEN,), None)}


TARGETS = TargetPolicy()
INSPECTORS = InspectorPolicy()
TIES = ConflictTiePolicy()
DRAWS = DrawPolicy()
CAMPAIGNS = CampaignPolicy()
INSPECTIONS = InspectionPolicy()
FINDINGS = FindingPolicy()
ORDERS = RectificationPolicy()
POLICIES = {
    Target: TARGETS,
    Inspector: INSPECTORS,
    ConflictTie: TIES,
    Draw: DRAWS,
    Campaign: CAMPAIGNS,
    Inspection: INSPECTIONS,
    Finding: FINDINGS,
    RectificationOrder: ORDERS,
}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return POLICIES[model]


def allowed_actions(who, inspection: Inspection) -> list[str]:
    return INSPECTIONS.allowed_actions(as_actor(who), inspection)
