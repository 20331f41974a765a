"""`export_registry DIR | FILE.xlsx`: export registry tables with natural keys."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiliang.registry import exchange


class Command(BaseCommand):
    help = "Export registry tables: one <table>.csv or <table>.jsonl per table into a folder, or one workbook with a sheet per table."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder for csv/jsonl files; a path ending in .xlsx writes one workbook")
        parser.add_argument("--format", choices=exchange.FORMATS, default=None, help="csv (default), jsonl or xlsx")
        parser.add_argument("--tables", nargs="*", help=f"only these tables ({', '.join(exchange.TABLE_NAMES)})")

    def handle(self, directory, format=None, tables=None, **options):
        # A workbook path wins over the format: the top-level CLI always passes its default, csv.
        fmt = "xlsx" if Path(directory).suffix.lower() == ".xlsx" else (format or "csv")
        verbose = options.get("verbosity", 1) >= 2

        def progress(name, n):
            if verbose:
                self.stdout.write(f"  {name}: {n}")

        try:
            counts = exchange.export_registry(directory, fmt=fmt, tables=tables, progress=progress)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        self.stdout.write(f"exported {total} rows from {len(counts)} tables to {directory} ({fmt})")
