"""The NATS simulator survives a broker restart (issue 16, item 12): a private nats-server
with JetStream (its own port and store directory, never the system one) is stopped and
started again in the middle of a run; the publisher reconnects, publishes every message
with a JetStream acknowledgement (a message id lets a retried message be stored once), and
reports exactly how many messages the stream acknowledged. The stream then holds exactly
those messages: none lost, none doubled."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from jiliang.supervision.telemetry.brokers import NATS_STREAM
from jiliang.supervision.telemetry.simulator import NatsPublisher, SimDevice, simulate

from .conftest import free_port, port_open, wait_for

NATS_SERVER = shutil.which("nats-server") or ("/usr/sbin/nats-server" if shutil.os.path.exists("/usr/sbin/nats-server") else None)


class PrivateNats:
    """nats-server -js on a free port with its own store directory; restartable on the same port."""

    def __init__(self):
        self.store = tempfile.mkdtemp(prefix="jiliang-nats-restart-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open("127.0.0.1", self.port), 60, "nats-server to listen")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.stop()
        shutil.rmtree(self.store, ignore_errors=True)


@pytest.fixture
def nats():
    pytest.importorskip("nats", reason="nats-py not installed")
    if NATS_SERVER is None:
        pytest.skip("nats-server binary not found")
    server = PrivateNats()
    server.start()
    yield server
    server.close()


def stream_count(port: int) -> int:
    import nats as nats_client

    async def count():
        nc = await nats_client.connect(f"nats://127.0.0.1:{port}")
        try:
            return (await nc.jetstream().stream_info(NATS_STREAM)).state.messages
        finally:
            await nc.close()

    return asyncio.run(count())


def test_a_broker_restart_mid_run_loses_and_doubles_nothing_and_the_count_is_exact(nats, capfd):
    devices = [
        SimDevice(f"SIM-{kind}-{i}", "ab" * 16, kind, 1000.0)
        for kind in ("sale", "trip", "session", "reading", "scale")
        for i in range(4)
    ]
    total = 6000
    publisher = NatsPublisher("127.0.0.1", nats.port, reconnect_for=60.0)
    outcome: dict = {}

    def run():
        try:
            outcome["report"] = simulate(devices, publisher=publisher, rate=1500, messages=total, seed=3, first_seq=1)
            publisher.close()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    wait_for(lambda: publisher.acked >= 1500, 60, "a quarter of the messages to be acknowledged")
    nats.stop()
    time.sleep(1.5)  # the run goes on while the broker is away
    assert publisher.acked < total
    nats.start()
    worker.join(180)
    assert not worker.is_alive() and "error" not in outcome, outcome.get("error")
    assert outcome["report"].published == total
    assert publisher.acked == total and publisher.reconnects >= 1
    assert stream_count(nats.port) == total  # every message stored, once
    assert "Traceback" not in capfd.readouterr().err


def test_a_broker_that_does_not_come_back_is_reported_with_the_exact_count(nats):
    devices = [SimDevice("SIM-sale-0", "ab" * 16, "sale", 1000.0)]
    publisher = NatsPublisher("127.0.0.1", nats.port, reconnect_for=3.0)
    simulate(devices, publisher=publisher, rate=0, messages=200, seed=1, first_seq=1)
    publisher.flush()
    assert publisher.acked == 200
    nats.stop()
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"unreachable for 3 s; 200 messages acknowledged, 50 not"):
        simulate(devices, publisher=publisher, rate=0, messages=50, seed=1, first_seq=201)
    assert time.monotonic() - started < 15
    assert publisher.acked == 200 and len(publisher.unsent) == 50
    publisher.close()  # nothing left to send; the connection is closed without a second error
