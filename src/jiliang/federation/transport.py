"""Carrying federation records over NATS JetStream: provinces → centre, centre → provinces.

Streams (on the centre's 3-node cluster, replicated ``replicas`` times, file storage):

- ``FED_CHANGES``: ``jiliang.fed.<province>.changes``, each province's signed change records.
- ``FED_NATIONAL``: ``jiliang.fed.national.<kind>``, what the centre sends back (primary
  standards, catalogue and specification changes, other provinces' certificates, recalls).

Exactly-once effect, end to end, from three parts that each hold at least once:

1. The publisher sends every record with ``Nats-Msg-Id`` = its record id (``province:seq``),
   so a record sent again inside the stream's duplicate window (a retry after a lost ack) is
   stored once; it waits for the stream's ack of every record, a window at a time, and sends
   a window again (same ids) until each is acknowledged.
2. A province that was cut off (its leaf node down, the centre unreachable) keeps its
   records in its own database (the outbox); on reconnection it asks the stream for the last
   record stored on its subject and publishes from there: catch-up from where it stopped.
3. The consumer is a durable pull consumer (explicit acks): it fetches a batch, applies it
   in one database transaction through ``apply_record`` (idempotent by record id), and acks
   only after the commit. A crash between the commit and the ack redelivers the batch, which
   then applies as "duplicate": nothing changes twice. A crash before the commit loses the
   transaction and the redelivery applies it.

Lag per province = the last seq stored on its subject in the stream − the centre's applied
high-water mark for it (records applied or found duplicate). Each record also carries the
time it was published (header ``Jiliang-Published``, ns since the epoch), so the consumer
measures the time lag of each record as well.

nats-py is asyncio; the ORM is synchronous (Django refuses ORM calls from inside a running
event loop): the NATS client lives on an event loop in a background thread and the calling
thread, with its database connection, hands it coroutines (:class:`_Loop`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .provinces import PROVINCES

log = logging.getLogger(__name__)

# Each province publishes on its own subject; the changes stream lists the 31 provinces'
# subjects one by one (PROVINCES, GB/T 2260), so a subject of an unknown province is stored
# nowhere, and the national subjects (``jiliang.fed.national.<kind>``) never overlap it (a
# wildcard ``jiliang.fed.*.changes`` would also match ``jiliang.fed.national.changes``, which
# JetStream refuses as an overlap).
CHANGES_STREAM = "FED_CHANGES"
CHANGES_SUBJECTS = "jiliang.fed.*.changes"  # the consumer's filter; the stream lists each province
NATIONAL_STREAM = "FED_NATIONAL"
NATIONAL_SUBJECTS = "jiliang.fed.national.>"
CENTRE_DURABLE = "centre"
SEQ_HEADER = "Jiliang-Seq"
PUBLISHED_HEADER = "Jiliang-Published"
MSG_ID_HEADER = "Nats-Msg-Id"
# The centre's JetStream domain. A province's leaf node has no JetStream of its own; its
# clients reach the centre's streams through the domain's API prefix ($JS.centre.API.>),
# which the leaf connection carries (a bare $JS.API request would be answered, 503, by the
# leaf itself). The centre's own clients use the same prefix, so one code path serves both.
JS_DOMAIN = "centre"
# JetStream's duplicate window (its default, 2 min): retries of a window fall well inside it;
# a republish after a longer cut is caught by apply_record's own idempotency instead.
DUPLICATE_WINDOW_S = 120.0

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")

Outcome = str  # "applied" | "duplicate" | "refused", as apply_record answers


def changes_subject(province: str) -> str:
    if province not in PROVINCES:
        raise ValueError(f"province: expected a GB/T 2260 province code (11…65), got {province!r}")
    return f"jiliang.fed.{province}.changes"


def national_subject(kind: str) -> str:
    if not _KIND.match(kind):
        raise ValueError(f"kind: expected lower-case letters, digits and _, got {kind!r}")
    return f"jiliang.fed.national.{kind}"


def province_of(subject: str) -> str:
    """``jiliang.fed.33.changes`` → ``33`` (``national`` for the centre's subjects)."""
    return subject.split(".")[2]


def record_id(origin: str, seq: int) -> str:
    return f"{origin}:{seq}"


@dataclass(frozen=True)
class Outgoing:
    """One record to publish: where it goes, its id's parts and its signed bytes."""

    subject: str
    origin: str  # province code, or "national"
    seq: int
    raw: bytes

    @property
    def id(self) -> str:
        return record_id(self.origin, self.seq)


async def ensure_streams(js, *, replicas: int = 3, max_age_days: float = 30.0) -> None:
    """Create both streams if missing (file storage, limits retention kept ``max_age_days``:
    a province cut off for longer republishes from its outbox, the stream being a conduit,
    not the archive). Idempotent; an existing stream is left as it is."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    changes = [changes_subject(p) for p in PROVINCES]
    for name, subjects in ((CHANGES_STREAM, changes), (NATIONAL_STREAM, [NATIONAL_SUBJECTS])):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=name,
                    subjects=subjects,
                    num_replicas=replicas,
                    storage=StorageType.FILE,
                    max_age=max_age_days * 86400,
                    duplicate_window=DUPLICATE_WINDOW_S,
                )
            )
        # A new replicated stream answers once its replicas have elected a leader.
        await _retrying(lambda name=name: _has_leader(js, name), what=f"stream {name} to elect a leader")


async def _has_leader(js, name: str) -> bool:
    info = await js.stream_info(name)
    return info.cluster is None or bool(info.cluster.leader)


async def _retrying(attempt, *, what: str, timeout: float = 30.0):
    """``await attempt()`` until it answers something true. JetStream answers 503 or times out
    while a stream or the cluster elects a leader (a node lost, a stream just made, a leaf
    node just joined): those are waited out, anything else is raised."""
    import nats.errors
    from nats.js.errors import ServiceUnavailableError

    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await attempt()
            if result:
                return result
        except (ServiceUnavailableError, nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
            if time.monotonic() > deadline:
                raise ConnectionError(f"federation: timed out after {timeout:.0f} s waiting for {what} ({exc!r})") from exc
        if time.monotonic() > deadline:
            raise ConnectionError(f"federation: timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


async def last_stored_seq(js, stream: str, subject: str) -> int:
    """The seq of the last record the stream holds on ``subject`` (0 if none): where a
    publisher resumes."""
    from nats.js.errors import NotFoundError

    async def attempt():
        try:
            msg = await js.get_last_msg(stream, subject)
        except NotFoundError:
            return (0,)
        return (int((msg.headers or {}).get(SEQ_HEADER, 0)),)

    return (await _retrying(attempt, what=f"the last record on {subject}"))[0]


async def published_high_water(js) -> dict[str, int]:
    """Province → last seq stored on its changes subject, for every province in the stream."""
    info = await js.stream_info(CHANGES_STREAM, subjects_filter=CHANGES_SUBJECTS)
    subjects = sorted((info.state.subjects or {}).keys())
    return {province_of(s): await last_stored_seq(js, CHANGES_STREAM, s) for s in subjects}


# ---- publishing ----------------------------------------------------------------------------


@dataclass
class PublishStats:
    acked: int = 0  # records the stream acknowledged (stored, or recognised as duplicates)
    duplicates: int = 0  # of which the stream had already stored (a resend)
    resent: int = 0  # records sent more than once (a window sent again after a lost ack)
    last_seq: dict[str, int] = field(default_factory=dict)  # origin → highest seq acknowledged


class Publisher:
    """Publish records with their ids as ``Nats-Msg-Id`` and wait for the stream's ack of
    every one, ``window`` records in flight at a time (one round trip per window, not per
    record). A window with a missing ack is sent again, same ids, until ``give_up_after``
    seconds pass without progress (then ``ConnectionError``, with the exact count)."""

    def __init__(
        self,
        js,
        *,
        window: int = 512,
        ack_timeout: float = 5.0,
        give_up_after: float = 60.0,
        stop: threading.Event | None = None,
    ):
        self.js, self.window, self.ack_timeout, self.give_up_after = js, window, ack_timeout, give_up_after
        self.stop = stop  # set: stop resending (what is not acknowledged stays in the outbox for the next run)
        self.stats = PublishStats()

    async def publish(self, records: Iterable[Outgoing]) -> PublishStats:
        batch: list[Outgoing] = []
        for record in records:
            if self.stop is not None and self.stop.is_set():
                return self.stats
            batch.append(record)
            if len(batch) >= self.window:
                await self._window(batch)
                batch = []
        if batch:
            await self._window(batch)
        return self.stats

    async def _window(self, records: list[Outgoing]) -> None:
        waiting = list(records)
        stalled_since = time.monotonic()
        first = True
        while waiting:
            if not first:
                self.stats.resent += len(waiting)
            first = False
            futures = []
            try:
                for r in waiting:
                    headers = {MSG_ID_HEADER: r.id, SEQ_HEADER: str(r.seq), PUBLISHED_HEADER: str(time.time_ns())}
                    futures.append(await self.js.publish_async(r.subject, r.raw, headers=headers, wait_stall=self.ack_timeout))
            except Exception as exc:  # noqa: BLE001 - disconnected or stalled: what was sent is awaited, the rest resent
                log.warning("federation publish interrupted: %s", exc)
            results = await asyncio.gather(*(asyncio.wait_for(f, self.ack_timeout) for f in futures), return_exceptions=True)
            left = []
            for r, result in zip(waiting, results):
                if isinstance(result, BaseException):
                    left.append(r)
                    continue
                self.stats.acked += 1
                self.stats.duplicates += bool(result.duplicate)
                self.stats.last_seq[r.origin] = max(self.stats.last_seq.get(r.origin, 0), r.seq)
            left.extend(waiting[len(futures) :])
            if len(left) < len(waiting):
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > self.give_up_after:
                raise ConnectionError(
                    f"federation: no ack for {self.give_up_after:.0f} s; {self.stats.acked} records acknowledged, {len(left)} not"
                )
            if left and self.stop is not None and self.stop.is_set():
                return
            if left:
                await asyncio.sleep(0.2)  # the client reconnects meanwhile
            waiting = left


# ---- consuming -----------------------------------------------------------------------------


@dataclass
class ConsumeStats:
    applied: int = 0
    duplicate: int = 0
    refused: int = 0
    batches: int = 0
    high_water: dict[str, int] = field(default_factory=dict)  # origin → highest seq applied or found duplicate
    lag_seconds: list[float] = field(default_factory=list)  # per record: commit time − publish time
    refused_ids: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.applied + self.duplicate + self.refused


def apply_in_one_transaction(raws: Sequence[bytes]) -> list[Outcome]:
    """The default applier: every record of a batch through ``apply_record`` in one
    transaction (one commit per batch, not per record). A record that fails to apply with an
    exception (a bug, a lost database) rolls the batch back; nothing is acked, it comes again."""
    from django.db import transaction

    from jiliang.federation.apply import apply_record

    with transaction.atomic():
        return [apply_record(raw) for raw in raws]


class Consumer:
    """A durable pull consumer: fetch a batch, apply it (one transaction), ack after the
    commit. ``apply_batch`` takes the batch's raw records and answers one outcome each."""

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        stream: str = CHANGES_STREAM,
        subjects: str = CHANGES_SUBJECTS,
        durable: str = CENTRE_DURABLE,
        apply_batch: Callable[[Sequence[bytes]], list[Outcome]] | None = None,
        batch: int = 256,
        fetch_timeout: float = 0.5,
        ack_wait: float = 10.0,
        keep_lag_samples: bool = False,
    ):
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.stream, self.subjects, self.durable = stream, subjects, durable
        self.apply_batch = apply_batch or apply_in_one_transaction
        self.batch, self.fetch_timeout, self.ack_wait = batch, fetch_timeout, ack_wait
        self.keep_lag_samples = keep_lag_samples
        self.stats = ConsumeStats()

    def run(
        self,
        *,
        stop: threading.Event | None = None,
        idle_exit: float | None = None,
        seconds: float | None = None,
        until: Callable[[ConsumeStats], bool] | None = None,
    ) -> ConsumeStats:
        """Consume until ``stop`` is set, ``seconds`` pass, ``until(stats)`` holds, or
        nothing arrived for ``idle_exit`` seconds."""
        started = last_arrival = time.monotonic()
        with _Loop() as loop:
            nc = loop.call(_connect(self.urls))
            try:
                sub = loop.call(self._subscribe(nc))
                while not (stop and stop.is_set()):
                    now = time.monotonic()
                    if seconds is not None and now - started >= seconds:
                        break
                    if idle_exit is not None and now - last_arrival >= idle_exit:
                        break
                    if until is not None and until(self.stats):
                        break
                    msgs = loop.call(_fetch(sub, self.batch, self.fetch_timeout), timeout=self.fetch_timeout + 30)
                    if not msgs:
                        continue
                    last_arrival = time.monotonic()
                    # Each origin's records in seq order: its high-water mark advances in one
                    # step, and consumers sharing the durable take the per-origin row locks of
                    # apply_record in one order (no deadlock between two batches).
                    msgs.sort(key=lambda m: (m.subject, int((m.headers or {}).get(SEQ_HEADER, 0))))
                    outcomes = self.apply_batch([m.data for m in msgs])  # committed when it returns
                    self._count(msgs, outcomes)
                    loop.call(_ack_all(nc, msgs))
            finally:
                loop.call(_close(nc), timeout=15)
        return self.stats

    async def _subscribe(self, nc):
        from nats.js.api import AckPolicy, ConsumerConfig

        js = jetstream(nc)
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_ack_pending=max(4 * self.batch, 1024),
            filter_subject=self.subjects,
        )
        return await js.pull_subscribe(self.subjects, durable=self.durable, stream=self.stream, config=config)

    def _count(self, msgs, outcomes: list[Outcome]) -> None:
        now_ns = time.time_ns()
        self.stats.batches += 1
        for msg, outcome in zip(msgs, outcomes):
            headers = msg.headers or {}
            origin = province_of(msg.subject)
            if outcome == "refused":
                self.stats.refused += 1
                self.stats.refused_ids.append(headers.get(MSG_ID_HEADER, "?"))
                continue
            if outcome == "applied":
                self.stats.applied += 1
            else:
                self.stats.duplicate += 1
            seq = int(headers.get(SEQ_HEADER, 0))
            self.stats.high_water[origin] = max(self.stats.high_water.get(origin, 0), seq)
            if self.keep_lag_samples and PUBLISHED_HEADER in headers:
                self.stats.lag_seconds.append((now_ns - int(headers[PUBLISHED_HEADER])) / 1e9)


def jetstream(nc):
    return nc.jetstream(domain=JS_DOMAIN)


async def _connect(urls: Sequence[str]):
    import nats

    # Reconnect forever, quickly: a centre node or a leaf that comes back is found again.
    return await nats.connect(list(urls), max_reconnect_attempts=-1, reconnect_time_wait=0.2, connect_timeout=2)


async def _fetch(sub, batch: int, timeout: float) -> list:
    import nats.errors

    try:
        return await sub.fetch(batch, timeout=timeout)
    except (TimeoutError, nats.errors.TimeoutError):
        return []
    except (nats.errors.ConnectionClosedError, nats.errors.NoRespondersError, nats.errors.ConnectionReconnectingError):
        await asyncio.sleep(0.2)  # between centre nodes or leaf connections: try again
        return []


async def _close(nc) -> None:
    """Close a connection that may be reconnecting to a server that is gone: nothing is
    left to deliver (every ack and publication was awaited), so an error here is not one."""
    try:
        await asyncio.wait_for(nc.close(), 10)
    except Exception as exc:  # noqa: BLE001
        log.info("federation: closing the NATS connection: %s", exc)


async def _ack_all(nc, msgs) -> None:
    for msg in msgs:
        await msg.ack()
    try:
        await nc.flush(timeout=5)
    except Exception as exc:  # noqa: BLE001 - an ack lost here is a redelivery, applied as "duplicate"
        log.warning("federation: acks not confirmed (%s); the batch may come again", exc)


class _Loop:
    """An asyncio event loop in a daemon thread; ``call`` runs a coroutine on it and waits."""

    def __enter__(self) -> _Loop:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="federation-nats", daemon=True)
        self.thread.start()
        return self

    def call(self, coro, timeout: float | None = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc) -> None:
        async def cancel_the_rest():  # the client's reader tasks, so none is destroyed pending
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.call(cancel_the_rest(), timeout=5)
        except Exception:  # noqa: BLE001 - the loop is going away regardless
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


# ---- the loops behind `jiliang federation publish|consume|status` ---------------------------


def publish_outbox(
    urls: str | Sequence[str],
    *,
    origin: str,
    pending: Callable[[int], Iterable[Any]] | None = None,
    poll: float = 1.0,
    window: int = 512,
    ack_timeout: float = 5.0,
    stop: threading.Event | None = None,
    once: bool = False,
    replicas: int | None = None,
) -> PublishStats:
    """Publish this instance's outbox: a province's change records to its changes subject,
    or (``origin="national"``) the centre's records to ``jiliang.fed.national.<kind>``.

    Starts after the last record the stream holds for ``origin`` (catch-up from where it
    stopped) and then follows the outbox every ``poll`` seconds; ``once`` stops when the
    outbox is drained. ``pending(after_seq)`` yields the outbox's records after a seq
    (default: ``jiliang.federation.outbox.pending_records``)."""
    if pending is None:
        from jiliang.federation.outbox import pending_records as pending
    urls = [urls] if isinstance(urls, str) else list(urls)
    with _Loop() as loop:
        nc = loop.call(_connect(urls))
        try:
            js = jetstream(nc)
            if replicas is not None:
                loop.call(ensure_streams(js, replicas=replicas))
            publisher = Publisher(js, window=window, ack_timeout=ack_timeout, stop=stop)
            after = loop.call(_resume_point(js, origin))
            while not (stop and stop.is_set()):
                records = [_outgoing(item, origin) for item in pending(after)]
                if records:
                    loop.call(publisher.publish(records), timeout=None)
                    after = max(after, max(r.seq for r in records))
                elif once:
                    break
                else:
                    (stop or threading.Event()).wait(poll)
        finally:
            loop.call(_close(nc), timeout=15)
    return publisher.stats


async def _resume_point(js, origin: str) -> int:
    if origin == "national":
        from nats.js.errors import NotFoundError

        async def attempt():
            try:
                state = (await js.stream_info(NATIONAL_STREAM)).state
                if not state.last_seq:
                    return (0,)
                msg = await js.get_msg(NATIONAL_STREAM, state.last_seq)
            except NotFoundError:
                return (0,)
            return (int((msg.headers or {}).get(SEQ_HEADER, 0)),)

        return (await _retrying(attempt, what="the last national record"))[0]
    return await last_stored_seq(js, CHANGES_STREAM, changes_subject(origin))


def _outgoing(item: Any, origin: str) -> Outgoing:
    """An outbox item as an :class:`Outgoing`: an Outgoing already, a ``(seq, raw)`` or
    ``(seq, kind, raw)`` tuple, or an object with ``seq``, ``raw`` (and ``kind``)."""
    if isinstance(item, Outgoing):
        return item
    if isinstance(item, tuple):
        seq, kind, raw = item if len(item) == 3 else (item[0], "", item[1])
    else:
        seq, kind, raw = item.seq, getattr(item, "kind", ""), item.raw
    if origin == "national" and not kind:
        kind = str(json.loads(raw).get("kind", ""))  # the centre's subjects are per kind; the record says its own
    subject = national_subject(kind) if origin == "national" else changes_subject(origin)
    return Outgoing(subject, origin, int(seq), bytes(raw))


def status(urls: str | Sequence[str], applied: dict[str, int], *, durable: str = CENTRE_DURABLE) -> dict:
    """The centre's view of each province: last seq published (stored in the stream), the
    applied high-water mark, their difference (the lag), and the consumer's own backlog."""

    async def gather():
        from nats.js.errors import NotFoundError

        nc = await _connect([urls] if isinstance(urls, str) else list(urls))
        try:
            js = jetstream(nc)
            published = await published_high_water(js)
            try:
                info = await js.consumer_info(CHANGES_STREAM, durable)
                backlog = {"pending": info.num_pending, "unacked": info.num_ack_pending, "redelivered": info.num_redelivered}
            except NotFoundError:
                backlog = {"pending": None, "unacked": None, "redelivered": None}
            stream = await js.stream_info(CHANGES_STREAM)
            cluster = stream.cluster
            return (
                published,
                backlog,
                {
                    "leader": getattr(cluster, "leader", None),
                    "replicas": [
                        {"name": r.name, "current": r.current, "lag": r.lag} for r in (getattr(cluster, "replicas", None) or [])
                    ],
                },
            )
        finally:
            await nc.close()

    published, backlog, cluster = asyncio.run(gather())
    provinces = sorted(set(published) | set(applied))
    rows = [
        {
            "province": p,
            "published": published.get(p, 0),
            "applied": applied.get(p, 0),
            "lag": max(published.get(p, 0) - applied.get(p, 0), 0),
        }
        for p in provinces
    ]
    return {"provinces": rows, "consumer": backlog, "stream": cluster}


# ---- what `jiliang federation publish|consume|status` run (inside Django) -----------------


def configured_urls() -> list[str]:
    """The NATS servers this instance talks to: ``JILIANG_FEDERATION_NATS`` (comma-separated;
    a province names its leaf node, the centre its cluster's nodes)."""
    import os

    from django.conf import settings

    value = getattr(settings, "JILIANG_FEDERATION_NATS", "") or os.environ.get("JILIANG_FEDERATION_NATS", "")
    return [u.strip() for u in (value or "nats://127.0.0.1:4222").split(",") if u.strip()]


def run_publish(*, once: bool = False, poll: float = 1.0, stop: threading.Event | None = None) -> PublishStats:
    """This instance's outbox to its subjects, from where the stream stopped."""
    from .outbox import local_origin

    return publish_outbox(configured_urls(), origin=local_origin(), poll=poll, stop=stop, once=once)


def run_consume(
    *, seconds: float | None = None, idle_exit: float | None = None, stop: threading.Event | None = None, batch: int = 256
) -> ConsumeStats:
    """The centre consumes every province's changes (durable ``centre``); a province consumes
    what the centre publishes back (durable ``province-<code>``)."""
    from .outbox import local_origin

    origin = local_origin()
    if origin == "national":
        consumer = Consumer(configured_urls(), batch=batch)
    else:
        consumer = Consumer(
            configured_urls(), stream=NATIONAL_STREAM, subjects=NATIONAL_SUBJECTS, durable=f"province-{origin}", batch=batch
        )
    return consumer.run(seconds=seconds, idle_exit=idle_exit, stop=stop)


def run_status() -> dict:
    """The centre's lag per province, with what the stream holds noted in ``ProvinceStatus``."""
    from .apply import note_published
    from .models import ProvinceStatus

    applied = dict(ProvinceStatus.objects.exclude(code="national").values_list("code", "applied_through"))
    report = status(configured_urls(), applied)
    for row in report["provinces"]:
        note_published(row["province"], row["published"])
    return report


def format_status(report: dict) -> str:
    lines = [f"{'province':<10}{'published':>12}{'applied':>12}{'lag':>10}"]
    for row in report["provinces"]:
        name = f"{row['province']} {PROVINCES.get(row['province'], '')}"
        lines.append(f"{name:<10}{row['published']:>12}{row['applied']:>12}{row['lag']:>10}")
    consumer, stream = report["consumer"], report["stream"]
    lines.append(
        f"consumer: {consumer['pending']} waiting, {consumer['unacked']} being applied, {consumer['redelivered']} redelivered"
    )
    replicas = ", ".join(f"{r['name']} {'current' if r['current'] else 'behind'}" for r in stream["replicas"])
    lines.append(f"stream {CHANGES_STREAM}: leader {stream['leader']}; replicas {replicas or 'none'}")
    return "\n".join(lines)
