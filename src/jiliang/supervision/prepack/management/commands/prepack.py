"""`jiliang prepack`: tolerable shortfall, sampling plan and judgement of prepackaged goods
(定量包装商品净含量, JJF 1070). Every result names the edition of the tables it used."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from jiliang.cli_io import read_text, reading
from jiliang.core import prepack
from jiliang.core.errors import InputError

UNIT_CHOICES = list(prepack.UNITS)


def _emit(data: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n".join(lines))


def _cmd_tolerance(options) -> int:
    tol = prepack.tolerable_shortfall(options["nominal"], options["unit"], options["edition"])
    _emit(
        tol.to_json(),
        options["json"],
        [
            f"edition: {tol.edition}",
            f"Qn = {tol.nominal:g} {tol.unit} ({tol.kind})",
            f"T (允许短缺量) = {tol.T:g} {tol.unit}   [{tol.rule}]",
        ],
    )
    return 0


def _cmd_plan(options) -> int:
    plan = prepack.sampling_plan(options["batch_size"], options["edition"])
    mean_rule = "checked in full, no mean criterion" if plan.full_check else f"mean ≥ Qn − {plan.lambda_}·s"
    _emit(
        plan.to_json(),
        options["json"],
        [
            f"edition: {plan.edition}",
            f"batch size N = {plan.batch_size}: sample n = {plan.n}; {mean_rule}",
            f"units short by more than T (at most 2T) allowed: {plan.allowed_short_T}; short by more than 2T: {plan.allowed_short_2T}",
        ],
    )
    return 0


def _read_document(path: str) -> dict:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(
            "",
            f"not valid JSON ({exc.msg}, line {exc.lineno})",
            code="file_bad_json",
            file="standard input" if path == "-" else path,
            msg=exc.msg,
            line=exc.lineno,
        ) from None


def _cmd_judge(options) -> int:
    document = _read_document(options["file"])
    with reading(options["file"]):
        result = prepack.judge_document(document, options["edition"])
    data = result.to_json()
    lines = [
        f"edition: {result.edition}",
        f"Qn = {result.nominal:g} {result.unit}, T = {result.T:g} {result.unit}, n = {result.plan.n}, λ = {result.plan.lambda_}",
    ]
    if result.mean is not None:
        lines.append(
            f"mean = {result.mean:.6g} {result.unit}, s = {result.s:.4g}, mean criterion {'met' if result.mean_ok else 'NOT met'}"
        )
    if result.tare is not None:
        lines.append(f"tare: {result.tare.method} (mean tare {result.tare.mean_tare:g} {result.unit})")
    lines.append(f"short by > T: {result.short_T} (allowed {result.plan.allowed_short_T}), short by > 2T: {result.short_2T}")
    lines.append(f"verdict: {'PASS 合格' if result.passed else 'FAIL 不合格'}")
    lines.extend(f"  - {reason}" for reason in result.reasons)
    _emit(data, options["json"], lines)
    return 0


class Command(BaseCommand):
    help = "net content of prepackaged goods (定量包装商品净含量, JJF 1070)"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="prepack_command", metavar="SUBCOMMAND", required=True)
    edition_help = f"edition of the tables (default {prepack.DEFAULT_EDITION}; available: {', '.join(prepack.edition_names())})"

    p = sub.add_parser("tolerance", help="tolerable shortfall T (允许短缺量) for a nominal quantity")
    # kept as text so the decimal digits typed reach the table unchanged (T rounding depends on them)
    p.add_argument("nominal", help="nominal quantity Qn")
    p.add_argument("--unit", required=True, metavar="|".join(UNIT_CHOICES), help="unit of Qn")
    p.add_argument("--edition", default=None, help=edition_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_tolerance)

    p = sub.add_parser("plan", help="sampling plan (抽样方案) for a batch size")
    p.add_argument("batch_size", type=int, help="batch size N")
    p.add_argument("--edition", default=None, help=edition_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("judge", help="judge a sample (计量检验评定)")
    p.add_argument("file", help='JSON {"nominal", "unit", "batch_size", "values"} (or "gross" and "tare"); - for stdin')
    p.add_argument("--edition", default=None, help=edition_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_judge)
