"""Who may see and do what to each kind of registry record, written once.

Reads are scoped in the queryset (``visible``), so a list never carries a row the actor
may not see and a detail of such a row is a 404, on a page as in the API. Writes are
checked on the row as it is and as it would become (``writable``), so nobody can move a
row out of or into another organisation's hands. ``public_fields`` name what anyone who
sees a row may read of it; the rest reaches only those who ``sees_private``.

What is public (issue 16): reference data (regions, fields, quantities, specifications,
the catalogue, primary standards, the GBW catalogue of reference materials); an
organisation's name, kind and region; a published measurement standard with its
capabilities and its certificate's validity and status history. An enterprise's
instruments, the calibration events, people and qualifications are not: those reach the
owner, the performing institution and the supervising administration only.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from jiliang.policies import ENTERPRISE, NATIONAL, REGION_ADMIN, STAFF, Actor, Policy
from jiliang.registry import models
from jiliang.registry.api.lookups import in_ids
from jiliang.registry.models import Instrument, MeasurementStandard, Organisation


class ReferencePolicy(Policy):
    """Reference data: everyone reads, only a national administrator writes."""


class OrganisationPolicy(Policy):
    """Every organisation's name, kind and region are public; the rest is private
    (``sees_private``). A region administrator keeps the organisations of the region."""

    public_fields = ("id", "name", "kind", "region")

    def sees_private(self, actor: Actor, obj) -> bool:
        if actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return obj.region_id in actor.region_ids()
        return actor.organisation_scoped and obj.pk == actor.organisation_id

    def writable(self, actor, obj):
        return actor.supervises_region(obj.region_id)


class OwnedPolicy(Policy):
    """Rows owned by an organisation: the owner's people and the supervising region see
    and write them. ``owner`` is the path to the owning organisation id; ``region`` the
    path to the region id the supervision follows."""

    public = False
    scoped = True
    owner = "organisation_id"
    region = "organisation__region_id"
    writer_kinds = (STAFF, ENTERPRISE)
    published = None  # a boolean field that makes a row public

    def private_scope(self, actor: Actor) -> Q | None:
        """The rows the actor reaches beyond the published ones; None means all rows."""
        if actor.kind == NATIONAL:
            return None
        if actor.region_scoped:
            # A list, not a subquery: with a subquery SQLite plans region-first and sorts
            # every row of the region; with a list it walks the id index and stops early.
            return in_ids(self.region, actor.region_ids())
        if actor.organisation_scoped:
            return Q(**{self.owner: actor.organisation_id})
        return Q(pk__in=[])

    def visible(self, actor, queryset):
        scope = self.private_scope(actor)
        if scope is None:
            return queryset
        if self.published:
            scope = scope | Q(**{self.published: True})
        return queryset.filter(scope)

    def _value(self, obj, path: str):
        for part in path.split("__")[:-1]:
            obj = getattr(obj, part) if obj is not None else None
        last = path.split("__")[-1]
        return getattr(obj, last, None) if obj is not None else None

    def sees_private(self, actor, obj) -> bool:
        if actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return self._value(obj, self.region) in actor.region_ids()
        return actor.organisation_scoped and self._value(obj, self.owner) == actor.organisation_id

    def writable(self, actor, obj):
        if actor.kind == NATIONAL:
            return True
        if actor.kind == REGION_ADMIN:
            return actor.supervises_region(self._value(obj, self.region))
        return actor.kind in self.writer_kinds and self._value(obj, self.owner) == actor.organisation_id


class StandardPolicy(OwnedPolicy):
    """A published standard is public: what it is, who holds it, its capabilities and its
    certificate's validity (JJF 1033-2023 makes the approval a public act); an unpublished
    one reaches its holder and the supervising administration only."""

    public = True
    owner = "holder_id"
    region = "holder__region_id"
    writer_kinds = (STAFF,)
    published = "published"
    # Status changes with a reason (POST …/status/): suspending, cancelling or restoring an
    # approval is the supervising bureau's decision (JJF 1033-2023 §7); a cancellation is final.
    transitions = {
        "suspend": (("active", "expired"), "suspended"),
        "seal": (("active",), "sealed"),
        "cancel": (("active", "suspended", "sealed", "expired"), "cancelled"),
        "expire": (("active", "suspended", "sealed"), "expired"),
        "reactivate": (("suspended", "sealed", "expired"), "active"),
    }
    ACTION_OF_STATUS = {
        "suspended": "suspend",
        "sealed": "seal",
        "cancelled": "cancel",
        "expired": "expire",
        "active": "reactivate",
    }

    def may_transition(self, actor, action, obj) -> bool:
        return self.may_change_status(actor, obj)

    def may_study_impact(self, actor, obj) -> bool:
        """Who may ask what a standard's fault touched: the nation, the region that
        supervises (or audits) its holder, and the holder's own staff."""
        if actor.kind == NATIONAL:
            return True
        if actor.region_scoped:
            return obj.holder.region_id in actor.region_ids()
        return actor.kind == STAFF and actor.organisation_id == obj.holder_id

    def may_recall(self, actor, obj) -> bool:
        """Who decides a recall of what a standard touched: the administration supervising
        its holder's region (or the nation)."""
        return actor.kind == NATIONAL or actor.supervises_region(obj.holder.region_id)

    def may_change_status(self, actor, obj) -> bool:
        return actor.kind == NATIONAL or (actor.kind == REGION_ADMIN and actor.supervises_region(obj.holder.region_id))


class ReferenceMaterialPolicy(OwnedPolicy):
    public = True  # the GBW catalogue is public
    scoped = False

    owner = "producer_id"
    region = "producer__region_id"
    writer_kinds = (STAFF,)

    def visible(self, actor, queryset):
        return queryset

    def sees_private(self, actor, obj) -> bool:
        return True


class PersonPolicy(OwnedPolicy):
    pass


class QualificationPolicy(OwnedPolicy):
    owner = "person__organisation_id"
    region = "person__organisation__region_id"


class InstrumentPolicy(OwnedPolicy):
    owner = "owner_id"
    region = "region_id"


class EventPolicy(OwnedPolicy):
    """The performing institution and the instrument's owner see an event; only the
    performer's verifiers write it (and the write rules of ``registry.services`` apply)."""

    owner = "performer_id"
    region = "region_id"  # the instrument's region, copied onto the event (indexed with id)
    writer_kinds = (STAFF,)

    # An owner's instruments as a list of ids up to this many, else as a subquery.
    OWNED_IDS_LIMIT = 2000

    def private_scope(self, actor):
        if actor.organisation_scoped:
            performed, owned = self.organisation_parts(actor)
            return performed | owned
        return super().private_scope(actor)

    def organisation_parts(self, actor) -> tuple[Q, Q]:
        """(events the organisation performed, events of its instruments): the scope of
        an organisation-scoped actor is their OR (lists page the two apart and merge)."""
        return Q(performer_id=actor.organisation_id), self.owned_instruments(actor.organisation_id)

    def owned_instruments(self, organisation_id: int) -> Q:
        """Events of the organisation's instruments, without a join: ``performer = x OR
        instrument.owner = x`` over the join can use no index, so PostgreSQL hashed both
        tables (seconds at 10^6 instruments). With the owner's instrument ids as a list
        both sides of the OR are indexed on the event table alone (a bitmap OR, or the
        id index walked in page order when the performer's events are dense; a sparse
        performer still costs a walk of ~8 ms a page at 10^6 instruments). An owner has
        tens of instruments; a very large one keeps a subquery."""
        # Written out: compiling this through the ORM cost more than running it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {connection.ops.quote_name(Instrument._meta.db_table)} WHERE owner_id = %s LIMIT %s",
                [organisation_id, self.OWNED_IDS_LIMIT + 1],
            )
            owned = [row[0] for row in cursor.fetchall()]
        if len(owned) > self.OWNED_IDS_LIMIT:
            return Q(instrument_id__in=Instrument.objects.filter(owner_id=organisation_id).values("id"))
        if not owned:
            return Q(pk__in=[])
        return in_ids("instrument_id", owned)

    def sees_private(self, actor, obj) -> bool:
        if actor.organisation_scoped and obj.instrument.owner_id == actor.organisation_id:
            return True
        return super().sees_private(actor, obj)

    def writable(self, actor, obj):
        # Administrators supervise events but do not perform them.
        if actor.kind == NATIONAL:
            return True
        return actor.kind == STAFF and actor.is_verifier and obj.performer_id == actor.organisation_id


class PrimaryStandardPolicy(ReferencePolicy):
    pass


# One policy per record kind, for code that holds a row and wants its rules.
POLICIES: dict[type, Policy] = {}


def policy_for(model_or_obj) -> Policy:
    if not POLICIES:
        POLICIES.update(
            {
                models.Region: ReferencePolicy(),
                models.MetrologyField: ReferencePolicy(),
                models.Quantity: ReferencePolicy(),
                models.Specification: ReferencePolicy(),
                models.CatalogItem: ReferencePolicy(),
                models.TypeApproval: ReferencePolicy(),
                models.PrimaryStandard: PrimaryStandardPolicy(),
                Organisation: OrganisationPolicy(),
                MeasurementStandard: StandardPolicy(),
                models.ReferenceMaterial: ReferenceMaterialPolicy(),
                models.Person: PersonPolicy(),
                models.Qualification: QualificationPolicy(),
                Instrument: InstrumentPolicy(),
                models.CalibrationEvent: EventPolicy(),
            }
        )
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return POLICIES.get(model, ReferencePolicy())
