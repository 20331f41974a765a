"""The ingest worker: consume telemetry from a broker, hand batches to the pipeline, and
acknowledge each message only after its batch has committed.

MQTT (Mosquitto). MQTT v5, QoS 1, a fixed client id with ``clean_start=False`` and a
session expiry, so the broker keeps the subscription and queues messages while the worker
is down; paho's manual acknowledgement sends each PUBACK after the commit, so a worker
killed mid-batch gets the uncommitted messages again (and the pipeline's (device, seq)
deduplication drops those it had stored).

Why a worker stalled after exactly 65,535 queued messages, and why this one does not:
QoS 1 messages in flight to a client are identified by a 16-bit packet identifier
(1…65,535), and a broker may have at most the client's Receive Maximum unacknowledged
PUBLISHes outstanding — 65,535 when an MQTT 5 client states none (and Mosquitto's
``max_inflight_messages 0`` lifts its own cap of 20). A consumer that withholds PUBACKs
until a batch "fills", or that only looks at its clock when a message arrives, therefore
receives 65,535 messages and then nothing more: the broker waits for acknowledgements
and the consumer waits for messages. A publisher hits the same wall: paho refuses the
65,536th unacknowledged QoS 1 publish (``MQTT_ERR_QUEUE_SIZE``, its packet identifiers
are exhausted). This worker (1) states a bounded Receive Maximum (default 4 × batch
size, never above 65,535), (2) flushes on a timer independent of message arrival, so a
partial batch is committed and acknowledged within ``flush_interval`` seconds, and
(3) drops acknowledgements from a previous connection (the broker redelivers those
messages on the new one). The backlog itself stays in the broker's queue, not in flight.

NATS JetStream: devices publish to NATS's MQTT listener (subjects ``jiliang.t.<code>.up``);
the worker pulls from a durable consumer on the stream and acks after commit.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.db import close_old_connections

from . import protocol
from .pipeline import Pipeline

log = logging.getLogger("jiliang.ingest")

SESSION_EXPIRY_S = 7 * 24 * 3600
NATS_STREAM = "JILIANG_TELEMETRY"
NATS_SUBJECTS = "jiliang.t.>"


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    alerts_created: int = 0
    batches: int = 0
    started: float = field(default_factory=time.time)

    def add(self, n, result):
        self.received += n
        self.stored += result.stored
        self.duplicates += result.duplicates
        self.rejected += sum(result.rejected.values())
        self.alerts_created += result.alerts_created
        self.batches += 1

    def as_json(self) -> dict:
        elapsed = max(time.time() - self.started, 1e-9)
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates, "rejected": self.rejected,
                "alerts_created": self.alerts_created, "batches": self.batches, "seconds": round(elapsed, 3),
                "stored_per_s": round(self.stored / elapsed, 1)}


def parse_broker(url: str) -> tuple[str, str, int]:
    u = urlparse(url)
    if u.scheme not in ("mqtt", "nats") or not u.hostname:
        raise ValueError(f"broker: expected mqtt://host:port or nats://host:port, got {url!r}")
    return u.scheme, u.hostname, u.port or (1883 if u.scheme == "mqtt" else 4222)


class MqttIngest:
    def __init__(self, host: str, port: int, *, topic: str = protocol.TOPIC_FILTER, client_id: str = "jiliang-ingest",
                 batch_size: int = 2000, flush_interval: float = 0.05, receive_maximum: int | None = None,
                 pipeline: Pipeline | None = None, on_batch=None):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.mqtt = mqtt
        self.host, self.port, self.topic = host, port, topic
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.receive_maximum = min(receive_maximum or 4 * batch_size, 65535)
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()
        self.inbox: collections.deque = collections.deque()
        self.generation = 0
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.manual_ack_set(True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.1, 2.0)

    def _connect_properties(self):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = self.receive_maximum
        return props

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        self.generation += 1
        from paho.mqtt.subscribeoptions import SubscribeOptions

        client.subscribe(self.topic, options=SubscribeOptions(qos=1))
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()

    def _on_message(self, client, userdata, message):
        self.inbox.append((self.generation, message.mid, message.payload, time.time()))

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=self._connect_properties())
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def flush(self) -> int:
        """Store up to one batch from the inbox, then acknowledge it. Returns the count."""
        n = min(len(self.inbox), self.batch_size)
        if n == 0:
            return 0
        items = [self.inbox.popleft() for _ in range(n)]
        result = self.pipeline.handle([(payload, received) for _, _, payload, received in items])
        self.stats.add(n, result)
        current = self.generation
        for generation, mid, _, _ in items:
            if generation == current:  # an older connection's message will come again
                self.client.ack(mid, 1)
        if self.on_batch is not None:
            self.on_batch(result, items)
        return n

    def run(self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None) -> IngestStats:
        """Consume until ``stop`` is set, ``seconds`` pass, or nothing arrived for ``idle_exit`` seconds."""
        self.start()
        deadline = None if seconds is None else time.time() + seconds
        last_activity = time.time()
        next_flush = time.time() + self.flush_interval
        try:
            while not (stop is not None and stop.is_set()):
                now = time.time()
                if deadline is not None and now >= deadline:
                    break
                if len(self.inbox) >= self.batch_size or (self.inbox and now >= next_flush):
                    self.flush()
                    last_activity = time.time()
                    next_flush = last_activity + self.flush_interval
                    continue
                if not self.inbox:
                    next_flush = now + self.flush_interval
                    if idle_exit is not None and now - last_activity > idle_exit:
                        break
                time.sleep(min(self.flush_interval / 5, 0.01))
            while self.inbox:
                self.flush()
        finally:
            self.stop()
            close_old_connections()
        return self.stats


class NatsIngest:
    """Pull from a durable JetStream consumer; ack each message after its batch commits."""

    def __init__(self, host: str, port: int, *, subject: str = NATS_SUBJECTS, durable: str = "jiliang-ingest",
                 batch_size: int = 2000, pipeline: Pipeline | None = None, on_batch=None):
        self.url = f"nats://{host}:{port}"
        self.subject, self.durable, self.batch_size = subject, durable, batch_size
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()

    def run(self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None) -> IngestStats:
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        # The ORM is synchronous: every batch runs on one dedicated thread (one connection).
        executor = ThreadPoolExecutor(max_workers=1)

        async def main():
            import nats
            from nats.errors import TimeoutError as NatsTimeout

            nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
            js = nc.jetstream()
            await ensure_stream(js)
            sub = await js.pull_subscribe(self.subject, durable=self.durable, stream=NATS_STREAM)
            loop = asyncio.get_running_loop()
            deadline = None if seconds is None else time.time() + seconds
            last = time.time()
            try:
                while not (stop is not None and stop.is_set()) and (deadline is None or time.time() < deadline):
                    try:
                        msgs = await sub.fetch(self.batch_size, timeout=0.05)
                    except NatsTimeout:
                        msgs = []
                    if not msgs:
                        if idle_exit is not None and time.time() - last > idle_exit:
                            break
                        continue
                    now = time.time()
                    items = [(m.data, now) for m in msgs]
                    result = await loop.run_in_executor(executor, self.pipeline.handle, items)
                    self.stats.add(len(msgs), result)
                    await asyncio.gather(*(m.ack() for m in msgs))
                    if self.on_batch is not None:
                        self.on_batch(result, items)
                    last = time.time()
            finally:
                await nc.drain()

        try:
            asyncio.run(main())
        finally:
            executor.submit(close_old_connections).result()
            executor.shutdown()
        return self.stats


async def ensure_stream(js) -> None:
    """Create the telemetry stream if it does not exist (file storage, limits retention)."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(NATS_STREAM)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=NATS_STREAM, subjects=[NATS_SUBJECTS]))


def nats_subject(device_code: str) -> str:
    """The NATS subject of a device's MQTT topic (NATS maps '/' to '.')."""
    return protocol.topic_for(device_code).replace("/", ".")


def to_json(stats: IngestStats) -> str:
    return json.dumps(stats.as_json())
