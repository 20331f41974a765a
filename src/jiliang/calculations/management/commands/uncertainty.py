"""`jiliang uncertainty evaluate MODEL`: GUM / Monte Carlo evaluation of a model file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from jiliang.cli_io import read_text, reading
from jiliang.core.errors import InputError
from jiliang.core.uncertainty import evaluate_document, render_histogram


class Command(BaseCommand):
    help = "measurement uncertainty (GUM, Monte Carlo) 测量不确定度"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)


def add_arguments(parser) -> None:
    commands = parser.add_subparsers(dest="uncertainty_command", required=True)
    evaluate = commands.add_parser("evaluate", help="evaluate a model file (.json, .yaml)")
    evaluate.add_argument("model", help="model file: JSON or YAML (.yaml/.yml)")
    evaluate.add_argument("--method", choices=("gum", "mc", "both"), default="gum")
    evaluate.add_argument("--trials", type=trial_count, default=None, help="Monte Carlo trials, e.g. 1e6 (default 10^6)")
    evaluate.add_argument("--seed", type=int, default=None, help="random seed for a reproducible Monte Carlo run")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")
    evaluate.add_argument("--plot", metavar="FILE", help="write the Monte Carlo histogram (.png or .svg)")
    evaluate.set_defaults(func=run_evaluate)


def load_document(path: str) -> dict:
    text = read_text(path)
    try:
        if path.lower().endswith((".yaml", ".yml")):
            doc = yaml.safe_load(text)
        else:
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            "", f"not valid JSON ({exc.msg}, line {exc.lineno})", code="file_bad_json", file=path, msg=exc.msg, line=exc.lineno
        ) from None
    except Exception as exc:  # noqa: BLE001 - YAML's errors become one line naming the file
        raise InputError("", f"not valid YAML ({exc})", code="file_bad_yaml", file=path, msg=str(exc)) from None
    if not isinstance(doc, dict):
        raise InputError("", "the model must be an object", code="model_not_object", file=path)
    return doc


def trial_count(text: str) -> int:
    """A number of trials, also written as 1e6 (how JCGM 101 writes them)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of trials, got {text!r}")
    return int(value)


def run_evaluate(options) -> int:
    doc = load_document(options["model"])
    with reading(options["model"]):
        result = evaluate_document(doc, method=options["method"], trials=options["trials"], seed=options["seed"])
    if options["plot"]:
        if options["method"] == "gum":
            raise SystemExit("jiliang: --plot needs --method mc or both")
        fmt = "svg" if options["plot"].lower().endswith(".svg") else "png"
        first = next(iter((result.get("mc") or result)["outputs"]))
        Path(options["plot"]).write_bytes(render_histogram(result, first, fmt))
    if options["json"]:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_tables(result)
    return 0


def _fmt(x) -> str:
    if x is None:
        return "∞"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def _print_tables(result: dict) -> None:

    console = Console()
    parts = (
        [("GUM", result["gum"]), ("Monte Carlo", result["mc"])]
        if result["method"] == "both"
        else [("GUM" if result["method"] == "gum" else "Monte Carlo", result)]
    )
    for label, part in parts:
        for name, out in part["outputs"].items():
            unit = f" {out['unit']}" if out.get("unit") else ""
            rounded = out["rounded"]
            console.print(
                f"[bold]{label}: {name}[/bold] = {_fmt(out['value'])}{unit}, u = {_fmt(out['u'])}, "
                f"ν = {_fmt(out['dof'])}, k = {_fmt(out['k'])}, U = {_fmt(out['U'])} "
                f"(p = {part['coverage_probability']})"
            )
            console.print(
                f"  interval [{_fmt(out['interval'][0])}, {_fmt(out['interval'][1])}]"
                + (
                    f", shortest [{_fmt(out['shortest_interval'][0])}, {_fmt(out['shortest_interval'][1])}]"
                    if "shortest_interval" in out
                    else ""
                )
                + f"; reported {name} = {rounded['text']}{unit}"
            )
            if out["budget"]:
                table = Table(title=f"uncertainty budget 不确定度分量 — {name}")
                for col in ("input", "estimate", "u", "distribution", "ν", "sensitivity", "contribution", "share"):
                    table.add_column(col, justify="left" if col in ("input", "distribution") else "right")
                for row in out["budget"]:
                    table.add_row(
                        row["input"],
                        _fmt(row["value"]),
                        _fmt(row["u"]),
                        row["distribution"],
                        _fmt(row["dof"]),
                        _fmt(row["sensitivity"]),
                        _fmt(row["contribution"]),
                        f"{100 * row['share']:.1f} %",
                    )
                console.print(table)
    if result["method"] == "both":
        verdict = "validated" if result["validated"] else "NOT validated"
        console.print(f"JCGM 101 §8: the GUM result is {verdict} by the Monte Carlo result")
    if result.get("conformity"):
        for name, c in result["conformity"].items():
            console.print(f"conformity {name}: {c['decision']} (p_c = {c['probability_of_conformity']:.4f})")
