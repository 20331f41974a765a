"""The registry's use cases, one transaction each: a standard's status change, and writing
a calibration or verification event. The API, the pages, the CLI and the verification
workflow call these, so every write path passes the same rules.

A refusal raises ``Refused`` with every (field, reason) found, and writes nothing;
``forbidden`` tells a refusal of who may do it (403) from one of what was asked (400).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiliang.policies import NATIONAL, Actor

from . import models, validity
from .policies import EventPolicy, StandardPolicy

EVENT_POLICY = EventPolicy()
STANDARD_POLICY = StandardPolicy()

# Institutions that may perform verification (检定) of instruments under mandatory
# verification: legal metrology institutes set up, and institutions authorised, by the
# government's metrology administration (计量法 第二十条; 计量法实施细则 第十一条、第二十六条).
VERIFYING_KINDS = (
    models.Organisation.Kind.LEGAL_INSTITUTE,
    models.Organisation.Kind.AUTHORISED_INSTITUTE,
    models.Organisation.Kind.PROFESSIONAL_STATION,
)


@dataclass
class Refused(Exception):
    reasons: list = field(default_factory=list)  # [(field, reason)]
    forbidden: bool = False

    def __str__(self):
        return "; ".join(f"{name}: {reason}" for name, reason in self.reasons)


# -- standards ---------------------------------------------------------------------------


@transaction.atomic
def change_standard_status(
    actor: Actor, standard: models.MeasurementStandard, status: str, reason: str, effective_on: dt.date | None = None
) -> models.StandardStatusChange:
    """Suspend, cancel, expire or reactivate a standard's approval, with the reason recorded
    in its status history (the transitions are the policy's table)."""
    if not STANDARD_POLICY.may_change_status(actor, standard):
        raise Refused([("status", "only the supervising administration changes a standard's status")], forbidden=True)
    if standard.status == status:
        raise Refused([("status", f"the standard is already {standard.status}")])
    action = STANDARD_POLICY.ACTION_OF_STATUS.get(status)
    if action is None:
        raise Refused([("status", f"{status!r} is not a status of a measurement standard")])
    if not STANDARD_POLICY.in_state_for(action, standard):
        raise Refused([("status", f"the standard is {standard.status}; a cancelled approval cannot change status")])
    if not (reason or "").strip():
        raise Refused([("reason", "a status change needs its reason")])
    standard.status = status
    standard.save(update_fields=["status"])
    return models.StandardStatusChange.objects.create(
        standard=standard, status=status, effective_on=effective_on or timezone.localdate(), reason=reason
    )


# -- calibration and verification events -------------------------------------------------


def performer_reaches(performer: models.Organisation, instrument: models.Instrument, kind: str) -> bool:
    """Whether an institution may record an event on an instrument: its own instruments;
    instruments in the area it serves (the region of the administration that set it up or
    authorised it: 计量法 第二十条, 实施细则 第十一条 — an institution's region and the
    regions inside it); and the calibration of another holder's standard device, which
    the holder may send to any institution able to calibrate it (JJF 1033-2023 §4.2.1,
    traceability of the standard's devices)."""
    if instrument.owner_id == performer.pk:
        return True
    if kind == models.CalibrationEvent.Kind.CALIBRATION and instrument.standard_id is not None:
        return True
    prefix = performer.region.descendant_codes_prefix()
    return instrument.region.code.startswith(prefix)


def event_refusals(
    actor: Actor | None,
    *,
    instrument: models.Instrument,
    performer: models.Organisation,
    kind: str,
    performed_on: dt.date,
    person: models.Person | None = None,
    standards=(),
    before=None,
    today: dt.date | None = None,
    passed: bool | None = None,
) -> tuple[list, list]:
    """(forbidden, invalid): every reason the event may not be written, split into who may
    write it and what it says. ``actor`` None is the platform itself (a signed workflow);
    ``before`` is the event as stored, for an update."""
    today = today or timezone.localdate()
    standards = list(standards)
    # An update is judged on what it changes: correcting the results of an old event does
    # not re-judge the standards it used years ago.
    changed = (
        {"performed_on", "kind", "person", "standards"}
        if before is None
        else {
            name
            for name, new, old in (
                ("performed_on", performed_on, before.performed_on),
                ("kind", kind, before.kind),
                ("person", getattr(person, "pk", None), before.person_id),
                ("standards", sorted(s.pk for s in standards), sorted(before.standards_used.values_list("pk", flat=True))),
            )
            if new != old
        }
    )
    forbidden: list[tuple[str, str]] = []
    invalid: list[tuple[str, str]] = []
    if actor is not None:
        probe = models.CalibrationEvent(instrument=instrument, performer=performer)
        if not EVENT_POLICY.writable(actor, probe):
            forbidden.append(("performer", "only a verifier (检定/校准员) of the performing institution records its events"))
    if before is not None:
        if before.instrument_id != instrument.pk:
            forbidden.append(("instrument", "an event stays with its instrument: record a new event for another instrument"))
        if before.performer_id != performer.pk:
            forbidden.append(("performer", "an event stays with the institution that performed it"))
    if not performer_reaches(performer, instrument, kind) and (actor is None or actor.kind != NATIONAL):
        forbidden.append(("instrument", f"{instrument.code} is outside the area {performer.name} serves and is not its own"))
    if "performed_on" in changed and performed_on > today:
        invalid.append(("performed_on", f"{performed_on} is in the future"))
    if (
        {"kind", "person"} & changed
        and kind == models.CalibrationEvent.Kind.VERIFICATION
        and instrument.is_mandatory
        and performer.kind not in VERIFYING_KINDS
    ):
        invalid.append(
            (
                "performer",
                f"{performer.name} is not a legal metrology institute nor authorised to perform "
                "mandatory verification (计量法 第二十条)",
            )
        )
    if person is not None and person.organisation_id != performer.pk:
        invalid.append(("person", "must work for the performing organisation"))
    if {"performed_on", "kind"} & changed:
        invalid.extend(duplicate_refusals(instrument, performer, kind, performed_on, passed, before))
    if (
        {"kind", "person", "performed_on"} & changed
        and kind == models.CalibrationEvent.Kind.VERIFICATION
        and instrument.is_mandatory
        and person is not None
    ):
        invalid.extend(("person", why) for why in qualification_reasons(person, instrument.catalog_item, performed_on))
    for standard in standards if {"standards", "performed_on"} & changed else ():
        if standard.holder_id != performer.pk:
            invalid.append(
                ("standards_used", f"{standard.certificate_number} is held by another organisation, not {performer.name}")
            )
    if standards and {"standards", "performed_on"} & changed and performed_on <= today:
        verdicts = validity.standard_verdicts([s.pk for s in standards], performed_on)
        for standard in standards:
            verdict = verdicts[standard.pk]
            if not verdict["valid"]:
                why = ", ".join(str(r["label"]) for r in verdict["reasons"] if not r["warning"])
                invalid.append(("standards_used", f"{standard.certificate_number} was not in force on {performed_on}: {why}"))
    return forbidden, invalid


DUPLICATE_RULE = "registry.event.unique"


def duplicate_refusals(instrument, performer, kind, performed_on, passed, before=None) -> list[tuple[str, str]]:
    """Rule ``registry.event.unique``: one result per instrument, kind, day and performing
    institution — a second is the same verification recorded twice (a form sent twice, a
    file imported twice), not a second measurement. The one exception is a re-verification
    the same day after a failed one (不合格 → repaired → verified again): a new result may
    follow an existing failure, never a pass."""
    same = models.CalibrationEvent.objects.filter(
        instrument=instrument, performer=performer, kind=kind, performed_on=performed_on
    ).exclude(pk=getattr(before, "pk", None))
    if passed is not None:
        same = same.exclude(passed=False)
    existing = same.order_by("pk").values_list("certificate_number", flat=True).first()
    if existing is None:
        return []
    return [
        (
            "performed_on",
            f"{DUPLICATE_RULE}: {instrument.code} already has a {kind} by {performer.name} on {performed_on} "
            f"({existing or 'no number'}); the same result is not recorded twice",
        )
    ]


def qualification_reasons(person: models.Person, item: models.CatalogItem | None, on: dt.date) -> list[str]:
    """Why the person may not sign a mandatory verification of the item on the date: a
    verifier's qualification for the item, valid that day (计量法实施细则 第二十七条:
    检定人员须经考核合格)."""
    if item is None:
        return []
    quals = list(models.Qualification.objects.filter(person=person, kind=models.Qualification.Kind.VERIFIER, catalog_item=item))
    if not quals:
        return [f"{person.name} holds no verifier qualification (检定员证) for {item.code} {item.name}"]
    if not any(q.valid_from <= on <= q.valid_until for q in quals):
        last = max(q.valid_until for q in quals)
        return [f"{person.name}'s verifier qualification for {item.code} is not valid on {on} (valid until {last})"]
    return []


def check_event(actor: Actor | None, event: models.CalibrationEvent, standards, before=None) -> None:
    """Raise ``Refused`` unless ``event`` (built, not saved) may be written with ``standards``."""
    forbidden, invalid = event_refusals(
        actor,
        instrument=event.instrument,
        performer=event.performer,
        kind=event.kind,
        performed_on=event.performed_on,
        person=event.person,
        standards=standards,
        before=before,
        passed=event.passed,
    )
    if forbidden:
        raise Refused(forbidden, forbidden=True)
    if invalid:
        raise Refused(invalid)


def _write_standards(event: models.CalibrationEvent, standards) -> None:
    # Row by row through save()/delete(): the audit ledger's signals see every link (a
    # bulk_create would leave the links unrecorded, and `audit verify` would report them).
    for link in models.EventStandard.objects.filter(event=event):
        link.delete()
    for standard in dict.fromkeys(standards):
        models.EventStandard.objects.create(event=event, standard=standard)


@transaction.atomic
def record_event(actor: Actor | None, values: dict, standards=()) -> models.CalibrationEvent:
    """Write a new event (values: the model's fields) with the standards it used."""
    event = models.CalibrationEvent(**values)
    check_event(actor, event, standards)
    event.save()
    _write_standards(event, standards)
    return event


@transaction.atomic
def update_event(actor: Actor | None, event: models.CalibrationEvent, values: dict, standards=None) -> models.CalibrationEvent:
    """Change an event's values (not its instrument nor its performer); ``standards`` None
    keeps the standards it used."""
    before = models.CalibrationEvent.objects.select_for_update().get(pk=event.pk)
    for name, value in values.items():
        setattr(event, name, value)
    used = list(before.standards_used.all()) if standards is None else list(standards)
    check_event(actor, event, used, before=before)
    event.save()
    if standards is not None:
        _write_standards(event, standards)
    return event


def stored_event_refusals(event_ids: list[int], today: dt.date | None = None) -> list[tuple[int, str, str]]:
    """(event id, field, reason) for stored events that break the rules every write path
    shares (``event_refusals``), checked set-based for bulk paths (``jiliang import``):
    dated in the future; a mandatory verification by an institution that may not perform
    one (计量法 第二十条); a signer who does not work for the performer. Written rows are
    checked inside the import's transaction, so a refusal leaves nothing behind.

    The engine's standard-in-force verdicts and the signers' qualifications are not
    re-judged here: an import restores a history whose standards and people come in the
    same files, and ``jiliang trace``/``audit verify`` report a broken chain after it."""
    today = today or timezone.localdate()
    Kind = models.CalibrationEvent.Kind
    found: list[tuple[int, str, str]] = []
    for start in range(0, len(event_ids), 5000):
        events = models.CalibrationEvent.objects.filter(pk__in=event_ids[start : start + 5000])
        found += [
            (pk, "performed_on", f"{day} is in the future")
            for pk, day in events.filter(performed_on__gt=today).values_list("pk", "performed_on")
        ]
        found += [
            (
                pk,
                "performer",
                f"{name} is not a legal metrology institute nor authorised to perform mandatory verification (计量法 第二十条)",
            )
            for pk, name in events.filter(kind=Kind.VERIFICATION, instrument__catalog_item__isnull=False)
            .exclude(instrument__legal_purpose=models.Instrument.Purpose.NONE)
            .exclude(performer__kind__in=VERIFYING_KINDS)
            .values_list("pk", "performer__name")
        ]
        found += [
            (pk, "person", "must work for the performing organisation")
            for pk in events.filter(person__isnull=False)
            .exclude(person__organisation_id=F("performer_id"))
            .values_list("pk", flat=True)
        ]
    return found
