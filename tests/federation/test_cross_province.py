"""Across provinces, in one database playing three instances in turn: Zhejiang publishes its
certificates, the centre applies them and relays to Beijing what Beijing's chains rest on;
Beijing's chain of a working instrument continues through the index to the primary standard;
a recall started in Zhejiang reaches Beijing's instruments."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.federation import outbox
from jiliang.federation.apply import apply_record
from jiliang.federation.chains import federated_chain
from jiliang.federation.models import (
    FederatedCertificate,
    FederatedRecall,
    FederatedStandard,
    OutboxCursor,
    OutboxRecord,
    ProvinceStatus,
)
from jiliang.traceability import services
from jiliang.traceability.models import Recall

from .conftest import DAY

pytestmark = pytest.mark.django_db


def _as(settings, province: str | None, institution: str = ""):
    """Play one instance: its mode, province and signing institution, and its own outbox (the
    one database holds one outbox table: each instance's rows are put aside in between)."""
    stash = settings.FEDERATION_TEST_OUTBOXES if hasattr(settings, "FEDERATION_TEST_OUTBOXES") else {}
    current = "national" if settings.JILIANG_NATIONAL else settings.JILIANG_PROVINCE
    stash[current] = (list(OutboxRecord.objects.all()), list(OutboxCursor.objects.all()))
    OutboxRecord.objects.all().delete()
    OutboxCursor.objects.all().delete()
    records, cursors = stash.get(province or "national", ([], []))
    OutboxRecord.objects.bulk_create(records)
    OutboxCursor.objects.bulk_create(cursors)
    settings.FEDERATION_TEST_OUTBOXES = stash
    settings.JILIANG_NATIONAL = province is None
    settings.JILIANG_PROVINCE = province or ""
    settings.JILIANG_FEDERATION_INSTITUTION = institution
    services.forget_graph()


def _publish(after: int = 0) -> list[bytes]:
    return [raw for _seq, raw in outbox.pending_records(after)]


def _kinds(raws):
    import json

    return [json.loads(r)["kind"] for r in raws]


@pytest.fixture
def relayed(world, settings):
    """Zhejiang → centre → Beijing, as the federation would carry it."""
    _as(settings, "33")
    from_zhejiang = _publish()
    assert sorted(_kinds(from_zhejiang)) == ["certificate", "certificate", "standard"]
    _as(settings, None, world.centre.credit_code)
    # The national catalogue and specifications are not what this test is about: skip signing them.
    OutboxCursor.objects.bulk_create([OutboxCursor(source=s, position=10**12) for s in ("catalogue", "specifications")])
    assert {apply_record(r) for r in from_zhejiang} == {"applied"}
    to_provinces = [r for r in _publish() if b'"kind":"certificate"' in r or b'"kind":"primary_standard"' in r]
    _as(settings, "11")
    ProvinceStatus.objects.create(code="national", institution_credit_code=world.centre.credit_code)
    assert {apply_record(r) for r in to_provinces} == {"applied"}
    yield to_provinces
    services.forget_graph()


def test_centre_relays_the_certificate_a_chain_in_another_province_rests_on(world, relayed):
    relayed_numbers = sorted(FederatedCertificate.objects.filter(province="33").values_list("number", flat=True))
    assert relayed_numbers == ["ZJ-2026-0001", "ZJ-2026-0002"]
    entry = FederatedCertificate.objects.get(number="ZJ-2026-0002")
    assert entry.item_region == "110000" and entry.standards == [world.standard_b.certificate_number]
    assert entry.upstream == [{"province": "33", "certificate": "ZJ-2026-0001"}]
    assert FederatedStandard.objects.filter(province="national", number="GJJZ-M-001", tier="primary").exists()
    chain = federated_chain("33", "ZJ-2026-0002", DAY)
    assert chain["traceable"] and chain["primary_standards"] == ["GJJZ-M-001"]
    assert [link["certificate"] for link in chain["links"]] == ["ZJ-2026-0002", "ZJ-2026-0001"]


def test_beijing_chain_continues_through_the_index_and_follows_its_validity(world, relayed):
    answer = services.item_chain(world.working, DAY)
    crossing = [link for link in answer["links"] if "federated" in link]
    assert [link["event"]["certificate_number"] for link in crossing] == ["ZJ-2026-0002"]
    assert crossing[0]["federated"]["primary_standards"] == ["GJJZ-M-001"]
    assert answer["traceable"], answer["reasons"]
    # Zhejiang revokes the certificate of its standard's device: Beijing's chain breaks there.
    FederatedCertificate.objects.filter(number="ZJ-2026-0001").update(status="revoked")
    answer = services.item_chain(world.working, DAY)
    assert not answer["traceable"]
    assert "CROSS_PROVINCE" in [r["code"] for r in answer["reasons"]]
    link = [link for link in answer["links"] if "federated" in link][0]["federated"]
    assert link["reasons"] == ["revoked"]
    # A day past the verification's validity in Zhejiang: expired.
    later = world.device_a_event.valid_until + dt.timedelta(days=1)
    assert "expired" in federated_chain("33", "ZJ-2026-0002", later)["reasons"]


def test_a_recall_in_zhejiang_reaches_beijings_instruments(world, relayed, settings):
    _as(settings, "33")
    recall = services.create_recall(world.standard_b, DAY - dt.timedelta(days=45), DAY, reason="E1 砝码期间核查失准")
    records = [r for r in _publish() if b'"kind":"recall"' in r]
    assert len(records) == 1
    _as(settings, None, world.centre.credit_code)
    sent = outbox.head()
    assert apply_record(records[0]) == "applied"
    at_centre = FederatedRecall.objects.get(province="33", reference=str(recall.pk))
    assert at_centre.certificates == ["ZJ-2026-0002"]  # Zhejiang vouches for its own certificates only
    assert at_centre.provinces == ["11"]
    notices = _publish(sent)
    assert len(notices) == 1
    _as(settings, "11")
    before = set(Recall.objects.values_list("pk", flat=True))
    assert apply_record(notices[0]) == "applied"
    reached = FederatedRecall.objects.get(province="33", reference=str(recall.pk)).reached
    assert reached["instruments"] == ["BJ-DEV-1"]
    assert reached["standards"] == [world.standard_a.certificate_number]
    local = Recall.objects.exclude(pk__in=before).get()
    assert local.standard == world.standard_a and local.affected_instruments == 1  # the working balance
    assert apply_record(notices[0]) == "duplicate"
    assert Recall.objects.exclude(pk__in=before).count() == 1
    # And the chain above Beijing's instrument is in doubt through the index.
    assert "recalled" in federated_chain("33", "ZJ-2026-0002", DAY)["reasons"]
