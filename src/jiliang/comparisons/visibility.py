"""Who may see what of a comparison, and when. Every page and endpoint reads through here.

The seal: until the pilot closes submissions, a submission's values (value, u, dof,
budget, budget file) are visible to the participant who made it and to nobody else — not
to other participants, not to the pilot, not to the administrator. The pilot and the
administrator see only *who* has submitted. After the close the pilot and the
administrator (and the region's auditors, read-only) see every value (they compute and
check); the participants see each
other's values and the computed results from Draft A on; the public from publication.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import Comparison, FollowUpAction, Participant, Report, Submission
from .permissions import actor_organisations, region_prefix

S = Comparison.Status


@dataclass(frozen=True)
class Viewer:
    """The acting user reduced to what reading decisions need (computed once per request)."""

    user: object
    organisations: frozenset[int]
    region_prefix: str | None  # "" = national, None = administers nothing
    reading_prefix: str | None  # the administrator's or an auditor's: what it may read

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user, actor_organisations(user), region_prefix(user), region_prefix(user, reading=True))

    def administers(self, comparison: Comparison) -> bool:
        return self.region_prefix is not None and comparison.administrator_region.code.startswith(self.region_prefix)

    def oversees(self, comparison: Comparison) -> bool:
        """The administrator, or an auditor of the organising region (read-only)."""
        return self.reading_prefix is not None and comparison.administrator_region.code.startswith(self.reading_prefix)

    def pilots(self, comparison: Comparison) -> bool:
        return comparison.pilot_id in self.organisations

    def participant_in(self, comparison: Comparison) -> Participant | None:
        if not self.organisations:
            return None
        return (
            comparison.participants.filter(institution_id__in=self.organisations)
            .select_related("institution", "standard")
            .first()
        )

    def organises(self, comparison: Comparison) -> bool:
        """The pilot or the administrator (and, for reading, an auditor of the region)."""
        return self.pilots(comparison) or self.oversees(comparison)


def comparisons(viewer: Viewer, queryset=None):
    """Comparisons the viewer may see at all: published ones, and those it runs or takes part in."""
    queryset = Comparison.objects.all() if queryset is None else queryset
    scope = Q(status=S.PUBLISHED)
    if viewer.organisations:
        scope |= Q(pilot_id__in=viewer.organisations) | Q(participants__institution_id__in=viewer.organisations)
    if viewer.reading_prefix is not None:
        scope |= Q(administrator_region__code__startswith=viewer.reading_prefix)
    return queryset.filter(scope).distinct()


def sees_all_values(viewer: Viewer, comparison: Comparison) -> bool:
    """Whether every participant's values are open to the viewer (otherwise only its own)."""
    if comparison.reached(S.PUBLISHED):
        return True
    if comparison.reached(S.DRAFT_A) and (viewer.organises(comparison) or viewer.participant_in(comparison) is not None):
        return True
    return comparison.reached(S.CLOSED) and viewer.organises(comparison)


def submissions(viewer: Viewer, comparison: Comparison):
    """The submissions whose values the viewer may read: the only way values leave the database."""
    rows = Submission.objects.filter(measurand__comparison=comparison).select_related("participant", "measurand")
    if sees_all_values(viewer, comparison):
        return rows
    if not viewer.organisations:
        return rows.none()
    return rows.filter(participant__institution_id__in=viewer.organisations)


def submission_status(viewer: Viewer, comparison: Comparison):
    """(participant, measurand, submitted_at, revision) of who has submitted, without values:
    all of them for the pilot and the administrator, its own for a participant."""
    rows = Submission.objects.filter(measurand__comparison=comparison)
    if not viewer.organises(comparison) and not sees_all_values(viewer, comparison):
        rows = rows.filter(participant__institution_id__in=viewer.organisations) if viewer.organisations else rows.none()
    return rows.values(
        "participant_id", "participant__label", "measurand_id", "measurand__name", "submitted_at", "revision"
    ).order_by("measurand_id", "participant_id")


def sees_results(viewer: Viewer, comparison: Comparison) -> bool:
    """Computed reference values, scores and plots."""
    if comparison.reached(S.PUBLISHED):
        return True
    if comparison.reached(S.DRAFT_A) and viewer.participant_in(comparison) is not None:
        return True
    return comparison.reached(S.COMPUTED) and viewer.organises(comparison)


def reports(viewer: Viewer, comparison: Comparison):
    """Draft reports the viewer may read: organisers always, participants once written, the
    public only the final (Draft B) report after publication."""
    rows = Report.objects.filter(comparison=comparison)
    if viewer.organises(comparison) or viewer.participant_in(comparison) is not None:
        return rows if comparison.reached(S.COMPUTED) else rows.none()
    if comparison.reached(S.PUBLISHED):
        return rows.filter(stage=Report.Stage.DRAFT_B)
    return rows.none()


def follow_ups(viewer: Viewer, queryset=None):
    """Follow-up actions: the institution's own, and those of institutions in the region the
    viewer administers — from Draft A on, when the results are shared (before that a
    recomputation may still replace them, and a score would hint at the reference value)."""
    queryset = FollowUpAction.objects.all() if queryset is None else queryset
    scope = Q(pk__in=[])
    if viewer.organisations:
        scope |= Q(institution_id__in=viewer.organisations)
    if viewer.reading_prefix is not None:
        scope |= Q(institution__region__code__startswith=viewer.reading_prefix)
    shared = [S.DRAFT_A, S.DRAFT_B, S.APPROVED, S.PUBLISHED]
    return queryset.filter(scope, comparison__status__in=shared)
