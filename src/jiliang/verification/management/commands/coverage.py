import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.reports import run_coverage


class Command(BaseCommand):
    help = "The coverage ledger of mandatory-verification items (强检项目建标台账)."

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE")
        parser.add_argument("--xlsx", metavar="FILE")
        parser.add_argument("--chart", metavar="FILE", help=".svg or .png")
        parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--history", type=int, default=0, metavar="MONTHS")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, region=None, xlsx=None, chart=None, as_of=None, history=0, json=False, **options):
        run_coverage(region, xlsx, chart, json, as_of, history)
