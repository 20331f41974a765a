"""`import_registry FILE… | DIR`: import registry tables all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from jiliang.audit.services import audit_context
from jiliang.registry import exchange

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "Import registry tables from CSV, JSON Lines or XLSX files (or a folder written by export_registry); all or nothing."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="files, or one folder of <table>.csv / <table>.jsonl / .xlsx files")
        parser.add_argument("--table", choices=exchange.TABLE_NAMES, help="the table of a single file whose name does not say it")
        parser.add_argument("--format", choices=exchange.FORMATS, help="the format when the file extension does not say it")

    def handle(self, *args, files=(), table=None, format=None, **options):
        files = list(args) + list(files or ())
        if not files:
            raise CommandError(gettext("请给出要导入的文件，或 export_registry 写出的文件夹"))
        try:
            with audit_context(actor="cli:import"):
                counts = exchange.import_paths(files, table=table, fmt=format)
        except exchange.ImportRejected as exc:
            raise CommandError(exc.report(limit=ERRORS_SHOWN)) from exc
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        detail = ", ".join(f"{name} {n}" for name, n in counts.items())
        self.stdout.write(f"imported {total} rows ({detail})")
