"""Who sees and does what in an assessment file: one policy per record kind, each with its
transitions table (action → the states it starts from, the state it leads to). The API,
the pages, the CLI and the templates ask these; none repeats a rule.

Three parties act: the applicant (staff of the holder), the assessing authority (the
administration chosen by rules.assessing_authority: a region administrator whose region
holds it, or a national administrator) and the assigned assessors (a user on the
assessor register, whatever their role).
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, REGION_ADMIN, Actor, Policy

from .models import Application, Assessor, Assignment, ChangeFiling, Document, Finding, ItemResult, StandardCertificate


def acts_for_authority(actor: Actor, authority_region_id: int | None) -> bool:
    return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and actor.supervises_region(authority_region_id))


def acts_for_holder(actor: Actor, holder_id: int | None) -> bool:
    return actor.organisation_scoped and not actor.read_only and actor.organisation_id == holder_id


def assessor_of(actor: Actor, application: Application) -> Assessor | None:
    """The assessor the actor is, if assigned to the file."""
    if actor.user_id is None:
        return None
    row = Assignment.objects.filter(application=application, assessor__user_id=actor.user_id).select_related("assessor").first()
    return row.assessor if row is not None else None


class ApplicationPolicy(Policy):
    public = False
    scoped = True
    S = Application.Status
    transitions = {
        "submit": ((S.DRAFT, S.RETURNED), S.SUBMITTED),
        "return": ((S.SUBMITTED,), S.RETURNED),
        "accept": ((S.SUBMITTED,), S.ACCEPTED),
        "assign": ((S.ACCEPTED, S.EVALUATING), S.EVALUATING),
        "record": ((S.EVALUATING, S.RECTIFICATION), None),
        "raise_finding": ((S.EVALUATING, S.RECTIFICATION), S.EVALUATING),
        "conclude": ((S.EVALUATING, S.RECTIFICATION), None),  # evaluated, or rectification while findings are open
        "approve": ((S.ACCEPTED, S.EVALUATED), S.APPROVED),
        "refuse": ((S.ACCEPTED, S.EVALUATING, S.RECTIFICATION, S.EVALUATED), S.REFUSED),
        # 告知承诺: the authority checks a file decided on a commitment afterwards (services.post_check).
        "post_check": ((S.APPROVED,), None),
    }
    HOLDER_ACTIONS = ("submit",)
    ASSESSOR_ACTIONS = ("record", "raise_finding", "conclude")

    def scope(self, actor: Actor) -> Q | None:
        if actor.kind == NATIONAL:
            return None
        mine = Q(assignments__assessor__user_id=actor.user_id) if actor.user_id else Q(pk__in=[])
        if actor.region_scoped:
            return mine | Q(authority__region_id__in=actor.region_ids()) | Q(holder__region_id__in=actor.region_ids())
        if actor.organisation_scoped:
            return mine | Q(holder_id=actor.organisation_id)
        return mine

    def visible(self, actor, queryset):
        scope = self.scope(actor)
        if scope is None:
            return queryset
        if not actor.authenticated:
            return queryset.none()
        return queryset.filter(scope).distinct()

    def may_file(self, actor: Actor, holder) -> bool:
        return acts_for_holder(actor, holder.pk)

    def writable(self, actor, obj) -> bool:
        return acts_for_holder(actor, obj.holder_id) and obj.status in (self.S.DRAFT, self.S.RETURNED)

    def may_transition(self, actor, action, obj) -> bool:
        if action in self.HOLDER_ACTIONS:
            return acts_for_holder(actor, obj.holder_id)
        if action in self.ASSESSOR_ACTIONS:
            return assessor_of(actor, obj) is not None
        if not acts_for_authority(actor, obj.authority.region_id):
            return False
        if action == "post_check":  # a file decided on a commitment, its check not concluded
            return obj.commitment and obj.post_check in ("", Application.PostCheck.RECTIFY)
        if action == "approve":
            if obj.status == self.S.ACCEPTED:  # decided on documents: the 告知承诺 path only
                return obj.commitment
            return not obj.findings.exclude(status=Finding.Status.CLOSED).exists()
        return True

    def may_export(self, actor: Actor) -> bool:
        return actor.kind in (NATIONAL, REGION_ADMIN)


class PartPolicy(Policy):
    """Documents, assignments, results: read with their application, written through it."""

    public = False
    scoped = True

    def visible(self, actor, queryset):
        ids = ApplicationPolicy().visible(actor, Application.objects.all()).values("pk")
        return queryset.filter(application_id__in=ids)

    def writable(self, actor, obj) -> bool:
        return False


class FindingPolicy(PartPolicy):
    S = Finding.Status
    transitions = {
        "respond": ((S.OPEN,), S.RESPONDED),
        "close": ((S.RESPONDED,), S.CLOSED),
        "reopen": ((S.RESPONDED,), S.OPEN),
    }

    def may_transition(self, actor, action, obj) -> bool:
        if action == "respond":
            return acts_for_holder(actor, obj.application.holder_id)
        return assessor_of(actor, obj.application) is not None


class CertificatePolicy(Policy):
    """A certificate is public as its standard is (the portal and the check page show it)."""

    public = True

    def visible(self, actor, queryset):
        return queryset.filter(standard__published=True) | queryset.filter(
            application__in=ApplicationPolicy().visible(actor, Application.objects.all())
        )


class AssessorPolicy(Policy):
    """The register is read by everyone signed in; an administration keeps its own entries."""

    public = False

    def visible(self, actor, queryset):
        return queryset if actor.authenticated else queryset.none()

    def writable(self, actor, obj) -> bool:
        return acts_for_authority(actor, obj.registered_by.region_id)


class ChangeFilingPolicy(Policy):
    public = False
    scoped = True
    S = ChangeFiling.Status
    transitions = {
        "approve": ((S.FILED,), S.ACCEPTED),
        "reassess": ((S.FILED,), S.REASSESS),
        "reject": ((S.FILED,), S.REJECTED),
    }

    def visible(self, actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            ids = actor.region_ids()
            return queryset.filter(Q(standard__holder__region_id__in=ids) | Q(standard__issuing_department__region_id__in=ids))
        if actor.organisation_scoped:
            return queryset.filter(standard__holder_id=actor.organisation_id)
        return queryset.none()

    def may_file(self, actor: Actor, standard) -> bool:
        return acts_for_holder(actor, standard.holder_id)

    def may_transition(self, actor, action, obj) -> bool:
        return acts_for_authority(actor, obj.standard.issuing_department.region_id)


_POLICIES = {
    Application: ApplicationPolicy(),
    Document: PartPolicy(),
    Assignment: PartPolicy(),
    ItemResult: PartPolicy(),
    Finding: FindingPolicy(),
    StandardCertificate: CertificatePolicy(),
    Assessor: AssessorPolicy(),
    ChangeFiling: ChangeFilingPolicy(),
}
APPLICATION_POLICY = _POLICIES[Application]
FINDING_POLICY = _POLICIES[Finding]
FILING_POLICY = _POLICIES[ChangeFiling]
CERTIFICATE_POLICY = _POLICIES[StandardCertificate]
ASSESSOR_POLICY = _POLICIES[Assessor]


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]
