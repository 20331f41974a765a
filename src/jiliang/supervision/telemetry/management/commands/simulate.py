"""`jiliang simulate`: publish realistic signed telemetry with injected frauds for the
registered devices (for the demo, the benchmarks and the fault tests)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils.translation import gettext

from jiliang.supervision.telemetry import simulator
from jiliang.supervision.telemetry.models import Device


class Command(BaseCommand):
    help = "publish simulated smart-instrument telemetry with injected frauds"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        run(options)


def add_arguments(p) -> None:
    p.add_argument("--devices", type=int, default=100, help="number of devices (registered first if --register)")
    p.add_argument("--rate", type=float, default=100.0, help="messages per second in total (0: as fast as possible)")
    p.add_argument("--fraud-share", type=float, default=0.05, help="share of devices that cheat (on half their messages)")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    p.add_argument("--seconds", type=float, default=None, help="duration (default 10 s unless --messages)")
    p.add_argument("--messages", type=int, default=None, help="stop after this many messages")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--first-seq", type=int, default=None, help="first sequence number (default: after each device's last stored one)"
    )
    p.add_argument("--binary", action="store_true", help="publish the compact binary form instead of JSON")
    p.add_argument("--register", action="store_true", help="register devices on registry instruments until there are --devices")
    p.add_argument("--json", action="store_true")


def run(options) -> int:
    if options["devices"] < 1:
        raise ValueError("devices: " + gettext("至少为 1"))
    if not 0 <= options["fraud_share"] <= 1:
        raise ValueError("fraud-share: " + gettext("须在 0 到 1 之间"))
    if options["rate"] < 0:
        raise ValueError("rate: " + gettext("不能为负数"))
    if options["messages"] is not None and options["messages"] < 1:
        raise ValueError("messages: " + gettext("至少为 1"))
    if options["seconds"] is not None and options["seconds"] <= 0:
        raise ValueError("seconds: " + gettext("须大于 0"))
    devices = simulator.load_devices(options["devices"], register=options["register"])
    if not devices:
        raise ValueError("devices: " + gettext("尚未登记任何设备；请在已有计量器具的登记库（jiliang demo）上加 --register 运行"))
    first = options["first_seq"] or (Device.objects.aggregate(m=Max("last_seq"))["m"] or 0) + 1
    seconds = options["seconds"] if options["seconds"] is not None or options["messages"] is not None else 10.0
    publisher = simulator.publisher_for(options["broker"])
    try:
        report = simulator.simulate(
            devices,
            publisher=publisher,
            rate=options["rate"],
            seconds=seconds,
            messages=options["messages"],
            fraud_share=options["fraud_share"],
            seed=options["seed"],
            first_seq=first,
            binary=options["binary"],
        )
    finally:
        publisher.close()
    # "acknowledged": what the broker confirmed it holds (MQTT PUBACKs, JetStream acks), after every reconnect.
    data = report.as_json() | {
        "devices": len(devices),
        "broker": options["broker"],
        "acknowledged": publisher.acked,
        "reconnects": publisher.reconnects,
    }
    print(
        json.dumps(data)
        if options["json"]
        else f"published {data['published']} messages from {len(devices)} devices ({data['fraud_messages']} with a fraud) "
        f"in {data['seconds']} s to {options['broker']}; {data['acknowledged']} acknowledged, {data['reconnects']} reconnect(s)"
    )
    return 0
