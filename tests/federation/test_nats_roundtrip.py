"""One round trip through the local NATS server (127.0.0.1:4222) with JetStream: Zhejiang's
records published to a stream of their own (a unique name and subject, deleted afterwards),
with the record id as JetStream's message id, so a re-publication is dropped by the server
and a redelivery by apply_record; the centre pulls, applies and acknowledges."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from jiliang.federation import outbox
from jiliang.federation.apply import apply_record
from jiliang.federation.models import ProvinceStatus
from jiliang.federation.records import peek

pytestmark = pytest.mark.django_db
NATS_URL = "nats://127.0.0.1:4222"


def _nats_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=0.5):
            return True
    except OSError:
        return False


async def _round_trip(raws: list[bytes], stream: str, subject: str) -> tuple[int, list[bytes]]:
    import nats

    nc = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[subject])
        try:
            for _ in range(2):  # the second pass is a re-publication after a cut
                for raw in raws:
                    await js.publish(subject, raw, headers={"Nats-Msg-Id": peek(raw)["record_id"]})
            info = await js.stream_info(stream)
            sub = await js.pull_subscribe(subject, durable="centre", stream=stream)
            messages = await sub.fetch(len(raws) * 2, timeout=2)
            received = [m.data for m in messages]
            for m in messages:
                await m.ack()
            return info.state.messages, received
        finally:
            await js.delete_stream(stream)
    finally:
        await nc.close()


def test_records_cross_jetstream_once(world, settings):
    pytest.importorskip("nats", reason="nats-py not installed")
    if not _nats_listening():
        pytest.skip("no NATS server at 127.0.0.1:4222")
    settings.JILIANG_NATIONAL, settings.JILIANG_PROVINCE = False, "33"
    raws = [raw for _, raw in outbox.pending_records(0)]
    token = uuid.uuid4().hex[:12]
    stored, received = asyncio.run(_round_trip(raws, f"FED_TEST_{token}", f"jiliang.fedtest.{token}.33.changes"))
    assert stored == len(raws) == 3  # the re-publication was dropped by the message id
    settings.JILIANG_NATIONAL = True
    assert [apply_record(raw) for raw in received] == ["applied"] * 3
    assert [apply_record(raw) for raw in received] == ["duplicate"] * 3  # a redelivery changes nothing
    assert ProvinceStatus.objects.get(code="33").applied_through == 3
