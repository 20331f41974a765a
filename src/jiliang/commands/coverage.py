"""`jiliang coverage`: the coverage ledger of mandatory-verification items (强检项目建标台账)
per region, with gaps, optionally written to XLSX and drawn against the target line."""

from __future__ import annotations

import datetime as dt
import os


def register(subparsers) -> None:
    parser = subparsers.add_parser("coverage", help="coverage ledger of mandatory items 强检项目建标台账")
    parser.add_argument("--region", metavar="CODE", help="GB/T 2260 code: that region and everything below it")
    parser.add_argument("--xlsx", metavar="FILE", help="also write the ledger to an XLSX workbook")
    parser.add_argument("--chart", metavar="FILE", help="also draw coverage by city against the target (.svg or .png)")
    parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None, help="a past date (YYYY-MM-DD)")
    parser.add_argument(
        "--history", type=int, default=0, metavar="MONTHS", help="also the rate by month for the last MONTHS months"
    )
    parser.add_argument("--json", action="store_true", help="print the ledger as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from jiliang.verification.reports import run_coverage

    return run_coverage(
        args.region,
        getattr(args, "xlsx", None),
        getattr(args, "chart", None),
        args.json,
        getattr(args, "as_of", None),
        getattr(args, "history", 0),
    )
