"""Who sees and works the energy records, written once for every kind.

- The unit (its institution staff or enterprise users) sees its own register, months and
  reviews, keeps its own metering points and meters (the register of its meters is its duty,
  GB 17167-2006 5.2), and answers a review's findings (整改, JJF 1356-2012 第8章).
- The region administrators of the unit's region supervise: they list units, run the
  checks, close months and conduct the reviews (《能源计量监督管理办法》第十七条).
- Auditors of the region, and the nation, read.
- The public sees nothing: these are a unit's own data and the bureau's files.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy, as_actor

from .models import EnergyMeter, KeyUnit, MeteringPoint, Review, ReviewFinding, Site, UnitMonth


def own_unit_id(actor: Actor) -> int | None:
    """The key unit of the actor's organisation, if it is one (cached on the actor)."""
    if not actor.organisation_scoped or actor.organisation_id is None:
        return None
    cached = getattr(actor, "_energy_unit", False)
    if cached is False:
        cached = KeyUnit.objects.filter(organisation_id=actor.organisation_id).values_list("id", flat=True).first()
        actor._energy_unit = cached
    return cached


class UnitRecords(Policy):
    public = False
    scoped = True
    organisation = "unit__organisation"  # the path from the row to the unit's organisation

    def _region_of(self, obj) -> int:
        return self.unit_of(obj).organisation.region_id

    def unit_of(self, obj) -> KeyUnit:
        return obj if isinstance(obj, KeyUnit) else obj.unit

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self.organisation}__region_id__in": actor.region_ids()})
        if actor.organisation_scoped:
            return queryset.filter(**{f"{self.organisation}_id": actor.organisation_id})
        return queryset.none()

    def is_unit(self, actor: Actor, obj) -> bool:
        return actor.organisation_scoped and actor.organisation_id == self.unit_of(obj).organisation_id

    def supervises(self, actor: Actor, obj) -> bool:
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and self._region_of(obj) in actor.region_ids())

    def may_view(self, actor: Actor, obj) -> bool:
        return (
            actor.kind == NATIONAL
            or self.is_unit(actor, obj)
            or (actor.region_scoped and self._region_of(obj) in actor.region_ids())
        )

    def writable(self, actor: Actor, obj) -> bool:
        return self.supervises(actor, obj)


class KeyUnitPolicy(UnitRecords):
    organisation = "organisation"

    def may_register(self, actor: Actor, organisation) -> bool:
        """Listing an organisation as a key unit is the bureau's (its region's administrators)."""
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and organisation.region_id in actor.region_ids())

    def may_keep_meters(self, actor: Actor, unit: KeyUnit) -> bool:
        """The register of points and meters: the unit's own, and its bureau's."""
        return self.is_unit(actor, unit) or self.supervises(actor, unit)

    def sees_overview(self, actor: Actor) -> bool:
        """The bureau's overview (the navigation asks this)."""
        return actor.kind == NATIONAL or actor.region_scoped

    def sees_own(self, actor: Actor) -> bool:
        """The unit's own page (the navigation asks this)."""
        return own_unit_id(actor) is not None


class PartPolicy(UnitRecords):
    """Sites, points, meters and months: read as their unit is, kept by who keeps its meters."""

    def unit_of(self, obj):
        if isinstance(obj, EnergyMeter):
            return obj.point.unit
        return obj.unit

    def visible(self, actor, queryset):
        if queryset.model is EnergyMeter:
            self_path = "point__unit__organisation"
        else:
            self_path = "unit__organisation"
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self_path}__region_id__in": actor.region_ids()})
        if actor.organisation_scoped:
            return queryset.filter(**{f"{self_path}_id": actor.organisation_id})
        return queryset.none()

    def writable(self, actor, obj) -> bool:
        if isinstance(obj, UnitMonth):
            return self.supervises(actor, obj)
        return self.is_unit(actor, obj) or self.supervises(actor, obj)


class ReviewPolicy(UnitRecords):
    S = Review.Status
    # 审查 → 需整改 (the unit answers the findings) → 结论; or straight to a result.
    transitions = {
        "record": ((S.OPEN,), None),
        "require_rectification": ((S.OPEN,), S.RECTIFYING),
        "decide": ((S.OPEN, S.RECTIFYING), S.CLOSED),
    }

    def may_open(self, actor: Actor, unit: KeyUnit) -> bool:
        return self.supervises(actor, unit)

    def may_transition(self, actor, action, obj) -> bool:
        return self.supervises(actor, obj)


class FindingPolicy(UnitRecords):
    organisation = "review__unit__organisation"

    def unit_of(self, obj):
        return obj.review.unit

    def may_rectify(self, actor: Actor, finding: ReviewFinding) -> bool:
        """The unit answers its findings while the review waits for the rectification, up to
        the deadline of the notice (see ``past_due``)."""
        return (
            self.is_unit(actor, finding)
            and finding.review.status == Review.Status.RECTIFYING
            and not self.past_due(finding.review)
        )

    def past_due(self, review: Review, on: dt.date | None = None) -> bool:
        """The rectification period of the notice is over on ``on`` (today).

        132号令《能源计量监督管理办法》第十八条: the bureau 责令限期改正; 逾期不改正的, it fines
        the unit (text cited from memory, confirmed: false). Being late is itself the fact
        the bureau acts on, so an answer after the deadline is not taken as a rectification
        in time: the platform refuses it and the bureau decides the review (failed, or a new
        notice). JJF 1356-2012 第9章 leaves the period to the bureau and says nothing of
        late answers."""
        due = review.rectification_due
        return due is not None and (on or timezone.localdate()) > due


UNITS = KeyUnitPolicy()
PARTS = PartPolicy()
REVIEWS = ReviewPolicy()
FINDINGS = FindingPolicy()
_POLICIES = {
    KeyUnit: UNITS,
    Site: PARTS,
    MeteringPoint: PARTS,
    EnergyMeter: PARTS,
    UnitMonth: PARTS,
    Review: REVIEWS,
    ReviewFinding: FINDINGS,
}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]


def allowed_actions(who, review: Review) -> list[str]:
    return REVIEWS.allowed_actions(as_actor(who), review)
