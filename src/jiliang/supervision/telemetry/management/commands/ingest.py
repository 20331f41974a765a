"""`jiliang ingest`: the telemetry worker (MQTT or NATS JetStream), plus the file import
path for instruments without a broker (``jiliang ingest --file messages.txt``: one signed
message per line pair, as the devices send them; see jiliang.supervision.telemetry.protocol)."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from jiliang.supervision.telemetry import worker
from jiliang.supervision.telemetry.pipeline import Pipeline
from jiliang.supervision.telemetry.services import sweep


class Command(BaseCommand):
    help = "consume telemetry from the broker (MQTT / NATS) or a file into the database"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        run(options)


def add_arguments(p) -> None:
    p.add_argument(
        "--broker", default="mqtt://127.0.0.1:1883", help="mqtt://host:port (Mosquitto) or nats://host:port (JetStream)"
    )
    p.add_argument(
        "--topic", default=None, help="MQTT topic filter (default jiliang/t/+/up) or NATS subject (default jiliang.t.>)"
    )
    p.add_argument(
        "--client-id",
        default="jiliang-ingest",
        help="MQTT client id / NATS durable consumer: keep it fixed so the session survives restarts",
    )
    p.add_argument(
        "--share",
        default=None,
        metavar="GROUP",
        help="MQTT 5 shared subscription group: run several workers (each its own --client-id) that split the traffic",
    )
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument(
        "--flush-interval", type=float, default=0.05, help="seconds before a partial batch is committed and acknowledged"
    )
    p.add_argument("--receive-maximum", type=int, default=None, help="MQTT 5 Receive Maximum (default 4 × batch size)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--idle-exit", type=float, default=None, help="stop after this many seconds without a message")
    p.add_argument("--file", default=None, help="import signed messages from a file (two lines each: body, signature) instead")
    p.add_argument(
        "--sweep-interval",
        type=float,
        default=60.0,
        help="seconds between runs of the periodic rules (silence, service life); 0 turns them off",
    )
    p.add_argument("--sweep", action="store_true", help="run the periodic rules once and exit")
    p.add_argument("--json", action="store_true", help="print the final counts as JSON")


def run(options) -> int:
    if options["batch_size"] < 1 or options["batch_size"] > 16000:
        raise ValueError("batch-size: " + gettext("须在 1 到 16000 之间（四批须能放入 65,535 的 MQTT 接收窗口）"))
    if options["sweep_interval"] < 0:
        raise ValueError("sweep-interval: " + gettext("不能为负数"))
    if options["flush_interval"] <= 0:
        raise ValueError("flush-interval: " + gettext("须大于 0 秒（输入值 %(got)s）") % {"got": options["flush_interval"]})
    if options["sweep"]:
        counts = sweep()
        print(
            json.dumps(counts)
            if options["json"]
            else f"alerts opened: {sum(counts.values())} " + ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        )
        return 0
    if options["file"]:
        stats = import_file(options["file"], batch_size=options["batch_size"])
    else:
        scheme, host, port = worker.parse_broker(options["broker"])
        if scheme == "mqtt":
            topic = options["topic"] or "jiliang/t/+/up"
            if options["share"]:
                topic = f"$share/{options['share']}/{topic}"
            source = worker.MqttIngest(
                host,
                port,
                topic=topic,
                client_id=options["client_id"],
                batch_size=options["batch_size"],
                flush_interval=options["flush_interval"],
                receive_maximum=options["receive_maximum"],
                pipeline=Pipeline(),
                sweep_interval=options["sweep_interval"],
            )
        else:
            source = worker.NatsIngest(
                host,
                port,
                subject=options["topic"] or worker.NATS_SUBJECTS,
                durable=options["client_id"],
                batch_size=options["batch_size"],
                flush_interval=options["flush_interval"],
                pipeline=Pipeline(),
                sweep_interval=options["sweep_interval"],
            )
        try:
            stats = source.run(seconds=options["seconds"], idle_exit=options["idle_exit"])
        except KeyboardInterrupt:
            stats = source.stats
    data = stats.as_json()
    if options["json"]:
        print(json.dumps(data))
    else:
        print(
            f"received {data['received']}, stored {data['stored']}, duplicates {data['duplicates']}, "
            f"rejected {data['rejected']}, alerts {data['alerts_created']} in {data['seconds']} s"
        )
    return 0


def import_file(path: str, batch_size: int = 2000):
    """Each message is its body line followed by its signature line."""
    pipeline, stats = Pipeline(), worker.IngestStats()
    try:
        handle = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as exc:
        raise ValueError("file: " + gettext("无法打开 %(path)s（%(reason)s）") % {"path": path, "reason": exc.strerror}) from None
    with handle:
        lines = [line.rstrip(b"\r\n") for line in handle if line.strip()]
    if len(lines) % 2:
        raise ValueError("file: " + gettext("%(path)s 的行数为奇数；每条消息应是一行消息体加一行签名") % {"path": path})
    now = time.time()
    messages = [(lines[i] + b"\n" + lines[i + 1], now) for i in range(0, len(lines), 2)]
    for i in range(0, len(messages), batch_size):
        chunk = messages[i : i + batch_size]
        stats.add(len(chunk), pipeline.handle(chunk))
    return stats
