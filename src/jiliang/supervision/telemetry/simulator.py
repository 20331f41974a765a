"""Publish realistic signed telemetry for registered devices, with injected frauds
(``jiliang simulate``; also the load of the ingest benchmark and the fault tests).

The MQTT publisher keeps its unacknowledged QoS 1 messages well under the 65,535 packet
identifiers (it waits when ``max_outstanding`` are unacknowledged); paho would refuse the
65,536th with MQTT_ERR_QUEUE_SIZE.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from jiliang.core.detectors.simulate import telemetry_messages
from jiliang.registry.models import Instrument

from . import protocol
from .brokers import ensure_stream, parse_broker
from .models import Device
from .mqttwire import BulkPublisher
from .services import KIND_OF_CATALOG, register_device


@dataclass
class SimDevice:
    code: str
    key: str
    kind: str
    verified_k: float


class MqttPublisher(BulkPublisher):
    """QoS 1 publisher for the simulator: a plain-socket MQTT client (see
    :mod:`.mqttwire` for why not paho) with at most ``max_outstanding`` messages
    unacknowledged, well under the 65,535 packet identifiers."""

    def __init__(self, host: str, port: int, *, client_id: str = "", max_outstanding: int = 20000):
        super().__init__(host, port, client_id=client_id, window=max_outstanding)


class NatsPublisher:
    """JetStream publisher on a private event loop thread (nats-py is asyncio).

    Every message is published with a JetStream acknowledgement and a message id (a hash of
    the signed body), so ``acked`` counts exactly what the stream stored. When the broker
    goes away, nats-py reconnects (``reconnect_for`` seconds at most); the messages whose
    acknowledgement did not come are published again, and the stream's duplicate window
    stores a message that did arrive only once. A broker that stays away ends the run with
    a ConnectionError giving the counts, never a traceback.
    """

    def __init__(self, host: str, port: int, *, reconnect_for: float = 60.0, window: int = 1000, ack_timeout: float = 2.0):
        import nats

        self.url = f"nats://{host}:{port}"
        self.reconnect_for, self.window, self.ack_timeout = reconnect_for, window, ack_timeout
        self.acked = 0  # messages the stream acknowledged (a retried duplicate counts once)
        self.reconnects = 0
        self.unsent: list = []
        self.last_error: BaseException | None = None
        self.pending: list = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def on_error(exc):  # nats-py's default logs a traceback for every reconnect attempt
            self.last_error = exc

        async def on_reconnect():
            self.reconnects += 1

        async def connect():
            nc = await nats.connect(
                self.url,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                connect_timeout=2,
                error_cb=on_error,
                reconnected_cb=on_reconnect,
            )
            await ensure_stream(nc.jetstream())
            return nc

        try:
            self.nc = asyncio.run_coroutine_threadsafe(connect(), self.loop).result(15)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the broker is one line
            self._stop_loop()
            raise ConnectionError(f"broker {self.url}: cannot connect ({exc or type(exc).__name__})") from None
        self.js = self.nc.jetstream()

    def publish(self, topic: str, payload: bytes) -> None:
        self.pending.append((topic.replace("/", "."), payload, hashlib.blake2b(payload, digest_size=16).hexdigest()))
        if len(self.pending) >= self.window:
            self._drain()

    def flush(self) -> None:
        self._drain()

    def _drain(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            asyncio.run_coroutine_threadsafe(self._send(batch), self.loop).result()

    async def _send(self, batch: list) -> None:
        todo, deadline = batch, None
        while todo:
            results = await asyncio.gather(
                *(
                    self.js.publish(subject, payload, timeout=self.ack_timeout, headers={"Nats-Msg-Id": msg_id})
                    for subject, payload, msg_id in todo
                ),
                return_exceptions=True,
            )
            failed = [message for message, result in zip(todo, results) if isinstance(result, BaseException)]
            self.acked += len(todo) - len(failed)
            if not failed:
                return
            self.last_error = next(r for r in results if isinstance(r, BaseException))
            deadline = deadline or time.monotonic() + self.reconnect_for
            if time.monotonic() >= deadline:
                self.unsent = failed
                raise ConnectionError(
                    f"broker {self.url}: unreachable for {self.reconnect_for:g} s; {self.acked} messages "
                    f"acknowledged, {len(failed) + len(self.pending)} not "
                    f"(last error: {self.last_error or type(self.last_error).__name__})"
                )
            await asyncio.sleep(0.2)
            todo = failed

    def close(self, timeout: float = 60.0) -> None:
        try:
            self._drain()
        finally:
            try:
                asyncio.run_coroutine_threadsafe(self.nc.close(), self.loop).result(timeout)
            except Exception:  # noqa: BLE001 - closing a connection to a broker that is gone
                pass
            self._stop_loop()

    def _stop_loop(self) -> None:
        """Stop the private loop after cancelling what nats-py leaves on it (its reply
        subscription's reader), so no task is destroyed pending when the loop is closed."""

        async def cancel_the_rest():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(cancel_the_rest(), self.loop).result(5)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self.thread.join(5)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()


def publisher_for(url: str):
    scheme, host, port = parse_broker(url)
    return MqttPublisher(host, port) if scheme == "mqtt" else NatsPublisher(host, port)


@dataclass
class SimulationReport:
    published: int = 0
    frauds: list = field(default_factory=list)  # (device code, seq) of the messages carrying a fraud
    seconds: float = 0.0
    publish_times: dict = field(default_factory=dict)  # (device code, seq) → publish time, when asked for

    def as_json(self) -> dict:
        return {
            "published": self.published,
            "fraud_messages": len(self.frauds),
            "seconds": round(self.seconds, 3),
            "rate_per_s": round(self.published / max(self.seconds, 1e-9), 1),
        }


def simulate(
    devices: list[SimDevice],
    *,
    publisher,
    rate: float,
    seconds: float | None = None,
    messages: int | None = None,
    fraud_share: float = 0.05,
    seed: int = 0,
    first_seq: int = 1,
    record_times: bool | dict = False,
    start_time: float | None = None,
    binary: bool = False,
) -> SimulationReport:
    """Publish ``rate`` messages per second (0: as fast as possible) round-robin over the
    devices until ``seconds`` pass or ``messages`` are sent. Device clocks read
    ``start_time`` + elapsed (default: now). ``binary``: the compact binary form instead of JSON."""
    if not devices:
        raise ValueError("devices: no registered devices to simulate")
    if seconds is None and messages is None:
        raise ValueError("seconds: give a duration or a message count")
    rng = np.random.default_rng(seed)
    n = len(devices)
    kinds = np.array([d.kind for d in devices])
    fraud = rng.random(n) < fraud_share
    k = np.array([d.verified_k or 1000.0 for d in devices])
    seq = np.full(n, first_seq, dtype=np.int64)
    register = rng.uniform(100, 1000, n)
    report = SimulationReport()
    if isinstance(record_times, dict):  # the caller's dict, filled as messages go out (for live latency)
        report.publish_times = record_times
    record = isinstance(record_times, dict) or bool(record_times)
    t0 = time.time()
    clock0 = start_time if start_time is not None else t0
    topics = [protocol.topic_for(d.code) for d in devices]
    encode = protocol.encode_binary if binary else protocol.encode
    while True:
        elapsed = time.time() - t0
        if seconds is not None and elapsed >= seconds:
            break
        if messages is not None and report.published >= messages:
            break
        bodies, truth = telemetry_messages(rng, kinds, fraud, k, seq, clock0 + elapsed, register)
        if messages is not None:
            bodies = bodies[: messages - report.published]
        for i, body in bodies:
            dev = devices[i]
            body["d"] = dev.code
            now = time.time()
            if record:
                report.publish_times[(dev.code, body["seq"])] = now
            publisher.publish(topics[i], encode(body, dev.key))
            report.published += 1
            if rate > 0:
                ahead = report.published / rate - (time.time() - t0)
                if ahead > 0.002:
                    publisher.flush()  # a paced message must not wait in the buffer
                    time.sleep(ahead)
        sent = {i for i, _ in bodies}
        report.frauds += [(devices[i].code, s) for i, s in truth if i in sent]
    publisher.flush()
    report.seconds = time.time() - t0
    return report


def load_devices(count: int, register: bool = False) -> list[SimDevice]:
    """The first ``count`` active devices; with ``register``, register devices on
    instruments of the telemetry kinds until there are ``count``."""

    rows = list(Device.objects.filter(active=True).order_by("id")[:count])
    if register and len(rows) < count:
        taken = Device.objects.values_list("instrument_id", flat=True)
        candidates = (
            Instrument.objects.filter(catalog_item__code__in=list(KIND_OF_CATALOG))
            .exclude(pk__in=taken)
            .select_related("catalog_item")
            .order_by("id")[: count - len(rows)]
        )
        for inst in candidates:
            rows.append(register_device(inst, verified_k=1000.0, software_id="V2.1", software_checksum="a1b2c3d4"))
    return [SimDevice(d.code, d.key, d.kind, d.verified_k or 1000.0) for d in rows]
