"""The short paths a list request takes: an event's own copy of its instrument's region,
the region filter resolved from the cached tree, filtersets built from the parameters a
request names, the token looked up in one written-out query, instances built without
``Model.__init__`` and the compiled representation. Each must answer what the ORM and
DRF answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers as drf

from jiliang.accounts.models import ApiToken, Membership
from jiliang.accounts.roles import STAFF, Actor
from jiliang.audit import services as audit
from jiliang.audit.models import AuditEntry
from jiliang.registry import models
from jiliang.registry.api import rows, views
from jiliang.registry.api.lookups import in_ids

from .conftest import make_organisation

pytestmark = pytest.mark.django_db


def _event(world, number, instrument, **extra):
    item = world.rows["item"]
    return models.CalibrationEvent(
        instrument=instrument,
        performer=world.orgs["a"],
        kind="verification",
        passed=True,
        performed_on=dt.date(2025, 4, 1),
        valid_until=dt.date(2026, 3, 31),
        specification=item.regulation,
        certificate_number=number,
        **extra,
    )


def test_events_carry_their_instruments_region(world):
    assert world.rows["event_a"].region_id == world.rows["inst_e"].region_id == world.regions["330106"].pk
    assert world.rows["event_b"].region_id == world.regions["330108"].pk
    # Through the API: the region is not a field of the request; the save fills it.
    created = world.client("staff_a").post(
        "/api/events/",
        {
            "instrument": world.rows["inst_b"].pk,
            "performer": world.orgs["a"].pk,
            "kind": "calibration",
            "performed_on": "2025-05-01",
            "recalibration_due": "2026-04-30",
            "certificate_number": "A-2025-0100",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert "region" not in created.json()
    assert models.CalibrationEvent.objects.get(pk=created.json()["id"]).region_id == world.regions["330108"].pk
    # bulk_create (the registry import) fills it too, one query for the whole batch.
    with CaptureQueriesContext(connection) as queries:
        made = models.CalibrationEvent.objects.bulk_create(
            [_event(world, "BULK-1", world.rows["inst_a"]), _event(world, "BULK-2", world.rows["inst_b"])]
        )
    assert [e.region_id for e in made] == [world.regions["330106"].pk, world.regions["330108"].pk]
    assert models.CalibrationEvent.objects.filter(certificate_number__startswith="BULK-", region__isnull=True).count() == 0
    sqls = [q["sql"] for q in queries.captured_queries if "registry_instrument" in q["sql"]]
    # One read of the regions, one set-based refresh of the instruments' verified_until.
    assert [s.split()[0] for s in sqls] == ["SELECT", "UPDATE"]


def test_an_instrument_moving_takes_its_events_along_on_the_ledger(world):
    inst, event = world.rows["inst_e"], world.rows["event_a"]
    yuhang = world.regions["330110"]
    county_admin = world.client("other_county_admin")  # 余杭区: nothing there yet
    assert county_admin.get("/api/events/").json()["results"] == []
    before = AuditEntry.objects.count()
    with audit.audit_context(actor="test", reason="搬迁"):
        inst.region = yuhang
        inst.save()
    event.refresh_from_db()
    assert event.region_id == yuhang.pk
    changed = AuditEntry.objects.filter(sequence__gt=before, object_type="registry.calibrationevent").get()
    assert changed.object_id == str(event.pk) and changed.new == {"region_id": yuhang.pk}
    assert audit.verify().intact  # the event's new row matches the digest its entry recorded
    assert [r["certificate_number"] for r in county_admin.get("/api/events/").json()["results"]] == ["A-2025-0001"]
    assert [
        r["certificate_number"]
        for r in world.client("province_admin").get("/api/events/", {"region": yuhang.pk}).json()["results"]
    ] == ["A-2025-0001"]
    # Saving it again without a move writes nothing more.
    count = AuditEntry.objects.count()
    inst.save()
    assert AuditEntry.objects.count() == count


def test_region_filter_checks_the_id_against_the_tree(world):
    client = world.client("province_admin")
    for endpoint in ("/api/instruments/", "/api/events/", "/api/organisations/", "/api/standards/"):
        response = client.get(endpoint, {"region": 987654})
        assert response.status_code == 400 and "region" in response.json(), endpoint
        assert client.get(endpoint, {"region": "x"}).status_code == 400
    city = world.regions["330100"]
    assert {r["code"] for r in client.get("/api/instruments/", {"region": city.pk}).json()["results"]} == {
        "E-0001",
        "A-DEV-1",
        "B-DEV-1",
    }
    within = {r["code"] for r in client.get("/api/regions/", {"within": city.pk, "page_size": 500}).json()["results"]}
    assert {"330106", "330108", "330110"} <= within and "330100" not in within and all(c.startswith("3301") for c in within)
    # A county administrator filtering outside the county sees nothing, not an error.
    assert world.client("other_county_admin").get("/api/instruments/", {"region": city.pk}).json()["results"] == []


def test_filters_a_request_names_are_the_only_ones_built_and_they_still_filter(world):
    client = world.client("province_admin")
    xihu = world.regions["330106"].pk

    def numbers(**params):
        response = client.get("/api/events/", params)
        assert response.status_code == 200, response.json()
        return sorted(r["certificate_number"] for r in response.json()["results"])

    assert numbers(region=xihu, passed="true") == ["A-2025-0001"]
    assert numbers(region=xihu, passed="false") == []
    assert numbers(performed_on_after="2025-03-01", performed_on_before="2025-03-01") == ["A-2025-0001", "B-2025-0001"]
    assert numbers(performed_on_after="2025-03-02") == []
    assert numbers(q="B-2025-0001") == ["B-2025-0001"]
    bad = client.get("/api/events/", {"performed_on_after": "not a date"})
    assert bad.status_code == 400 and "performed_on" in bad.json()
    assert client.get("/api/events/", {"unknown_parameter": "1"}).status_code == 200  # ignored, as before
    # The schema still lists every filter (it reads the whole class).
    schema = client.get("/api/schema/", {"format": "json"}).json()
    names = {p["name"] for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    assert {"region", "passed", "performed_on_after", "instrument", "standard", "cursor"} <= names


def test_token_lookup_loads_user_role_and_region_in_one_query(world):
    client = world.client("province_admin")
    client.get("/api/me/")  # sets last_used_at (at most once a minute)
    with CaptureQueriesContext(connection) as queries:
        me = client.get("/api/me/").json()
    assert me == {"username": "province_admin", "role": "region_admin", "region": "330000", "organisation": None, "sub_roles": []}
    # The token with its user, membership and region; and the rate window's shared counter (one upsert).
    assert len(queries.captured_queries) == 2 and "jiliang_counter" in queries.captured_queries[1]["sql"]
    staff = world.client("staff_a").get("/api/me/").json()
    assert (
        staff["role"] == "institution_staff"
        and staff["organisation"] == world.orgs["a"].pk
        and staff["sub_roles"] == ["verifier"]
    )
    plain = get_user_model().objects.create_user("no-role", password=None)
    assert not Membership.objects.filter(user=plain).exists()
    _, token = ApiToken.issue(plain, "t")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/me/").json()["role"] == "public"
    root = get_user_model().objects.create_superuser("root", password=None)
    _, token = ApiToken.issue(root, "t")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/me/").json()["role"] == "national"
    root.is_active = False
    root.save()
    response = client.get("/api/me/")
    assert response.status_code == 401 and "inactive" in str(response.json())
    client.credentials(HTTP_AUTHORIZATION="Bearer jl_00000000_nothing")
    assert client.get("/api/me/").status_code == 401


@pytest.mark.parametrize("endpoint, queries", [("/api/instruments/", 3), ("/api/events/", 4), ("/api/standards/", 7)])
def test_list_queries_do_not_grow_with_the_page(world, endpoint, queries):
    """The token, the rate counter, the page, and one query per prefetched child table: never one per row."""
    client = world.client("province_admin")
    client.get(endpoint)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(endpoint, {"page_size": 500}).status_code == 200
    assert len(captured.captured_queries) == queries, [q["sql"][:80] for q in captured.captured_queries]


def _columns(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize(
    "model",
    [
        models.Instrument,
        models.CalibrationEvent,
        models.MeasurementStandard,
        models.Organisation,
        models.Region,
        models.CatalogItem,
    ],
)
def test_plain_rows_are_the_instances_the_orm_builds(world, model):
    expected = list(model.objects.order_by("pk"))
    got = list(rows.plain_rows(model.objects.order_by("pk")))
    assert [type(o) for o in got] == [model] * len(expected) and len(expected) > 0
    assert [_columns(o) for o in got] == [_columns(o) for o in expected]
    assert all(not o._state.adding and o._state.db == "default" for o in got)
    # Instances behave as usual: related access, saving, equality.
    first = got[0]
    assert first == expected[0] and hash(first) == hash(expected[0])
    for f in model._meta.concrete_fields:
        if f.is_relation and getattr(first, f.attname) is not None:
            assert getattr(first, f.name).pk == getattr(first, f.attname)
    # Queries the short path does not take give the ORM's instances.
    other = next(f.name for f in model._meta.concrete_fields if not f.primary_key)
    for queryset in (model.objects.order_by("pk").only("pk"), model.objects.order_by("pk").defer(other)):
        assert [o.pk for o in rows.plain_rows(queryset)] == [o.pk for o in expected]
    assert list(rows.plain_rows(model.objects.order_by("pk").values_list("pk", flat=True))) == [o.pk for o in expected]


def test_plain_rows_fall_back_for_select_related_and_annotations(world):
    from django.db.models import Value

    got = list(rows.plain_rows(models.Instrument.objects.select_related("owner").order_by("pk")))
    assert got[0].owner.name == models.Instrument.objects.order_by("pk").first().owner.name
    got = list(rows.plain_rows(models.Instrument.objects.annotate(x=Value(7)).order_by("pk")))
    assert {o.x for o in got} == {7}


@pytest.mark.parametrize(
    "viewset",
    [
        views.InstrumentViewSet,
        views.EventViewSet,
        views.StandardViewSet,
        views.OrganisationViewSet,
        views.RegionViewSet,
        views.CatalogItemViewSet,
        views.PersonViewSet,
        views.QualificationViewSet,
        views.ReferenceMaterialViewSet,
        views.PrimaryStandardViewSet,
        views.SpecificationViewSet,
    ],
)
def test_compiled_representation_is_what_drf_renders(world, viewset):
    serializer_class = viewset.serializer_class
    queryset = (
        viewset().base_queryset() if viewset.base_queryset is not views.RegistryViewSet.base_queryset else viewset.queryset.all()
    )
    instances = list(queryset.order_by("pk"))
    assert instances
    if viewset is views.EventViewSet:
        views.attach_standard_ids(instances[:1])  # one from the page query, the other by its own query
    serializer = serializer_class(context={"request": None})
    for instance in instances:
        ours = serializer.to_representation(instance)
        theirs = drf.ModelSerializer.to_representation(serializer, instance)
        if serializer_class is not views.s.OrganisationSerializer:
            assert list(ours) == list(theirs)  # same keys, same order
        assert ours == {k: v for k, v in theirs.items() if k in ours}
        assert all(type(ours[k]) is type(theirs[k]) for k in ours)


def test_in_ids_is_equality_for_one_id_and_one_array_for_many(world):
    ids = [world.regions["330106"].pk, world.regions["330108"].pk]
    assert models.Instrument.objects.filter(in_ids("region_id", ids)).count() == 3
    assert models.Instrument.objects.filter(in_ids("region_id", ids[:1])).count() == 2
    assert models.Instrument.objects.filter(in_ids("region_id", [])).count() == 0
    assert models.CalibrationEvent.objects.filter(in_ids("instrument__region_id", ids[1:])).count() == 1
    sql = str(models.Instrument.objects.filter(in_ids("region_id", ids)).query)
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    one = str(models.Instrument.objects.filter(in_ids("region_id", ids[:1])).query)
    assert " IN " not in one and "ANY" not in one


def test_organisation_scoped_events_are_found_without_a_join(world, monkeypatch):
    """Staff and enterprise users see the events they performed or whose instrument they
    own; the owner's instruments are resolved to ids first, so the event query has no
    join (over the join PostgreSQL hashed both tables), and past a limit a subquery."""
    expected = {"staff_a": {"A-2025-0001"}, "staff_b": {"B-2025-0001"}, "enterprise": {"A-2025-0001"}}
    extra = _event(world, "B-2025-0002", world.rows["inst_a"])  # B verifies an instrument A owns
    extra.performer = world.orgs["b"]
    extra.save()
    expected = {**expected, "staff_a": {"A-2025-0001", "B-2025-0002"}, "staff_b": {"B-2025-0001", "B-2025-0002"}}
    for limit in (views.permissions.EventPolicy.OWNED_IDS_LIMIT, 0):
        monkeypatch.setattr(views.permissions.EventPolicy, "OWNED_IDS_LIMIT", limit)
        for role, numbers in expected.items():
            with CaptureQueriesContext(connection) as queries:
                response = world.client(role).get("/api/events/")
            assert response.status_code == 200
            assert {r["certificate_number"] for r in response.json()["results"]} == numbers, (role, limit)
            listing = next(
                q["sql"]
                for q in queries.captured_queries
                if q["sql"].lstrip("( ").startswith('SELECT "registry_calibrationevent"."id"')
            )
            assert "JOIN" not in listing.upper(), listing
            assert ("registry_instrument" in listing) is (limit == 0), listing
            # The same scope answers a detail: found when visible, 404 otherwise.
            for number, event in (("A-2025-0001", world.rows["event_a"]), ("B-2025-0002", extra)):
                status = world.client(role).get(f"/api/events/{event.pk}/").status_code
                assert status == (200 if number in numbers else 404), (role, number, limit)
    # With the region filter the scope still holds; an organisation owning no instrument
    # sees only what it performed.
    assert [
        r["certificate_number"]
        for r in world.client("staff_b").get("/api/events/", {"region": world.regions["330106"].pk}).json()["results"]
    ] == ["B-2025-0002"]
    lab = make_organisation("无器具实验室", "laboratory", world.regions["330108"], 901)
    extra.performer = lab
    extra.save()
    scope = views.permissions.EventPolicy().private_scope(Actor(STAFF, organisation_id=lab.pk))
    assert list(models.CalibrationEvent.objects.filter(scope).values_list("certificate_number", flat=True)) == ["B-2025-0002"]


def _walk(client, params, direction="next"):
    """Every page of /api/events/ from the first (or, backwards, from the last reached)."""
    pages, url, data = [], "/api/events/", params
    while url:
        body = client.get(url, data).json()
        pages.append([r["certificate_number"] for r in body["results"]])
        url, data = body[direction], None
    return pages


@pytest.mark.parametrize("role", ["staff_a", "staff_b", "enterprise"])
def test_organisation_lists_merged_from_two_parts_page_as_the_or_does(world, role):
    """An organisation's event list is read as two disjoint parts (performed by it; of its
    instruments, performed by others) merged in page order. Page by page, both ways, by
    id and by certificate number, with a filter and a search, it lists what the plain
    OR query lists in the same order, and an institution's query is the union where the
    database can run one."""
    inst_a, inst_b = world.rows["inst_a"], world.rows["inst_e"]
    for k in range(24):  # interleaved: A's own work, B's work on A's instrument, A's work on another's
        event = _event(world, f"M-{(k * 7) % 24:03d}", [inst_a, inst_b][k % 2])
        event.performer = world.orgs["b" if k % 3 == 0 else "a"]
        event.passed = k % 4 != 0
        event.valid_until = event.valid_until if event.passed else None  # a 检定结果通知书 states no validity
        event.save()
    client = world.client(role)
    member = world.users[role].membership
    scope = views.permissions.EventPolicy().private_scope(Actor(member.role, organisation_id=member.organisation_id))
    for ordering in ("id", "-id", "certificate_number", "-certificate_number"):
        for extra in ({}, {"passed": "true"}, {"search": "M-005"}):
            params = {"page_size": 5, "ordering": ordering, **extra}
            pages = _walk(client, params)
            listed = [n for page in pages for n in page]
            assert len(listed) == len(set(listed)) and all(len(p) <= 5 for p in pages)
            expected = models.CalibrationEvent.objects.filter(scope)
            if extra.get("passed"):
                expected = expected.filter(passed=True)
            if extra.get("search"):
                expected = expected.filter(certificate_number="M-005")
            expected = list(expected.order_by(ordering).values_list("certificate_number", flat=True))
            assert listed == expected, (role, params)
            assert extra or len(expected) > 5
            # Backwards from the last page: the same pages in reverse.
            last = client.get("/api/events/", params).json()
            while last["next"]:
                last = client.get(last["next"]).json()
            back, body = [[r["certificate_number"] for r in last["results"]]], last
            while body["previous"]:
                body = client.get(body["previous"]).json()
                back.append([r["certificate_number"] for r in body["results"]])
            assert [n for page in reversed(back) for n in page] == expected, (role, params)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/events/").status_code == 200
    union = [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]]
    # Merged for an institution (its own part is large); an enterprise's OR is two small scans.
    assert len(union) == (1 if connection.vendor == "postgresql" and role.startswith("staff") else 0), union


def test_event_detail_reads_its_standards_in_its_own_query(world):
    """A retrieved event carries its standards' ids from the event's query (PostgreSQL),
    the same ids, in the same order, as the serializer's own query would give."""
    if connection.vendor != "postgresql":
        pytest.skip("the ARRAY subquery is PostgreSQL's; SQLite reads the standards by their own query")
    view = views.EventViewSet()
    view.action = "retrieve"
    events = list(view.base_queryset().order_by("pk"))
    own = [
        list(models.EventStandard.objects.filter(event=e).order_by("standard_id").values_list("standard_id", flat=True))
        for e in events
    ]
    assert any(own)
    assert [e.standard_ids for e in events] == own
