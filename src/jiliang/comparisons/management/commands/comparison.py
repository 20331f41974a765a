"""`jiliang comparison compute FILE`: reference value, degrees of equivalence and scores of a
comparison or proficiency-testing round from a CSV or JSON file of results."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand
from django.utils.translation import gettext
from rich.console import Console
from rich.table import Table

from jiliang.cli_io import read_text, reading
from jiliang.core.comparison import ESTIMATORS, evaluate, parse_rows, results_from_rows, to_document
from jiliang.core.comparison.document import WITHOUT_U
from jiliang.core.comparison.errors import ComparisonInputError

# rich lays out a table cell by cell (30 000 rows: about a minute and 300 MB); longer result
# lists are printed as plain aligned columns, which costs what writing the text costs.
RICH_TABLE_ROWS = 500


class Command(BaseCommand):
    help = "comparisons and proficiency testing (计量比对)"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="comparison_command", metavar="ACTION", required=True)
    p = sub.add_parser("compute", help="reference value, degrees of equivalence, En, z and zeta from a results file")
    p.add_argument("file", help="CSV or JSON results: lab, value, u[, dof, in_reference]; '-' reads standard input")
    p.add_argument(
        "--estimator", choices=ESTIMATORS, default="weighted-mean", help="reference-value estimator (default weighted-mean)"
    )
    p.add_argument(
        "--sigma-pt", type=float, dest="sigma_pt", help="standard deviation for proficiency assessment (gives z scores)"
    )
    p.add_argument("--json", action="store_true", help="print the result document as JSON")
    p.add_argument("--plot", metavar="OUT", help="also draw results and degrees of equivalence to OUT.png or OUT.svg")
    p.set_defaults(func=run_compute)


def _read(path: str) -> tuple[str, str]:
    text = read_text(path)
    if path == "-":
        return text, "json" if text.lstrip().startswith("[") else "csv"
    return text, "json" if Path(path).suffix.lower() == ".json" else "csv"


def run_compute(options) -> int:
    plot_format = None
    if options["plot"]:
        plot_format = Path(options["plot"]).suffix.lower().lstrip(".")
        if plot_format not in ("png", "svg"):
            raise ComparisonInputError(
                "plot", gettext("输出文件须以 .png 或 .svg 结尾（输入值 %(got)s）") % {"got": repr(options["plot"])}
            )
    text, fmt = _read(options["file"])
    with reading(options["file"]):
        results = results_from_rows(parse_rows(text, fmt), require_u=options["estimator"] not in WITHOUT_U)
        evaluation = evaluate(results, options["estimator"], options["sigma_pt"])
    document = to_document(evaluation)
    if options["plot"]:
        from jiliang.core.comparison.plots import evaluation_figure  # matplotlib loads only for a plot

        Path(options["plot"]).write_bytes(
            evaluation_figure(evaluation, plot_format, title=f"{Path(options['file']).name} — {options['estimator']}")
        )
    if options["json"]:  # orjson: 200 000 participants in a fraction of a second (json.dumps with indent: 10 s)
        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
        sys.stdout.flush()
    elif len(document["participants"]) > RICH_TABLE_ROWS:
        _print_plain(evaluation, document)
    else:
        _print_table(evaluation, document)
    return 0


def _fmt(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _summary_lines(document) -> list[str]:
    ref = document["reference"]
    lines = [
        f"{document['estimator']}  reference value 参考值 = {_fmt(ref['value'], 8)}, u = {_fmt(ref['u'])}"
        + (f", s* = {_fmt(ref['s'])}" if ref["s"] is not None else "")
    ]
    chi2 = document["chi2"]
    if chi2 is not None:
        verdict = "consistent" if chi2["consistent"] else "NOT consistent"
        lines.append(f"chi² = {_fmt(chi2['observed'])} (dof {chi2['dof']}, p = {_fmt(chi2['p_value'], 3)}): {verdict}")
    if document["excluded"]:
        lines.append(f"excluded from the reference value: {', '.join(document['excluded'])}")
    return lines


def _print_plain(evaluation, document) -> None:
    """The same columns as the rich table, as plain text written in one go."""
    labs = [row["lab"] for row in document["participants"]]
    width = max(12, *(len(lab) for lab in labs))
    header = f"{'lab 实验室':<{width - 3}}  {'d':>10}  {'U(d) k=2':>10}  {'En':>7}  {'En verdict':<12}  {'z':>7}  {'z verdict':<12}  {'ζ':>7}"
    out = _summary_lines(document) + [header]
    for row, ev, zv in zip(document["participants"], evaluation.en_verdicts, evaluation.z_verdicts):
        out.append(
            f"{row['lab']:<{width}}  {_fmt(row['d']):>10}  {_fmt(row['U_d']):>10}  {_fmt(row['En'], 3):>7}  "
            f"{str(ev) or '—':<12}  {_fmt(row['z'], 3):>7}  {str(zv) or '—':<12}  {_fmt(row['zeta'], 3):>7}"
        )
    sys.stdout.write("\n".join(out) + "\n")


def _print_table(evaluation, document) -> None:

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
        table.add_row(
            row["lab"],
            _fmt(row["d"]),
            _fmt(row["U_d"]),
            _fmt(row["En"], 3),
            str(ev) or "—",
            _fmt(row["z"], 3),
            str(zv) or "—",
            _fmt(row["zeta"], 3),
        )
    console.print(table)
