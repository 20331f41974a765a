"""`jiliang uncertainty evaluate MODEL`: GUM / Monte Carlo evaluation of a model file."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("uncertainty", help="measurement uncertainty (GUM, Monte Carlo) 测量不确定度")
    commands = parser.add_subparsers(dest="uncertainty_command", required=True)
    evaluate = commands.add_parser("evaluate", help="evaluate a model file (.json, .yaml)")
    evaluate.add_argument("model", help="model file: JSON or YAML (.yaml/.yml)")
    evaluate.add_argument("--method", choices=("gum", "mc", "both"), default="gum")
    evaluate.add_argument("--trials", type=int, default=None, help="Monte Carlo trials (default 10^6)")
    evaluate.add_argument("--seed", type=int, default=None, help="random seed for a reproducible Monte Carlo run")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")
    evaluate.add_argument("--plot", metavar="FILE", help="write the Monte Carlo histogram (.png or .svg)")
    evaluate.set_defaults(func=run_evaluate)


def load_document(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"jiliang: model file not found: {path}")
    text = file.read_text(encoding="utf-8")
    try:
        if file.suffix.lower() in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(text)
        else:
            doc = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - parser errors become one line
        raise SystemExit(f"jiliang: cannot read {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise SystemExit(f"jiliang: {path}: the model must be an object")
    return doc


def run_evaluate(args) -> int:
    from jiliang.core.uncertainty import evaluate_document, render_histogram

    doc = load_document(args.model)
    result = evaluate_document(doc, method=args.method, trials=args.trials, seed=args.seed)
    if args.plot:
        if args.method == "gum":
            raise SystemExit("jiliang: --plot needs --method mc or both")
        fmt = "svg" if args.plot.lower().endswith(".svg") else "png"
        first = next(iter((result.get("mc") or result)["outputs"]))
        Path(args.plot).write_bytes(render_histogram(result, first, fmt))
    if args.json:
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
    from rich.console import Console
    from rich.table import Table

    console = Console()
    parts = [("GUM", result["gum"]), ("Monte Carlo", result["mc"])] if result["method"] == "both" else [
        ("GUM" if result["method"] == "gum" else "Monte Carlo", result)]
    for label, part in parts:
        for name, out in part["outputs"].items():
            unit = f" {out['unit']}" if out.get("unit") else ""
            rounded = out["rounded"]
            console.print(f"[bold]{label}: {name}[/bold] = {_fmt(out['value'])}{unit}, u = {_fmt(out['u'])}, "
                          f"ν = {_fmt(out['dof'])}, k = {_fmt(out['k'])}, U = {_fmt(out['U'])} "
                          f"(p = {part['coverage_probability']})")
            console.print(f"  interval [{_fmt(out['interval'][0])}, {_fmt(out['interval'][1])}]"
                          + (f", shortest [{_fmt(out['shortest_interval'][0])}, {_fmt(out['shortest_interval'][1])}]"
                             if "shortest_interval" in out else "")
                          + f"; reported {name} = {rounded['text']}{unit}")
            if out["budget"]:
                table = Table(title=f"uncertainty budget 不确定度分量 — {name}")
                for col in ("input", "estimate", "u", "distribution", "ν", "sensitivity", "contribution", "share"):
                    table.add_column(col, justify="left" if col in ("input", "distribution") else "right")
                for row in out["budget"]:
                    table.add_row(row["input"], _fmt(row["value"]), _fmt(row["u"]), row["distribution"],
                                  _fmt(row["dof"]), _fmt(row["sensitivity"]), _fmt(row["contribution"]),
                                  f"{100 * row['share']:.1f} %")
                console.print(table)
    if result["method"] == "both":
        verdict = "validated" if result["validated"] else "NOT validated"
        console.print(f"JCGM 101 §8: the GUM result is {verdict} by the Monte Carlo result")
    if result.get("conformity"):
        for name, c in result["conformity"].items():
            console.print(f"conformity {name}: {c['decision']} (p_c = {c['probability_of_conformity']:.4f})")
