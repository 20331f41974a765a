"""The NATS JetStream path: a private nats-server with JetStream; a worker that dies before
committing a batch gets it again (no ack) and the store ends with every message once."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time

import pytest

from jiliang.supervision.telemetry.simulator import NatsPublisher, SimDevice, simulate

from .conftest import free_port, port_open, wait_for

pytestmark = pytest.mark.django_db
NATS_SERVER = shutil.which("nats-server") or ("/usr/sbin/nats-server" if shutil.os.path.exists("/usr/sbin/nats-server") else None)


@pytest.fixture
def nats_port():
    pytest.importorskip("nats", reason="nats-py not installed")
    if NATS_SERVER is None:
        pytest.skip("nats-server binary not found")
    store = tempfile.mkdtemp(prefix="jiliang-nats-")
    port = free_port()
    proc = subprocess.Popen(
        [NATS_SERVER, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: port_open("127.0.0.1", port), 60, "nats-server to listen")
    yield port
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(store, ignore_errors=True)


class Crash(Exception):
    pass


def test_jetstream_worker_redelivers_an_uncommitted_batch_once(nats_port, fleet):
    from jiliang.supervision.telemetry.models import DeviceEvent, Reading
    from jiliang.supervision.telemetry.pipeline import Pipeline
    from jiliang.supervision.telemetry.worker import NatsIngest

    devices = [SimDevice(d.code, d.key, d.kind, 1000.0) for d in fleet]
    total = 3000
    pub = NatsPublisher("127.0.0.1", nats_port)
    simulate(devices, publisher=pub, rate=0, messages=total, fraud_share=0.1, seed=5, first_seq=500_000)
    pub.close()

    class DiesOnSecondBatch(Pipeline):
        calls = 0

        def handle(self, messages):
            DiesOnSecondBatch.calls += 1
            if DiesOnSecondBatch.calls == 2:
                raise Crash("worker died before the commit")
            return super().handle(messages)

    first = NatsIngest("127.0.0.1", nats_port, durable="test-worker", batch_size=500, pipeline=DiesOnSecondBatch(), ack_wait=1.0)
    with pytest.raises(Crash):
        first.run(seconds=120)
    # A fetch returns what the stream has ready (at most a batch): the first batch was
    # committed and acknowledged, the second died before its commit.
    committed = first.stats.stored
    assert first.stats.batches == 1 and 0 < committed <= 500
    second = NatsIngest("127.0.0.1", nats_port, durable="test-worker", batch_size=500, ack_wait=1.0)
    stats = second.run(idle_exit=3, seconds=180)
    ids = [d.pk for d in fleet]
    rows = list(Reading.objects.filter(device_id__in=ids, seq__gte=500_000).values_list("device_id", "seq")) + list(
        DeviceEvent.objects.filter(device_id__in=ids, seq__gte=500_000).values_list("device_id", "seq")
    )
    assert len(rows) == len(set(rows)) == total
    assert stats.stored == total - committed


def test_worker_widens_an_existing_consumer_window(nats_port, fleet):
    """A durable created elsewhere with the server's default max_ack_pending (1,000) would
    cap every fetch at 1,000 unacknowledged: the worker raises it to 4 × its batch."""
    import asyncio

    import nats
    from nats.js.api import ConsumerConfig

    from jiliang.supervision.telemetry.brokers import NATS_STREAM, NATS_SUBJECTS, ensure_stream
    from jiliang.supervision.telemetry.worker import NatsIngest

    async def consumer(create: bool):
        nc = await nats.connect(f"nats://127.0.0.1:{nats_port}")
        js = nc.jetstream()
        await ensure_stream(js)
        if create:
            await js.add_consumer(NATS_STREAM, ConsumerConfig(durable_name="narrow", filter_subject=NATS_SUBJECTS))
        info = await js.consumer_info(NATS_STREAM, "narrow")
        await nc.close()
        return info.config.max_ack_pending

    assert asyncio.run(consumer(True)) == 1000
    devices = [SimDevice(d.code, d.key, d.kind, 1000.0) for d in fleet]
    pub = NatsPublisher("127.0.0.1", nats_port)
    simulate(devices, publisher=pub, rate=0, messages=300, fraud_share=0.0, seed=7, first_seq=700_000)
    pub.close()
    stats = NatsIngest("127.0.0.1", nats_port, durable="narrow", batch_size=1000).run(idle_exit=1.0, seconds=60)
    assert stats.stored == 300
    assert asyncio.run(consumer(False)) == 4000


def test_a_clean_stop_loses_and_doubles_nothing(nats_port, fleet):
    """The worker fetches the next batch while it stores one; stopped cleanly it naks that
    prefetched batch (anything else it was sent but never stored comes again after
    ack_wait), and the next worker stores every message exactly once."""
    import threading

    from jiliang.supervision.telemetry.models import DeviceEvent, Reading
    from jiliang.supervision.telemetry.worker import NatsIngest

    devices = [SimDevice(d.code, d.key, d.kind, 1000.0) for d in fleet]
    total = 3000
    pub = NatsPublisher("127.0.0.1", nats_port)
    simulate(devices, publisher=pub, rate=0, messages=total, fraud_share=0.0, seed=9, first_seq=800_000)
    pub.close()
    stop = threading.Event()
    first = NatsIngest(
        "127.0.0.1", nats_port, durable="stopping", batch_size=500, ack_wait=2.0, on_batch=lambda result, items: stop.set()
    )
    first.run(stop=stop, seconds=60)
    assert first.stats.batches == 1
    started = time.time()
    second = NatsIngest("127.0.0.1", nats_port, durable="stopping", batch_size=500, ack_wait=2.0).run(idle_exit=4.0, seconds=60)
    assert first.stats.stored + second.stored == total
    assert time.time() - started < 30
    ids = [d.pk for d in fleet]
    rows = list(Reading.objects.filter(device_id__in=ids, seq__gte=800_000).values_list("device_id", "seq")) + list(
        DeviceEvent.objects.filter(device_id__in=ids, seq__gte=800_000).values_list("device_id", "seq")
    )
    assert len(rows) == len(set(rows)) == total
