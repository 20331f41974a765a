"""`jiliang comparison compute FILE`: reference value, degrees of equivalence and scores of a
comparison or proficiency-testing round from a CSV or JSON file of results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jiliang.core.comparison import ESTIMATORS, evaluate, parse_rows, results_from_rows, to_document
from jiliang.core.comparison.document import WITHOUT_U
from jiliang.core.comparison.errors import ComparisonInputError


def register(subparsers) -> None:
    parser = subparsers.add_parser("comparison", help="comparisons and proficiency testing (计量比对)")
    sub = parser.add_subparsers(dest="comparison_command", metavar="ACTION", required=True)
    p = sub.add_parser("compute", help="reference value, degrees of equivalence, En, z and zeta from a results file")
    p.add_argument("file", help="CSV or JSON results: lab, value, u[, dof, in_reference]; '-' reads standard input")
    p.add_argument("--estimator", choices=ESTIMATORS, default="weighted-mean", help="reference-value estimator (default weighted-mean)")
    p.add_argument("--sigma-pt", type=float, dest="sigma_pt", help="standard deviation for proficiency assessment (gives z scores)")
    p.add_argument("--json", action="store_true", help="print the result document as JSON")
    p.add_argument("--plot", metavar="OUT", help="also draw results and degrees of equivalence to OUT.png or OUT.svg")
    p.set_defaults(func=run_compute)


def _read(path: str) -> tuple[str, str]:
    if path == "-":
        text = sys.stdin.read()
        return text, "json" if text.lstrip().startswith("[") else "csv"
    file = Path(path)
    text = file.read_text(encoding="utf-8-sig")
    return text, "json" if file.suffix.lower() == ".json" else "csv"


def run_compute(args) -> int:
    plot_format = None
    if args.plot:
        plot_format = Path(args.plot).suffix.lower().lstrip(".")
        if plot_format not in ("png", "svg"):
            raise ComparisonInputError("plot", f"output must end in .png or .svg, got {args.plot!r}")
    text, fmt = _read(args.file)
    results = results_from_rows(parse_rows(text, fmt), require_u=args.estimator not in WITHOUT_U)
    evaluation = evaluate(results, args.estimator, args.sigma_pt)
    document = to_document(evaluation)
    if args.plot:
        from jiliang.core.comparison.plots import evaluation_figure

        Path(args.plot).write_bytes(evaluation_figure(evaluation, plot_format, title=f"{Path(args.file).name} — {args.estimator}"))
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        _print_table(evaluation, document)
    return 0


def _fmt(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _print_table(evaluation, document) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # piped output: do not squeeze the table to 80 columns
        console = Console(width=120)
    ref = document["reference"]
    head = f"[bold]{document['estimator']}[/bold]  reference value 参考值 = {_fmt(ref['value'], 8)}, u = {_fmt(ref['u'])}"
    if ref["s"] is not None:
        head += f", s* = {_fmt(ref['s'])}"
    console.print(head)
    chi2 = document["chi2"]
    if chi2 is not None:
        verdict = "consistent" if chi2["consistent"] else "NOT consistent"
        console.print(f"chi² = {_fmt(chi2['observed'])} (dof {chi2['dof']}, p = {_fmt(chi2['p_value'], 3)}): {verdict}")
    if document["excluded"]:
        console.print(f"excluded from the reference value: {', '.join(document['excluded'])}")
    table = Table(show_lines=False)
    for column in ("lab 实验室", "d", "U(d) k=2", "En", "En verdict", "z", "z verdict", "ζ"):
        verdict = "verdict" in column
        table.add_column(column, justify="left" if "lab" in column or verdict else "right", no_wrap=True)
    en_v, z_v = evaluation.en_verdicts, evaluation.z_verdicts
    for row, ev, zv in zip(document["participants"], en_v, z_v):
        table.add_row(row["lab"], _fmt(row["d"]), _fmt(row["U_d"]), _fmt(row["En"], 3), str(ev) or "—", _fmt(row["z"], 3), str(zv) or "—", _fmt(row["zeta"], 3))
    console.print(table)
