"""`jiliang simulate`: publish realistic signed telemetry with injected frauds for the
registered devices (for the demo, the benchmarks and the fault tests)."""

from __future__ import annotations

import json
import os
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="publish simulated smart-instrument telemetry with injected frauds")
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
    p.set_defaults(func=run)


def run(args) -> int:
    if args.devices < 1:
        raise ValueError("devices: must be at least 1")
    if not 0 <= args.fraud_share <= 1:
        raise ValueError("fraud-share: must be between 0 and 1")
    if args.rate < 0:
        raise ValueError("rate: must not be negative")
    if args.messages is not None and args.messages < 1:
        raise ValueError("messages: must be at least 1")
    if args.seconds is not None and args.seconds <= 0:
        raise ValueError("seconds: must be positive")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from django.db.models import Max

    from jiliang.supervision.telemetry import simulator
    from jiliang.supervision.telemetry.models import Device

    devices = simulator.load_devices(args.devices, register=args.register)
    if not devices:
        raise ValueError("devices: none registered; run with --register on a registry with instruments (jiliang demo)")
    first = args.first_seq or (Device.objects.aggregate(m=Max("last_seq"))["m"] or 0) + 1
    seconds = args.seconds if args.seconds is not None or args.messages is not None else 10.0
    publisher = simulator.publisher_for(args.broker)
    try:
        report = simulator.simulate(
            devices,
            publisher=publisher,
            rate=args.rate,
            seconds=seconds,
            messages=args.messages,
            fraud_share=args.fraud_share,
            seed=args.seed,
            first_seq=first,
            binary=args.binary,
        )
    finally:
        publisher.close()
    # "acknowledged": what the broker confirmed it holds (MQTT PUBACKs, JetStream acks), after every reconnect.
    data = report.as_json() | {
        "devices": len(devices),
        "broker": args.broker,
        "acknowledged": publisher.acked,
        "reconnects": publisher.reconnects,
    }
    print(
        json.dumps(data)
        if args.json
        else f"published {data['published']} messages from {len(devices)} devices ({data['fraud_messages']} with a fraud) "
        f"in {data['seconds']} s to {args.broker}; {data['acknowledged']} acknowledged, {data['reconnects']} reconnect(s)"
    )
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="jiliang")
    register(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args(["simulate", *sys.argv[1:]])
    try:
        raise SystemExit(ns.func(ns))
    except ValueError as exc:
        raise SystemExit(f"jiliang: {exc}") from None
