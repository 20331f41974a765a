"""The traceability engine over the registry: on the demo province every planted defect is
found with its reason, chains reach primary standards, impact and recall work, and the
snapshot follows new events without a rebuild."""

import datetime as dt

import numpy as np
import pytest
from rest_framework.test import APIClient

from jiliang.core.traceability import Reason
from jiliang.registry import demo, models, validity
from jiliang.registry import graph as loader
from jiliang.traceability import services
from jiliang.traceability.models import Recall, RecallItem

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield demo.generate(instruments=3000, seed=11, as_of=AS_OF)


@pytest.fixture
def province(generated, db):
    # The graph is cached per process; a test's rolled-back writes must not reach the next.
    services.forget_graph()
    yield generated
    services.forget_graph()


def _verdicts(date=AS_OF):
    graph = services.current_graph()
    return graph, graph.engine.validity_at(loader.to_day(date))


def _users_of(certificate_number, after=None):
    """Working instruments whose current event (at AS_OF) used this standard."""
    links = models.EventStandard.objects.filter(
        standard__certificate_number=certificate_number, event__instrument__standard__isnull=True
    )
    if after:
        links = links.filter(event__performed_on__gt=after)
    return set(links.values_list("event__instrument_id", flat=True))


def _current_event_uses(graph, v, item, certificate_number):
    standard = models.MeasurementStandard.objects.get(certificate_number=certificate_number)
    row = v.event[item]
    return row >= 0 and standard.id in graph.engine.link_std[graph.engine.link_indptr[row] : graph.engine.link_indptr[row + 1]]


def test_most_of_the_demo_province_is_traceable(province):
    graph, v = _verdicts()
    working = graph.item_working
    share = v.valid[working].mean()
    assert 0.85 < share < 0.99
    # Standard devices of healthy provincial standards trace to the primary standards.
    assert v.valid[~working & (graph.item_region >= 0) & (graph.item_catalog < 0)].mean() > 0.9


def test_lapsed_certificates_are_found(province):
    graph, v = _verdicts()
    found = 0
    for number in province.defects.lapsed_standards:
        lapsed = models.MeasurementStandard.objects.get(certificate_number=number)
        for item in _users_of(number, after=lapsed.valid_until):
            if _current_event_uses(graph, v, item, number):
                assert v.flags[item] & Reason.STANDARD_NOT_APPROVED
                assert not v.valid[item]
                found += 1
    assert found > 0


def test_suspended_standard_is_found(province):
    graph, v = _verdicts()
    suspended = models.MeasurementStandard.objects.get(certificate_number=province.defects.suspended_standard)
    since = suspended.status_changes.get(status="suspended").effective_on
    items = [
        i
        for i in _users_of(suspended.certificate_number, after=since)
        if _current_event_uses(graph, v, i, suspended.certificate_number)
    ]
    assert items
    assert all(v.flags[i] & Reason.STANDARD_SUSPENDED for i in items)


def test_broken_chain_is_found_with_its_location(province):
    graph, v = _verdicts()
    broken = models.MeasurementStandard.objects.get(certificate_number=province.defects.broken_chain_standard)
    # Calibrations state no validity: how long each counts is the one rule (validity.good_until).
    lapsed_on = max(
        validity.good_until(
            models.CalibrationEvent.objects.filter(instrument__standard=broken).values_list("id", flat=True)
        ).values()
    )
    items = [
        i
        for i in _users_of(broken.certificate_number, after=lapsed_on)
        if _current_event_uses(graph, v, i, broken.certificate_number)
    ]
    assert items
    devices = set(broken.devices.values_list("id", flat=True))
    for item in items:
        assert v.flags[item] & Reason.UPSTREAM_BREAK
        assert v.break_kind[item] == 0 and v.break_index[item] in devices  # the expired device
    chain = services.item_chain(models.Instrument.objects.get(pk=items[0]), AS_OF)
    assert not chain["traceable"]
    breaks = [link for link in chain["links"] if link["is_break"]]
    assert len(breaks) == 1 and breaks[0]["instrument"]["id"] in devices
    assert any(r["code"] == "EXPIRED" for r in breaks[0]["reasons"])


def test_chain_of_a_healthy_instrument_reaches_a_primary_standard(province):
    graph, v = _verdicts()
    county = models.EventStandard.objects.filter(
        standard__level="county", event__instrument__standard__isnull=True, event__performed_on__gt=AS_OF - dt.timedelta(days=150)
    ).values_list("event__instrument_id", flat=True)
    item = next(i for i in county if v.valid[i])
    doc = services.item_chain(models.Instrument.objects.get(pk=item), AS_OF)
    assert doc["traceable"] and doc["break"] is None
    assert doc["links"][0]["depth"] == 0 and doc["links"][0]["instrument"]["id"] == item
    assert any(s["kind"] == "primary" for link in doc["links"] for s in link["standards"])
    assert max(link["depth"] for link in doc["links"]) >= 2  # county → city/province → national


def test_out_of_tolerance_standard_impact_and_recall(province):
    faulty = models.MeasurementStandard.objects.get(certificate_number=province.defects.out_of_tolerance_standard)
    found_on = dt.date.fromisoformat(province.defects.out_of_tolerance_found_on)
    result = services.impact(faulty, found_on=found_on)
    impact = result["result"]
    # The default window starts at the earliest of its devices' last good calibrations.
    last_good = [
        models.CalibrationEvent.objects.filter(instrument=d).exclude(passed=False).order_by("-performed_on").first().performed_on
        for d in faulty.devices.all()
    ]
    assert result["from"] == min(last_good) and result["to"] == found_on
    direct = set(
        models.EventStandard.objects.filter(standard=faulty, event__performed_on__range=(result["from"], found_on)).values_list(
            "event_id", flat=True
        )
    )
    assert direct and direct == set(impact.event_ids[impact.depth == 0].tolist())
    assert (impact.depth >= 1).any()  # standards calibrated with it pass the doubt on
    doc = services.impact_document(result)
    assert doc["events"] == impact.events.size and sum(o["events"] for o in doc["by_owner"]) == doc["events"]

    recall = services.create_recall(faulty, None, found_on, reason="期间核查发现失准")
    assert recall.affected_events == impact.events.size
    assert RecallItem.objects.filter(notice__recall=recall).count() == impact.events.size
    assert recall.notices.count() == len(impact.by_owner)
    with pytest.raises(ValueError, match="reason"):
        services.create_recall(faulty, None, found_on, reason=" ")


def test_overdue_instruments_are_expired(province):
    graph, v = _verdicts()
    expired = (v.flags & np.uint32(Reason.EXPIRED)) != 0
    assert (expired & graph.item_working).sum() >= province.defects.overdue_instruments * 0.8


def test_snapshot_appends_new_events_without_rebuilding(province):
    graph = services.current_graph()
    engine = graph.engine
    instrument = models.Instrument.objects.filter(standard__isnull=True).order_by("id").first()
    healthy = (
        models.MeasurementStandard.objects.filter(level="province", status="active")
        .exclude(certificate_number=province.defects.out_of_tolerance_standard)
        .first()
    )
    day = dt.date.today()
    event = models.CalibrationEvent.objects.create(
        instrument=instrument,
        performer=healthy.holder,
        kind="verification",
        passed=False,
        performed_on=day,
        certificate_number="NEW-1",
    )
    models.EventStandard.objects.create(event=event, standard=healthy)
    again = services.current_graph()
    assert again.engine is engine and again.engine.n_events == engine.n_events  # same object, appended
    v = again.engine.validity_at(loader.to_day(day), np.array([instrument.id]))
    assert v.flags[0] & Reason.FAILED
    # An edited event (saved, so on the audit ledger) rebuilds the snapshot: the verdict follows it.
    event.passed, event.valid_until = True, day + dt.timedelta(days=365)
    event.save()
    rebuilt = services.current_graph()
    assert rebuilt.engine is not engine
    assert not rebuilt.engine.validity_at(loader.to_day(day), np.array([instrument.id])).flags[0] & Reason.FAILED
    engine = rebuilt.engine
    assert services.current_graph().engine is engine  # nothing changed since: kept
    # A change to a standard rebuilds the snapshot.
    models.MeasurementStandard.objects.filter(pk=healthy.pk).update(status="suspended")
    assert services.current_graph().engine is not engine


def test_a_deletion_outside_the_ledger_is_caught_by_the_periodic_count(province):
    graph = loader.build_graph()
    engine = graph.engine
    event = models.CalibrationEvent.objects.filter(kind="verification").order_by("id").first()
    # Raw deletes: no model signals, no audit entry.
    models.EventStandard.objects.filter(event=event)._raw_delete("default")
    models.CalibrationEvent.objects.filter(pk=event.pk)._raw_delete("default")
    # Within the count interval the snapshot is kept (the count is what costs) ...
    assert loader.refresh_graph(graph).engine is engine
    # ... and once it has passed, the count finds the missing event and rebuilds.
    rebuilt = loader.refresh_graph(graph, recount_after=0)
    assert rebuilt.engine is not engine and rebuilt.engine.n_events == engine.n_events - 1


def test_api_and_cli(province, django_user_model, capsys):
    from jiliang.cli import main

    client = APIClient()
    instrument = models.Instrument.objects.filter(standard__isnull=True).first()
    assert client.get(f"/api/traceability/items/{instrument.id}/").status_code in (401, 403)
    admin = django_user_model.objects.create_superuser("boss", "b@example.org", "pw-123456")
    client.force_authenticate(admin)
    body = client.get(f"/api/traceability/items/{instrument.id}/?date={AS_OF}").json()
    assert body["instrument"]["code"] == instrument.code and "links" in body
    assert client.get(f"/api/traceability/items/{instrument.id}/?date=yesterday").status_code == 400
    summary = client.get("/api/traceability/summary/?region=330100").json()
    assert summary["regions"][0]["code"] == "330100"
    assert client.get("/api/traceability/summary/?region=999999").status_code == 400
    faulty = models.MeasurementStandard.objects.get(certificate_number=province.defects.out_of_tolerance_standard)
    found = province.defects.out_of_tolerance_found_on
    impact = client.post("/api/traceability/impact/", {"standard": faulty.id, "found_on": found}, format="json").json()
    assert impact["events"] > 0 and impact["to"] == found
    bad = client.post(
        "/api/traceability/impact/", {"standard": faulty.id, "date_from": "2026-05-01", "date_to": "2026-01-01"}, format="json"
    )
    assert bad.status_code == 400 and "date_from" in bad.json()
    recall = client.post(
        "/api/traceability/recalls/",
        {"standard": faulty.id, "found_on": found, "date_to": found, "reason": "失准"},
        format="json",
    )
    assert recall.status_code == 201 and Recall.objects.count() == 1

    assert main(["trace", instrument.code, "--date", str(AS_OF), "--json"]) in (0, 1)
    assert capsys.readouterr().out.lstrip().startswith("{")
    assert main(["impact", faulty.certificate_number, "--to", found]) == 0
    assert "events" in capsys.readouterr().out
    assert main(["trace", "NO-SUCH-CODE"]) == 2
    assert "no instrument" in capsys.readouterr().err


def test_api_follows_roles(province, django_user_model):
    """Owners see their own instruments' chains and recall notices; administrators see
    their region; nobody else reaches a private instrument or decides a recall."""
    from jiliang.accounts.models import Membership

    def user(name, **membership):
        u = django_user_model.objects.create_user(name, f"{name}@example.org", "pw-123456")
        Membership.objects.create(user=u, **membership)
        client = APIClient()
        client.force_authenticate(u)
        return client

    instrument = (
        models.Instrument.objects.filter(standard__isnull=True, status="in_use").select_related("region", "owner").first()
    )
    other = (
        models.Instrument.objects.filter(standard__isnull=True)
        .exclude(owner=instrument.owner)
        .exclude(region__code__startswith=instrument.region.code[:4])
        .first()
    )
    owner = user("owner", role="enterprise_user", organisation=instrument.owner)
    county = user("county", role="region_admin", region=instrument.region)
    elsewhere = (
        models.Region.objects.filter(level="city", code__startswith="33").exclude(code=instrument.region.code[:4] + "00").first()
    )
    far_admin = user("far", role="region_admin", region=elsewhere)
    province_admin = user("prov", role="region_admin", region=models.Region.objects.get(code="330000"))

    assert owner.get(f"/api/traceability/items/{instrument.id}/").status_code == 200
    assert owner.get(f"/api/traceability/items/{other.id}/").status_code == 404
    assert county.get(f"/api/traceability/items/{instrument.id}/").status_code == 200
    assert far_admin.get(f"/api/traceability/items/{instrument.id}/").status_code == 404
    assert owner.get("/api/traceability/summary/").status_code == 403
    assert county.get("/api/traceability/summary/").json()["region"] == instrument.region.code
    assert county.get("/api/traceability/summary/?region=330000").status_code == 403

    faulty = models.MeasurementStandard.objects.get(certificate_number=province.defects.out_of_tolerance_standard)
    body = {"standard": faulty.id, "found_on": province.defects.out_of_tolerance_found_on, "reason": "失准"}
    assert owner.post("/api/traceability/impact/", body, format="json").status_code == 403
    assert far_admin.post("/api/traceability/recalls/", body, format="json").status_code == 403
    assert province_admin.post("/api/traceability/recalls/", body, format="json").status_code == 201
    notice = RecallItem.objects.select_related("notice__owner").first().notice
    affected = APIClient()
    affected.force_authenticate(django_user_model.objects.create_user("affected", "a@example.org", "pw-123456"))
    Membership.objects.create(
        user=django_user_model.objects.get(username="affected"), role="enterprise_user", organisation=notice.owner
    )
    mine = affected.get("/api/traceability/recall-notices/").json()
    assert [n["id"] for n in mine] == [notice.id] and mine[0]["items"]
    assert all(n["owner"] == instrument.owner.name for n in owner.get("/api/traceability/recall-notices/").json())
    assert (
        len(province_admin.get("/api/traceability/recall-notices/").json())
        == RecallItem.objects.values("notice").distinct().count()
    )
