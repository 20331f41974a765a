"""`jiliang coverage`: the coverage ledger of mandatory-verification items (强检项目建标台账)
per region, with gaps, optionally written to XLSX and drawn against the target line."""

import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.reports import run_coverage


class Command(BaseCommand):
    help = "coverage ledger of mandatory items 强检项目建标台账"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE", help="GB/T 2260 code: that region and everything below it")
        parser.add_argument("--xlsx", metavar="FILE", help="also write the ledger to an XLSX workbook")
        parser.add_argument("--chart", metavar="FILE", help="also draw coverage by city against the target (.svg or .png)")
        parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None, help="a past date (YYYY-MM-DD)")
        parser.add_argument(
            "--history", type=int, default=0, metavar="MONTHS", help="also the rate by month for the last MONTHS months"
        )
        parser.add_argument("--json", action="store_true", help="print the ledger as JSON")

    def handle(self, *args, region=None, xlsx=None, chart=None, as_of=None, history=0, json=False, **options):
        code = run_coverage(region, xlsx, chart, json, as_of, history)
        if code:
            raise SystemExit(code)
