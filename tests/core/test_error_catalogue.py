"""Errors as data (issue 24, item 3): the core raises ``InputError(field, reason, code=…,
**params)``; the shell says it through a catalogue keyed by code, in Chinese (the msgid) and
English (``locale/en``). A new or renamed code without both messages fails here, so a page
can never fall back to the core's English sentence without anyone noticing."""

from __future__ import annotations

import ast
import dataclasses
import gettext
import re
from pathlib import Path

import pytest

import jiliang
from jiliang import messages
from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.model import record_from_dict
from jiliang.core.dcc.sample import sample_record
from jiliang.core.errors import InputError
from jiliang.core.uncertainty import ModelError, evaluate_document

PACKAGE = Path(jiliang.__file__).resolve().parent
ERROR_CLASSES = {
    "InputError",
    "ModelError",
    "ComparisonInputError",
    "PrepackError",
    "DccError",
    "SchemaError",
    "UnitError",
    "SigningError",
    "IdentifierError",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CJK = re.compile("[\u4e00-\u9fff]")


def _raised() -> dict[str, list[tuple[str, int, set[str]]]]:
    """code -> every (file, line, keyword names) that raises it, over the core, commands and calculators."""
    found: dict[str, list] = {}
    for folder in ("core", "commands", "calculations"):
        for path in (PACKAGE / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERROR_CLASSES:
                    keywords = {k.arg: k.value for k in node.keywords if k.arg}
                    code = keywords.get("code")
                    if isinstance(code, ast.Constant):
                        found.setdefault(code.value, []).append((str(path.relative_to(PACKAGE)), node.lineno, set(keywords)))
    return found


RAISED = _raised()


def test_every_code_raised_has_a_message():
    missing = sorted(code for code in RAISED if code not in messages.CATALOGUE and code not in messages.GENERIC_CODES)
    assert not missing, {code: RAISED[code] for code in missing}


@pytest.mark.parametrize("code", sorted(messages.CATALOGUE))
def test_every_message_has_chinese_and_english(code):
    msgid = messages.CATALOGUE[code]
    assert CJK.search(msgid), f"{code}: the msgid is the Chinese message"
    english = gettext.translation("django", str(messages.LOCALE_DIR), languages=["en"]).gettext(msgid)
    assert english != msgid and not CJK.search(english), f"{code}: no English translation in locale/en"
    assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(msgid)), f"{code}: placeholders differ"


@pytest.mark.parametrize("code", sorted(set(RAISED) & set(messages.CATALOGUE)))
def test_every_raiser_passes_the_parameters_its_message_quotes(code):
    wanted = set(PLACEHOLDER.findall(messages.CATALOGUE[code]))
    for path, line, keywords in RAISED[code]:
        assert wanted <= keywords, f"{path}:{line} raises {code} without {sorted(wanted - keywords)}"


def test_the_uncertainty_core_gives_every_refusal_a_specific_code():
    """The page shows these: none may rely on a generic code (whose message is the English reason)."""
    generic = []
    for path in (PACKAGE / "core" / "uncertainty").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ModelError":
                if not any(k.arg == "code" for k in node.keywords):
                    generic.append(f"{path.name}:{node.lineno}")
    assert not generic


def test_the_dcc_core_gives_every_refusal_a_specific_code():
    """Certificate imports, the API and `jiliang dcc|certificate` show these: none may fall back to English."""
    generic = []
    for path in (PACKAGE / "core" / "dcc").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {
                "DccError",
                "UnitError",
                "SchemaError",
                "SigningError",
            }:
                if not any(k.arg == "code" for k in node.keywords):
                    generic.append(f"{path.name}:{node.lineno}")
    assert not generic


def test_a_dcc_refusal_renders_in_both_languages_with_its_field():
    """A unit in a certificate record that D-SI does not know: the field, then the token at fault."""
    data = dataclasses.asdict(sample_record(1))
    data["measurement_results"][0]["results"][0]["quantities"][0]["unit"] = "\\metre\\furlong"
    with pytest.raises(DccError) as caught:
        build_dcc(record_from_dict(data))
    error = caught.value
    assert error.code == "dsi_unknown_token"
    assert (
        str(error)
        == "measurement_results[0].results[0].quantities[0].unit: si:unit '\\\\metre\\\\furlong': unknown token '\\furlong'"
    )
    assert messages.render(error, "zh-hans") == (
        "measurement_results[0].results[0].quantities[0].unit：si:unit '\\\\metre\\\\furlong'：未知的记号 \\furlong"
    )
    assert messages.render(error, "en") == (
        "measurement_results[0].results[0].quantities[0].unit: si:unit '\\\\metre\\\\furlong': unknown token \\furlong"
    )


def test_a_refusal_renders_in_both_languages_with_its_field():
    doc = {"outputs": {"P": "V"}, "inputs": {"V": {"value": 1, "distribution": "normal", "u": -0.1}}}
    with pytest.raises(ModelError) as caught:
        evaluate_document(doc)
    error = caught.value
    assert (error.field, error.code, error.params) == ("inputs.V.u", "must_not_be_negative", {"got": -0.1})
    assert messages.render(error, "zh-hans") == "inputs.V.u：不能为负数（输入值 -0.1）"
    assert messages.render(error, "en") == "inputs.V.u: must not be negative (got -0.1)"


def test_a_reworded_core_sentence_does_not_change_the_page():
    """The catalogue is keyed by code: the English reason can change freely."""
    error = InputError("trials", "any English sentence at all", code="too_many_trials", trials=10**10, limit=2 * 10**8)
    assert messages.render(error, "zh-hans") == "trials：试验次数 10000000000 过多，内存不足；最多 200000000 次"


def test_file_and_row_are_part_of_the_place():
    error = InputError(
        "u", "standard uncertainty must be positive", code="comparison_u_positive", got=0.0, row=3, file="results.csv"
    )
    assert messages.render(error, "zh-hans") == "results.csv，第 3 行，u：标准不确定度须为有限正数（输入值 0.0）"
    assert (
        messages.render(error, "en") == "results.csv, row 3, u: standard uncertainty must be a positive finite number (got 0.0)"
    )
    assert str(error) == "results.csv, row 3, u: standard uncertainty must be positive"
