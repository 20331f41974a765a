"""Who sees the federation's records, written once for every kind.

- The federated certificate index answers anyone's certificate check (number, issuer,
  item, date, validity, document hash: what the certificate itself shows its holder; no
  owner), and published comparison results are public, as a province's own are.
- Coverage and indicators, and cross-province recalls, are the supervisors' (national
  administrators everything, a region administrator or auditor their own province's rows).
- The federation's operation (each origin's lag and health, refused records) is the
  national administrators'.
"""

from __future__ import annotations

import time

from django.conf import settings

from jiliang.policies import NATIONAL, Actor, Policy

from .models import (
    AppliedRecord,
    FederatedCertificate,
    FederatedComparisonResult,
    FederatedCoverage,
    FederatedRecall,
    FederatedStandard,
    NationalCatalogueEntry,
    OutboxCursor,
    OutboxRecord,
    ProvinceStatus,
    RefusedRecord,
)


class PublicIndex(Policy):
    """Read by everyone, written only by applying records (never by hand)."""

    def writable(self, actor: Actor, obj) -> bool:
        return False


class ProvinceRows(Policy):
    """Rows keyed by province code: the nation sees all, a region's supervisors their province."""

    public = False
    scoped = True

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if actor.region_scoped and actor.region_prefix:
            return queryset.filter(province=actor.region_prefix[:2])
        return queryset.none()

    def sees_any(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL or actor.region_scoped

    def opens_national_pages(self, actor: Actor) -> bool:
        """The nation's summary is the centre's page; elsewhere shown only once the federated
        view holds something (the demo, or a province's copy of what the centre relays)."""
        return self.sees_any(actor) and (national_mode() or holds_federated(FederatedCoverage))

    def writable(self, actor: Actor, obj) -> bool:
        return False


class Operations(Policy):
    """The federation's own bookkeeping: national administrators only."""

    public = False
    scoped = True

    def visible(self, actor: Actor, queryset):
        return queryset if actor.kind == NATIONAL else queryset.none()

    def sees_operations(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL

    def writable(self, actor: Actor, obj) -> bool:
        return actor.kind == NATIONAL and isinstance(obj, ProvinceStatus)  # enrolment


# Whether the federated view holds rows is asked by the navigation on every page of a
# province: answered from a memo the process keeps a short while (apply_record forgets it
# when it applies a record), not by two queries on each page.
VIEW_MEMO_SECONDS = 30.0
_held: dict[str, tuple[float, bool]] = {}


def holds_federated(model) -> bool:
    now = time.monotonic()
    memo = _held.get(model.__name__)
    if memo is not None and now - memo[0] < VIEW_MEMO_SECONDS:
        return memo[1]
    held = model.objects.exists()
    _held[model.__name__] = (now, held)
    return held


def forget_federated_view() -> None:
    _held.clear()


def national_mode() -> bool:
    """Whether this instance is the national centre (JILIANG_MODE=national)."""
    return bool(getattr(settings, "JILIANG_NATIONAL", False))


def opens_national_comparisons(actor: Actor) -> bool:
    """The public list of every province's comparison results: the centre's page (elsewhere
    once the federated view holds some)."""
    return national_mode() or holds_federated(FederatedComparisonResult)


INDEX = PublicIndex()
PROVINCE_ROWS = ProvinceRows()
OPERATIONS = Operations()

_POLICIES: dict[type, Policy] = {
    FederatedCertificate: INDEX,
    FederatedStandard: INDEX,
    FederatedComparisonResult: INDEX,
    NationalCatalogueEntry: INDEX,
    FederatedCoverage: PROVINCE_ROWS,
    FederatedRecall: PROVINCE_ROWS,
    ProvinceStatus: OPERATIONS,
    AppliedRecord: OPERATIONS,
    RefusedRecord: OPERATIONS,
    OutboxRecord: OPERATIONS,
    OutboxCursor: OPERATIONS,
}


def policy_for(model) -> Policy:
    return _POLICIES[model if isinstance(model, type) else type(model)]
