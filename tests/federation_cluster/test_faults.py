"""Faults on the local federation (issue 26, bars): a centre node killed mid-stream, a
province's leaf node cut and restored, the national consumer stopped mid-apply — after each,
every change published is applied exactly once, counted against what was published: the
centre's applied-record ids are exactly the published ids, the province's high-water mark is
the last seq, the stream stored each record once.

The records are real: signed by each simulated province's institution and verified by the
centre's ``apply_record`` against the enrolled trust anchors. The centre's consumer runs in
the test's thread (its database connection is the test's); the NATS servers are real
processes, killed and restarted. Waits are on states, never fixed sleeps."""

from __future__ import annotations

import threading
import time

import pytest

from jiliang.federation import transport
from jiliang.federation.simulate import day_of_changes, national_records

from .conftest import stream_leader, stream_state

pytestmark = pytest.mark.django_db

N = 150  # records per province and test: several consumer batches; apply_record costs ~7 ms of CPU each


@pytest.fixture(scope="module")
def records(provinces):
    return {code: day_of_changes(provinces[code], certificates=N - 4, coverage_snapshots=4) for code in ("33", "44")}


class Outbox:
    """A province's outbox as the transport sees it: ``pending(after_seq)``; records are
    added to it as the province makes them."""

    def __init__(self, records, available: int):
        self.records, self.available = records, available

    def pending(self, after: int):
        return [r for r in self.records[: self.available] if r.seq > after]


def applied_ids(province: str) -> list[str]:
    from jiliang.federation.models import AppliedRecord

    return sorted(AppliedRecord.objects.filter(province=province).values_list("record_id", flat=True))


def assert_exactly_once(federation, province: str, published) -> None:
    from jiliang.federation.models import ProvinceStatus, RefusedRecord

    assert applied_ids(province) == sorted(r.id for r in published)
    status = ProvinceStatus.objects.get(code=province)
    assert status.applied_through == len(published) and status.applied_count == len(published)
    assert not RefusedRecord.objects.exists()
    subject = transport.changes_subject(province)
    assert stream_state(federation, subject=subject).subjects == {subject: len(published)}  # stored once each


def in_thread(target, *args, **kwargs):
    outcome: dict = {}

    def body():
        try:
            outcome["result"] = target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, outcome


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def test_a_centre_node_killed_mid_stream_loses_and_doubles_nothing(streams, enrolled, records):
    federation = streams
    published = records["33"]
    outbox = Outbox(published, len(published))
    publisher, outcome = in_thread(
        transport.publish_outbox,
        federation.leaf_url("33"),
        origin="33",
        pending=outbox.pending,
        once=True,
        window=64,
        ack_timeout=1.0,
    )
    victim: dict = {}

    def kill_the_leader_a_third_of_the_way(stats):
        if not victim and stats.handled >= N // 3:
            victim["name"] = stream_leader(federation)
            federation.stop_server(victim["name"], kill=True)  # SIGKILL: the node crashes
        return stats.handled >= N and not publisher.is_alive()

    consumer = transport.Consumer(federation.centre_urls, batch=24, ack_wait=2.0)
    stats = consumer.run(until=kill_the_leader_a_third_of_the_way, seconds=40)
    publisher.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert victim and stats.applied == N and stats.refused == 0
    assert outcome["result"].acked == N
    assert_exactly_once(federation, "33", published)
    federation.start_server(victim["name"])  # the module's cluster whole again for the next test


def test_a_cut_leaf_node_catches_up_from_where_it_stopped_both_ways(streams, enrolled, records, provinces):
    federation = streams
    published = records["44"]
    outbox = Outbox(published, N // 2)  # the province made half its day's records before the cut
    stop_first = threading.Event()
    first, first_outcome = in_thread(
        transport.publish_outbox,
        federation.leaf_url("44"),
        origin="44",
        pending=outbox.pending,
        poll=0.05,
        window=32,
        stop=stop_first,
    )
    national = national_records(provinces["national"], 12)
    steps: dict = {}

    def cut_then_restore():
        wait_for(lambda: stream_state(federation).messages >= N // 4, 20, "a quarter of the records stored")
        federation.stop_server("leaf-44")  # the province is cut off
        outbox.available = N  # ... and goes on making records
        # The centre publishes back while the province is away.
        steps["national"] = transport.publish_outbox(
            federation.centre_urls, origin="national", pending=lambda after: [r for r in national if r.seq > after], once=True
        )
        stop_first.set()  # the province's publisher is restarted too: the next one asks where it stopped
        first.join(20)
        steps["stored_during_cut"] = stream_state(federation).messages
        federation.start_server("leaf-44")
        steps["second"] = transport.publish_outbox(federation.leaf_url("44"), origin="44", pending=outbox.pending, once=True)

    controller, outcome = in_thread(cut_then_restore)
    consumer = transport.Consumer(federation.centre_urls, batch=24)
    stats = consumer.run(until=lambda s: s.handled >= N and not controller.is_alive(), seconds=40)
    controller.join(10)
    assert "error" not in outcome and "error" not in first_outcome, outcome.get("error") or first_outcome.get("error")
    assert N // 4 <= steps["stored_during_cut"] < N  # the cut held records back: the rest came after it
    # The second publisher began after the last record the stream held, and sent each of the rest once.
    assert steps["second"].acked == N - steps["stored_during_cut"] and steps["second"].duplicates == 0
    assert stats.applied == N and stats.duplicate == 0
    assert_exactly_once(federation, "44", published)

    # The province consumes what the centre published while it was cut off, through its leaf.
    from jiliang.federation.models import AppliedRecord, FederatedStandard

    back = transport.Consumer(
        federation.leaf_url("44"),
        stream=transport.NATIONAL_STREAM,
        subjects=transport.NATIONAL_SUBJECTS,
        durable="province-44",
        batch=8,
    )
    received = back.run(until=lambda s: s.handled >= len(national), seconds=20)
    assert received.applied == len(national) and steps["national"].acked == len(national)
    assert AppliedRecord.objects.filter(province="national").count() == len(national)
    assert FederatedStandard.objects.filter(province="national", tier="primary").count() == len(national)


class Crash(Exception):
    """The consumer process dies here."""


def province_row(province: str) -> dict:
    return next(row for row in transport.run_status()["provinces"] if row["province"] == province)


def test_the_national_consumer_stopped_mid_apply_applies_each_change_once(streams, enrolled, records, settings):
    federation = streams
    settings.JILIANG_FEDERATION_NATS = ",".join(federation.centre_urls)
    published = records["33"]
    stats = transport.publish_outbox(
        federation.leaf_url("33"), origin="33", pending=Outbox(published, len(published)).pending, once=True
    )
    assert stats.acked == N
    batch = 25

    def crash_on(batch_number: int, *, after_commit: bool):
        calls = {"n": 0}

        def apply_batch(raws):
            calls["n"] += 1
            if calls["n"] == batch_number and not after_commit:
                from django.db import transaction

                with transaction.atomic():
                    transport.apply_in_one_transaction(raws[: len(raws) // 2])  # half the batch written...
                    raise Crash("died before the commit")  # ... and rolled back with the transaction
            outcomes = transport.apply_in_one_transaction(raws)
            if calls["n"] == batch_number:
                raise Crash("died after the commit, before the ack")
            return outcomes

        return apply_batch

    # First run: dies after committing its third batch, before acking it.
    first = transport.Consumer(federation.centre_urls, batch=batch, ack_wait=1.5, apply_batch=crash_on(3, after_commit=True))
    with pytest.raises(Crash):
        first.run(seconds=30)
    assert first.stats.applied == 2 * batch  # the third batch's outcomes were never counted: it died first
    assert len(applied_ids("33")) == 3 * batch  # ... but it was committed
    # The centre's status: the stream holds all N, the high-water mark is 3 batches in.
    assert province_row("33") == {"province": "33", "published": N, "applied": 3 * batch, "lag": N - 3 * batch}
    # Second run: dies inside its second batch's transaction (half of it written, rolled back).
    second = transport.Consumer(federation.centre_urls, batch=batch, ack_wait=1.5, apply_batch=crash_on(2, after_commit=False))
    with pytest.raises(Crash):
        second.run(seconds=30)
    assert len(applied_ids("33")) == 3 * batch + second.stats.applied  # nothing of the crashed batch stayed
    # Third run: whatever was not acked comes again; the committed batch as "duplicate", the rest applies.
    third = transport.Consumer(federation.centre_urls, batch=batch, ack_wait=1.5)
    earlier = first.stats.applied + second.stats.applied

    def all_in(s):
        return earlier + s.applied >= N - batch and second.stats.duplicate + s.duplicate >= batch

    done = third.run(until=all_in, seconds=30)
    assert first.stats.applied + second.stats.applied + done.applied == N - batch  # the committed batch was never re-applied
    assert second.stats.duplicate + done.duplicate == batch and done.refused == 0
    assert_exactly_once(federation, "33", published)
    assert province_row("33")["lag"] == 0


def test_the_command_loops_consume_and_report_the_lag(streams, enrolled, records, settings, capsys):
    """`jiliang federation status --nats` and `consume --nats --once` on the centre."""
    import json

    from django.core.management import call_command

    federation = streams
    settings.JILIANG_NATIONAL, settings.JILIANG_FEDERATION_NATS = True, ",".join(federation.centre_urls)
    published = records["44"][:30]
    transport.publish_outbox(federation.leaf_url("44"), origin="44", pending=Outbox(published, 30).pending, once=True)
    capsys.readouterr()
    call_command("federation", "status", "--nats")
    table = capsys.readouterr().err
    assert "44 广东省" in table and "30" in table and province_row("44")["lag"] == 30
    call_command("federation", "consume", "--nats", "--once")
    assert json.loads(capsys.readouterr().out) == {"applied": 30, "duplicate": 0, "refused": 0}
    assert province_row("44") == {"province": "44", "published": 30, "applied": 30, "lag": 0}
