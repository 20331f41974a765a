"""`jiliang impact STANDARD`: reverse traceability, the events and instruments in doubt when a
standard was out of tolerance."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand

from jiliang.registry.models import MeasurementStandard
from jiliang.traceability import services
from jiliang.traceability.management.commands.trace import lookup


class Command(BaseCommand):
    help = "events and instruments in doubt when a standard was out of tolerance"
    requires_system_checks = []

    def add_arguments(self, p):
        p.add_argument("standard", help="standard certificate number or id")
        p.add_argument(
            "--from", dest="date_from", type=dt.date.fromisoformat, help="start of the window (default: last good calibration)"
        )
        p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="end of the window (default: today)")
        p.add_argument("--csv", help="write every affected event to this CSV file")
        p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        impact(options)


def impact(options) -> int:
    standard = lookup(MeasurementStandard, options["standard"], "certificate_number", "standard")
    found = services.impact(standard, options["date_from"], options["date_to"])
    doc = services.impact_document(found, limit=10**9 if options["csv"] else 20)
    if options["csv"]:
        with open(options["csv"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=["event", "certificate_number", "instrument", "performed_on", "depth", "via_event"]
            )
            writer.writeheader()
            writer.writerows(doc["affected"])
    if options["json"]:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{standard.name} ({standard.certificate_number}) {doc['from']} … {doc['to']}: "
        f"{doc['events']:,} events, {doc['instruments']:,} instruments in doubt, depth up to {doc['max_depth']}"
    )
    for owner in doc["by_owner"][:15]:
        print(f"  {owner['name']}: {owner['instruments']:,} instruments, {owner['events']:,} events")
    if options["csv"]:
        print(f"wrote {len(doc['affected']):,} rows to {options['csv']}", file=sys.stderr)
    return 0
