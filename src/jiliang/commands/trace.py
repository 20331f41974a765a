"""`jiliang trace ITEM` (one instrument's chain), `jiliang trace --all` (the region summary)
and `jiliang impact STANDARD` (reverse traceability)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()


def _lookup(model, key: str, code_field: str, what: str):
    obj = model.objects.filter(**{code_field: key}).first()
    if obj is None and key.isdigit():
        obj = model.objects.filter(pk=int(key)).first()
    if obj is None:
        raise ValueError(f"{what}: no {model._meta.model_name} with {code_field} or id {key!r}")
    return obj


def _print_chain(doc: dict) -> None:
    from rich.console import Console
    from rich.tree import Tree

    verdict = "[green]可溯源 traceable[/]" if doc["traceable"] else "[red]不可溯源 not traceable[/]"
    root = Tree(f"[bold]{doc['instrument']['code']}[/] {doc['instrument']['name']} @ {doc['date']}: {verdict}")
    nodes = {}
    for k, link in enumerate(doc["links"]):
        event = link["event"]
        what = "—" if event is None else f"{event['certificate_number']} {event['performed_on']}→{event['valid_until']}"
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


def _cmd_trace(args) -> int:
    _django()
    from jiliang.registry.models import Instrument
    from jiliang.traceability import services

    date = args.date or dt.date.today()
    if args.all:
        summary = services.validity_summary(date, args.region)
        if args.json:
            print(json.dumps(summary, ensure_ascii=False, indent=2))
            return 0
        from rich.console import Console
        from rich.table import Table

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
    if not args.item:
        raise ValueError("item: give an instrument code or id, or --all")
    doc = services.item_chain(_lookup(Instrument, args.item, "code", "item"), date)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_chain(doc)
    return 0 if doc["traceable"] else 1


def _cmd_impact(args) -> int:
    _django()
    from jiliang.registry.models import MeasurementStandard
    from jiliang.traceability import services

    standard = _lookup(MeasurementStandard, args.standard, "certificate_number", "standard")
    found = services.impact(standard, args.date_from, args.date_to)
    doc = services.impact_document(found, limit=10**9 if args.csv else 20)
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=["event", "certificate_number", "instrument", "performed_on", "depth", "via_event"]
            )
            writer.writeheader()
            writer.writerows(doc["affected"])
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{standard.name} ({standard.certificate_number}) {doc['from']} … {doc['to']}: "
        f"{doc['events']:,} events, {doc['instruments']:,} instruments in doubt, depth up to {doc['max_depth']}"
    )
    for owner in doc["by_owner"][:15]:
        print(f"  {owner['name']}: {owner['instruments']:,} instruments, {owner['events']:,} events")
    if args.csv:
        print(f"wrote {len(doc['affected']):,} rows to {args.csv}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("trace", help="traceability of an instrument, or of all (--all)")
    p.add_argument("item", nargs="?", help="instrument code or id")
    p.add_argument("--all", action="store_true", help="summary over all working instruments")
    p.add_argument("--date", type=dt.date.fromisoformat, help="the day asked about (default today)")
    p.add_argument("--region", help="with --all: a GB/T 2260 region code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_trace)

    p = subparsers.add_parser("impact", help="events and instruments in doubt when a standard was out of tolerance")
    p.add_argument("standard", help="standard certificate number or id")
    p.add_argument(
        "--from", dest="date_from", type=dt.date.fromisoformat, help="start of the window (default: last good calibration)"
    )
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="end of the window (default: today)")
    p.add_argument("--csv", help="write every affected event to this CSV file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_impact)


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
