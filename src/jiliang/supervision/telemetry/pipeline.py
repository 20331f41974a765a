"""Validate, deduplicate, store and judge a batch of telemetry messages in one transaction.

Used by the MQTT / NATS worker, the HTTP upload endpoint and the file import alike:
``Pipeline.handle([(payload, received_unix_s), ...])`` returns what happened, and the
caller acknowledges the messages to the broker only after it returns (the transaction
has committed). A redelivered message finds its (device, seq) already stored and is
counted as a duplicate: nothing is written twice and no alert is raised twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.db.models import F

from jiliang.audit.services import record_many
from jiliang.core.detectors.stream import PARAMETER_CHANGE_EVENTS, DeviceProfile, Finding, StreamEngine
from jiliang.registry.models import CalibrationEvent

from . import partitions, protocol
from .models import Alert, CreditSignal, Device, RejectedMessage

FIELDS = {
    "sale": ("volume_l", "unit_price", "amount", "pulses"),
    "trip": ("metered_km", "gps_km", "fare", "waiting_min"),
    "session": ("charger_kwh", "billed_kwh"),
    "reading": ("register",),
    "event": ("code",),
    "facts": ("software_id", "checksum", "counter", "seal_intact"),
}
EVIDENCE_LIMIT = 20  # messages kept as evidence on one alert
UTC = dt.UTC


@dataclass
class DeviceInfo:
    id: int
    code: str
    key: bytes
    instrument_id: int
    region_id: int
    owner_id: int


@dataclass
class BatchResult:
    stored: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)
    alerts_created: int = 0
    alerts_updated: int = 0
    findings: list = field(default_factory=list)


class Pipeline:
    def __init__(self, engine: StreamEngine | None = None):
        self.engine = engine or StreamEngine()
        self.devices: dict[str, DeviceInfo] = {}
        self.by_id: dict[int, DeviceInfo] = {}
        self.load_devices()

    def load_devices(self) -> None:
        rows = Device.objects.filter(active=True).values_list(
            "id",
            "code",
            "key",
            "instrument_id",
            "instrument__region_id",
            "instrument__owner_id",
            "verified_k",
            "software_id",
            "software_checksum",
            "last_counter",
        )
        for pk, code, key, inst, region, owner, k, sw_id, sw_ck, counter in rows:
            info = DeviceInfo(pk, code, bytes.fromhex(key), inst, region, owner)
            self.devices[code] = info
            self.by_id[pk] = info
            self.engine.profiles[pk] = DeviceProfile(float("nan") if k is None else k, sw_id, sw_ck)
            if counter is not None:
                self.engine.last_counter.setdefault(pk, counter)

    # ------------------------------------------------------------------ the batch

    def handle(self, messages: list[tuple[bytes, float]]) -> BatchResult:
        result = BatchResult()
        accepted: dict[tuple[int, int], tuple[protocol.Parsed, float]] = {}
        for payload, received in messages:
            try:
                parsed = protocol.parse_unverified(payload)
                info = self.devices.get(parsed.device_code)
                if info is None:
                    self.load_devices_by_code(parsed.device_code)
                    info = self.devices.get(parsed.device_code)
                    if info is None:
                        raise protocol.Rejected("forged", parsed.device_code, "unknown device")
                protocol.verify(parsed, info.key)
                _check_fields(parsed)
            except protocol.Rejected as exc:
                result.rejected[(exc.reason, exc.device_code[:40])] += 1
                continue
            key = (info.id, parsed.seq)
            if key in accepted:
                result.duplicates += 1
                continue
            accepted[key] = (parsed, received)
        with transaction.atomic():
            new_keys = self._store(accepted) if accepted else set()
            result.stored = len(new_keys)
            result.duplicates += len(accepted) - len(new_keys)
            fresh = {k: v for k, v in accepted.items() if k in new_keys}
            if fresh:
                self._load_verifications(fresh)
                findings = self.engine.process(_columns(fresh))
                result.findings = findings
                self._alerts(findings, fresh, result)
                self._touch_devices(fresh)
            if result.rejected:
                self._count_rejections(result.rejected)
        return result

    def _load_verifications(self, fresh) -> None:
        """Verification records near the parameter changes in this batch, for the rule
        "a change not matched by a verification record" (rare messages: one query)."""
        changes = [
            (dev, parsed.ts)
            for (dev, _), (parsed, _) in fresh.items()
            if parsed.kind == "event" and parsed.body["code"] in PARAMETER_CHANGE_EVENTS
        ]
        if not changes:
            return

        window = dt.timedelta(seconds=self.engine.change_window_s)
        first = dt.datetime.fromtimestamp(min(t for _, t in changes), UTC) - window
        last = dt.datetime.fromtimestamp(max(t for _, t in changes), UTC) + window
        instrument_of = {dev: self.by_id[dev].instrument_id for dev, _ in changes}
        device_of = {inst: dev for dev, inst in instrument_of.items()}
        rows = CalibrationEvent.objects.filter(
            kind="verification",
            instrument_id__in=set(instrument_of.values()),
            performed_on__gte=first.date(),
            performed_on__lte=last.date(),
        ).values_list("instrument_id", "performed_on")
        times: dict[int, set[float]] = defaultdict(set)
        for inst, day in rows:
            # A record carries a date: count it at noon UTC (the 2-day window absorbs the rest).
            times[device_of[inst]].add(dt.datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
        self.engine.verifications.update({dev: sorted(ts) for dev, ts in times.items()})
        for dev in instrument_of:
            self.engine.verifications.setdefault(dev, [])

    def load_devices_by_code(self, code: str) -> None:
        """A device registered after the worker started: look it up once."""
        if Device.objects.filter(code=code, active=True).exists():
            self.load_devices()

    # ------------------------------------------------------------------ storage

    def _store(self, accepted) -> set[tuple[int, int]]:
        postgres = connection.vendor == "postgresql"
        if postgres:
            now = dt.datetime.now(UTC)
            stamp = partial(dt.datetime.fromtimestamp, tz=UTC)
        else:  # Django's own SQLite format, naive UTC through str(), so ORM filters compare alike
            now = str(dt.datetime.now(UTC).replace(tzinfo=None))
            stamp = _sqlite_time
        readings, events = [], []
        for (dev, seq), (parsed, _received) in accepted.items():
            if parsed.kind == "event":
                events.append((dev, seq, stamp(parsed.ts), parsed.body["code"], parsed.stored_text()))
            else:
                readings.append((dev, seq, stamp(parsed.ts), parsed.kind, parsed.stored_text()))
        if postgres:
            return self._store_postgres(readings, events, now)
        return self._store_sqlite([r + (now,) for r in readings], [r + (now,) for r in events])

    def _store_postgres(self, readings, events, now) -> set[tuple[int, int]]:
        new: set[tuple[int, int]] = set()
        with connection.cursor() as cursor:
            months = {(r[2].year, r[2].month) for r in readings + events}
            partitions.ensure_months(cursor, months)
            raw = cursor.cursor
            for table, label, rows in (("telemetry_reading", "kind", readings), ("telemetry_deviceevent", "code", events)):
                if not rows:
                    continue
                # The body goes in as text and becomes jsonb in the insert: psycopg's jsonb
                # dumper is Python code, its text dumper C (≈3 µs less per message).
                stage = f"{table}_stage_text"
                raw.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {stage} (device_id bigint, seq bigint, ts timestamptz, "
                    f"{label} text, body text) ON COMMIT DELETE ROWS"
                )
                # Binary COPY into the staging table, then one set-based insert that skips rows already stored.
                with raw.copy(f"COPY {stage} (device_id, seq, ts, {label}, body) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int8", "int8", "timestamptz", "text", "text"])
                    write = copy.write_row
                    for row in rows:
                        write(row)
                raw.execute(
                    f'INSERT INTO {table} (device_id, seq, ts, {label}, "values", received_at) '
                    f"SELECT device_id, seq, ts, {label}, body::jsonb, %s FROM {stage} "
                    f"ON CONFLICT DO NOTHING RETURNING device_id, seq",
                    [now],
                )
                new.update(raw.fetchall())
                raw.execute(f"DELETE FROM {stage}")
        return new

    def _store_sqlite(self, readings, events) -> set[tuple[int, int]]:
        """Insert the rows not stored yet. A message whose seq is above its device's
        ``last_seq`` (kept in the same transaction) cannot be stored already; only the
        others — redeliveries and late arrivals — are looked up, through the unique
        index (a row-value IN over the batch would scan the whole table)."""
        rows_all = readings + events
        existing: set[tuple[int, int]] = set()
        with connection.cursor() as cursor:
            devices = list({r[0] for r in rows_all})
            last: dict[int, int] = {}
            for i in range(0, len(devices), 500):
                chunk = devices[i : i + 500]
                cursor.execute(f"SELECT id, last_seq FROM telemetry_device WHERE id IN ({','.join(['%s'] * len(chunk))})", chunk)
                last.update(cursor.fetchall())
            doubtful = [(r[0], r[1]) for r in rows_all if r[1] <= last.get(r[0], 0)]
            if doubtful:
                cursor.execute("CREATE TEMP TABLE IF NOT EXISTS telemetry_keys (device_id integer, seq integer)")
                cursor.execute("DELETE FROM telemetry_keys")
                cursor.executemany("INSERT INTO telemetry_keys VALUES (%s, %s)", doubtful)
                for table in ("telemetry_reading", "telemetry_deviceevent"):
                    cursor.execute(
                        f"SELECT k.device_id, k.seq FROM telemetry_keys k JOIN {table} t "
                        f"ON t.device_id = k.device_id AND t.seq = k.seq"
                    )
                    existing.update(map(tuple, cursor.fetchall()))
            for table, label, rows in (("telemetry_reading", "kind", readings), ("telemetry_deviceevent", "code", events)):
                fresh = [r for r in rows if (r[0], r[1]) not in existing]
                if fresh:
                    cursor.executemany(
                        f'INSERT OR IGNORE INTO {table} (device_id, seq, ts, {label}, "values", received_at) '
                        f"VALUES (%s, %s, %s, %s, %s, %s)",
                        fresh,
                    )
        return {(r[0], r[1]) for r in rows_all} - existing

    def _touch_devices(self, fresh) -> None:
        latest: dict[int, tuple[int, float]] = {}
        counters: dict[int, int] = {}
        for (dev, seq), (parsed, received) in fresh.items():
            cur = latest.get(dev)
            if cur is None or seq > cur[0]:
                latest[dev] = (seq, received)
            if parsed.kind == "facts":
                counters[dev] = max(counters.get(dev, 0), parsed.body["counter"])
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement for the batch (a row per device cost ~70 µs each). The rows are
                # locked first in id order, so two workers touching the same devices wait for
                # each other instead of deadlocking.
                ids = sorted(latest)
                cursor.execute("SELECT id FROM telemetry_device WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", [ids])
                cursor.execute(
                    "UPDATE telemetry_device d SET last_seq = GREATEST(d.last_seq, v.seq), last_seen = v.seen "
                    "FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(id, seq, seen) WHERE d.id = v.id",
                    [ids, [latest[d][0] for d in ids], [dt.datetime.fromtimestamp(latest[d][1], UTC) for d in ids]],
                )
                if counters:
                    cursor.execute(
                        "UPDATE telemetry_device d SET last_counter = GREATEST(d.last_counter, v.counter) "
                        "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, counter) WHERE d.id = v.id",
                        [list(counters), list(counters.values())],
                    )
                return
            cursor.executemany(
                "UPDATE telemetry_device SET last_seq = CASE WHEN last_seq > %s THEN last_seq ELSE %s END, last_seen = %s WHERE id = %s",
                [(seq, seq, dt.datetime.fromtimestamp(rec, UTC), dev) for dev, (seq, rec) in latest.items()],
            )
            if counters:  # the counter the next report is compared with, also after a restart
                cursor.executemany(
                    "UPDATE telemetry_device SET last_counter = CASE WHEN last_counter > %s THEN last_counter ELSE %s END WHERE id = %s",
                    [(c, c, dev) for dev, c in counters.items()],
                )

    def _count_rejections(self, rejected: Counter) -> None:
        day = dt.date.today()
        for (reason, code), n in sorted(rejected.items()):  # a fixed order: two workers never lock these rows crosswise
            row, created = RejectedMessage.objects.get_or_create(reason=reason, device_code=code, day=day, defaults={"count": n})
            if not created:
                RejectedMessage.objects.filter(pk=row.pk).update(count=F("count") + n)

    # ------------------------------------------------------------------ alerts

    def _alerts(self, findings: list[Finding], fresh, result: BatchResult) -> None:
        grouped: dict[tuple[int, str], list[Finding]] = defaultdict(list)
        for f in findings:
            grouped[(f.device, f.rule)].append(f)
        if not grouped:
            return
        open_alerts = {
            (dev, rule): (pk, evidence)
            for pk, dev, rule, evidence in Alert.objects.filter(
                device_id__in={d for d, _ in grouped},
                rule__in={r for _, r in grouped},
                status__in=[Alert.Status.NEW, Alert.Status.TAKEN],
            ).values_list("pk", "device_id", "rule", "evidence")
        }
        created = []
        updates = []  # repeats of open alerts: (pk, occurrences added, evidence or None when it is full)
        for (dev, rule), items in grouped.items():
            found = open_alerts.get((dev, rule))
            if found is not None:
                pk, kept_evidence = found
                kept = kept_evidence.get("messages", [])
                if len(kept) < EVIDENCE_LIMIT:
                    evidence = [_evidence(f, fresh[(f.device, f.seq)][0]) for f in items[: EVIDENCE_LIMIT - len(kept)]]
                    kept_evidence["messages"] = kept + evidence
                    updates.append((pk, len(items), kept_evidence))
                else:  # a full alert keeps its first messages: only the count grows
                    updates.append((pk, len(items), None))
                result.alerts_updated += 1
                continue
            evidence = [_evidence(f, fresh[(f.device, f.seq)][0]) for f in items[:EVIDENCE_LIMIT]]
            info = self.by_id[dev]
            first_ts = min(fresh[(f.device, f.seq)][0].ts for f in items)
            created.append(
                Alert(
                    instrument_id=info.instrument_id,
                    device_id=dev,
                    region_id=info.region_id,
                    owner_id=info.owner_id,
                    rule=rule,
                    severity=items[0].severity,
                    occurrences=len(items),
                    evidence={"rule": rule, "limit": _finite(items[0].limit), "messages": evidence},
                    message_ts=dt.datetime.fromtimestamp(first_ts, UTC),
                )
            )
        if updates:  # one round trip, not an ORM update per alert; in id order, so two workers cannot deadlock
            field = Alert._meta.get_field("evidence")
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE telemetry_alert SET occurrences = occurrences + %s, evidence = COALESCE(%s, evidence) WHERE id = %s",
                    [(n, None if ev is None else field.get_db_prep_value(ev, connection), pk) for pk, n, ev in sorted(updates)],
                )
        if created:
            create_alerts(created)
            result.alerts_created += len(created)


def create_alerts(alerts: list[Alert]) -> None:
    """Store new alerts with the credit signal each raises for the owner, and append them
    to the audit ledger (inside the caller's transaction)."""
    Alert.objects.bulk_create(alerts)
    if alerts[0].pk is None:  # pragma: no cover - SQLite before 3.35 returns no keys
        raise RuntimeError("bulk_create did not return primary keys")
    CreditSignal.objects.bulk_create(
        CreditSignal(owner_id=a.owner_id, alert_id=a.pk, outcome=CreditSignal.Outcome.RAISED, weight=CREDIT_WEIGHTS["raised"])
        for a in alerts
    )
    _audit_alerts(alerts)


CREDIT_WEIGHTS = {"raised": -0.1, "dismissed": 0.1, "confirmed": -1.0, "case": -3.0}


# Optional fields: a facts report may carry the K factor configured in the instrument
# (pulses per km of a taximeter, per litre of a dispenser), judged against the verified one.
OPTIONAL = {"facts": ("k",)}
NAN = float("nan")
NUMERIC = {
    "k",
    "volume_l",
    "unit_price",
    "amount",
    "pulses",
    "metered_km",
    "gps_km",
    "fare",
    "waiting_min",
    "charger_kwh",
    "billed_kwh",
    "register",
    "counter",
}


def _field_checks(kind: str) -> tuple:
    optional = OPTIONAL.get(kind, ())
    return tuple(
        (
            name,
            "counter" if name == "counter" else "number" if name in NUMERIC else "bool" if name == "seal_intact" else "text",
            name in optional,
        )
        for name in FIELDS[kind] + optional
    )


_FIELD_CHECKS = {kind: _field_checks(kind) for kind in FIELDS}
_MISSING = object()
_INF = float("inf")
_BIGINT = 2**63


def _check_fields(parsed: protocol.Parsed) -> None:
    """Every field the kind needs, numbers finite: a bad message is rejected alone and
    cannot poison its batch (which would then never be acknowledged)."""
    body = parsed.body
    for name, check, optional in _FIELD_CHECKS[parsed.kind]:
        value = body.get(name, _MISSING)
        if value is _MISSING:
            if optional:
                continue
            raise protocol.Rejected("malformed", parsed.device_code, f"{parsed.kind} lacks {name}")
        t = type(value)  # exact types: JSON gives int, float, str, bool (bool is not a number here)
        if check == "number":
            if t is int or (t is float and value == value and value != _INF and value != -_INF):
                continue
            raise protocol.Rejected("malformed", parsed.device_code, f"{name} must be a finite number")
        if check == "counter":
            if t is int:
                if -_BIGINT <= value < _BIGINT:  # stored in a bigint column: a larger one would fail the whole batch
                    continue
                raise protocol.Rejected("malformed", parsed.device_code, "counter must fit in 64 bits")
            if t is float and value == value and value != _INF and value != -_INF:
                raise protocol.Rejected("malformed", parsed.device_code, "counter must be an integer")
            raise protocol.Rejected("malformed", parsed.device_code, f"{name} must be a finite number")
        if check == "bool":
            if t is not bool:
                raise protocol.Rejected("malformed", parsed.device_code, "seal_intact must be true or false")
        elif t is not str or len(value) > 64:
            raise protocol.Rejected("malformed", parsed.device_code, f"{name} must be a short string")


_EPOCH = dt.datetime(1970, 1, 1)


def _sqlite_time(unix_s: float) -> str:
    return str(_EPOCH + dt.timedelta(seconds=unix_s))


def _finite(x):
    return x if x == x and abs(x) != float("inf") else None


def _evidence(f: Finding, parsed: protocol.Parsed) -> dict:
    score = f.score if f.score == f.score and abs(f.score) != float("inf") else None  # JSON has no inf / NaN
    return {"seq": f.seq, "score": score, "message": parsed.body}


def _columns(fresh) -> dict[str, dict[str, list]]:
    cols: dict[str, dict[str, list]] = {}
    for (dev, seq), (parsed, received) in fresh.items():
        c = cols.get(parsed.kind)
        if c is None:
            c = cols[parsed.kind] = {name: [] for name in ("device", "seq", "time_s", "received_s", *FIELDS[parsed.kind])}
        c["device"].append(dev)
        c["seq"].append(seq)
        c["time_s"].append(parsed.ts)
        c["received_s"].append(received)
        body = parsed.body
        for name in FIELDS[parsed.kind]:
            c[name].append(body[name])
        for name in OPTIONAL.get(parsed.kind, ()):
            c.setdefault(name, []).append(body.get(name, NAN))
    return cols


def _audit_alerts(alerts) -> None:
    """Alerts are writes that matter: append them to the audit ledger."""
    record_many(
        "create",
        Alert,
        [{"id": a.pk, "rule": a.rule, "instrument_id": a.instrument_id} for a in alerts],
        read_back=False,
        reason="telemetry early warning",
    )
