"""`jiliang audit verify|baseline|checkpoint|witness-checkpoint|witness-verify`: verify the
hash-chained audit ledger, put existing rows on it, export signed checkpoints (the work is
in jiliang.audit.cli), checkpoint it for the centre's witness log and check that log's
files offline (jiliang.witness.cli)."""

from django.core.management.base import BaseCommand

from jiliang.audit.cli import cmd_baseline, cmd_checkpoint, cmd_verify
from jiliang.witness.cli import cmd_witness_checkpoint, cmd_witness_verify


class Command(BaseCommand):
    help = "verify the audit ledger, export checkpoints"
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

        p = sub.add_parser("verify", help="walk the hash chain and the live rows; exit 1 on tampering")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument("--checkpoint", metavar="FILE", help="also check that the chain still contains this checkpoint")
        p.add_argument(
            "--public-key", metavar="PEM", help="the key the checkpoint must be signed with (default: the embedded key)"
        )
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
        keys = p.add_mutually_exclusive_group()
        keys.add_argument("--key", metavar="PEM", help="sign with this Ed25519, ECDSA or SM2 private key (PEM, unencrypted)")
        keys.add_argument(
            "--generate-key",
            metavar="PEM",
            help="make a new key of JILIANG_SIGNATURE_ALGORITHM here (its public key beside it, .pub) and sign with it",
        )
        p.set_defaults(func=cmd_checkpoint)

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

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)
