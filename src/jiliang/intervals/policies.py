"""Who reads the interval reports, written once.

An interval report is computed from verification results, which are not public
(registry.policies: events are read by their region's supervisors and their own
organisations). So:

- a region administrator or auditor reads the families of the instruments of their region,
  computed from the verifications of that region (the nation: every region);
- institution staff read the families of their own organisation's instruments, computed
  from those instruments' verifications only (their own history, not their customers');
- the public, enterprise users and signed-out visitors read none.

The app keeps no records of its own: the policy narrows the verification events a report
is computed from, and says who may open the pages, the API and the command.
"""

from __future__ import annotations

from jiliang.policies import AUDITOR, NATIONAL, REGION_ADMIN, STAFF, Actor, Policy

READERS = frozenset({NATIONAL, REGION_ADMIN, AUDITOR, STAFF})


class IntervalReports(Policy):
    public = False
    scoped = True

    def sees_reports(self, actor: Actor) -> bool:
        """The list of families and their reports (the navigation asks this)."""
        return actor.kind in READERS

    def events(self, actor: Actor, queryset):
        """The verification events a report for ``actor`` is computed from."""
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped:
            return queryset.filter(region_id__in=actor.region_ids())
        if actor.kind == STAFF and actor.organisation_id is not None:
            return queryset.filter(instrument__owner_id=actor.organisation_id)
        return queryset.none()


REPORTS = IntervalReports()


def policy_for(model_or_obj) -> Policy:
    """The app has no models; its one policy is ``REPORTS``."""
    return REPORTS
