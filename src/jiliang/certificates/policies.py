"""Who sees a certificate and who acts for its issuer, written once for the pages and the API.

A published certificate is public (the QR check of 计量法实施细则 / JJF 1069's public
verification of certificates); an unpublished one is seen by the performing institution's
and the owner's people and by the administrations supervising the instrument's region. An
institution's staff issue, sign, revoke and import for their own institution only.
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, STAFF, Actor, Policy

from .models import Certificate


class CertificatePolicy(Policy):
    scoped = True

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.organisation_scoped:
            return queryset.filter(
                Q(published=True)
                | Q(event__performer_id=actor.organisation_id)
                | Q(event__instrument__owner_id=actor.organisation_id)
            )
        if actor.region_scoped:
            return queryset.filter(Q(published=True) | Q(event__instrument__region_id__in=actor.region_ids()))
        return queryset.filter(published=True)

    def may_view(self, actor: Actor, cert: Certificate) -> bool:
        """The row-level form of ``visible``, for a certificate already loaded."""
        if cert.published or actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return actor.sees_region(cert.event.instrument.region_id)
        if actor.organisation_scoped:
            return actor.organisation_id in (cert.event.performer_id, cert.event.instrument.owner_id)
        return False

    def acts_for(self, actor: Actor, organisation_id: int | None) -> bool:
        """Issue, sign, revoke or import on behalf of an institution: its staff (or the nation)."""
        return actor.kind == NATIONAL or (actor.kind == STAFF and actor.organisation_id == organisation_id)

    def writable(self, actor: Actor, cert: Certificate) -> bool:
        return self.acts_for(actor, cert.event.performer_id)


POLICY = CertificatePolicy()


def policy_for(model_or_obj) -> Policy:
    return POLICY
