"""`jiliang audit verify|baseline|checkpoint|witness-checkpoint|witness-verify`: verify the
hash-chained audit ledger, put existing rows on it, export signed checkpoints (the work is
in jiliang.audit.cli), checkpoint it for the centre's witness log and check that log's
files offline (jiliang.witness.cli)."""

from django.core.management.base import BaseCommand

from jiliang.audit.cli import SUBCOMMANDS, cmd_baseline, cmd_checkpoint, cmd_verify


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

        for add in SUBCOMMANDS:  # the apps above the ledger add theirs (jiliang.witness)
            add(sub)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)
