"""`jiliang cmc …`: CMCs and the KCDB (校准测量能力与国际比对数据库).

``import-kcdb FILE`` reads a CMC file saved from the KCDB (its API's searchData answer, JSON)
or a key comparison's results (the text format of docs/kcdb.md; chosen by ``--kind`` or the
file's suffix); ``export`` writes an imported file back; ``compare CLAIM`` prints a claim
against the KCDB's CMCs of its quantity. Acts as ``--user`` or as the national administrator.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user
from jiliang.cmc import services
from jiliang.cmc.models import Claim, KcdbComparison, KcdbFile
from jiliang.cmc.policies import CLAIMS
from jiliang.registry.services import Refused


class Command(BaseCommand):
    help = "CMCs and the KCDB: import KCDB files, export them, compare a claim (校准测量能力)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees and may do")
        sub = parser.add_subparsers(dest="cmc_command", metavar="ACTION", required=True)
        p = sub.add_parser("import-kcdb", help="import a file saved from the KCDB (CMCs as JSON, or a key comparison)")
        p.add_argument("file", type=Path)
        p.add_argument("--kind", choices=("cmc", "kc"), default=None, help="default: .json is cmc, else kc")
        p.set_defaults(func=self.do_import)
        p = sub.add_parser("export", help="write an imported KCDB file back (CMC file name, or a comparison code)")
        p.add_argument("name")
        p.add_argument("--output", type=Path, default=None)
        p.set_defaults(func=self.export)
        p = sub.add_parser("compare", help="a claim against the KCDB CMCs of its quantity")
        p.add_argument("claim", type=int)
        p.set_defaults(func=self.compare)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        try:
            options["func"](options)
        except Refused as exc:
            raise CommandError("\n".join(f"{where}: {reason}" for where, reason in exc.reasons)) from None

    def _who(self):
        return self.user if self.user is not None else self.actor

    def do_import(self, options):
        path = options["file"]
        kind = options["kind"] or ("cmc" if path.suffix.lower() == ".json" else "kc")
        if kind == "cmc":
            file = services.import_kcdb_cmcs(self._who(), path)
            self.stdout.write(f"{file.name}: {file.cmcs.count()} CMCs")
        else:
            comparison = services.import_kcdb_comparison(self._who(), path)
            self.stdout.write(f"{comparison.code}: {comparison.degrees.count()} degrees of equivalence")

    def export(self, options):
        file = KcdbFile.objects.filter(name=options["name"]).first()
        if file is not None:
            content = services.export_kcdb_cmcs(file)
        else:
            comparison = KcdbComparison.objects.filter(code=options["name"]).first()
            if comparison is None:
                raise CommandError(f"{options['name']}: no imported KCDB file or comparison of that name")
            content = services.export_kcdb_comparison(comparison)
        if options["output"] is not None:
            options["output"].write_bytes(content)
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()

    def compare(self, options):
        claim = Claim.objects.filter(pk=options["claim"]).first()
        if claim is None or not CLAIMS.may_view(self.actor, claim):
            raise CommandError(f"claim {options['claim']}: not found")
        self.stdout.write(f"{claim.quantity} {claim.range_min}–{claim.range_max} {claim.unit}")
        for entry in services.comparison_with_kcdb(claim):
            row = entry["row"]
            if not entry["points"]:
                self.stdout.write(f"  {row.nmi_code} {row.key}: {entry['reason']}")
                continue
            for point in entry["points"]:
                self.stdout.write(
                    f"  {row.nmi_code} {row.key}: x={point.x:g} U={point.u_claim:.3g} U_kcdb={point.u_other:.3g} ratio={point.ratio:.3g}"
                )
