import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.scheduling import escalate_overdue


class Command(BaseCommand):
    help = "Notify each region's administration of overdue instruments (超期未检), once per due date."

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE")
        parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, region=None, as_of=None, **options):
        self.stdout.write(f"issued {escalate_overdue(as_of, region):,} overdue notices")
