"""The ingest worker: consume telemetry from a broker, hand batches to the pipeline, and
acknowledge each message only after its batch has committed.

MQTT (Mosquitto). MQTT 5, QoS 1, a fixed client id with clean start off and a session
expiry, so the broker keeps the subscription and queues messages while the worker is
down. PUBACKs go out after the commit, so a worker killed mid-batch gets the uncommitted
messages again, and the pipeline's (device, seq) deduplication drops those it had
stored. The client is :class:`.mqttwire.Subscriber` (paho costs more CPU per message
than the pipeline; see there).

Why a subscriber stalls after exactly 65,535 queued messages, and why this one does not.
Measured here with Mosquitto 2.0.11 and paho 2.2.0 (tests/supervision/test_broker.py,
benchmarks/bench_ingest.py):

- QoS 1 messages in flight to a client are named by a 16-bit packet identifier, and the
  broker sends at most the client's Receive Maximum of them unacknowledged (MQTT 5
  §3.1.2.11.3 / §4.9; 65,535 is the largest value, the whole identifier space).
  Mosquitto applies it with ``max_inflight_messages 0`` (its own default cap is 20).
- A consumer that acknowledges only after storing a batch — the right order for "no
  loss" — therefore gets exactly Receive Maximum messages and then nothing, if it waits
  for a batch bigger than that window to fill, or looks at its flush clock only when a
  message arrives: the broker waits for acknowledgements, the consumer for messages.
  With Receive Maximum 65,535 and 66,000 queued it receives exactly 65,535; with 500
  and batches of 2,000, exactly 500. Acknowledging frees the window (Mosquitto 2.0.11
  then releases a whole window per PUBACK, so the window alone does not bound a
  consumer's memory; the worker also stops reading its socket while it holds
  max(Receive Maximum, 2 batches) messages and lets TCP push back).
- A subscriber that acknowledges each message as it arrives (paho's default) is not
  stopped: it received all 70,000 queued, also across a broker restart.
- A subscriber that states no Receive Maximum, with ``max_inflight_messages 0``, gets
  everything in flight at once, and Mosquitto then reuses packet identifiers still
  unacknowledged (70,000 messages arrived under 65,535 distinct identifiers): a client
  that tracks messages by identifier would mix them up.
- A publisher meets the same wall on its side: paho refuses the 65,536th unacknowledged
  QoS 1 publish (``MQTT_ERR_QUEUE_SIZE``: no identifier left).

This worker (1) states a bounded Receive Maximum (default 4 × batch size, at most 65,535),
so the broker never has more in flight than the worker will hold, and the backlog stays
queued in the broker; (2) commits and acknowledges a partial batch ``flush_interval``
seconds after its first message arrived, by the clock, whether or not more come; (3) never
acknowledges on a connection a message received on an earlier one (those are redelivered,
and deduplication drops any already stored).

NATS JetStream: devices publish to NATS's MQTT listener (subjects ``jiliang.t.<code>.up``);
the worker pulls from a durable consumer on the stream and acks after commit; its
``max_ack_pending`` (4 × batch size) plays the role of the Receive Maximum.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from . import protocol
from .brokers import NATS_STREAM, NATS_SUBJECTS, ensure_stream, nats_subject, parse_broker  # noqa: F401
from .mqttwire import Subscriber
from .pipeline import Pipeline

log = logging.getLogger("jiliang.ingest")

SESSION_EXPIRY_S = 7 * 24 * 3600
@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    alerts_created: int = 0
    swept_alerts: int = 0
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
                "alerts_created": self.alerts_created, "swept_alerts": self.swept_alerts, "batches": self.batches, "seconds": round(elapsed, 3),
                "stored_per_s": round(self.stored / elapsed, 1)}


class PeriodicSweep:
    """Runs :func:`.services.sweep` (silence, service life) every ``interval`` seconds
    between batches; ``None`` or 0 turns it off."""

    def __init__(self, interval: float | None, stats: IngestStats):
        self.interval, self.stats = interval, stats
        self.next = time.time() + (interval or 0)

    def maybe_run(self) -> None:
        if not self.interval or time.time() < self.next:
            return
        from .services import sweep

        refresh_connection()
        self.stats.swept_alerts += sum(sweep().values())
        self.next = time.time() + self.interval


class MqttIngest:
    """Consume the MQTT topic into the pipeline: batches of at most ``batch_size``,
    committed then acknowledged; a partial batch is committed after ``flush_interval``
    seconds, whether or not more messages come."""

    def __init__(self, host: str, port: int, *, topic: str = protocol.TOPIC_FILTER, client_id: str = "jiliang-ingest",
                 batch_size: int = 2000, flush_interval: float = 0.05, receive_maximum: int | None = None,
                 pipeline: Pipeline | None = None, on_batch=None, sweep_interval: float | None = None):
        self.host, self.port, self.topic = host, port, topic
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.receive_maximum = min(receive_maximum or 4 * batch_size, 65535)
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()
        self.sweeper = PeriodicSweep(sweep_interval, self.stats)
        self.inbox: collections.deque = collections.deque()
        self.arrived = threading.Event()
        self.subscriber = Subscriber(host, port, client_id=client_id, topic=topic, on_messages=self._on_messages,
                                     receive_maximum=self.receive_maximum, session_expiry_s=SESSION_EXPIRY_S,
                                     hold=lambda: len(self.inbox) >= self.hold_at)
        self.hold_at = max(self.receive_maximum, 2 * batch_size)  # memory bound (see Subscriber)
        self.connected = self.subscriber.connected

    def _on_messages(self, batch) -> None:
        self.inbox.extend((generation, mid, payload, received) for generation, mid, _topic, payload, received in batch)
        self.arrived.set()

    def start(self) -> None:
        self.subscriber.start()

    def stop(self) -> None:
        self.subscriber.stop()

    def flush(self) -> int:
        """Store up to one batch from the inbox, then acknowledge it. Returns the count."""
        n = min(len(self.inbox), self.batch_size)
        if n == 0:
            return 0
        items = [self.inbox.popleft() for _ in range(n)]
        refresh_connection()
        result = self.pipeline.handle([(payload, received) for _, _, payload, received in items])
        self.stats.add(n, result)
        by_generation: dict[int, list[int]] = {}
        for generation, mid, _, _ in items:
            if mid is not None:
                by_generation.setdefault(generation, []).append(mid)
        for generation, mids in by_generation.items():
            self.subscriber.ack(generation, mids)  # refused for a lost connection: those come again
        if self.on_batch is not None:
            self.on_batch(result, items)
        return n

    def run(self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None) -> IngestStats:
        """Consume until ``stop`` is set, ``seconds`` pass, or nothing arrived for ``idle_exit``
        seconds while connected (a broker restarting is not idleness)."""
        self.start()
        deadline = None if seconds is None else time.time() + seconds
        last_activity = time.time()
        first_waiting = None  # arrival of the oldest message not yet in a batch
        try:
            while not (stop is not None and stop.is_set()):
                now = time.time()
                if deadline is not None and now >= deadline:
                    break
                if self.inbox and first_waiting is None:
                    first_waiting = now
                if len(self.inbox) >= self.batch_size or (self.inbox and now - first_waiting >= self.flush_interval):
                    self.flush()
                    last_activity = time.time()
                    first_waiting = last_activity if self.inbox else None
                    continue
                self.sweeper.maybe_run()
                if not self.inbox:
                    if self.subscriber.refused and not self.connected.is_set():
                        log.warning("%s", self.subscriber.refused)
                    if not self.connected.is_set():
                        last_activity = now
                    elif idle_exit is not None and now - last_activity > idle_exit:
                        break
                self.arrived.clear()
                wait = self.flush_interval if first_waiting is None else max(first_waiting + self.flush_interval - now, 0.0)
                self.arrived.wait(min(wait, 0.05) if len(self.inbox) < self.batch_size else 0)
            while self.inbox:
                self.flush()
        finally:
            self.stop()
        return self.stats


class NatsIngest:
    """Pull from a durable JetStream consumer; ack each message after its batch commits.

    The next fetch runs on the event loop while the current batch is stored (as the MQTT
    client reads while the pipeline works); the consumer's ``max_ack_pending`` (at least
    4 × batch size, raised on an existing consumer that has less: the server's default is
    1,000, which would cap every fetch) bounds what the worker holds unacknowledged."""

    def __init__(self, host: str, port: int, *, subject: str = NATS_SUBJECTS, durable: str = "jiliang-ingest",
                 batch_size: int = 2000, pipeline: Pipeline | None = None, on_batch=None, ack_wait: float = 30.0,
                 sweep_interval: float | None = None):
        self.url = f"nats://{host}:{port}"
        self.ack_wait = ack_wait  # an unacknowledged message (worker died before commit) comes again after this
        self.subject, self.durable, self.batch_size = subject, durable, batch_size
        self.max_ack_pending = 4 * batch_size
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()
        self.sweeper = PeriodicSweep(sweep_interval, self.stats)

    def run(self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None) -> IngestStats:
        """Consume until ``stop`` is set, ``seconds`` pass, or nothing arrived for ``idle_exit`` seconds.

        nats-py is asyncio; the ORM is synchronous. The NATS client lives on an event loop
        in a background thread and the calling thread (with its database connection) drives
        it: fetch a batch, store it, then ack it."""
        import asyncio

        import nats
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.api import ConsumerConfig

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="nats-loop", daemon=True)
        thread.start()

        def call(coro, timeout=30.0):
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

        async def ack_all(msgs):
            for m in msgs:  # one coroutine: buffered publishes, no task per message
                await m.ack()

        async def nak_all(msgs):
            for m in msgs:
                await m.nak()

        async def fetch(sub):
            # nats-py ends an empty fetch with its own TimeoutError or, when the deadline
            # passes between its two pull requests, with a bare asyncio.TimeoutError.
            try:
                return await sub.fetch(self.batch_size, timeout=0.05)
            except (NatsTimeout, asyncio.TimeoutError):
                return []

        async def bind(js):
            sub = await js.pull_subscribe(self.subject, durable=self.durable, stream=NATS_STREAM,
                                          config=ConsumerConfig(ack_wait=self.ack_wait, max_ack_pending=self.max_ack_pending))
            # An existing consumer keeps its own settings: raise a window below ours.
            info = await js.consumer_info(NATS_STREAM, self.durable)
            cfg = info.config
            if cfg.max_ack_pending is not None and 0 < cfg.max_ack_pending < self.max_ack_pending:
                cfg.max_ack_pending = self.max_ack_pending
                await js.add_consumer(NATS_STREAM, cfg)
            return sub

        nc = None
        pending = None  # the fetch running on the loop while a batch is stored
        try:
            nc = call(nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2))
            js = nc.jetstream()
            call(ensure_stream(js))
            sub = call(bind(js))
            deadline = None if seconds is None else time.time() + seconds
            last = time.time()
            while not (stop is not None and stop.is_set()) and (deadline is None or time.time() < deadline):
                msgs = (pending or asyncio.run_coroutine_threadsafe(fetch(sub), loop)).result(30.0)
                pending = None
                self.sweeper.maybe_run()
                if not msgs:
                    if idle_exit is not None and time.time() - last > idle_exit:
                        break
                    continue
                pending = asyncio.run_coroutine_threadsafe(fetch(sub), loop)
                now = time.time()
                items = [(m.data, now) for m in msgs]
                refresh_connection()
                result = self.pipeline.handle(items)
                self.stats.add(len(msgs), result)
                asyncio.run_coroutine_threadsafe(ack_all(msgs), loop)  # sent in order, before the close's flush
                if self.on_batch is not None:
                    self.on_batch(result, items)
                last = time.time()
            if pending is not None:  # a clean stop: hand the prefetched batch back at once
                call(nak_all(pending.result(30.0)))
                pending = None
        finally:
            if pending is not None:
                pending.cancel()  # fetched, never stored, never acknowledged: redelivered after ack_wait
            if nc is not None:
                try:
                    call(nc.flush(), timeout=10)  # the last acks / naks out before the close (which drops its buffer)
                except Exception:  # noqa: BLE001 - a dead connection: those messages come again
                    pass
                try:
                    call(nc.close(), timeout=10)
                except Exception:  # noqa: BLE001 - closing a dead connection
                    pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
        return self.stats


def refresh_connection() -> None:
    """Drop a database connection that broke or outlived CONN_MAX_AGE before the next batch
    (a long-running worker outlives database restarts); never inside a caller's transaction."""
    if not connection.in_atomic_block:
        close_old_connections()


def to_json(stats: IngestStats) -> str:
    return json.dumps(stats.as_json())
