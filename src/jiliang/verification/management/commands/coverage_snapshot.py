import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.coverage import take_snapshot


class Command(BaseCommand):
    help = "Store every region's coverage for a month (default: this month, as of today) for the history chart."

    def add_arguments(self, parser):
        parser.add_argument("--month", type=lambda s: dt.date.fromisoformat(s + "-01"), default=None, help="YYYY-MM")

    def handle(self, *args, month=None, **options):
        self.stdout.write(f"stored the coverage of {take_snapshot(month):,} regions")
