"""`jiliang audit` (and `manage.py audit`): verify the hash-chained audit ledger and export signed checkpoints.

  jiliang audit verify [--json] [--checkpoint FILE] [--public-key PEM] [--no-rows] [--workers N]
  jiliang audit checkpoint [--out FILE] [--key PEM]
  jiliang audit baseline --reason TEXT

``verify`` exits 0 when the chain and the live rows are intact, 1 when it finds tampering
(one line per finding). ``--json`` prints ``VerifyReport.to_json()``:
``{"intact", "entries", "rows_checked", "head": {"sequence", "entry_hash", "timestamp"},
"checkpoint", "findings": [{"kind", "message", "sequence", "object_type", "object_id"}],
"unchecked_types", "seconds"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()


def _read_bytes(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SystemExit(f"jiliang: {what} {path}: {exc.strerror}") from None


def cmd_verify(args) -> int:
    _setup_django()
    from . import services  # the models load once Django is set up

    checkpoint = services.load_checkpoint(args.checkpoint) if args.checkpoint else None
    public_key = _read_bytes(args.public_key, "public key") if args.public_key else None
    report = services.verify(checkpoint=checkpoint, public_key_pem=public_key, check_rows=not args.no_rows, workers=args.workers)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for finding in report.findings:
            print(f"{finding.kind}: {finding.message}")
        head = report.head
        state = "intact" if report.intact else f"{len(report.findings)} finding(s)"
        print(
            f"audit ledger {state}: {report.entries} entries, head {head['sequence']} {head['entry_hash'][:16]}…, "
            f"{report.rows_checked} live rows checked in {report.seconds:.1f} s"
            + (
                f"; checkpoint {report.checkpoint['sequence']} contained: {report.checkpoint['contained']}"
                if report.checkpoint
                else ""
            )
        )
    return 0 if report.intact else 1


def cmd_checkpoint(args) -> int:
    _setup_django()
    from . import services  # the models load once Django is set up

    key = _read_bytes(args.key, "key") if args.key else None
    checkpoint = services.make_checkpoint(key)
    text = json.dumps(checkpoint, ensure_ascii=False, indent=2)
    if args.out and args.out != "-":
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(
            f"checkpoint {checkpoint['sequence']} {checkpoint['entry_hash']} written to {args.out}"
            + (" (signed)" if "signature" in checkpoint else "")
        )
    else:
        print(text)
    return 0


def cmd_baseline(args) -> int:
    _setup_django()
    from . import services  # the models load once Django is set up

    with services.audit_context(actor="cli:audit baseline"):
        covered = services.baseline(reason=args.reason)
    print(f"baseline: {sum(covered.values())} rows of {len(covered)} tables put on the ledger in batches")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="verify the audit ledger, export checkpoints")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = sub.add_parser("verify", help="walk the hash chain and the live rows; exit 1 on tampering")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--checkpoint", metavar="FILE", help="also check that the chain still contains this checkpoint")
    p.add_argument("--public-key", metavar="PEM", help="the key the checkpoint must be signed with (default: the embedded key)")
    p.add_argument("--no-rows", action="store_true", help="check the chain only, not the live rows")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="forked processes for a large ledger (default: JILIANG_AUDIT_VERIFY_WORKERS, else 1)",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "baseline",
        help="put every current row of the audited tables on the ledger (a database filled before "
        "bulk writes were recorded; run verify first)",
    )
    p.add_argument("--reason", required=True, help="why the current rows are taken as they are")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("checkpoint", help="append a checkpoint entry and export the head as JSON")
    p.add_argument("--out", metavar="FILE", help="write the checkpoint here (default: standard output)")
    p.add_argument("--key", metavar="PEM", help="sign with this Ed25519 or ECDSA private key (PEM, unencrypted)")
    p.set_defaults(func=cmd_checkpoint)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jiliang")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
