"""The 65,535 stall, characterised through a real Mosquitto (moved here from the test
suite: it measures the broker's behaviour, it does not guard ours; the worker's side is
tested by tests/supervision/test_broker.py at a small window).

A consumer stating Receive Maximum 65,535 (the 16-bit packet-identifier space) that
withholds its PUBACKs gets exactly 65,535 of the queued messages and then nothing, however
long it waits, until acknowledgements free the window. Printed: messages received before
the wall, how long the wall held, and the time to drain the rest after acknowledging.

    python benchmarks/bench_broker_stall.py [--messages 66000] [--wait 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ingest import make_session, start_mosquitto  # noqa: E402
from jiliang.supervision.telemetry import protocol  # noqa: E402
from jiliang.supervision.telemetry.mqttwire import Subscriber  # noqa: E402
from jiliang.supervision.telemetry.simulator import MqttPublisher  # noqa: E402

WINDOW = 65_535


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=66_000, help="queued messages (more than the window)")
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to watch the wall hold")
    args = parser.parse_args()
    proc, port, directory = start_mosquitto()
    if proc is None:
        raise SystemExit("bench_broker_stall: mosquitto is not installed")
    try:
        # Uncapped in flight (Mosquitto's own default cap is 20 per client): the setting the stall was measured under.
        with open(os.path.join(directory, "m.conf"), "a") as f:
            f.write("max_inflight_messages 0\n")
        proc.terminate()
        proc.wait(10)
        proc, port, directory = start_mosquitto_with(directory, port)
        make_session("127.0.0.1", port, "naive", topic=protocol.TOPIC_FILTER)
        started = time.monotonic()
        pub = MqttPublisher("127.0.0.1", port, client_id="naive-publisher")
        for i in range(args.messages):
            pub.publish("jiliang/t/X/up", b"%d" % i)
        pub.close()
        queued = time.monotonic() - started
        got: list = []
        c = Subscriber(
            "127.0.0.1", port, client_id="naive", topic=protocol.TOPIC_FILTER, on_messages=got.extend, receive_maximum=WINDOW
        )
        c.start()
        try:
            started = time.monotonic()
            reached = wait_for(lambda: len(got) >= min(WINDOW, args.messages), 180)
            to_wall = time.monotonic() - started
            time.sleep(args.wait)
            at_wall = len(got)
            stalled = at_wall == WINDOW < args.messages
            started = time.monotonic()
            c.ack(got[0][0], [m[1] for m in got[:1000]])
            drained = wait_for(lambda: len(got) == args.messages, 60)
            rest = time.monotonic() - started
        finally:
            c.stop()
        print(f"queued {args.messages:,} QoS 1 messages in {queued:.1f} s")
        print(
            f"received {at_wall:,} in {to_wall:.1f} s, then nothing for {args.wait:.1f} s: "
            f"{'the 65,535 wall' if stalled else 'no wall'}{'' if reached else ' (timed out)'}"
        )
        print(
            f"after acknowledging 1,000: the remaining {args.messages - at_wall:,} arrived in {rest:.2f} s"
            f"{'' if drained else ' (timed out)'}"
        )
        return 0 if stalled and drained else 1
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


def start_mosquitto_with(directory: str, port: int):
    """Restarts the private broker on its configuration (with the line added)."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([exe, "-c", os.path.join(directory, "m.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, port, directory


if __name__ == "__main__":
    raise SystemExit(main())
