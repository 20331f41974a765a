"""`jiliang intervals …`: calibration and verification intervals from the as-found history.

``jiliang intervals report --item CODE [--approval NUMBER] [--target 0.95] [--format json|csv]``
prints one family's report (JSON: the whole report; CSV: observed and fitted reliability
per interval bin); ``jiliang intervals families`` lists the families with history. Reads
act as the operator (every row) unless ``--user`` names a user, whose policy then applies.
"""

from __future__ import annotations

import sys

import orjson
from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user
from jiliang.intervals import services
from jiliang.intervals.policies import REPORTS
from jiliang.registry.models import CatalogItem
from jiliang.registry.services import Refused


class Command(BaseCommand):
    help = "calibration and verification intervals per instrument family (JJF 1139, NCSLI RP-1 A3/S2)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees")
        sub = parser.add_subparsers(dest="intervals_command", metavar="ACTION", required=True)
        p = sub.add_parser("families", help="the catalogue items with verification history")
        p.set_defaults(func=self.families)
        p = sub.add_parser("report", help="one family's interval report")
        p.add_argument("--item", required=True, help="catalogue item code (目录编号)")
        p.add_argument("--approval", default="", help="narrow to one type approval number (型式批准编号)")
        p.add_argument("--target", default=None, help="reliability target, e.g. 0.95 (default)")
        p.add_argument("--format", choices=("json", "csv"), default="json")
        p.set_defaults(func=self.report)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        if not REPORTS.sees_reports(self.actor):
            raise CommandError("--user: interval reports are read by supervisors and institution staff")
        options["func"](options)

    def families(self, options) -> None:
        rows = [{k: v for k, v in row.items() if k != "item"} for row in services.families(self.actor)]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")

    def report(self, options) -> None:
        item = CatalogItem.objects.filter(code=options["item"]).first()
        if item is None:
            raise CommandError(f"--item: no catalogue item {options['item']!r}")
        try:
            target = services.parse_target(options["target"])
        except Refused as refused:
            raise CommandError(f"--target: {refused.reasons[0][1]}") from None
        result = services.report(self.actor, item, approval=options["approval"], target=target)
        if options["format"] == "csv":
            sys.stdout.write(services.report_csv(result))
        else:
            sys.stdout.write(orjson.dumps(services.report_json(result), option=orjson.OPT_INDENT_2).decode() + "\n")
