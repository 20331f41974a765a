"""Every write of an event passes the workflow's rules (issue 16, item 1), and no role
writes another organisation's rows through any endpoint.

The roles and rows are the permission matrix's world (conftest). Each request runs in a
savepoint rolled back after the state is compared, so every case meets the same rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection, transaction

from jiliang.accounts.roles import actor_for
from jiliang.audit.models import AuditEntry
from jiliang.audit.services import object_type_of
from jiliang.registry import models
from jiliang.registry.api.urls import router

from .conftest import ROLES
from .test_permission_matrix import calibrated  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def state() -> tuple:
    """Row counts of every registry table, and every instrument's verified_until and every
    event's instrument: what a refused write must leave as it was. The counts in one query:
    this runs after each of a thousand cases."""
    tables = [model._meta.db_table for model in apps.get_app_config("registry").get_models()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables))
        counts = tuple(cursor.fetchone())
    return (
        counts,
        tuple(models.Instrument.objects.order_by("id").values_list("id", "verified_until")),
        tuple(models.CalibrationEvent.objects.order_by("id").values_list("id", "instrument_id", "performed_on", "valid_until")),
    )


def attempt(client, method, url, payload=None, before=None):
    """The response, and whether the database is as it was; rolled back either way.
    ``before``: the state, when the caller knows it (every case starts from the same rows)."""
    with transaction.atomic():
        before = before if before is not None else state()
        response = (
            getattr(client, method.lower())(url, payload, format="json")
            if payload is not None
            else getattr(client, method.lower())(url)
        )
        unchanged = state() == before
        transaction.set_rollback(True)
    return response, unchanged


def event_payload(world, **changes):
    r, o = world.rows, world.orgs
    payload = {
        "instrument": r["inst_e"].pk,
        "performer": o["a"].pk,
        "person": r["person_a"].pk,
        "kind": "verification",
        "passed": True,
        "performed_on": "2026-03-01",
        "valid_until": "2027-02-28",
        "certificate_number": "A-2026-0901",
        "standards_used": [r["std_a_private"].pk],
    }
    payload.update(changes)
    return payload


def test_a_verifier_may_not_record_events_on_an_instrument_outside_its_area(calibrated):
    world = calibrated
    # B (滨江区) records a verification of E's dispenser in 西湖区, with its own standard:
    # 201 today, moving E's verified_until to 2199.
    payload = event_payload(
        world,
        performer=world.orgs["b"].pk,
        person=world.rows["person_b"].pk,
        standards_used=[],
        performed_on="2026-03-01",
        valid_until="2199-12-31",
        certificate_number="B-2099-1",
    )
    response, unchanged = attempt(world.client("staff_b"), "POST", "/api/events/", payload)
    assert response.status_code == 403, response.data
    assert "instrument" in response.json() and unchanged


def test_an_event_cannot_be_moved_to_another_instrument(calibrated):
    world = calibrated
    event = world.rows["event_a"]
    response, unchanged = attempt(
        world.client("staff_a"), "PATCH", f"/api/events/{event.pk}/", {"instrument": world.rows["inst_b"].pk}
    )
    assert response.status_code == 403, response.data
    assert unchanged


def test_an_event_dated_in_the_future_is_refused(calibrated):
    world = calibrated
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response, unchanged = attempt(
        world.client("staff_a"), "POST", "/api/events/", event_payload(world, performed_on=future, valid_until="2199-12-31")
    )
    assert response.status_code == 400 and "performed_on" in response.json() and unchanged
    # An update may not move a stored event into the future either.
    response, unchanged = attempt(
        world.client("staff_a"),
        "PATCH",
        f"/api/events/{world.rows['event_a'].pk}/",
        {"performed_on": future, "valid_until": "2199-12-31"},
    )
    assert response.status_code == 400 and "performed_on" in response.json() and unchanged


def test_standards_must_be_in_force_on_the_date(calibrated):
    world = calibrated
    standard = world.rows["std_a_private"]
    models.StandardStatusChange.objects.create(
        standard=standard, status="active", effective_on=dt.date(2024, 1, 1), reason="考核合格"
    )
    models.StandardStatusChange.objects.create(
        standard=standard, status="suspended", effective_on=dt.date(2026, 2, 1), reason="期间核查不合格"
    )
    response, unchanged = attempt(world.client("staff_a"), "POST", "/api/events/", event_payload(world))
    assert response.status_code == 400 and unchanged
    assert "standards_used" in response.json() and "暂停" in str(response.json()["standards_used"])
    # A standard held by another institution is not A's to use.
    response, unchanged = attempt(
        world.client("staff_a"),
        "POST",
        "/api/events/",
        event_payload(world, performed_on="2026-01-15", standards_used=[world.rows["std_b_private"].pk]),
    )
    assert response.status_code == 400 and "standards_used" in response.json() and unchanged


def test_the_signing_verifier_must_be_qualified_for_the_item(calibrated):
    world = calibrated
    spare = world.rows["person_a_spare"]  # on A's staff, but no verifier qualification
    response, unchanged = attempt(world.client("staff_a"), "POST", "/api/events/", event_payload(world, person=spare.pk))
    assert response.status_code == 400 and "person" in response.json() and unchanged


def test_a_laboratory_may_not_perform_mandatory_verification(calibrated):
    world = calibrated
    org_a = world.orgs["a"]
    org_a.kind = models.Organisation.Kind.LABORATORY
    org_a.save()
    response, unchanged = attempt(world.client("staff_a"), "POST", "/api/events/", event_payload(world))
    assert response.status_code == 400 and "performer" in response.json() and unchanged


def test_a_valid_event_is_written_and_moves_the_due_date(calibrated):
    world = calibrated
    response = world.client("staff_a").post("/api/events/", event_payload(world), format="json")
    assert response.status_code == 201, response.data
    world.rows["inst_e"].refresh_from_db()
    assert world.rows["inst_e"].verified_until == dt.date(2027, 2, 28)


def test_an_event_written_through_the_api_is_on_the_audit_ledger_with_its_links(calibrated):
    # The links to the standards used are ledger rows too: written in bulk they were
    # invisible to the ledger, and `audit verify` reported them as unrecorded.
    world = calibrated
    response = world.client("staff_a").post("/api/events/", event_payload(world), format="json")
    assert response.status_code == 201, response.data
    event_id = response.json()["id"]
    link = models.EventStandard.objects.get(event_id=event_id)
    entries = AuditEntry.objects.filter(object_id=str(link.pk), object_type=object_type_of(models.EventStandard))
    assert entries.filter(action="create").exists()
    response = world.client("staff_a").patch(f"/api/events/{event_id}/", {"standards_used": []}, format="json")
    assert response.status_code == 200, response.data
    assert entries.filter(action="delete").exists()


# ---------------------------------------------------------------------------- generated


def write_cases(world):
    """(role, method, url, payload) for every routed table × every role × every row the
    role's policy does not let it write: an update and, where routed, a delete. The rows
    come from the database and the verdict from the policy, so a new table or a new row
    in the world is covered without listing it here."""
    cases = []
    for prefix, viewset, _ in router.registry:
        if prefix == "tokens":
            continue
        policy = viewset.policy
        model = viewset.queryset.model
        deletes = "destroy" in dir(viewset)
        for role in ROLES:
            user = world.users.get(role)
            actor = actor_for(user)
            for obj in model.objects.all():
                if policy.writable(actor, obj) and role != "anonymous":
                    continue
                cases.append((role, "PATCH", f"/api/{prefix}/{obj.pk}/", foreign_patch(world, prefix, obj)))
                if deletes:
                    cases.append((role, "DELETE", f"/api/{prefix}/{obj.pk}/", None))
    return cases


def foreign_patch(world, prefix, obj):
    """A change that would matter: a name, a date, an owner moved."""
    if prefix == "events":
        return {
            "instrument": world.rows["inst_b"].pk if obj.instrument_id != world.rows["inst_b"].pk else world.rows["inst_e"].pk,
            "performed_on": "2099-01-01",
            "valid_until": "2199-12-31",
        }
    if prefix == "instruments":
        return {"status": "scrapped"}
    if prefix == "qualifications":
        return {"valid_until": "2199-12-31"}
    if prefix in ("regions", "standards", "people", "organisations", "fields", "primary-standards", "reference-materials"):
        return {"name": "改名"}
    if prefix == "specifications":
        return {"title": "改名"}
    if prefix in ("catalog-items", "quantities"):
        return {"name": "改名"}
    return {}


def test_no_role_writes_another_organisations_rows(calibrated):
    world = calibrated
    clients = {role: world.client(role) for role in ROLES}
    failures = []
    cases = write_cases(world)
    assert len(cases) > 100
    before = state()  # each case is rolled back, so each starts from these rows
    for role, method, url, payload in cases:
        response, unchanged = attempt(clients[role], method, url, payload, before)
        if response.status_code not in (401, 403, 404, 405) or not unchanged:
            failures.append(f"{role} {method} {url} {payload}: {response.status_code}, changed={not unchanged}")
    assert not failures, "\n".join(failures[:30])


@pytest.mark.parametrize("role", [r for r in ROLES])
def test_no_role_creates_events_on_instruments_outside_its_reach(calibrated, role):
    """POST an event performed by each institution on each instrument it may not reach."""
    world = calibrated
    r, o = world.rows, world.orgs
    client = world.client(role)
    cases = [  # (performer, person, instrument): B on E's and A's; A on B's
        (o["b"], r["person_b"], r["inst_e"]),
        (o["b"], r["person_b"], r["inst_a"]),
        (o["a"], r["person_a"], r["inst_b"]),
    ]
    for performer, person, instrument in cases:
        payload = event_payload(
            world,
            performer=performer.pk,
            person=person.pk,
            instrument=instrument.pk,
            standards_used=[],
            kind="verification",
            valid_until="2199-12-31",
            certificate_number=f"X-{performer.pk}-{instrument.pk}",
        )
        response, unchanged = attempt(client, "POST", "/api/events/", payload)
        assert response.status_code in (401, 403), (role, performer.name, instrument.code, response.status_code, response.data)
        assert unchanged
