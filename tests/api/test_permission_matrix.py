"""The permission matrix: every endpoint × every role × every action, with the status
code each role must get and the rows each role's list may contain.

Roles (in column order): anonymous, province administrator (浙江省), administrator of
another county (余杭区, which holds none of these rows), staff of institution A (西湖区),
staff of institution B (滨江区), an enterprise user (西湖区, owns instrument E-0001), and
a province auditor (read-only). Each write runs in a savepoint that is rolled back, so
every role meets the same rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models

from .conftest import ROLES

pytestmark = pytest.mark.django_db

ALL_200 = (200,) * 7
ALL_405 = (405,) * 7
NATIONAL_ONLY = (401, 403, 403, 403, 403, 403, 403)  # reference data: only a superuser writes


def pk(w, key):
    return w.rows[key].pk


@pytest.fixture
def calibrated(world):
    """A's standards in force: each has a standard device calibrated (traced abroad), as an
    event's standards must be on its date. The engine's snapshot is per process: start
    and end from the database."""
    from jiliang.traceability import services as trace

    trace.forget_graph()
    r, o = world.rows, world.orgs
    spare = models.Instrument.objects.create(
        code="A-DEV-2", name="标准金属量器", owner=o["a"], region=world.regions["330106"], standard=r["std_a_public"]
    )
    r["cal_device"] = spare
    for device in (r["inst_a"], spare):
        r[f"cal_{device.code}"] = models.CalibrationEvent.objects.create(
            instrument=device,
            performer=o["a"],
            kind="calibration",
            performed_on=dt.date(2025, 1, 10),
            recalibration_due=dt.date(2027, 12, 31),
            certificate_number=f"CAL-{device.code}",
            external_source="中国计量科学研究院",
        )
    yield world
    for device in (r["inst_a"], spare):
        r.pop(f"cal_{device.code}", None)
    r.pop("cal_device")
    trace.forget_graph()


# Each endpoint: its URL, the rows each role's list shows (None: not checked, an int:
# the status code), and its actions as (name, method, path suffix, payload, codes).
def endpoints(w):
    r, o = w.rows, w.orgs
    region = w.regions
    reference = lambda name: [("delete", "DELETE", "{id}/", None, ALL_405)]  # noqa: E731
    return {
        "regions": dict(
            target=region["330106"].pk,
            list=None,
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {"code": "330199", "name": "测试区", "level": "county", "parent": region["330100"].pk},
                    NATIONAL_ONLY,
                ),
                ("update", "PATCH", "{id}/", {"name": "西湖区（改）"}, NATIONAL_ONLY),
            ]
            + reference("regions"),
        ),
        "fields": dict(
            target=r["mechanics"].pk,
            list=None,
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                ("create", "POST", "", {"code": "test", "name": "测试", "name_en": "Test"}, NATIONAL_ONLY),
                ("update", "PATCH", "{id}/", {"name_en": "Mechanics"}, NATIONAL_ONLY),
            ]
            + reference("fields"),
        ),
        "quantities": dict(
            target=r["volume"].pk,
            list=None,
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                ("create", "POST", "", {"name": "测试量", "field": r["mechanics"].pk, "unit": "kg"}, NATIONAL_ONLY),
                ("update", "PATCH", "{id}/", {"unit": "mL"}, NATIONAL_ONLY),
            ]
            + reference("quantities"),
        ),
        "specifications": dict(
            target=r["item"].regulation_id,
            list=None,
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {"code": "JJG 9999-2024", "title": "测试规程", "kind": "verification_regulation"},
                    NATIONAL_ONLY,
                ),
                ("update", "PATCH", "{id}/", {"title": "改名"}, NATIONAL_ONLY),
            ]
            + reference("specifications"),
        ),
        "catalog-items": dict(
            target=r["item"].pk,
            list=None,
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "code": "Z99",
                        "name": "测试器具",
                        "field": r["mechanics"].pk,
                        "management_mode": "periodic",
                        "period_months": 12,
                    },
                    NATIONAL_ONLY,
                ),
                ("update", "PATCH", "{id}/", {"name_en": "dispenser"}, NATIONAL_ONLY),
            ]
            + reference("catalog-items"),
        ),
        "type-approvals": dict(
            target=r["type_approval"].pk,
            list={role: {r["type_approval"].pk} for role in ROLES},
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "number": "2024C00099-33",
                        "catalog_item": r["item"].pk,
                        "manufacturer": "测试厂",
                        "model": "T-1",
                        "name": "燃油加油机",
                        "authority": "国家市场监督管理总局",
                        "approved_on": "2024-01-01",
                    },
                    NATIONAL_ONLY,
                ),
                ("update", "PATCH", "{id}/", {"status": "revoked"}, NATIONAL_ONLY),
            ]
            + reference("type-approvals"),
        ),
        "primary-standards": dict(
            target=r["primary"].pk,
            list={role: {r["primary"].pk} for role in ROLES},
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "code": "GJJZ-T-999",
                        "name": "测试基准",
                        "quantity": r["volume"].pk,
                        "range_min": 0,
                        "range_max": 1,
                        "unit": "L",
                        "uncertainty": 0.1,
                        "k": 2,
                        "holder": o["a"].pk,
                    },
                    NATIONAL_ONLY,
                ),
                ("update", "PATCH", "{id}/", {"name": "改名"}, NATIONAL_ONLY),
            ]
            + reference("primary-standards"),
        ),
        "organisations": dict(
            target=o["a"].pk,
            list={role: {org.pk for org in o.values()} for role in ROLES},
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "name": "新企业",
                        "kind": "enterprise",
                        "region": region["330106"].pk,
                        "credit_code": make_credit_code("91330106000000099"),
                    },
                    (401, 201, 403, 403, 403, 403, 403),
                ),
                ("update", "PATCH", "{id}/", {"address": "新地址"}, (401, 200, 403, 403, 403, 403, 403)),
                ("delete", "DELETE", "{id}/", None, ALL_405),
            ],
        ),
        "standards": dict(
            target=r["std_a_private"].pk,
            list={
                "anonymous": {pk(w, "std_a_public")},
                "province_admin": {pk(w, "std_a_public"), pk(w, "std_a_private"), pk(w, "std_b_private")},
                "other_county_admin": {pk(w, "std_a_public")},
                "staff_a": {pk(w, "std_a_public"), pk(w, "std_a_private")},
                "staff_b": {pk(w, "std_a_public"), pk(w, "std_b_private")},
                "enterprise": {pk(w, "std_a_public")},
                "auditor": {pk(w, "std_a_public"), pk(w, "std_a_private"), pk(w, "std_b_private")},
            },
            actions=[
                ("retrieve", "GET", "{id}/", None, (404, 200, 404, 200, 404, 404, 200)),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "name": "新标准",
                        "tier": "public",
                        # Hangzhou's highest, assessed by the province (计量法实施细则 第八条): the world has
                        # no city bureau to assess a county's.
                        "level": "city",
                        "holder": o["a"].pk,
                        "field": r["mechanics"].pk,
                        "certificate_number": "[2025]西量标第9号",
                        "issuing_department": o["bureau"].pk,
                        "valid_from": "2025-01-01",
                        "specifications": [r["item"].regulation_id],
                        "catalog_items": [r["item"].pk],
                    },
                    (401, 201, 403, 201, 403, 403, 403),
                ),
                ("update", "PATCH", "{id}/", {"name": "改名"}, (401, 200, 404, 200, 404, 404, 403)),
                ("delete", "DELETE", "{id}/", None, ALL_405),
                (
                    "status",
                    "POST",
                    "{id}/status/",
                    {"status": "suspended", "reason": "期间核查不合格"},
                    (401, 200, 404, 403, 404, 404, 403),
                ),
                ("status-history", "GET", "{id}/status-history/", None, (404, 200, 404, 200, 404, 404, 200)),
                ("capabilities list", "GET", "{id}/capabilities/", None, (404, 200, 404, 200, 404, 404, 200)),
                (
                    "capability create",
                    "POST",
                    "{id}/capabilities/",
                    {"quantity": r["volume"].pk, "range_min": 1, "range_max": 5, "unit": "L", "mpe": 0.5},
                    (401, 201, 404, 201, 404, 404, 403),
                ),
                (
                    "capability retrieve",
                    "GET",
                    f"{{id}}/capabilities/{r['capability'].pk}/",
                    None,
                    (404, 200, 404, 200, 404, 404, 200),
                ),
                (
                    "capability update",
                    "PATCH",
                    f"{{id}}/capabilities/{r['capability'].pk}/",
                    {"range_max": 150},
                    (401, 200, 404, 200, 404, 404, 403),
                ),
                (
                    "capability delete",
                    "DELETE",
                    f"{{id}}/capabilities/{r['capability'].pk}/",
                    None,
                    (401, 204, 404, 204, 404, 404, 403),
                ),
            ],
        ),
        "reference-materials": dict(
            target=r["material"].pk,
            list={role: {pk(w, "material")} for role in ROLES},
            actions=[
                ("retrieve", "GET", "{id}/", None, ALL_200),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "number": "GBW(E)130002",
                        "name": "甲醇溶液",
                        "level": "secondary",
                        "producer": o["a"].pk,
                        "expires_on": "2030-06-01",
                    },
                    (401, 201, 403, 201, 403, 403, 403),
                ),
                ("update", "PATCH", "{id}/", {"name": "改名"}, (401, 200, 403, 200, 403, 403, 403)),
                ("delete", "DELETE", "{id}/", None, ALL_405),
                ("certified values", "GET", "{id}/certified-values/", None, ALL_200),
                (
                    "certified value create",
                    "POST",
                    "{id}/certified-values/",
                    {"component": "甲醇", "value": 1.0, "unit": "mg/mL", "uncertainty": 0.02},
                    (401, 201, 403, 201, 403, 403, 403),
                ),
                (
                    "certified value update",
                    "PATCH",
                    f"{{id}}/certified-values/{r['certified'].pk}/",
                    {"value": 0.81},
                    (401, 200, 403, 200, 403, 403, 403),
                ),
                (
                    "certified value delete",
                    "DELETE",
                    f"{{id}}/certified-values/{r['certified'].pk}/",
                    None,
                    (401, 204, 403, 204, 403, 403, 403),
                ),
            ],
        ),
        "people": dict(
            target=r["person_a"].pk,
            list={
                "anonymous": 401,
                "province_admin": {pk(w, k) for k in ("person_a", "person_a_spare", "person_b", "person_e")},
                "other_county_admin": set(),
                "staff_a": {pk(w, "person_a"), pk(w, "person_a_spare")},
                "staff_b": {pk(w, "person_b")},
                "enterprise": {pk(w, "person_e")},
                "auditor": {pk(w, k) for k in ("person_a", "person_a_spare", "person_b", "person_e")},
            },
            actions=[
                ("retrieve", "GET", "{id}/", None, (401, 200, 404, 200, 404, 404, 200)),
                ("create", "POST", "", {"name": "新人", "organisation": o["a"].pk}, (401, 201, 403, 201, 403, 403, 403)),
                ("update", "PATCH", "{id}/", {"name": "改名"}, (401, 200, 404, 200, 404, 404, 403)),
                ("delete", "DELETE", f"{r['person_a_spare'].pk}/", None, (401, 204, 404, 204, 404, 404, 403)),
                ("delete referenced", "DELETE", "{id}/", None, (401, 409, 404, 409, 404, 404, 403)),
            ],
        ),
        "qualifications": dict(
            target=r["qual_a"].pk,
            list={
                "anonymous": 401,
                "province_admin": {pk(w, "qual_a"), pk(w, "qual_b")},
                "other_county_admin": set(),
                "staff_a": {pk(w, "qual_a")},
                "staff_b": {pk(w, "qual_b")},
                "enterprise": set(),
                "auditor": {pk(w, "qual_a"), pk(w, "qual_b")},
            },
            actions=[
                ("retrieve", "GET", "{id}/", None, (401, 200, 404, 200, 404, 404, 200)),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "person": r["person_a"].pk,
                        "kind": "metrologist_2",
                        "certificate_number": "Q-A-2",
                        "valid_from": "2024-01-01",
                        "valid_until": "2029-01-01",
                    },
                    (401, 201, 403, 201, 403, 403, 403),
                ),
                ("update", "PATCH", "{id}/", {"specialty": "容量"}, (401, 200, 404, 200, 404, 404, 403)),
                ("delete", "DELETE", "{id}/", None, (401, 204, 404, 204, 404, 404, 403)),
            ],
        ),
        "instruments": dict(
            target=r["inst_e"].pk,
            list={
                "anonymous": 401,
                "province_admin": {pk(w, "inst_e"), pk(w, "inst_a"), pk(w, "inst_b")} | spare_device(w),
                "other_county_admin": set(),
                "staff_a": {pk(w, "inst_a")} | spare_device(w),
                "staff_b": {pk(w, "inst_b")},
                "enterprise": {pk(w, "inst_e")},
                "auditor": {pk(w, "inst_e"), pk(w, "inst_a"), pk(w, "inst_b")} | spare_device(w),
            },
            actions=[
                ("retrieve", "GET", "{id}/", None, (401, 200, 404, 404, 404, 200, 200)),
                ("create", "POST", "", instrument_payload(w, "E-0100"), (401, 201, 403, 403, 403, 201, 403)),
                ("update", "PATCH", "{id}/", {"status": "stopped"}, (401, 200, 404, 404, 404, 200, 403)),
                ("delete", "DELETE", "{id}/", None, ALL_405),
                (
                    "bulk",
                    "POST",
                    "bulk/",
                    [instrument_payload(w, "E-0101"), instrument_payload(w, "E-0102")],
                    (401, 201, 403, 403, 403, 201, 403),
                ),
            ],
        ),
        "events": dict(
            target=r["event_a"].pk,
            list={
                "anonymous": 401,
                "province_admin": {pk(w, "event_a"), pk(w, "event_b")} | calibrations(w),
                "other_county_admin": set(),
                "staff_a": {pk(w, "event_a")} | calibrations(w),
                "staff_b": {pk(w, "event_b")},
                "enterprise": {pk(w, "event_a")},
                "auditor": {pk(w, "event_a"), pk(w, "event_b")} | calibrations(w),
            },
            actions=[
                ("retrieve", "GET", "{id}/", None, (401, 200, 404, 200, 404, 200, 200)),
                (
                    "create",
                    "POST",
                    "",
                    {
                        "instrument": r["inst_e"].pk,
                        "performer": o["a"].pk,
                        "person": r["person_a"].pk,
                        "kind": "verification",
                        "passed": True,
                        "performed_on": "2026-03-01",
                        "valid_until": "2027-02-28",
                        "certificate_number": "A-2026-0001",
                        "standards_used": [r["std_a_private"].pk],
                    },
                    (401, 403, 403, 201, 403, 403, 403),
                ),
                ("update", "PATCH", "{id}/", {"results": [{"point": 20, "error": 0.1}]}, (401, 403, 404, 200, 404, 403, 403)),
                ("delete", "DELETE", "{id}/", None, ALL_405),
                ("standards used", "GET", "{id}/standards/", None, (401, 200, 404, 200, 404, 200, 200)),
            ],
        ),
    }


def calibrations(w) -> set:
    return {row.pk for key, row in w.rows.items() if key.startswith("cal_") and key != "cal_device"}


def spare_device(w) -> set:
    return {w.rows["cal_device"].pk} if "cal_device" in w.rows else set()


def instrument_payload(w, code):
    return {
        "code": code,
        "name": "燃油加油机",
        "catalog_item": w.rows["item"].pk,
        "legal_purpose": "trade",
        "owner": w.orgs["e"].pk,
        "region": w.regions["330106"].pk,
    }


ENDPOINTS = [
    "regions",
    "fields",
    "quantities",
    "specifications",
    "catalog-items",
    "type-approvals",
    "primary-standards",
    "organisations",
    "standards",
    "reference-materials",
    "people",
    "qualifications",
    "instruments",
    "events",
]


def request(client, method, url, payload):
    with transaction.atomic():
        response = (
            getattr(client, method.lower())(url, payload, format="json")
            if payload is not None
            else getattr(client, method.lower())(url)
        )
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permission_matrix(calibrated, endpoint):
    world = calibrated
    spec = endpoints(world)[endpoint]
    clients = {role: world.client(role) for role in ROLES}
    mismatches = []
    for role in ROLES:
        response = clients[role].get(f"/api/{endpoint}/", {"page_size": 500})
        expected_rows = (spec["list"] or {}).get(role)
        if isinstance(expected_rows, int):
            if response.status_code != expected_rows:
                mismatches.append(f"{role} list: {response.status_code}, expected {expected_rows}")
        elif response.status_code != 200:
            mismatches.append(f"{role} list: {response.status_code}, expected 200")
        elif expected_rows is not None:
            got = {row["id"] for row in response.json()["results"]}
            if got != expected_rows:
                mismatches.append(f"{role} list rows {sorted(got)}, expected {sorted(expected_rows)}")
        for name, method, suffix, payload, codes in spec["actions"]:
            url = f"/api/{endpoint}/" + suffix.format(id=spec["target"])
            response = request(clients[role], method, url, payload)
            expected = codes[ROLES.index(role)]
            if response.status_code != expected:
                body = getattr(response, "data", None)
                mismatches.append(f"{role} {name} {method} {url}: {response.status_code}, expected {expected} ({body})")
    assert not mismatches, "\n".join(mismatches)


def test_every_routed_endpoint_is_in_the_matrix():
    from jiliang.registry.api.urls import router

    assert {prefix for prefix, _, _ in router.registry} == set(ENDPOINTS)


def test_organisation_private_fields_reach_only_those_who_see_them(world):
    o = world.orgs
    sees = {
        "anonymous": set(),
        "province_admin": set(o),
        "other_county_admin": set(),
        "staff_a": {"a"},
        "staff_b": {"b"},
        "enterprise": {"e"},
        "auditor": set(o),
    }
    for role, keys in sees.items():
        rows = {row["id"]: row for row in world.client(role).get("/api/organisations/").json()["results"]}
        with_code = {key for key, org in o.items() if "credit_code" in rows[org.pk]}
        with_address = {key for key, org in o.items() if "address" in rows[org.pk]}
        assert with_code == keys and with_address == keys, role
        for row in rows.values():
            assert {"id", "name", "kind", "region"} <= set(row)
        detail = world.client(role).get(f"/api/organisations/{o['b'].pk}/").json()
        assert ("credit_code" in detail) == ("b" in keys), role


def test_filters_cannot_reach_other_organisations_rows(world):
    # Filtering by another organisation's id narrows the role's own rows; it never widens them.
    client = world.client("staff_a")
    assert client.get("/api/instruments/", {"owner": world.orgs["e"].pk}).json()["results"] == []
    assert client.get("/api/events/", {"performer": world.orgs["b"].pk}).json()["results"] == []
    assert client.get("/api/standards/", {"holder": world.orgs["b"].pk}).json()["results"] == []
    # The search on organisations does not look at private fields.
    code = world.orgs["b"].credit_code
    assert world.client("anonymous").get("/api/organisations/", {"q": code}).json()["results"] == []


def test_status_change_records_history_with_reason(world):
    standard = world.rows["std_a_private"]
    client = world.client("province_admin")
    response = client.post(
        f"/api/standards/{standard.pk}/status/", {"status": "suspended", "reason": "期间核查不合格"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert response.json()["status_changes"][-1]["reason"] == "期间核查不合格"
    standard.refresh_from_db()
    assert standard.status == "suspended"
    missing = client.post(f"/api/standards/{standard.pk}/status/", {"status": "active"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    same = client.post(f"/api/standards/{standard.pk}/status/", {"status": "suspended", "reason": "again"}, format="json")
    assert same.status_code == 400 and "status" in same.json()
    # The status is not writable through an update.
    client.patch(f"/api/standards/{standard.pk}/", {"status": "active"}, format="json")
    standard.refresh_from_db()
    assert standard.status == "suspended"


def test_bulk_is_all_or_nothing(world):
    client = world.client("enterprise")
    before = models.Instrument.objects.count()
    mine, theirs = instrument_payload(world, "E-0200"), instrument_payload(world, "E-0201")
    theirs["owner"] = world.orgs["b"].pk  # enterprise E may not register B's instruments
    assert client.post("/api/instruments/bulk/", [mine, theirs], format="json").status_code == 403
    duplicate = instrument_payload(world, "E-0200")
    response = client.post("/api/instruments/bulk/", [mine, duplicate], format="json")
    assert response.status_code == 400
    invalid = dict(instrument_payload(world, "E-0202"), range_min=10, range_max=1)
    response = client.post("/api/instruments/bulk/", [mine, invalid], format="json")
    assert response.status_code == 400
    # Errors are keyed by the index of the failing item; the constraint is named.
    assert set(response.json()) == {"1"} and "instrument_range_ordered" in str(response.json()["1"])
    assert models.Instrument.objects.count() == before
    response = client.post("/api/instruments/bulk/", [mine, instrument_payload(world, "E-0203")], format="json")
    assert response.status_code == 201 and [row["code"] for row in response.json()] == ["E-0200", "E-0203"]
    assert models.Instrument.objects.count() == before + 2


def test_event_written_with_standards_used(calibrated):
    world = calibrated
    client = world.client("staff_a")
    payload = {
        "instrument": world.rows["inst_e"].pk,
        "performer": world.orgs["a"].pk,
        "kind": "calibration",
        "performed_on": "2026-03-01",
        "recalibration_due": "2027-02-28",
        "certificate_number": "A-2026-0002",
        "standards_used": [world.rows["std_a_private"].pk, world.rows["std_a_public"].pk],
    }
    response = client.post("/api/events/", payload, format="json")
    assert response.status_code == 201, response.json()
    event = models.CalibrationEvent.objects.get(certificate_number="A-2026-0002")
    assert set(event.standards_used.values_list("pk", flat=True)) == {
        world.rows["std_a_private"].pk,
        world.rows["std_a_public"].pk,
    }
    used = client.get(f"/api/events/{event.pk}/standards/").json()
    assert {row["id"] for row in used} == set(payload["standards_used"])
    # A verifier of A cannot record an event performed by B, nor name B's person.
    assert (
        client.post(
            "/api/events/", dict(payload, performer=world.orgs["b"].pk, certificate_number="X-1"), format="json"
        ).status_code
        == 403
    )
    response = client.post(
        "/api/events/", dict(payload, person=world.rows["person_b"].pk, certificate_number="X-2"), format="json"
    )
    assert response.status_code == 400 and "person" in response.json()


def test_api_writes_reach_the_audit_ledger_with_actor_and_reason(world):
    audit = pytest.importorskip("jiliang.audit.models")
    standard = world.rows["std_a_private"]
    response = world.client("province_admin").post(
        f"/api/standards/{standard.pk}/status/", {"status": "suspended", "reason": "期间核查不合格"}, format="json"
    )
    assert response.status_code == 200
    entry = (
        audit.AuditEntry.objects.filter(object_type="registry.measurementstandard", object_id=str(standard.pk))
        .order_by("-sequence")
        .first()
    )
    assert entry is not None and entry.actor == "province_admin" and entry.reason == "期间核查不合格"
    created = world.client("enterprise").post("/api/instruments/", instrument_payload(world, "E-0300"), format="json")
    assert created.status_code == 201
    entry = audit.AuditEntry.objects.filter(object_type="registry.instrument", object_id=str(created.json()["id"])).get()
    assert entry.actor == "enterprise" and entry.action == "create"
