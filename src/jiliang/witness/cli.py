"""`jiliang audit witness-checkpoint` (a province: checkpoint the ledger for the centre's
witness log) and `jiliang audit witness-verify FILE…` (anyone: check files fetched from the
centre offline). The audit command (jiliang.audit) carries them; the work is here.

  jiliang audit witness-checkpoint --key PEM [--province CODE] [--out FILE] [--publish]
  jiliang audit witness-verify FILE… [--centre-key PEM] [--province-key CODE=PEM …] [--json]

``witness-verify`` exits 0 when every file checks and the files agree, 1 otherwise (one
line per check).
"""

from __future__ import annotations

import json
import sys


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SystemExit(f"jiliang: {what} {path}: {exc.strerror}") from None


def cmd_witness_checkpoint(options) -> int:
    from jiliang.witness import services

    submission = services.make_submission(_read(options["key"], "key"), options.get("province") or None)
    text = json.dumps(submission.to_json(), ensure_ascii=False, indent=2)
    if options.get("publish"):
        from jiliang.witness.federation import publish

        seq = publish(submission)
        print(f"checkpoint of {json.loads(submission.body)['ledger_tree']['size']} ledger entries queued as record {seq}")
    if options.get("out") and options["out"] != "-":
        with open(options["out"], "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    elif not options.get("publish"):
        print(text)
    return 0


def cmd_witness_verify(options) -> int:
    from jiliang.witness.verify import verify_documents

    documents = []
    for path in options["files"]:
        try:
            documents.append((path, json.loads(_read(path, "file"))))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SystemExit(f"jiliang: {path}: not JSON ({exc})") from None
    centre_key = _read(options["centre_key"], "centre key") if options.get("centre_key") else None
    province_keys = {}
    for item in options.get("province_key") or []:
        code, sep, path = item.partition("=")
        if not sep or len(code) != 2 or not code.isdigit():
            raise SystemExit(f"jiliang: --province-key {item!r}: give CODE=PEM, CODE the two-digit province code")
        province_keys[code] = _read(path, "province key")
    report = verify_documents(documents, centre_key, province_keys)
    if options.get("json"):
        print(json.dumps({"intact": report.intact, "checks": report.lines}, ensure_ascii=False))
    else:
        for line in report.lines:
            print(line)
        print(
            f"witness files {'agree' if report.intact else 'do NOT agree'}: {len(report.lines) - report.failures} checks passed, "
            f"{report.failures} failed" + ("" if centre_key else " (centre key not pinned: --centre-key)"),
            file=sys.stdout,
        )
    return 0 if report.intact else 1


def add_audit_subcommands(sub) -> None:
    """`jiliang audit witness-checkpoint|witness-verify` (registered in WitnessConfig.ready)."""
    p = sub.add_parser(
        "witness-checkpoint",
        help="a province: checkpoint the ledger with its Merkle tree head for the centre's witness log, "
        "proving it only grew since the last one",
    )
    p.add_argument("--key", metavar="PEM", required=True, help="the province's checkpoint key (PEM, unencrypted)")
    p.add_argument("--province", metavar="CODE", help="the two-digit province code (default: JILIANG_PROVINCE)")
    p.add_argument("--out", metavar="FILE", help="write the submission here (default: standard output)")
    p.add_argument("--publish", action="store_true", help="queue it for the centre as a federation record")
    p.set_defaults(func=cmd_witness_checkpoint)

    p = sub.add_parser(
        "witness-verify",
        help="check files fetched from the centre's witness log offline: signatures, inclusion, consistency "
        "(exit 1 when any fails)",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="tree heads, proofs, ledger bundles, kept checkpoints (JSON)")
    p.add_argument("--centre-key", metavar="PEM", help="the centre's public key (default: the key each file embeds)")
    p.add_argument("--province-key", metavar="CODE=PEM", action="append", help="a province's public key (default: embedded)")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=cmd_witness_verify)
