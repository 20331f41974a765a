"""`jiliang plans …`: the plan indicators, the signed report upward and its check.

    jiliang plans indicators 330000 --year 2026          # the figures as JSON
    jiliang plans report 330000 --year 2026 -o r.json   # the signed report (schema: plans/schema)
    jiliang plans check r.json [--anchors roots.pem]    # what a national data centre checks
    jiliang plans snapshot [--year 2025]                 # keep the figures the page reads (nightly)
    jiliang plans schema                                 # print the JSON schema

Reads act as the server's operator unless ``--user`` names a user, whose policy applies.
``check`` exits 1 when the file fails (schema, signature, chain or revoked key).
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiliang.cli_io import acting_user, read_bytes
from jiliang.plans import indicators as ind
from jiliang.plans import reporting
from jiliang.plans.policies import INDICATORS
from jiliang.registry.models import Region


class Command(BaseCommand):
    help = "plan indicators per region and year, the signed report upward and its check (计量发展规划指标上报)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees and may do")
        sub = parser.add_subparsers(dest="plans_command", metavar="ACTION", required=True)
        p = sub.add_parser("indicators", help="every indicator of a region's subtree for a year, with definitions")
        p.add_argument("region", help="GB/T 2260 code")
        p.add_argument("--year", type=int, default=None)
        p.set_defaults(func=self.indicators)
        p = sub.add_parser("report", help="export the region's signed report (indicators and registers) as JSON")
        p.add_argument("region", help="GB/T 2260 code")
        p.add_argument("--year", type=int, default=None)
        p.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
        p.set_defaults(func=self.report)
        p = sub.add_parser("check", help="check a report: schema, version, signature, signer's chain, key revocation")
        p.add_argument("file", help="the report (- for standard input)")
        p.add_argument("--anchors", default=None, help="PEM file of trusted root certificates (default: this platform's)")
        p.set_defaults(func=self.check)
        p = sub.add_parser(
            "snapshot", help="compute and keep the figures the page reads (nightly; --year recomputes a past year)"
        )
        p.add_argument("--year", type=int, default=None)
        p.add_argument("--region", default=None, help="a region's subtree (default: every region)")
        p.set_defaults(func=self.snapshot)
        p = sub.add_parser("schema", help="print the report's JSON schema")
        p.set_defaults(func=self.schema)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        options["func"](options)

    def _region(self, code: str) -> Region:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"region: no region {code!r}")
        if not INDICATORS.reads_region(self.actor, code):
            raise CommandError(f"region: {code} is outside what you may read")
        return region

    def _out(self, data) -> None:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")

    def indicators(self, options):
        region = self._region(options["region"])
        year = options["year"] or timezone.localdate().year
        table = ind.compute([year], region.code)
        self._out(
            {
                "region": region.code,
                "year": year,
                "indicators": [
                    {
                        "key": i.key,
                        "name": str(i.name),
                        "definition": str(i.definition),
                        "source": i.source,
                        "figures": {code: table.get(year, code, i.key).to_json() for code in sorted(table.figures.get(year, {}))},
                    }
                    for i in ind.INDICATORS
                ],
            }
        )

    def report(self, options):
        region = self._region(options["region"])
        if not INDICATORS.may_report(self.actor, region.code):
            raise CommandError("region: the report upward is signed by the region's administrators")
        year = options["year"] or timezone.localdate().year
        try:
            signed = reporting.sign(reporting.build_report(region, year), reporting.report_signer(region))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        data = orjson.dumps(signed, option=orjson.OPT_INDENT_2)
        if options["output"] == "-":
            sys.stdout.buffer.write(data + b"\n")
        else:
            Path(options["output"]).write_bytes(data)
            self.stderr.write(f"wrote {options['output']} ({len(data):,} bytes, report {signed['report_id']})")

    def check(self, options):
        raw = sys.stdin.buffer.read() if options["file"] == "-" else read_bytes(options["file"])
        anchors = None
        if options["anchors"]:
            from jiliang.core.dcc import pki

            anchors = pki.load_certificates(read_bytes(options["anchors"]))
        result = reporting.check(raw, anchors=anchors)
        self._out(result.to_json())
        if not result.ok:
            sys.exit(1)

    def snapshot(self, options):
        if options["region"]:
            self._region(options["region"])
        year = options["year"] or timezone.localdate().year
        table = ind.compute([year], options["region"])
        self._out({"year": year, "region": options["region"], "figures_kept": ind.store(table)})

    def schema(self, options):
        self._out(reporting.schema())
