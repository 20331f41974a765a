"""Ingest benchmark (issue 11): signed telemetry through a real broker on loopback into
SQLite and PostgreSQL with the streaming detectors on.

For each database, in a child process (Django settings are per process):
  1. sustained rate: N signed messages are queued for the worker's persistent session,
     then the worker drains them (validate, deduplicate, store, detect, alert, ack after
     commit); rate = stored messages / time to drain;
  2. latency: messages are published at a steady rate while the worker runs; for every
     fraud finding, time from publish to the commit of its alert (p50, p99).
The baseline, measured in the same run: the best plain client draining the same backlog
and discarding it (MQTT: the worker's own client, which drains several times faster than
paho, printed too; NATS: a batched JetStream pull consumer with one acknowledgement per
batch); and the storage floor, a raw binary COPY of the same rows into PostgreSQL. Every
figure is over --repeats runs (min / median / max; ratios of medians).

The broker is a private Mosquitto on a free port (no queue cap), unless --broker names one.
PostgreSQL: a scratch database on postgres://postgres@127.0.0.1:5432/ made for the run and
dropped after. NATS: a private nats-server (or --nats URL of a server that has no telemetry
stream yet; the stream the run creates there is deleted after). Targets: ≥ 20,000 msg/s into PostgreSQL, ≥ 50 % of the bare rate, p99 ≤ 2 s.

    python benchmarks/bench_ingest.py [--quick] [--messages N] [--skip-postgres] [--skip-sqlite] [--nats [--skip-mqtt]] [--workers K]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _databases import postgres_reachable, scratch_postgres  # noqa: E402  (the benchmarks folder is on a script's path)
from jiliang.supervision.telemetry.brokers import NATS_STREAM  # noqa: E402

PRIVATE_NATS = "private"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int) -> None:
    """Until a server started on loopback accepts connections (5 s at most)."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def start_mosquitto():
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(exe):
        return None, None, None
    d = tempfile.mkdtemp(prefix="bench-mosquitto-")
    port = free_port()
    conf = os.path.join(d, "m.conf")
    with open(conf, "w") as f:
        f.write(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
        )
    proc = subprocess.Popen([exe, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return proc, port, d


def start_nats():
    """A private nats-server with JetStream on a free port and a storage folder of its own:
    the benchmark purges and deletes its stream, which it must never do on a shared server."""
    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(exe):
        return None, None, None
    d = tempfile.mkdtemp(prefix="bench-nats-")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port)
    return proc, port, d


def nats_stream_exists(host, port) -> bool:
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    from jiliang.supervision.telemetry.brokers import NATS_STREAM

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        try:
            await nc.jetstream().stream_info(NATS_STREAM)
            return True
        except NotFoundError:
            return False
        finally:
            await nc.close()

    return asyncio.run(go())


def delete_nats_stream(host, port) -> None:
    import asyncio

    import nats

    from jiliang.supervision.telemetry.brokers import NATS_STREAM

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        await nc.jetstream().delete_stream(NATS_STREAM)
        await nc.close()

    asyncio.run(go())


def spread(values) -> str:
    return f"{min(values):,.0f} / {statistics.median(values):,.0f} / {max(values):,.0f}"


def percentile(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


# --------------------------------------------------------------------------- child


def child(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiliang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from jiliang.supervision.telemetry import simulator, worker
    from jiliang.supervision.telemetry.fleet import build_fleet
    from jiliang.supervision.telemetry.models import Device
    from jiliang.supervision.telemetry.pipeline import Pipeline

    call_command("migrate", verbosity=0)
    build_fleet(per_kind=args.devices // 5)
    devices = simulator.load_devices(args.devices)
    scheme, host, port = worker.parse_broker(args.broker)
    out = {"backend": args.backend, "transport": scheme, "devices": len(devices)}
    tag = f"{args.backend}-{os.getpid()}"

    # 1. sustained rate from a backlog
    if args.workers > 1:
        out.update(drain_with_workers(args, scheme, host, port, tag, devices, simulator))
    elif scheme == "mqtt":
        make_session(host, port, f"bench-worker-{tag}")
        source = worker.MqttIngest(host, port, client_id=f"bench-worker-{tag}", batch_size=args.batch_size, pipeline=Pipeline())
    else:
        source = worker.NatsIngest(host, port, durable=f"bench-worker-{tag}", batch_size=args.batch_size, pipeline=Pipeline())
        purge_nats(host, port)
        prime_nats_consumer(host, port, f"bench-worker-{tag}")
    if args.workers == 1:
        out.update(drain_in_process(args, source, devices, simulator))
    out.update(copy_floor())

    # 2. latency while publishing at a steady rate
    if scheme == "mqtt":
        lat_source = worker.MqttIngest(
            host, port, client_id=f"bench-latency-{tag}", batch_size=args.batch_size, pipeline=Pipeline()
        )
    else:
        lat_source = worker.NatsIngest(
            host, port, durable=f"bench-latency-{tag}", batch_size=args.batch_size, pipeline=Pipeline()
        )
        prime_nats_consumer(host, port, f"bench-latency-{tag}", deliver_new=True)
    latencies: list[float] = []
    codes = dict(Device.objects.values_list("pk", "code"))
    sent_at: dict = {}

    def on_latency_batch(result, items):
        now = time.time()
        for f in result.findings:
            t = sent_at.get((codes[f.device], f.seq))
            if t is not None:
                latencies.append(now - t)

    lat_source.on_batch = on_latency_batch
    stop = threading.Event()
    failure: list = []

    def consume():
        try:
            lat_source.run(stop=stop)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(repr(exc))

    th = threading.Thread(target=consume, daemon=True)
    th.start()
    time.sleep(1.0)
    pub = simulator.publisher_for(args.broker)
    simulator.simulate(
        devices,
        publisher=pub,
        rate=args.latency_rate,
        seconds=args.latency_seconds,
        fraud_share=0.05,
        seed=2,
        first_seq=10_000_000,
        record_times=sent_at,
    )
    pub.close()
    time.sleep(2.0)
    stop.set()
    th.join(30)
    if failure:
        print(f"latency worker failed: {failure[0]}", file=sys.stderr)
    out["latency_rate"] = args.latency_rate
    out["latency_messages"] = lat_source.stats.stored
    out["latency_findings"] = len(latencies)
    out["alert_p50_s"] = round(percentile(latencies, 50), 4)
    out["alert_p99_s"] = round(percentile(latencies, 99), 4)
    if scheme == "nats":  # durable consumers outlive the run: leave none behind on a shared server
        delete_nats_consumers(host, port, [f"bench-worker-{tag}", f"bench-latency-{tag}"])
    print("RESULT " + json.dumps(out), flush=True)


def drain_in_process(args, source, devices, simulator) -> dict:
    pub = simulator.publisher_for(args.broker)
    simulator.simulate(devices, publisher=pub, rate=0, messages=args.messages, fraud_share=0.05, seed=1)
    pub.close()
    commits: list[float] = []
    source.on_batch = lambda result, items: commits.append(time.perf_counter())
    t0 = time.perf_counter()
    stats = source.run(idle_exit=1.0, seconds=600)
    # From the start (connect included) to the last commit: the idle wait that ends the run is not counted.
    elapsed = max((commits[-1] if commits else time.perf_counter()) - t0, 1e-9)
    return {
        "stored": stats.stored,
        "drain_seconds": round(elapsed, 3),
        "stored_per_s": round(stats.stored / elapsed, 1),
        "workers": 1,
    }


def copy_floor() -> dict:
    """The storage floor (PostgreSQL): the readings just stored, read back and written again
    with one raw binary COPY into a bare table with the same unique index, in a transaction
    that is rolled back. No signature check, no deduplication, no detectors: only what the
    database needs to take the rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            'COPY (SELECT device_id, seq, ts, kind, "values", received_at FROM telemetry_reading) TO STDOUT (FORMAT BINARY)'
        ) as copy:
            dump = b"".join(bytes(chunk) for chunk in copy)
        rows = raw.execute("SELECT count(*) FROM telemetry_reading").fetchone()[0]
        raw.execute("BEGIN")
        t0 = time.perf_counter()
        raw.execute(
            'CREATE TEMP TABLE bench_floor (device_id bigint, seq bigint, ts timestamptz, kind varchar(12), "values" jsonb, received_at timestamptz)'
        )
        raw.execute("CREATE UNIQUE INDEX ON bench_floor (device_id, seq, ts)")
        with raw.copy('COPY bench_floor (device_id, seq, ts, kind, "values", received_at) FROM STDIN (FORMAT BINARY)') as copy:
            copy.write(dump)
        raw.execute("COMMIT")  # the commit is part of storing, as in the worker
        elapsed = time.perf_counter() - t0
        raw.execute("DROP TABLE bench_floor")
    return {"copy_rows": rows, "copy_per_s": round(rows / max(elapsed, 1e-9), 1)}


def drain_with_workers(args, scheme, host, port, tag, devices, simulator) -> dict:
    """K worker processes drain the backlog: on one MQTT 5 shared subscription ($share/…),
    or pulling from one durable NATS JetStream consumer."""
    if scheme == "mqtt":
        topic = f"$share/bench-{tag}/jiliang/t/+/up"
        ids = [f"bench-worker-{tag}-{i}" for i in range(args.workers)]
        for cid in ids:
            make_session(host, port, cid, topic=topic)
        options = [["--client-id", cid, "--share", f"bench-{tag}"] for cid in ids]
    else:
        purge_nats(host, port)
        prime_nats_consumer(host, port, f"bench-worker-{tag}")
        options = [["--client-id", f"bench-worker-{tag}"]] * args.workers
    pub = simulator.publisher_for(args.broker)
    simulator.simulate(devices, publisher=pub, rate=0, messages=args.messages, fraud_share=0.05, seed=1)
    pub.close()
    idle = 1.0
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jiliang.cli",
                "ingest",
                "--broker",
                args.broker,
                *opts,
                "--batch-size",
                str(args.batch_size),
                "--idle-exit",
                str(idle),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for opts in options
    ]
    stored, starts, commits = 0, [], []
    for p in procs:
        o, e = p.communicate(timeout=900)
        if p.returncode != 0:
            raise RuntimeError(e[-2000:])
        report = json.loads(o.strip().splitlines()[-1])
        stored += report["stored"]
        starts.append(report["started_at"])
        if report["last_commit_at"] is not None:
            commits.append(report["last_commit_at"])
    wall = max(time.perf_counter() - t0 - idle, 1e-9)
    # As in one process: from the workers' start (connect included) to the last commit. The
    # interpreter and Django boot of each process (~1 s) is not ingest; the wall rate keeps it.
    elapsed = max((max(commits) if commits else time.time()) - min(starts), 1e-9)
    return {
        "stored": stored,
        "drain_seconds": round(elapsed, 3),
        "stored_per_s": round(stored / elapsed, 1),
        "workers": args.workers,
        "wall_per_s": round(stored / wall, 1),
    }


def make_session(host, port, client_id, topic="jiliang/t/+/up"):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.subscribeoptions import SubscribeOptions

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    c.connect(host, port, clean_start=False, properties=props)
    c.loop_start()
    c.subscribe(topic, options=SubscribeOptions(qos=1))
    time.sleep(0.3)
    c.disconnect()
    c.loop_stop()


def purge_nats(host, port):
    import asyncio

    import nats

    from jiliang.supervision.telemetry.brokers import NATS_STREAM, ensure_stream

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        js = nc.jetstream()
        await ensure_stream(js)
        await js.purge_stream(NATS_STREAM)
        await nc.close()

    asyncio.run(go())


def delete_nats_consumers(host, port, names):
    import asyncio

    import nats

    from jiliang.supervision.telemetry.brokers import NATS_STREAM

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_consumer(NATS_STREAM, name)
            except Exception:  # noqa: BLE001 - already gone
                pass
        await nc.close()

    asyncio.run(go())


def prime_nats_consumer(host, port, durable, deliver_new=False):
    import asyncio

    import nats
    from nats.js.api import ConsumerConfig, DeliverPolicy

    from jiliang.supervision.telemetry.brokers import NATS_STREAM, NATS_SUBJECTS, ensure_stream

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        js = nc.jetstream()
        await ensure_stream(js)
        cfg = ConsumerConfig(
            durable_name=durable,
            filter_subject=NATS_SUBJECTS,
            deliver_policy=DeliverPolicy.NEW if deliver_new else DeliverPolicy.ALL,
            ack_wait=30,
        )
        await js.add_consumer(NATS_STREAM, cfg)
        await nc.close()

    asyncio.run(go())


# --------------------------------------------------------------------------- bare subscribers


def _queue_backlog(host, port, cid, n, devices_payloads) -> None:
    from jiliang.supervision.telemetry.mqttwire import BulkPublisher

    make_session(host, port, cid)
    pub = BulkPublisher(host, port, client_id=f"{cid}-pub")
    for i in range(n):
        topic, payload = devices_payloads[i % len(devices_payloads)]
        pub.publish(topic, payload)
    pub.close()


def bare_mqtt(host, port, n, devices_payloads) -> float:
    """Drain rate of a bare paho subscriber (auto-ack, no work) from a backlog of n messages."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    cid = f"bench-bare-{os.getpid()}"
    _queue_backlog(host, port, cid, n, devices_payloads)
    got = [0]
    done = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 8000

    def on_message(cl, u, m):
        got[0] += 1
        if got[0] >= n:
            done.set()

    c.on_message = on_message
    t0 = time.perf_counter()
    c.connect(host, port, clean_start=False, properties=props)
    c.loop_start()
    done.wait(600)
    elapsed = time.perf_counter() - t0
    c.disconnect()
    c.loop_stop()
    return got[0] / elapsed


def bare_wire(host, port, n, devices_payloads) -> float:
    """Drain rate of the worker's own MQTT client (jiliang.supervision.telemetry.mqttwire),
    acknowledging each read at once and doing nothing else: the transport's share of the worker."""
    from jiliang.supervision.telemetry.mqttwire import Subscriber

    cid = f"bench-wire-{os.getpid()}"
    _queue_backlog(host, port, cid, n, devices_payloads)
    got = [0]
    done = threading.Event()
    sub = None

    def on_messages(batch):
        got[0] += len(batch)
        sub.ack(batch[0][0], [m[1] for m in batch])
        if got[0] >= n:
            done.set()

    sub = Subscriber(host, port, client_id=cid, topic="jiliang/t/+/up", on_messages=on_messages, receive_maximum=8000)
    t0 = time.perf_counter()
    sub.start()
    done.wait(600)
    elapsed = time.perf_counter() - t0
    sub.stop()
    return got[0] / elapsed


def bare_nats(host, port, n, devices_payloads) -> float:
    import asyncio

    import nats

    from jiliang.supervision.telemetry.brokers import NATS_STREAM

    async def go():
        nc = await nats.connect(f"nats://{host}:{port}")
        js = nc.jetstream()
        from jiliang.supervision.telemetry.brokers import ensure_stream

        await ensure_stream(js)
        await js.purge_stream(NATS_STREAM)
        for i in range(n):
            topic, payload = devices_payloads[i % len(devices_payloads)]
            await nc.publish(topic.replace("/", "."), payload)
        await nc.flush()
        durable = f"bench-bare-{os.getpid()}"
        from nats.js.api import AckPolicy, ConsumerConfig

        # The best plain JetStream client for reading and discarding: batched pulls and one
        # acknowledgement per batch (AckPolicy.ALL acknowledges everything up to it).
        sub = await js.pull_subscribe(
            "jiliang.t.>",
            durable=durable,
            stream=NATS_STREAM,
            config=ConsumerConfig(max_ack_pending=20000, ack_wait=30, ack_policy=AckPolicy.ALL),
        )
        got = 0
        t0 = time.perf_counter()
        while got < n:
            try:
                msgs = await sub.fetch(2000, timeout=1)
            except Exception:
                break
            await msgs[-1].ack()
            got += len(msgs)
        elapsed = time.perf_counter() - t0
        await js.delete_consumer(NATS_STREAM, durable)
        await nc.close()
        return got / elapsed

    return asyncio.run(go())


def sample_payloads(k=2000):
    from jiliang.supervision.telemetry import protocol

    key = "ab" * 32
    out = []
    for i in range(k):
        body = {
            "d": f"BARE{i % 100:04d}",
            "seq": i + 1,
            "ts": time.time(),
            "kind": "sale",
            "volume_l": 30.0,
            "unit_price": 7.94,
            "amount": 238.2,
            "pulses": 30000,
        }
        out.append((protocol.topic_for(body["d"]), protocol.encode(body, key)))
    return out


# --------------------------------------------------------------------------- parent


def run_child(backend, broker, args, tmp) -> dict | None:
    env = dict(os.environ, JILIANG_DATA_DIR=tmp, PYTHONPATH=str(ROOT / "src"))
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench-{broker.split(':')[0]}.sqlite3"
        return run_child_on(env, backend, broker, args)
    with scratch_postgres("ingest") as url:
        if url is None:
            return None
        env["DATABASE_URL"] = url
        return run_child_on(env, backend, broker, args)


def run_child_on(env, backend, broker, args) -> dict | None:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--backend",
        backend,
        "--broker",
        broker,
        "--messages",
        str(args.messages),
        "--devices",
        str(args.devices),
        "--batch-size",
        str(args.batch_size),
        "--latency-rate",
        str(args.latency_rate),
        "--latency-seconds",
        str(args.latency_seconds),
        "--workers",
        str(args.workers),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(f"  {backend} via {broker}: failed\n{proc.stderr[-3000:]}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 messages instead of 200,000")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=4000)
    parser.add_argument("--latency-rate", type=float, default=2000.0, help="messages/s published during the latency run")
    parser.add_argument("--latency-seconds", type=float, default=None)
    parser.add_argument("--broker", default=None, help="mqtt://host:port of a running broker (default: a private mosquitto)")
    parser.add_argument(
        "--nats",
        default=None,
        nargs="?",
        const=PRIVATE_NATS,
        help="also through NATS JetStream: a private nats-server, or the URL of one without a telemetry stream yet",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each baseline and each worker configuration")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-mqtt", action="store_true", help="with --nats: measure only NATS")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes for the sustained rate (MQTT: a shared subscription; NATS: one durable consumer)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="sqlite", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.messages = args.messages or (20_000 if args.quick else 200_000)
    args.latency_seconds = args.latency_seconds or (5.0 if args.quick else 15.0)
    if args.child:
        child(args)
        return 0

    proc = nats_proc = nats_dir = created_stream = None
    tmp = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        if args.broker:
            broker = args.broker
        else:
            proc, port, _ = start_mosquitto()
            if proc is None:
                print("skipped: mosquitto not installed")
                return 0
            broker = f"mqtt://127.0.0.1:{port}"
        from jiliang.supervision.telemetry.brokers import parse_broker

        _, host, port = parse_broker(broker)
        payloads = sample_payloads()
        print(
            f"ingest benchmark: {args.messages} signed messages, {args.devices} devices, batch {args.batch_size}, broker {broker}"
        )
        print(
            f"{os.cpu_count()} CPUs; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())} (a shared machine slows every figure alike)"
        )
        transports = []
        if not (args.skip_mqtt and args.nats):
            paho = [bare_mqtt(host, port, args.messages, payloads) for _ in range(args.repeats)]
            print(f"bare paho subscriber (for reference): {spread(paho)} msg/s")
            wire = [bare_wire(host, port, args.messages, payloads) for _ in range(args.repeats)]
            print(
                f"baseline: the worker's own MQTT client reading and discarding (the fastest plain client here): {spread(wire)} msg/s"
            )
            transports.append(("mqtt", broker, statistics.median(wire)))
        if args.nats:
            try:
                import nats  # noqa: F401 - only to report a missing package

                if args.nats == PRIVATE_NATS:
                    nats_proc, nats_port, nats_dir = start_nats()
                    if nats_proc is None:
                        raise SystemExit("nats-server is not installed (or pass --nats URL of a running server)")
                    args.nats = f"nats://127.0.0.1:{nats_port}"
                _, nh, np_ = parse_broker(args.nats)
                if nats_stream_exists(nh, np_):
                    raise SystemExit(
                        f"{args.nats} already has a {NATS_STREAM} stream: not this run's, so the benchmark will not purge it "
                        "(run --nats without a URL for a private server)"
                    )
                created_stream = (nh, np_)
                bare_n = [bare_nats(nh, np_, args.messages, payloads) for _ in range(args.repeats)]
                print(f"baseline: batched JetStream pull consumer, one ack per batch: {spread(bare_n)} msg/s")
                transports.append(("nats", args.nats, statistics.median(bare_n)))
            except ImportError:
                print("skipped: nats-py not installed")
        backends = ([] if args.skip_sqlite else ["sqlite"]) + ([] if args.skip_postgres else ["postgres"])
        if "postgres" in backends and not postgres_reachable():
            backends.remove("postgres")
        print(
            f"{'transport':9s} {'database':9s} {'workers':>7s} {'stored':>8s} {'msg/s min / median / max':>28s} {'÷ baseline':>10s} "
            f"{'p50 s':>7s} {'p99 s':>7s} {'findings':>8s} {'COPY floor msg/s':>17s}"
        )
        for transport, url, limit in transports:
            for backend in backends:
                runs = [r for r in (run_child(backend, url, args, tmp) for _ in range(args.repeats)) if r is not None]
                if not runs:
                    continue
                rates = [r["stored_per_s"] for r in runs]
                r = runs[-1]
                floor = spread([x["copy_per_s"] for x in runs]) if "copy_per_s" in r else "n/a (SQLite)"
                print(
                    f"{transport:9s} {backend:9s} {r.get('workers', 1):7d} {r['stored']:8d} {spread(rates):>28s} "
                    f"{statistics.median(rates) / limit:9.0%} {r['alert_p50_s']:7.3f} {r['alert_p99_s']:7.3f} {r['latency_findings']:8d} {floor:>17s}"
                    + (f"   (with process boot: {r['wall_per_s']:,.0f} msg/s)" if "wall_per_s" in r else "")
                )
        print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("targets: ≥ 20,000 msg/s into PostgreSQL, ≥ 50 % of the baseline client's drain rate (medians), alert p99 ≤ 2 s")
        if args.messages > 65535:
            print(
                f"each MQTT run drained a backlog of {args.messages:,} queued QoS 1 messages (> 65,535): "
                "'stored' equal to it means no stall and no loss"
            )
    finally:
        if created_stream is not None and nats_proc is None:
            delete_nats_stream(*created_stream)  # the stream this run created on the given server
        for server in (proc, nats_proc):
            if server is not None:
                server.terminate()
                server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        if nats_dir:
            shutil.rmtree(nats_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
