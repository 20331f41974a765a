"""`jiliang due`: instruments due for mandatory verification (到期), overdue (超期未检) and
at the end of their service life (到期轮换)."""

import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.reports import run_due


class Command(BaseCommand):
    help = "instruments due, overdue or at end of life 到期与超期未检"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE", help="GB/T 2260 code: that region and everything below it")
        parser.add_argument("--days", type=int, default=30, help="horizon in days (default 30); overdue ones are always listed")
        parser.add_argument("--limit", type=int, default=50, help="how many of the most urgent instruments to list")
        parser.add_argument(
            "--as-of", dest="as_of", type=dt.date.fromisoformat, default=None, help="the day to count from (YYYY-MM-DD)"
        )
        parser.add_argument("--json", action="store_true", help="print the list as JSON")

    def handle(self, *args, region=None, days=30, limit=50, as_of=None, json=False, **options):
        code = run_due(region, days, json, limit, as_of)
        if code:
            raise SystemExit(code)
