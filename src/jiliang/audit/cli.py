"""What `jiliang audit` (the audit app's management command) does: verify the hash-chained audit ledger and export signed checkpoints.

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

import json
import os
import sys

from jiliang.audit import services

# Subcommands of `jiliang audit` that apps above the ledger add in their AppConfig.ready()
# (jiliang.witness: witness-checkpoint, witness-verify): the audit app imports none of them.
SUBCOMMANDS: list = []


def _read_bytes(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SystemExit(f"jiliang: {what} {path}: {exc.strerror}") from None


def cmd_verify(options) -> int:
    checkpoint = services.load_checkpoint(options["checkpoint"]) if options["checkpoint"] else None
    public_key = _read_bytes(options["public_key"], "public key") if options["public_key"] else None
    report = services.verify(
        checkpoint=checkpoint, public_key_pem=public_key, check_rows=not options["no_rows"], workers=options["workers"]
    )
    if options["json"]:
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


def cmd_checkpoint(options) -> int:
    key = _read_bytes(options["key"], "key") if options["key"] else None
    if options.get("generate_key"):
        key = _new_key(options["generate_key"])
    checkpoint = services.make_checkpoint(key)
    text = json.dumps(checkpoint, ensure_ascii=False, indent=2)
    if options["out"] and options["out"] != "-":
        with open(options["out"], "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(
            f"checkpoint {checkpoint['sequence']} {checkpoint['entry_hash']} written to {options['out']}"
            + (" (signed)" if "signature" in checkpoint else "")
        )
    else:
        print(text)
    return 0


def _new_key(path: str) -> bytes:
    """Write a new checkpoint key (mode 0600, never over an existing file) and its public key."""
    from django.conf import settings

    from jiliang.audit.checkpoints import generate_key

    private, public = generate_key(settings.JILIANG_SIGNATURE_ALGORITHM)
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(private)
    except FileExistsError:
        raise SystemExit(f"jiliang: --generate-key: {path} exists; sign with it by --key") from None
    with open(f"{path}.pub", "wb") as handle:
        handle.write(public)
    print(f"new {settings.JILIANG_SIGNATURE_ALGORITHM} checkpoint key in {path} (public key {path}.pub)", file=sys.stderr)
    return private


def cmd_baseline(options) -> int:
    with services.audit_context(actor="cli:audit baseline"):
        covered = services.baseline(reason=options["reason"])
    print(f"baseline: {sum(covered.values())} rows of {len(covered)} tables put on the ledger in batches")
    return 0
