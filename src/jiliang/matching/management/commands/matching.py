"""`jiliang matching [--region PREFIX]`: rank every open need again (the providers' terms and
capabilities change), keep each need's count of capable providers, and print the unmet
needs of a region as the building plan's gaps."""

from django.core.management.base import BaseCommand

from jiliang.matching import gaps, services
from jiliang.matching.models import Need


class Command(BaseCommand):
    help = "Rank the open needs again and list the unmet ones (the building plan's gaps)"

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="GB/T 2260 code prefix of the region (default: all)")

    def handle(self, *args, region="", **options):
        needs = Need.objects.filter(status=Need.Status.OPEN, region__code__startswith=region)
        summary = services.match_open_needs(needs)
        self.stdout.write(f"needs ranked: {summary['needs']}, with offers: {summary['with_offers']}, unmet: {summary['unmet']}")
        for gap in gaps.unmet_needs(region):
            self.stdout.write(f"  {gap.key}\t{gap.count}\t{gap.description}")
