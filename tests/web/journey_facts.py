"""The starting facts of the user journeys (test_journeys.py), found once in the browser
tests' site by ``site_setup.py``: for each page language its own records, so the Chinese
and the English run never meet (a registration, a recall, an alert is done once).

Nothing here does a journey's work: it only looks for records a journey can start from
and makes the people who will do it (a user and a signed-in session each). Where a fact
depends on the rules (which institution a registration will be assigned to, which three
people may sign, which standard's recall reaches an enterprise), the services are asked
inside a savepoint that is rolled back, so the journey finds the site as it was.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

LANGS = ("zh-hans", "en")


class _DryRun(Exception):
    """Raised to roll a savepoint back after a trial of the services."""


def session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _user(name: str, **membership):
    from django.contrib.auth import get_user_model

    from jiliang.accounts.models import Membership

    user = get_user_model().objects.create_user(name, password=None)
    if membership:
        Membership.objects.create(user=user, **membership)
    return user


def build(p) -> dict:
    """The facts of every journey, by language."""
    from django.utils import timezone

    today = timezone.localdate()
    province_admin = _user("web-province-admin", role="region_admin", region=p.province)
    facts = {
        "province_admin": session_for(province_admin),
        "certificate": _certificate_facts(p, today),
        "recall": _recall_facts(p, today),
        "comparison": _comparison_facts(p),
        "alert": _alert_facts(p),
    }
    return facts


# -- a. register, verify, issue, check ---------------------------------------------------


def _signatories(institution, item, on):
    from jiliang.registry import models as reg
    from jiliang.registry.services import qualification_reasons

    people = list(reg.Person.objects.filter(organisation=institution).order_by("id"))
    chosen = {}
    for role in ("approver", "verifier", "checker"):  # the scarcest role first
        for person in people:
            if person.pk in {x.pk for x in chosen.values()}:
                continue
            if not qualification_reasons(person, item, on, institution=institution, role=role):
                chosen[role] = person
                break
        else:
            return None
    return chosen


def _trial_verification(instrument, on, reviewer, owner_user):
    """(institution, standard, signatories) when registering, approving and recording the
    instrument would go through today; None otherwise. Rolled back either way."""
    from jiliang.verification import services

    found = None
    try:
        with transaction.atomic():
            registration = services.register_instrument(instrument.owner, instrument, user=owner_user)
            registration = services.review_registration(registration, True, user=reviewer)
            if registration.assigned_institution_id is None:
                raise _DryRun
            institution, standard = registration.assigned_institution, registration.assigned_standard
            people = _signatories(institution, instrument.catalog_item, on)
            if people is None or standard is None:
                raise _DryRun
            services.record_verification(
                instrument, institution, standard, on, True, people["verifier"], people["checker"], people["approver"]
            )
            found = (institution, standard, people)
            raise _DryRun
    except (_DryRun, services.VerificationError, services.RefusedRecording):
        pass
    return found


def _certificate_facts(p, today) -> dict:
    from jiliang.registry import models as reg
    from jiliang.verification import coverage
    from jiliang.verification.models import Registration

    reviewer = p.users["county_admin"]
    candidates = (
        coverage.mandatory_in_use(reg.Instrument.objects.filter(owner__region=p.county, owner__kind="enterprise"))
        .exclude(registration__status__in=[Registration.Status.SUBMITTED, Registration.Status.APPROVED])
        .select_related("owner", "catalog_item")
        .order_by("owner_id", "id")
    )
    facts, used = {}, set()
    for instrument in candidates[:400]:
        if len(facts) == len(LANGS):
            break
        if instrument.catalog_item_id in used:  # two items: two institutions' forms, not one's twice
            continue
        found = _trial_verification(instrument, today, reviewer, p.users["enterprise_user"])
        if found is None:
            continue
        institution, standard, people = found
        lang = LANGS[len(facts)]
        owner_user = _user(f"web-journey-owner-{lang}", role="enterprise_user", organisation=instrument.owner)
        verifier = _user(
            f"web-journey-verifier-{lang}",
            role="institution_staff",
            organisation=institution,
            is_verifier=True,
            is_checker=True,
            is_approver=True,
        )
        facts[lang] = {
            "instrument": instrument.code,
            "owner": session_for(owner_user),
            "institution": session_for(verifier),
            "institution_name": institution.name,
            "standard": standard.pk,
            "people": {role: person.pk for role, person in people.items()},
        }
        used.add(instrument.catalog_item_id)
    assert len(facts) == len(LANGS), "no instrument in the county can be registered, assigned and verified today"
    return facts


# -- c. coverage, impact, recall, the enterprise's notice ---------------------------------


def _recall_facts(p, today) -> dict:
    from django.db.models import Count

    from jiliang.registry import models as reg
    from jiliang.traceability import services

    found_on = today - dt.timedelta(days=3)
    # Standards of the province used most in the last year: each language recalls its own.
    busy = (
        reg.MeasurementStandard.objects.filter(
            status="active",
            holder__region__code__startswith=p.province.code[:2],
            event_links__event__performed_on__gte=today - dt.timedelta(days=365),
        )
        .annotate(n=Count("event_links"))
        .order_by("-n", "id")[:40]
    )
    facts = {}
    owners_taken = set()
    for standard in busy:
        if len(facts) == len(LANGS):
            break
        date_from, _to = services.default_window(standard, found_on)
        found = services.impact(standard, date_from, found_on)
        doc = services.impact_document(found, limit=50)
        enterprises = {
            o.pk: o
            for o in reg.Organisation.objects.filter(id__in=[o["id"] for o in doc["by_owner"]], kind="enterprise").exclude(
                pk__in=owners_taken
            )
        }
        owner = next((enterprises[o["id"]] for o in doc["by_owner"] if o["id"] in enterprises), None)
        if owner is None or not doc["affected"]:
            continue
        lang = LANGS[len(facts)]
        owners_taken.add(owner.pk)
        user = _user(f"web-journey-recalled-{lang}", role="enterprise_user", organisation=owner)
        facts[lang] = {
            "standard": standard.pk,
            "standard_name": standard.name,
            "certificate_number": standard.certificate_number,
            "date_from": date_from.isoformat(),
            "found_on": found_on.isoformat(),
            "instruments": doc["instruments"],
            "owner": session_for(user),
            "owner_name": owner.name,
        }
    assert len(facts) == len(LANGS), "no two standards of the province touched an enterprise's instruments this year"
    return facts


# -- d. a comparison from creation to publication ----------------------------------------


def _comparison_facts(p) -> dict:
    from jiliang.accounts.models import Membership

    comparison = p.objects["comparison"]
    participants = list(comparison.participants.select_related("institution", "standard").order_by("id"))
    measurand = comparison.measurands.select_related("quantity").first()
    others = []
    for participant in participants:
        if participant.institution_id == p.institution.pk:
            continue
        member = Membership.objects.filter(organisation=participant.institution, role="institution_staff").first()
        others.append(
            {
                "credit_code": participant.institution.credit_code,
                "certificate_number": participant.standard.certificate_number if participant.standard else "",
                "session": session_for(member.user),
            }
        )
    pilot = next(x for x in participants if x.institution_id == p.institution.pk)
    return {
        "pilot": {
            "credit_code": p.institution.credit_code,
            "certificate_number": pilot.standard.certificate_number if pilot.standard else "",
        },
        "participants": others[:2],
        "quantity": measurand.quantity.pk,
        "region": p.province.code,
    }


# -- e. an alert with its evidence --------------------------------------------------------


def _alert_facts(p) -> dict:
    from django.utils import timezone

    from jiliang.registry import models as reg
    from jiliang.supervision.telemetry.models import Alert

    instruments = list(
        reg.Instrument.objects.filter(owner=p.enterprise, region=p.county, status="in_use")
        .exclude(pk=p.instrument.pk)
        .order_by("id")[:2]
    )
    facts = {}
    now = timezone.now()
    for lang, instrument in zip(LANGS, instruments):
        readings = [100.0, 100.2, 131.5]
        alert = Alert.objects.create(
            instrument=instrument,
            region=instrument.region,
            owner=instrument.owner,
            rule="any.peer_drift",
            severity=Alert.Severity.HIGH,
            evidence={
                "drift": 0.031,
                "peers": 9,
                "messages": [
                    {"seq": 40 + i, "score": value, "message": {"seq": 40 + i, "value": value, "ts": now.isoformat()}}
                    for i, value in enumerate(readings)
                ],
            },
        )
        facts[lang] = {"alert": alert.pk, "instrument": instrument.code}
    assert len(facts) == len(LANGS)
    return facts
