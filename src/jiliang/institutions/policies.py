"""Who sees and works the institutions' capability and supervision records.

- Region administrators and auditors see the institutions of their region (and the
  regions inside it), with their declarations, visits, findings and evaluations; the
  region administrators record supervision visits and evaluations (法定计量检定机构监督管理办法
  第三条: the administration supervises the institutes of its area); auditors read.
- An institution's own staff see their institution's page and file its self-declarations
  (自我声明); they do not record visits or evaluate themselves.
- The public and enterprises see nothing here: the authorisation register, the public
  standards and the published comparison results are already public on their own pages.
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, REGION_ADMIN, STAFF, Actor, Policy, as_actor
from jiliang.registry.models import Organisation

from .models import Declaration, Evaluation, SupervisionVisit, VisitFinding

# The kinds of organisation that perform verification for others (registry.Organisation.Kind),
# besides any organisation that holds an authorisation.
INSTITUTION_KINDS = ("legal_institute", "authorised_institute", "professional_station")


def is_institution(organisations) -> bool:
    """Whether the organisations (a queryset of one) are a legal metrology institute or an
    authorised institution: by kind, or by holding an authorisation."""
    return organisations.filter(Q(kind__in=INSTITUTION_KINDS) | Q(authorisations__isnull=False)).exists()


class InstitutionRecords(Policy):
    public = False
    scoped = True
    organisation = "organisation"  # the path from the row to the institution

    def institution_of(self, obj) -> Organisation:
        return obj if isinstance(obj, Organisation) else obj.organisation

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(**{f"{self.organisation}__region_id__in": actor.region_ids()})
        if actor.kind == STAFF and actor.organisation_id is not None:
            return queryset.filter(**{f"{self.organisation}_id": actor.organisation_id})
        return queryset.none()

    def is_own(self, actor: Actor, obj) -> bool:
        return actor.kind == STAFF and actor.organisation_id == self.institution_of(obj).pk

    def supervises(self, actor: Actor, obj) -> bool:
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and self.institution_of(obj).region_id in actor.region_ids())

    def may_view(self, actor: Actor, obj) -> bool:
        institution = self.institution_of(obj)
        return (
            actor.kind == NATIONAL
            or self.is_own(actor, obj)
            or (actor.region_scoped and institution.region_id in actor.region_ids())
        )

    def writable(self, actor: Actor, obj) -> bool:
        return self.supervises(actor, obj)


class InstitutionPolicy(InstitutionRecords):
    """The institution's capability page (an Organisation seen through this app)."""

    organisation = ""

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(region_id__in=actor.region_ids())
        if actor.kind == STAFF and actor.organisation_id is not None:
            return queryset.filter(pk=actor.organisation_id)
        return queryset.none()

    def sees_list(self, actor: Actor) -> bool:
        """The list of the region's institutions and the people page (the navigation asks)."""
        return actor.kind == NATIONAL or actor.region_scoped

    def sees_own(self, actor: Actor) -> bool:
        """The institution's own page (the navigation asks): staff of an institution."""
        if actor.kind != STAFF or actor.organisation_id is None:
            return False
        cached = getattr(actor, "_institution_own", None)
        if cached is None:
            cached = is_institution(Organisation.objects.filter(pk=actor.organisation_id))
            actor._institution_own = cached  # type: ignore[attr-defined]
        return cached

    def may_record_visit(self, actor: Actor, institution: Organisation) -> bool:
        return self.supervises(actor, institution)

    def may_evaluate(self, actor: Actor, institution: Organisation) -> bool:
        return self.supervises(actor, institution)

    def may_declare(self, actor: Actor, institution: Organisation) -> bool:
        """A self-declaration is the institution's own act, filed by its staff."""
        return self.is_own(actor, institution)


class VisitPolicy(InstitutionRecords):
    S = SupervisionVisit.Status
    transitions = {"add_finding": ((S.OPEN,), None), "close": ((S.OPEN,), S.CLOSED)}

    def may_transition(self, actor, action, obj) -> bool:
        return self.supervises(actor, obj)


class FindingPolicy(InstitutionRecords):
    organisation = "visit__organisation"

    def institution_of(self, obj):
        return obj.visit.organisation

    def may_mark_rectified(self, actor: Actor, finding: VisitFinding) -> bool:
        """The administration confirms the rectification (the institution reports it to them)."""
        return finding.rectified_on is None and self.supervises(actor, finding)


INSTITUTIONS = InstitutionPolicy()
DECLARATIONS = InstitutionRecords()
VISITS = VisitPolicy()
FINDINGS = FindingPolicy()
EVALUATIONS = InstitutionRecords()
_POLICIES = {
    Declaration: DECLARATIONS,
    SupervisionVisit: VISITS,
    VisitFinding: FINDINGS,
    Evaluation: EVALUATIONS,
}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]


def allowed_actions(who, visit: SupervisionVisit) -> list[str]:
    return VISITS.allowed_actions(as_actor(who), visit)
