"""`jiliang trace ITEM` (one instrument's chain) and `jiliang trace --all` (the region summary);
reverse traceability is `jiliang impact`."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from jiliang.registry.models import Instrument
from jiliang.traceability import services


class Command(BaseCommand):
    help = "traceability of an instrument, or of all (--all)"
    requires_system_checks = []

    def add_arguments(self, p):
        p.add_argument("item", nargs="?", help="instrument code or id")
        p.add_argument("--all", action="store_true", help="summary over all working instruments")
        p.add_argument("--date", type=dt.date.fromisoformat, help="the day asked about (default today)")
        p.add_argument("--region", help="with --all: a GB/T 2260 region code")
        p.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        code = trace(options)
        if code:
            raise SystemExit(code)


def lookup(model, key: str, code_field: str, what: str):
    obj = model.objects.filter(**{code_field: key}).first()
    if obj is None and key.isdigit():
        obj = model.objects.filter(pk=int(key)).first()
    if obj is None:
        raise ValueError(f"{what}: no {model._meta.model_name} with {code_field} or id {key!r}")
    return obj


def _print_chain(doc: dict) -> None:

    verdict = "[green]可溯源 traceable[/]" if doc["traceable"] else "[red]不可溯源 not traceable[/]"
    root = Tree(f"[bold]{doc['instrument']['code']}[/] {doc['instrument']['name']} @ {doc['date']}: {verdict}")
    nodes = {}
    for k, link in enumerate(doc["links"]):
        event = link["event"]
        what = "—" if event is None else f"{event['certificate_number']} {event['performed_on']}→{event['good_until']}"
        standards = ", ".join(f"{s['name']} {s['certificate_number']}".strip() for s in link["standards"]) or "—"
        problems = "; ".join(r["label"] for r in link["reasons"])
        style = "red" if link["is_break"] else ("yellow" if problems else "")
        label = f"{link['instrument']['code']} {link['instrument']['name']} | {what} | {standards}"
        label += f" | {problems}" if problems else ""
        parent = nodes.get(link["parent"], root)
        nodes[k] = parent.add(f"[{style}]{label}[/]" if style else label)
    Console().print(root)
    for r in doc["reasons"]:
        print(f"  - {r['label']} ({r['code']})")


def trace(options) -> int:
    date = options["date"] or dt.date.today()
    if options["all"]:
        summary = services.validity_summary(date, options["region"])
        if options["json"]:
            print(json.dumps(summary, ensure_ascii=False, indent=2))
            return 0

        table = Table(title=f"溯源有效率 traceable share @ {date} — {summary['traceable']:,}/{summary['instruments']:,}")
        for col in ("区划 region", "名称 name", "器具 instruments", "可溯源 traceable", "比例 share", "主要原因 top reasons"):
            table.add_column(col)
        for r in summary["regions"]:
            table.add_row(
                r["code"],
                r["name"],
                f"{r['instruments']:,}",
                f"{r['traceable']:,}",
                f"{(r['share'] or 0):.1%}",
                "; ".join(f"{t['label']} {t['instruments']}" for t in r["top_reasons"]),
            )
        Console().print(table)
        return 0
    if not options["item"]:
        raise ValueError("item: give an instrument code or id, or --all")
    doc = services.item_chain(lookup(Instrument, options["item"], "code", "item"), date)
    if options["json"]:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_chain(doc)
    return 0 if doc["traceable"] else 1
