"""`jiliang refdata …`: standard reference data (标准参考数据).

``import META --issuer ORG`` reads a dataset's files (docs/refdata.md) into a new draft
version; ``submit``/``approve``/``return`` work its review; ``export ID`` writes a version
as CSV, JSON or XLSX; ``resolve ID`` prints a cited value; ``list`` the versions.
Acts as ``--user`` (their policy applies) or as the national administrator at the console.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user
from jiliang.refdata import services
from jiliang.refdata.models import DatasetVersion
from jiliang.refdata.policies import VERSIONS
from jiliang.registry.models import Organisation
from jiliang.registry.services import Refused


class Command(BaseCommand):
    help = "standard reference data: import, review, export, resolve citations (标准参考数据)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees and may do")
        sub = parser.add_subparsers(dest="refdata_command", metavar="ACTION", required=True)
        p = sub.add_parser("import", help="import a dataset version from its metadata file (YAML/JSON) and CSV")
        p.add_argument("meta", type=Path)
        p.add_argument("--issuer", required=True, help="the issuing organisation's credit code or id")
        p.set_defaults(func=self.do_import)
        for action in ("submit", "approve", "return"):
            p = sub.add_parser(action, help=f"{action} a version (its identifier, SRD-<code>-v<n>)")
            p.add_argument("identifier")
            p.add_argument("--note", default="")
            p.set_defaults(func=self.review, action=action)
        p = sub.add_parser("export", help="write a version as CSV, JSON or XLSX")
        p.add_argument("identifier")
        p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
        p.add_argument("--output", type=Path, default=None, help="file to write (default: standard output; not for XLSX)")
        p.set_defaults(func=self.export)
        p = sub.add_parser("resolve", help="print the version or row a citation names")
        p.add_argument("identifier")
        p.set_defaults(func=self.resolve)
        p = sub.add_parser("list", help="list the versions the acting user may see")
        p.set_defaults(func=self.list)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        try:
            options["func"](options)
        except Refused as exc:
            raise CommandError("\n".join(f"{where}: {reason}" for where, reason in exc.reasons)) from None

    def _who(self):
        return self.user if self.user is not None else self.actor

    def _version(self, identifier: str) -> DatasetVersion:
        found = services.resolve(identifier)
        if found is None or found[1] is not None or not VERSIONS.may_view(self.actor, found[0]):
            raise CommandError(f"{identifier}: no such version")
        return found[0]

    def do_import(self, options):
        issuer = options["issuer"]
        organisation = Organisation.objects.filter(credit_code=issuer).first()
        if organisation is None and issuer.isdigit():
            organisation = Organisation.objects.filter(pk=int(issuer)).first()
        if organisation is None:
            raise CommandError(f"--issuer: no organisation {issuer!r}")
        version = services.import_version(self._who(), options["meta"], organisation)
        self.stdout.write(f"{version.identifier} {version.get_status_display()} ({version.row_count} rows)")

    def review(self, options):
        version = self._version(options["identifier"])
        action = options["action"]
        if action == "submit":
            version = services.submit(self._who(), version)
        elif action == "approve":
            version = services.approve(self._who(), version, options["note"])
        else:
            version = services.return_for_correction(self._who(), version, options["note"])
        self.stdout.write(f"{version.identifier} {version.status}")

    def export(self, options):
        version = self._version(options["identifier"])
        fmt = options["format"]
        content = {"csv": services.export_csv, "json": services.export_json, "xlsx": services.export_xlsx}[fmt](version)
        if options["output"] is not None:
            options["output"].write_bytes(content)
        elif fmt == "xlsx":
            raise CommandError("--output: XLSX is written to a file")
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()

    def resolve(self, options):
        found = services.resolve(options["identifier"])
        if found is None or not VERSIONS.may_view(self.actor, found[0]):
            raise CommandError(f"{options['identifier']}: cites nothing published")
        version, row = found
        self.stdout.write(f"{version.identifier} {version.dataset.title} ({version.get_status_display()})")
        if row is not None:
            for key, value in row.values.items():
                self.stdout.write(f"  {key}: {value}")

    def list(self, options):
        for version in VERSIONS.visible(self.actor, DatasetVersion.objects.select_related("dataset")):
            self.stdout.write(f"{version.identifier}\t{version.status}\t{version.row_count}\t{version.dataset.title}")
