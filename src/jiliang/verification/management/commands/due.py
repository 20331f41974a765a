import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.reports import run_due


class Command(BaseCommand):
    help = "Instruments due for mandatory verification, overdue (超期未检) or at end of life."

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, region=None, days=30, limit=50, as_of=None, json=False, **options):
        run_due(region, days, json, limit, as_of)
