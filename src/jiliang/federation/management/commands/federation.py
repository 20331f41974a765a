"""`jiliang federation …`: provinces and the national data centre.

``publish`` writes this instance's signed records after a sequence as JSON lines (the
transport, jiliang.federation.transport, carries them over NATS JetStream); ``consume
--from-file`` applies a JSON-lines file of records (what a cut-off link can carry by hand);
``status`` shows each origin's high-water mark, lag and health; ``enrol`` records whom to
trust for an origin's records. These act as the server's operator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from jiliang.federation import outbox, services


class Command(BaseCommand):
    help = "federation: publish change records, consume them from a file, status, enrol an origin (联邦)"
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="federation_command", metavar="ACTION", required=True)
        p = sub.add_parser("publish", help="write the signed records after a sequence as JSON lines")
        p.add_argument("--after", type=int, default=0, help="the last sequence the receiver has (default 0)")
        p.add_argument("--limit", type=int, default=10000)
        p.add_argument("--coverage", action="store_true", help="also snapshot the coverage ledger and indicators")
        p.add_argument("--to-file", type=Path, default=None, help="write here instead of standard output")
        _nats_arguments(p, "publish to JetStream from where the stream stopped, then follow the outbox")
        p.set_defaults(func=self.publish)
        p = sub.add_parser("consume", help="apply records (JSON lines) from a file, or - for standard input")
        p.add_argument("--from-file", help="a JSON-lines file of records, or -")
        _nats_arguments(p, "consume from JetStream: the centre every province's changes, a province the centre's")
        p.set_defaults(func=self.consume)
        p = sub.add_parser("status", help="each origin's high-water mark, lag and health")
        p.add_argument(
            "--nats", action="store_true", help="first note each province's last seq in the stream (JILIANG_FEDERATION_NATS)"
        )
        p.set_defaults(func=self.status)
        p = sub.add_parser("enrol", help="whom to trust for an origin's records")
        p.add_argument("code", help="two-digit GB/T 2260 province code, or national")
        p.add_argument("--institution", default="", help="the credit code of the institution that signs its records")
        p.add_argument("--anchors", type=Path, default=None, help="PEM file of its root CA certificates")
        p.add_argument("--name", default="")
        p.set_defaults(func=self.enrol)

    def handle(self, *args, **options):
        try:
            options["func"](options)
        except (outbox.FederationNotConfigured, services.EnrolmentError) as exc:
            raise CommandError(str(exc)) from None

    def _out(self, data) -> None:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")

    def publish(self, options):
        if options["nats"]:
            return _over_nats(self, "publish", options)
        if options["coverage"]:
            outbox.snapshot_coverage()
        if options["limit"] < 1 or options["limit"] > 1_000_000:
            raise CommandError("limit: must be between 1 and 1000000")
        target = options["to_file"]
        stream = target.open("wb") if target else sys.stdout.buffer
        count, last = 0, options["after"]
        try:
            for seq, raw in outbox.pending_records(options["after"], limit=options["limit"]):
                stream.write(raw + b"\n")
                count, last = count + 1, seq
        finally:
            if target:
                stream.close()
        sys.stderr.write(f"{count} record(s), last sequence {last}\n")

    def consume(self, options):
        if options["nats"]:
            return _over_nats(self, "consume", options)
        name = options["from_file"]
        if not name:
            raise CommandError("consume: --from-file FILE, or --nats")
        if name == "-":
            outcomes = services.apply_lines(sys.stdin.buffer, source="stdin")
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"from-file: {name} is not a file")
            outcomes = services.apply_file(path)
        self._out({k: outcomes.get(k, 0) for k in ("applied", "duplicate", "refused")})

    def status(self, options):
        if options["nats"]:
            from jiliang.federation import transport

            try:
                sys.stderr.write(transport.format_status(transport.run_status()) + "\n")
            except (ConnectionError, OSError) as exc:
                raise CommandError(f"nats: {exc}") from None
        self._out(
            [
                {
                    "code": r["status"].code,
                    "name": r["name"],
                    "health": r["health"],
                    "applied_through": r["status"].applied_through,
                    "highest_seq": r["status"].highest_seq,
                    "published_seq": r["status"].published_seq,
                    "lag": r["lag"],
                    "applied": r["status"].applied_count,
                    "duplicates": r["status"].duplicate_count,
                    "refused": r["status"].refused_count,
                    "refused_today": r["refused_today"],
                    "last_seen_at": r["status"].last_seen_at,
                }
                for r in services.status_rows()
            ]
        )

    def enrol(self, options):
        anchors = ""
        if options["anchors"] is not None:
            if not options["anchors"].is_file():
                raise CommandError(f"anchors: {options['anchors']} is not a file")
            anchors = options["anchors"].read_text(encoding="ascii", errors="replace")
        status = services.enrol(
            options["code"], name=options["name"], institution_credit_code=options["institution"], anchors_pem=anchors
        )
        self._out({"code": status.code, "name": status.name, "institution": status.institution_credit_code})


def _nats_arguments(parser, what: str) -> None:
    """The JetStream loops (jiliang.federation.transport), to the servers in JILIANG_FEDERATION_NATS."""
    parser.add_argument("--nats", action="store_true", help=what)
    parser.add_argument("--once", action="store_true", help="with --nats: stop when nothing is left (else run until stopped)")
    parser.add_argument("--seconds", type=float, default=None, help="with --nats: stop after this long")


def _over_nats(command, action: str, options) -> None:
    import signal
    import threading

    from jiliang.federation import transport

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # `scripts/federation down`: finish the batch, then stop
    if options["seconds"] is not None:
        timer = threading.Timer(options["seconds"], stop.set)
        timer.daemon = True
        timer.start()
    try:
        if action == "publish":
            if options["coverage"]:
                outbox.snapshot_coverage()
            stats = transport.run_publish(once=options["once"], stop=stop)
            command._out({"acknowledged": stats.acked, "duplicates": stats.duplicates, "last_seq": stats.last_seq})
        else:
            result = transport.run_consume(idle_exit=2.0 if options["once"] else None, stop=stop)
            command._out({"applied": result.applied, "duplicate": result.duplicate, "refused": result.refused})
    except KeyboardInterrupt:
        pass
    except (ConnectionError, OSError) as exc:
        raise CommandError(f"nats: {exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
