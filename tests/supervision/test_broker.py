"""Through a real Mosquitto: the worker stores every message once although it is killed
mid-stream (SIGKILL) and the broker is restarted under it; and the worker draining a
backlog through a window smaller than its batch, which is where a consumer that
acknowledges only full batches stalls (see jiliang.supervision.telemetry.worker). The
full-size 65,535 stall is characterised by benchmarks/bench_broker_stall.py;
bench_ingest.py drains 200,000 queued messages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jiliang.supervision.telemetry import protocol
from jiliang.supervision.telemetry.simulator import MqttPublisher, SimDevice, simulate

from .conftest import MOSQUITTO, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto binary not installed")]

ROOT = Path(__file__).resolve().parents[2]


def make_session(port: int, client_id: str, topic: str = protocol.TOPIC_FILTER) -> None:
    """Create a persistent session with its QoS 1 subscription before anything is published."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.subscribeoptions import SubscribeOptions

    subscribed = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.on_subscribe = lambda *a: subscribed.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    c.subscribe(topic, options=SubscribeOptions(qos=1))
    assert subscribed.wait(60), "no SUBACK"
    c.disconnect()
    c.loop_stop()


class WorkerDatabase:
    """The database the worker processes of the fault test write: a SQLite file (copied from
    the migrated test database when the tests run on SQLite), or, when they run on
    PostgreSQL, a fresh PostgreSQL database (binary COPY into the partitioned tables)."""

    def __init__(self, tmp_path, sqlite_template):
        from django.db import connection

        self.pg_admin = None
        if connection.vendor == "postgresql":
            s = connection.settings_dict
            self.name = f"jiliang_fault_{os.getpid()}"
            self.pg_admin = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"
            # scripts/test's migrated template (tests/database_templates.py), when it made one
            template = os.environ.get("JILIANG_TEST_POSTGRES_TEMPLATE")
            copy = f' TEMPLATE "{template}"' if template else ""
            self._admin(f"DROP DATABASE IF EXISTS {self.name}", f"CREATE DATABASE {self.name}{copy}")
            self.url = self.pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{self.name}"
            self.migrated = bool(template)
        else:
            path = str(tmp_path / "fault.sqlite3")
            self.url = f"sqlite:///{path}"
            self.path = path
            self.migrated = sqlite_template is not None
            if self.migrated:  # the migrated test database, copied: no need to migrate again
                shutil.copyfile(sqlite_template, path)

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        if self.pg_admin is None:
            with sqlite3.connect(self.path, timeout=60) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(sql).fetchall()

    def stored_rows(self) -> list[tuple[int, int]]:
        return self.query(
            "SELECT device_id, seq FROM telemetry_reading UNION ALL SELECT device_id, seq FROM telemetry_deviceevent"
        )

    def stored_count(self) -> int:
        return self.query("SELECT (SELECT count(*) FROM telemetry_reading) + (SELECT count(*) FROM telemetry_deviceevent)")[0][0]

    def drop(self):
        if self.pg_admin is not None:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def worker_db(tmp_path, sqlite_template):
    db = WorkerDatabase(tmp_path, sqlite_template)
    yield db
    db.drop()


@pytest.mark.slow
def test_worker_and_broker_killed_mid_stream_lose_and_double_nothing(private_broker, tmp_path, worker_db):
    from jiliang.core.detectors import fuel

    db = worker_db
    env = dict(
        os.environ, JILIANG_DATA_DIR=str(tmp_path), DATABASE_URL=db.url, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT)
    )
    build = [sys.executable, "-m", "tests.supervision.fleet"] + (["--no-migrate"] if db.migrated else [])
    subprocess.run(build, cwd=ROOT, env=env, check=True, timeout=600)
    devices = [
        SimDevice(code, key, kind, 1000.0)
        for code, key, kind in db.query("SELECT code, key, kind FROM telemetry_device ORDER BY id")
    ]
    ids = dict(db.query("SELECT code, id FROM telemetry_device"))
    port = private_broker.port
    make_session(port, "fault-worker")
    worker_cmd = [
        sys.executable,
        "-m",
        "jiliang.cli",
        "ingest",
        "--broker",
        private_broker.url,
        "--client-id",
        "fault-worker",
        "--batch-size",
        "100",
        "--idle-exit",
        "3",
        "--json",
    ]
    per_third = 50  # sequence numbers per device in each third of the stream
    third = per_third * len(devices)
    total = 3 * third
    pub = MqttPublisher("127.0.0.1", port, client_id="fault-publisher")

    # 1. A third is queued; the worker is killed (no goodbye) part-way through it.
    simulate(devices, publisher=pub, rate=0, messages=third, fraud_share=0.2, seed=4, first_seq=1)
    worker = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: db.stored_count() >= 200, 180, "the first worker to store 200 messages")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    after_kill = db.stored_count()
    assert 0 < after_kill <= third

    # 2. The next third is queued while the worker is down; the broker restarts (its
    #    persistence keeps the session, its queue and the messages in flight).
    simulate(devices, publisher=pub, rate=0, messages=third, fraud_share=0.2, seed=5, first_seq=per_third + 1)
    private_broker.stop()
    private_broker.start()

    # 3. A new worker consumes while the last third is published live, and the broker is
    #    restarted under both of them half-way through that.
    worker = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: db.stored_count() > after_kill, 180, "the restarted worker to store")
        sent: dict = {}
        live = threading.Thread(
            target=simulate,
            args=(devices,),
            kwargs=dict(
                publisher=pub, rate=1000, messages=third, fraud_share=0.2, seed=6, first_seq=2 * per_third + 1, record_times=sent
            ),
        )
        live.start()
        wait_for(lambda: len(sent) >= third // 3, 120, "the live publisher to be a third through")
        private_broker.stop()
        private_broker.start()
        live.join(180)
        assert not live.is_alive()
        pub.close()
        wait_for(lambda: db.stored_count() >= total, 300, f"all {total} messages to be stored")
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err.decode()[-2000:]
    assert json.loads(out.decode().strip().splitlines()[-1])["stored"] == total - after_kill

    rows = db.stored_rows()
    assert len(rows) == len(set(rows)), "a message was stored twice"
    expected = {(ids[d.code], s) for d in devices for s in range(1, 3 * per_third + 1)}
    assert set(rows) == expected, f"missing {len(expected - set(rows))}"
    # Nor judged twice: the alerts count each fraudulent sale exactly once.
    sales = [
        v if isinstance(v, dict) else json.loads(v)
        for (v,) in db.query("SELECT \"values\" FROM telemetry_reading WHERE kind = 'sale'")
    ]
    occurrences = db.query("SELECT coalesce(sum(occurrences), 0) FROM telemetry_alert WHERE rule = 'fuel.amount_mismatch'")[0][0]
    flagged = fuel.amount_mismatch(
        [m["volume_l"] for m in sales], [m["unit_price"] for m in sales], [m["amount"] for m in sales]
    ).count
    assert flagged > 0 and occurrences == flagged


def _naive_consumer(port: int, client_id: str, receive_maximum: int):
    """A paho consumer that states ``receive_maximum`` and acknowledges nothing by itself
    (it means to acknowledge "when the batch is full")."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    got: list[int] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.manual_ack_set(True)
    c.on_message = lambda cl, u, m: got.append(m.mid)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = receive_maximum
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.loop_start()
    return c, got


def _uncapped(broker):
    """Mosquitto without its own cap of 20 messages in flight per client (the setting
    under which the stall was measured)."""
    with open(broker.conf, "a") as f:
        f.write("max_inflight_messages 0\n")
    broker.stop()
    broker.start()


def test_a_window_smaller_than_a_batch_stalls_a_naive_consumer_but_not_the_worker(private_broker, fleet):
    """The same wall at a small scale: a window of 500 unacknowledged messages and batches of
    2,000. A consumer acknowledging full batches gets 500 and waits forever; the worker
    commits and acknowledges on its timer and drains all 3,000."""
    from jiliang.supervision.telemetry.models import DeviceEvent, Reading
    from jiliang.supervision.telemetry.worker import MqttIngest

    _uncapped(private_broker)
    port = private_broker.port
    make_session(port, "small-naive")
    make_session(port, "small-worker")
    devices = [SimDevice(d.code, d.key, d.kind, 1000.0) for d in fleet]
    total = 3000
    pub = MqttPublisher("127.0.0.1", port, client_id="small-publisher")
    report = simulate(devices, publisher=pub, rate=0, messages=total, fraud_share=0.0, seed=9, first_seq=10_000)
    pub.close()
    assert report.published == total

    c, got = _naive_consumer(port, "small-naive", 500)
    try:
        wait_for(lambda: len(got) >= 500, 60, "500 messages")
        time.sleep(1.0)
        assert len(got) == 500  # < 2,000: its batch never fills, nothing is ever acknowledged
    finally:
        c.disconnect()
        c.loop_stop()

    worker = MqttIngest("127.0.0.1", port, client_id="small-worker", batch_size=2000, receive_maximum=500)
    assert MqttIngest("127.0.0.1", port, batch_size=20000).receive_maximum == 65535  # the 16-bit ceiling
    stats = worker.run(idle_exit=3, seconds=240)
    ids = [d.pk for d in fleet]
    stored = (
        Reading.objects.filter(device_id__in=ids, seq__gte=10_000).count()
        + DeviceEvent.objects.filter(device_id__in=ids, seq__gte=10_000).count()
    )
    assert stats.stored == stored == total


def test_simulate_command_publishes_what_the_worker_stores_and_judges(private_broker, fleet, capsys):
    """`jiliang simulate --devices N --rate R --fraud-share F` through the broker into the worker."""
    from jiliang.supervision.telemetry.models import Alert, Reading
    from jiliang.supervision.telemetry.worker import MqttIngest
    from tests.command_line import run_command

    port = private_broker.port
    make_session(port, "cli-worker")
    assert (
        run_command(
            "simulate",
            "--devices",
            "20",
            "--rate",
            "2000",
            "--fraud-share",
            "0.5",
            "--messages",
            "600",
            "--broker",
            private_broker.url,
            "--first-seq",
            "700000",
            "--binary",
            "--json",
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["published"] == 600 and report["devices"] == 20 and report["fraud_messages"] > 0
    stats = MqttIngest("127.0.0.1", port, client_id="cli-worker").run(idle_exit=2, seconds=120)
    assert stats.stored == 600 and stats.rejected == 0
    ids = [d.pk for d in fleet[:20]]
    assert Reading.objects.filter(device_id__in=ids, seq__gte=700_000).count() > 0
    assert Alert.objects.filter(device_id__in=ids).exists()  # half of the devices cheat
