"""Who sees and does what in mandatory verification, written once for the API and the pages.

An enterprise sees its own registrations, an institution those assigned to it; a
verification record is seen by the institution that made it and the instrument's owner;
the region's administrations see their region's (and the nation everything).
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import ENTERPRISE, STAFF, Policy
from jiliang.registry.policies import OwnedPolicy

from .models import Notice, Registration, Reminder, VerificationRecord


class RegistrationPolicy(OwnedPolicy):
    owner = "owner_id"
    region = "region_id"
    writer_kinds = (ENTERPRISE,)

    def private_scope(self, actor):
        if actor.organisation_scoped:
            return Q(owner_id=actor.organisation_id) | Q(assigned_institution_id=actor.organisation_id)
        return super().private_scope(actor)

    def may_review(self, actor, registration: Registration) -> bool:
        """Review (approve or return) a submitted registration: the region's administration."""
        return registration.status == Registration.Status.SUBMITTED and actor.supervises_region(registration.region_id)

    def may_reassign(self, actor, registration: Registration) -> bool:
        """Assign an approved registration to another institution: an act of the region's
        administration (计量法 第九条: the administration designates the institution)."""
        return registration.status == Registration.Status.APPROVED and actor.supervises_region(registration.region_id)


class RecordPolicy(OwnedPolicy):
    owner = "institution_id"
    region = "event__instrument__region_id"
    writer_kinds = (STAFF,)

    def private_scope(self, actor):
        if actor.organisation_scoped:
            return Q(institution_id=actor.organisation_id) | Q(event__instrument__owner_id=actor.organisation_id)
        return super().private_scope(actor)


class NoticePolicy(OwnedPolicy):
    owner = "addressee_id"
    region = "region_id"


class ReminderPolicy(OwnedPolicy):
    owner = "recipient_id"
    region = "instrument__region_id"


POLICIES: dict[type, Policy] = {
    Registration: RegistrationPolicy(),
    VerificationRecord: RecordPolicy(),
    Notice: NoticePolicy(),
    Reminder: ReminderPolicy(),
}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return POLICIES[model]
