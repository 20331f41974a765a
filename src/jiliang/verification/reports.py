"""The coverage ledger and the due list as Rich tables or JSON, shared by the management
commands and the `jiliang coverage` / `jiliang due` CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from . import coverage
from .coverage import Ledger, build_ledger, coverage_chart, export_xlsx, history
from .scheduling import DueSummary, due_list


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def ledger_json(ledger: Ledger) -> dict:
    """The ledger's JSON, keeping the regions that have mandatory instruments in use."""
    data = ledger.to_json()
    data["regions"] = [r for r in data["regions"] if r["rollup_items_in_use"]]
    return data


def print_ledger(ledger: Ledger, console=None, gaps: int = 15) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"强检项目建标台账 coverage ledger — {ledger.as_of} (target {100 * ledger.target:.0f} %)")
    for column, justify in (
        ("code", "left"),
        ("region 地区", "left"),
        ("level", "left"),
        ("instruments 器具", "right"),
        ("items 在用项目", "right"),
        ("covered 已建标", "right"),
        ("省域 province-wide", "right"),
        ("with subtree 含下级", "right"),
        ("省级以下 below province", "right"),
    ):
        table.add_column(column, justify=justify)
    for r in ledger.regions:
        if not r.rollup_in_use:
            continue
        style = "red" if r.below_province_rate is not None and r.below_province_rate < ledger.target else None
        table.add_row(
            r.code,
            r.name,
            r.level,
            f"{r.instruments:,}",
            str(r.items_in_use),
            str(r.items_covered),
            _pct(r.rate),
            _pct(r.rollup_rate),
            _pct(r.below_province_rate),
            style=style,
        )
    console.print(table)
    console.print(f"省域 province-wide: {coverage.PROVINCEWIDE_DEFINITION}")
    console.print(f"省级以下 below province (target {100 * ledger.target:.0f} %): {coverage.BELOW_PROVINCE_DEFINITION}")
    if ledger.gaps:
        gap_table = Table(title=f"建标空白 gaps ({len(ledger.gaps)}, by instruments affected)")
        for column in ("region 地区", "item 项目", "instruments 器具", "nearest institution 最近可服务机构"):
            gap_table.add_column(column)
        for g in ledger.gaps[:gaps]:
            gap_table.add_row(
                f"{g.region_code} {g.region_name}",
                f"{g.item_code} {g.item_name}",
                f"{g.instruments:,}",
                f"{g.nearest_institution} ({g.nearest_region})" if g.nearest_institution else "—",
            )
        console.print(gap_table)


def print_due(summary: DueSummary, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(
        f"as of {summary.as_of}, next {summary.days} days: [red]{summary.overdue:,} overdue 超期未检[/red], "
        f"{summary.due:,} due 到期, {summary.replacement:,} end of life 到期轮换"
    )
    table = Table(title="by region 按地区")
    for column in ("code", "region 地区", "overdue", "due", "replacement"):
        table.add_column(column, justify="left" if column in ("code", "region 地区") else "right")
    for r in summary.by_region:
        table.add_row(r["code"], r["name"], f"{r['overdue']:,}", f"{r['due']:,}", f"{r['replacement']:,}")
    console.print(table)
    table = Table(title="most urgent 最紧急")
    for column in ("instrument 器具", "item", "owner 使用单位", "region", "due 到期日", "days left", "kind"):
        table.add_column(column)
    for i in summary.instruments:
        table.add_row(
            f"{i['code']} {i['name']}",
            i["item"],
            i["owner"],
            i["region"],
            i["due_on"],
            str(i["days_left"]),
            i["kind"],
            style="red" if i["kind"] == "overdue" else None,
        )
    console.print(table)


def print_history(months: list[dict], region: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"覆盖率历史 coverage of {region} by month (with subtree)")
    for column in ("month", "items in use", "covered", "rate", "source"):
        table.add_column(column)
    for m in months:
        table.add_row(
            m["month"], str(m["rollup_items_in_use"]), str(m["rollup_items_covered"]), _pct(m["rollup_rate"]), m["source"]
        )
    (console or Console()).print(table)


def run_coverage(
    region: str | None = None,
    xlsx: str | None = None,
    chart: str | None = None,
    as_json: bool = False,
    as_of: dt.date | None = None,
    history_months: int = 0,
) -> int:
    if history_months < 0:
        raise ValueError(f"history: months must be zero or more, got {history_months}")
    ledger = build_ledger(as_of, region_code=region)
    top = region or next((r.code for r in ledger.regions if r.level == "province" and r.rollup_in_use), None)
    months = history(top, history_months, as_of) if history_months and top else []
    if xlsx:
        export_xlsx(ledger, xlsx)
    if chart:
        suffix = Path(chart).suffix.lower().lstrip(".")
        if suffix not in ("svg", "png"):
            raise ValueError(f"chart: {chart} must end in .svg or .png")
        Path(chart).write_bytes(coverage_chart(ledger, suffix))
    if as_json:
        data = ledger_json(ledger)
        if history_months:
            data["history"] = months
        print(json.dumps(data, ensure_ascii=False))
    else:
        print_ledger(ledger)
        if months:
            print_history(months, top)
    return 0


def run_due(
    region: str | None = None, days: int = 30, as_json: bool = False, limit: int = 50, as_of: dt.date | None = None
) -> int:
    summary = due_list(as_of, days, region, limit)
    if as_json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        print_due(summary)
    return 0
