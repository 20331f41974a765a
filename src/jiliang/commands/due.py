"""`jiliang due`: instruments due for mandatory verification (到期), overdue (超期未检) and
at the end of their service life (到期轮换)."""

from __future__ import annotations

import datetime as dt
import os


def register(subparsers) -> None:
    parser = subparsers.add_parser("due", help="instruments due, overdue or at end of life 到期与超期未检")
    parser.add_argument("--region", metavar="CODE", help="GB/T 2260 code: that region and everything below it")
    parser.add_argument("--days", type=int, default=30, help="horizon in days (default 30); overdue ones are always listed")
    parser.add_argument("--limit", type=int, default=50, help="how many of the most urgent instruments to list")
    parser.add_argument(
        "--as-of", dest="as_of", type=dt.date.fromisoformat, default=None, help="the day to count from (YYYY-MM-DD)"
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from jiliang.verification.reports import run_due

    return run_due(args.region, args.days, args.json, getattr(args, "limit", 50), getattr(args, "as_of", None))
