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
from .services import sweep

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
    last_commit: float | None = None

    def add(self, n, result):
        self.last_commit = time.time()
        self.received += n
        self.stored += result.stored
        self.duplicates += result.duplicates
        self.rejected += sum(result.rejected.values())
        self.alerts_created += result.alerts_created
        self.batches += 1

    def as_json(self) -> dict:
        elapsed = max(time.time() - self.started, 1e-9)
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "alerts_created": self.alerts_created,
            "swept_alerts": self.swept_alerts,
            "batches": self.batches,
            "seconds": round(elapsed, 3),
            "stored_per_s": round(self.stored / elapsed, 1),
            # absolute times, so a benchmark can time several workers from the first start to the last commit
            "started_at": self.started,
            "last_commit_at": self.last_commit,
        }


class PeriodicSweep:
    """Runs :func:`.services.sweep` (silence, service life) every ``interval`` seconds
    between batches; ``None`` or 0 turns it off."""

    def __init__(self, interval: float | None, stats: IngestStats):
        self.interval, self.stats = interval, stats
        self.next = time.time() + (interval or 0)

    def maybe_run(self) -> None:
        if not self.interval or time.time() < self.next:
            return

        refresh_connection()
        self.stats.swept_alerts += sum(sweep().values())
        self.next = time.time() + self.interval


class MqttIngest:
    """Consume the MQTT topic into the pipeline: batches of at most ``batch_size``,
    committed then acknowledged; a partial batch is committed after ``flush_interval``
    seconds, whether or not more messages come."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        topic: str = protocol.TOPIC_FILTER,
        client_id: str = "jiliang-ingest",
        batch_size: int = 2000,
        flush_interval: float = 0.05,
        receive_maximum: int | None = None,
        pipeline: Pipeline | None = None,
        on_batch=None,
        sweep_interval: float | None = None,
    ):
        self.host, self.port, self.topic = host, port, topic
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.receive_maximum = min(receive_maximum or 4 * batch_size, 65535)
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()
        self.sweeper = PeriodicSweep(sweep_interval, self.stats)
        self.inbox: collections.deque = collections.deque()
        self.arrived = threading.Event()
        self.subscriber = Subscriber(
            host,
            port,
            client_id=client_id,
            topic=topic,
            on_messages=self._on_messages,
            receive_maximum=self.receive_maximum,
            session_expiry_s=SESSION_EXPIRY_S,
            hold=lambda: len(self.inbox) >= self.hold_at,
        )
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

    def run(
        self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None
    ) -> IngestStats:
        """Consume until ``stop`` is set, ``seconds`` pass, or nothing arrived for ``idle_exit``
        seconds while connected (a broker restarting is not idleness)."""
        self.stats.started = time.time()
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

    Messages stream in while a batch is stored (as the MQTT client reads while the
    pipeline works): the worker keeps one pull request open on the consumer, for as many
    messages as its window has room for, and takes batches from what has arrived. The
    window is the consumer's ``max_ack_pending`` (at least 4 × batch size, raised on an
    existing consumer that has less: the server's default is 1,000): what the worker holds
    unacknowledged — arrived, being stored, or asked for — never exceeds it.

    Why not nats-py's ``fetch``: each call waits until its batch is full or its timeout
    passes, and one that times out leaves its request open on the server, so the next
    fetch found the window full and waited out its own timeout. Measured here with a
    200,000 message backlog, 286 fetches of ~350 messages each spent most of a 12.7 s
    drain waiting (7,855 msg/s, both threads mostly idle).

    One pull request is open at a time (several would share arrivals in an order the
    server chooses), each with its own reply subject so that the status ending it (408 at
    expiry) is told apart from a stale one. It asks ``PULL_EXPIRES_S`` ahead and is
    replaced just before it expires (and after a lost connection), so messages never wait
    for a request; anything a replaced request still delivers is held like the rest (the
    server's ``max_ack_pending`` bounds it)."""

    PULL_EXPIRES_S = 1.0

    def __init__(
        self,
        host: str,
        port: int,
        *,
        subject: str = NATS_SUBJECTS,
        durable: str = "jiliang-ingest",
        batch_size: int = 2000,
        pipeline: Pipeline | None = None,
        on_batch=None,
        ack_wait: float = 30.0,
        sweep_interval: float | None = None,
        flush_interval: float = 0.05,
    ):
        self.url = f"nats://{host}:{port}"
        self.ack_wait = ack_wait  # an unacknowledged message (worker died before commit) comes again after this
        self.subject, self.durable, self.batch_size = subject, durable, batch_size
        self.flush_interval = flush_interval
        self.max_ack_pending = 4 * batch_size
        self.pipeline = pipeline or Pipeline()
        self.on_batch = on_batch
        self.stats = IngestStats()
        self.sweeper = PeriodicSweep(sweep_interval, self.stats)

    def run(
        self, *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None
    ) -> IngestStats:
        """Consume until ``stop`` is set, ``seconds`` pass, or nothing arrived for ``idle_exit`` seconds.

        nats-py is asyncio; the ORM is synchronous. The NATS client lives on an event loop
        in a background thread, which receives into ``inbox``; the calling thread (with its
        database connection) takes batches from it, stores them, then has the loop ack them."""
        import asyncio

        import nats

        self.stats.started = time.time()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="nats-loop", daemon=True)
        thread.start()
        puller = _Puller(self, loop)

        def call(coro, timeout=30.0):
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

        nc = None
        inbox = puller.inbox
        try:
            nc = call(nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2))
            call(puller.start(nc))
            deadline = None if seconds is None else time.time() + seconds
            last = time.time()
            first_waiting = None  # arrival of the oldest message not yet in a batch
            while not (stop is not None and stop.is_set()):
                now = time.time()
                if deadline is not None and now >= deadline:
                    break
                if inbox and first_waiting is None:
                    first_waiting = now
                if len(inbox) >= self.batch_size or (inbox and now - first_waiting >= self.flush_interval):
                    msgs = [inbox.popleft() for _ in range(min(len(inbox), self.batch_size))]
                    first_waiting = time.time() if inbox else None
                    items = [(m.data, now) for m in msgs]
                    refresh_connection()
                    result = self.pipeline.handle(items)
                    self.stats.add(len(msgs), result)
                    puller.ack(msgs)  # after the commit; sent in order, before the close's flush
                    if self.on_batch is not None:
                        self.on_batch(result, items)
                    last = time.time()
                    continue
                self.sweeper.maybe_run()
                if not inbox and idle_exit is not None and now - last > idle_exit:
                    break
                puller.arrived.clear()
                if len(inbox) < self.batch_size:
                    wait = self.flush_interval if first_waiting is None else max(first_waiting + self.flush_interval - now, 0.0)
                    puller.arrived.wait(min(wait, 0.05))
        finally:
            if nc is not None:
                try:  # stop receiving, hand back what arrived but was never stored (anything in flight comes after ack_wait)
                    call(puller.stop(), timeout=10)
                except Exception:  # noqa: BLE001 - a dead connection: those messages come again after ack_wait
                    pass
                try:
                    call(nc.flush(), timeout=10)  # the last acks / naks out before the close (which drops its buffer)
                except Exception:  # noqa: BLE001
                    pass
                try:
                    call(nc.close(), timeout=10)
                except Exception:  # noqa: BLE001 - closing a dead connection
                    pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
        return self.stats


class _Puller:
    """The NATS side of :class:`NatsIngest`, on its event loop: one open pull request at a
    time, sized to the room left in the window; arrivals go to ``inbox`` (a deque the
    worker thread takes from)."""

    def __init__(self, ingest: NatsIngest, loop):
        self.ingest, self.loop = ingest, loop
        self.inbox: collections.deque = collections.deque()
        self.arrived = threading.Event()
        self.held = 0  # arrived and not yet acked or naked (loop thread only)
        self.asked = 0  # still to come on the open request; 0: none open
        self.asked_until = 0.0  # loop time after which the open request is written off
        self.nc = self.sub = self.next_subject = None
        self.watchdog = self.renew = None
        self.reply, self.requests = "", 0
        self.stopped = False

    async def start(self, nc) -> None:
        from nats.js.api import DEFAULT_PREFIX

        self.nc = nc
        js = nc.jetstream()
        await ensure_stream(js)
        await self._bind(js)
        self.next_subject = f"{DEFAULT_PREFIX}.CONSUMER.MSG.NEXT.{NATS_STREAM}.{self.ingest.durable}"
        self.inbox_prefix = nc.new_inbox()  # each request its own reply subject: a status names the request it ends
        self.sub = await nc.subscribe(f"{self.inbox_prefix}.*", cb=self._on_msg)
        await self._top_up()
        self.watchdog = self.loop.call_later(0.5, self._watch)

    async def _bind(self, js) -> None:
        """Create the durable consumer, or raise an existing one's window below ours."""
        from nats.js.api import AckPolicy, ConsumerConfig
        from nats.js.errors import NotFoundError

        ingest = self.ingest
        try:
            info = await js.consumer_info(NATS_STREAM, ingest.durable)
        except NotFoundError:
            await js.add_consumer(
                NATS_STREAM,
                ConsumerConfig(
                    durable_name=ingest.durable,
                    filter_subject=ingest.subject,
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=ingest.ack_wait,
                    max_ack_pending=ingest.max_ack_pending,
                ),
            )
            return
        cfg = info.config
        if cfg.max_ack_pending is not None and 0 < cfg.max_ack_pending < ingest.max_ack_pending:
            cfg.max_ack_pending = ingest.max_ack_pending
            await js.add_consumer(NATS_STREAM, cfg)

    async def _on_msg(self, msg) -> None:
        if not msg.reply:  # a status from the server: a request has ended
            status = (msg.headers or {}).get("Status", "")
            if status == "100" or msg.subject != self.reply:  # a heartbeat, or the end of a request already replaced
                return
            self.asked = 0
            if status in ("404", "408"):  # expired (or nothing there): ask again at once
                await self._top_up()
            else:  # 409 and the like (consumer changed, too many requests): the watchdog asks again, no spinning
                log.warning("NATS pull request ended: %s %s", status, (msg.headers or {}).get("Description", ""))
            return
        self.held += 1
        self.inbox.append(msg)
        self.arrived.set()
        if self.asked > 0:
            self.asked -= 1
            if self.asked == 0:
                await self._top_up()

    async def _top_up(self) -> None:
        """Open a pull request for the room left in the window (at least a batch), unless one is open."""
        if self.stopped or self.sub is None:
            return
        now = self.loop.time()
        if self.asked > 0 and now < self.asked_until:
            return
        room = self.ingest.max_ack_pending - self.held
        if room < self.ingest.batch_size:
            self.asked = 0
            return  # the next ack makes room
        expires = self.ingest.PULL_EXPIRES_S
        # Replaced just before the server lets it expire, so one is always open; the old one's
        # end is ignored and what it still delivers counts against the new one.
        self.asked, self.asked_until = room, now + expires - 0.05
        self.requests += 1
        self.reply = f"{self.inbox_prefix}.{self.requests}"
        await self.nc.publish(
            self.next_subject, json.dumps({"batch": room, "expires": int(expires * 1e9)}).encode(), reply=self.reply
        )
        if self.renew is not None:
            self.renew.cancel()
        self.renew = self.loop.call_at(self.asked_until, self._renew)

    def _renew(self) -> None:
        self.renew = None
        self.loop.create_task(self._top_up())

    def _watch(self) -> None:
        """Every half second: a request written off (a lost connection) is replaced even
        when nothing else happens."""
        if not self.stopped:
            self.loop.create_task(self._top_up())
            self.watchdog = self.loop.call_later(0.5, self._watch)

    def ack(self, msgs) -> None:
        """From the worker thread, after the commit."""
        import asyncio

        asyncio.run_coroutine_threadsafe(self._ack(msgs), self.loop)

    async def _ack(self, msgs) -> None:
        for m in msgs:  # one coroutine: buffered publishes, no task per message
            await m.ack()
        self.held -= len(msgs)
        await self._top_up()

    async def stop(self) -> None:
        self.stopped = True
        for timer in (self.watchdog, self.renew):
            if timer is not None:
                timer.cancel()
        if self.sub is not None:
            # Unsubscribe and take in what the server sent before it saw that (the open
            # request keeps delivering until then): dropped, those messages would count
            # against max_ack_pending until ack_wait passed, starving any other worker on
            # the durable — two workers once stalled like that when one stopped early.
            await self.sub.drain()
        left = []
        while self.inbox:
            left.append(self.inbox.popleft())
        for m in left:  # arrived, never stored: redelivered now rather than after ack_wait
            await m.nak()


def refresh_connection() -> None:
    """Drop a database connection that broke or outlived CONN_MAX_AGE before the next batch
    (a long-running worker outlives database restarts); never inside a caller's transaction."""
    if not connection.in_atomic_block:
        close_old_connections()


def to_json(stats: IngestStats) -> str:
    return json.dumps(stats.as_json())
