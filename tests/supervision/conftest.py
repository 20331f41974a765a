"""Fixtures: a small demo province with registered telemetry devices, and a Mosquitto
broker (the one at 127.0.0.1:1883 when it answers, else a private one on a free port)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from django.db import transaction

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str, poll: float = 0.05):
    """Poll ``condition`` until it returns something true (returned) or fail after ``timeout``
    seconds: tests wait for states, never for fixed times."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A private Mosquitto with persistence on, so a restart keeps sessions and queues."""

    def __init__(self):
        if MOSQUITTO is None:
            pytest.skip("mosquitto binary not found (apt-get install mosquitto)")
        self.dir = tempfile.mkdtemp(prefix="jiliang-mosquitto-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                f"persistence_location {self.dir}/\nmax_queued_messages 0\nautosave_interval 0\n"
                # Started as root, mosquitto drops to user "mosquitto", which could not write here.
                f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            )
        self.proc = None
        self.start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Generous: on a loaded machine, restoring a persisted queue takes a while.
        wait_for(lambda: port_open("127.0.0.1", self.port), 60, "mosquitto to listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file on the way out
            self.proc.wait(10)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_broker():
    broker = Broker()
    yield broker
    broker.close()


@pytest.fixture(scope="session")
def sqlite_template(django_db_setup, django_db_blocker, tmp_path_factory):
    """A file copy of the migrated (empty) SQLite test database, for the worker processes of
    the fault test, so they need not run every migration again; None on PostgreSQL. Taken
    before any fixture opens a transaction (SQLite cannot back up a database mid-write)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    import sqlite3

    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        assert not connection.in_atomic_block
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
    return path


@pytest.fixture(scope="package")
def fleet(sqlite_template, django_db_blocker):
    """Once for this package's tests, rolled back when they are done (so later packages see an
    empty database): the Zhejiang regions and the reference
    catalog, two owners in two cities, and a device registered on 8 instruments of each telemetry kind (FUEL_DISPENSER fuel dispenser, TAXIMETER taxi
    meter, EV_CHARGER_AC EV charger, WATER_METER water meter, PRICE_SCALE price scale)."""
    from .fleet import build

    with django_db_blocker.unblock():
        with transaction.atomic():
            devices = build()
            yield devices
            transaction.set_rollback(True)
