"""Imports refuse what they used to take silently, and CSV exports cannot smuggle a formula
into a spreadsheet (issue 16, item 9): a repeated column, control characters, an empty
file; each refusal names the file, the row, the field and the reason, in the user's language."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import exchange
from jiliang.registry import models as m

from .test_exchange import build_registry, empty_registry, registry, snapshot, write  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ORG = make_credit_code("91330105MA28K0001")


def _rejected(*paths):
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths(list(paths))
    return caught.value.errors


def test_a_repeated_header_column_is_refused_not_last_one_wins(reference_data, tmp_path):
    path = write(tmp_path / "organisations.csv", f"credit_code,name,kind,region,name\n{ORG},拱墅计量站,enterprise,330105,别名\n")
    errors = _rejected(path)
    assert [(e.table, e.row, e.field, e.source) for e in errors] == [("organisations", 1, "name", "organisations.csv")]
    assert errors[0].reason == "列名重复（第 2、5 列）：每列只能出现一次"
    assert not m.Organisation.objects.exists()
    with translation.override("en"):
        assert _rejected(path)[0].reason == "repeated column (columns 2, 5): each column may appear once"


def test_a_repeated_key_in_a_json_line_is_refused(reference_data, tmp_path):
    line = f'{{"credit_code": "{ORG}", "name": "甲", "kind": "enterprise", "region": "330105", "name": "乙"}}'
    path = write(tmp_path / "organisations.jsonl", line + "\n")
    errors = _rejected(path)
    assert [(e.row, e.field, e.source) for e in errors] == [(1, "name", "organisations.jsonl")]
    assert "键重复" in errors[0].reason


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f"])
def test_control_characters_in_a_cell_are_refused(reference_data, tmp_path, char):
    path = tmp_path / "organisations.csv"
    path.write_text(f"credit_code,name,kind,region,address\n{ORG},拱墅{char}计量站,enterprise,330105,\n", encoding="utf-8")
    errors = _rejected(path)
    assert [(e.table, e.row, e.field, e.source) for e in errors] == [("organisations", 2, "name", "organisations.csv")]
    assert f"U+{ord(char):04X}" in errors[0].reason and "第 3 个字符" in errors[0].reason
    with translation.override("en"):
        assert "control character" in _rejected(path)[0].reason


def test_control_characters_in_a_reference_and_in_json_lines_are_refused(reference_data, tmp_path):
    path = write(
        tmp_path / "organisations.jsonl",
        json.dumps({"credit_code": ORG, "name": "甲", "kind": "enterprise", "region": "330105\x00"}) + "\n",
    )
    assert [(e.row, e.field) for e in _rejected(path)] == [(1, "region")]


def test_tabs_and_line_breaks_stay_allowed(reference_data, tmp_path):
    path = tmp_path / "organisations.csv"
    path.write_text(
        f'credit_code,name,kind,region,address\n{ORG},拱墅计量站,enterprise,330105,"杭州市\n拱墅区\t1号"\n', encoding="utf-8"
    )
    assert exchange.import_paths([path]) == {"organisations": 1}
    assert m.Organisation.objects.get().address == "杭州市\n拱墅区\t1号"


FORMULAS = ['=HYPERLINK("http://evil.example","点此")', "+1+1", "-2+3", "@SUM(A1)", "'引号开头", "\t制表符开头"]


def test_csv_export_escapes_formulas_and_the_import_gives_the_values_back(reference_data, tmp_path):
    build_registry()
    for k, text in enumerate(FORMULAS):
        m.Organisation.objects.create(
            name=text,
            credit_code=make_credit_code(f"91330105MA28K{k + 10:04d}"),
            kind="enterprise",
            region=m.Region.objects.get(code="330105"),
            address=text,
        )
    before = snapshot()
    exchange.export_registry(tmp_path / "a", "csv")
    cells = (tmp_path / "a" / "organisations.csv").read_text(encoding="utf-8-sig")
    for text in FORMULAS:
        assert "'" + text.replace('"', '""') in cells  # an apostrophe first: text, not a formula
    assert "\n=" not in cells and ",=" not in cells and ",+" not in cells and ",@" not in cells
    empty_registry()
    exchange.import_paths([tmp_path / "a"])
    assert snapshot() == before
    assert sorted(m.Organisation.objects.filter(name__in=FORMULAS).values_list("address", flat=True)) == sorted(FORMULAS)


def test_numbers_are_not_marked_as_text(reference_data, tmp_path):
    build_registry()
    exchange.export_registry(tmp_path, "csv", tables=["capabilities"])
    assert ",-5.5," in (tmp_path / "capabilities.csv").read_text(encoding="utf-8-sig")  # a negative range stays a number


def test_an_empty_file_is_an_error_not_zero_rows(reference_data, tmp_path):
    path = write(tmp_path / "instruments.csv", "")
    errors = _rejected(path)
    assert [(e.table, e.row, e.source) for e in errors] == [("instruments", None, "instruments.csv")]
    assert errors[0].reason == "文件为空：没有表头，也没有数据行"
    with pytest.raises(CommandError) as caught:
        call_command("import_registry", str(path))
    assert "instruments.csv" in str(caught.value) and "文件为空" in str(caught.value)


def test_a_header_without_rows_is_an_error_when_it_is_all_there_is(reference_data, tmp_path):
    path = write(tmp_path / "instruments.csv", ",".join(exchange.column_names("instruments")) + "\n")
    errors = _rejected(path)
    assert errors[0].reason == "文件中没有数据行：instruments.csv"
    with translation.override("en"):
        assert _rejected(path)[0].reason == "no data rows in the files: instruments.csv"


def test_an_empty_jsonl_file_and_an_empty_sheet_are_errors(reference_data, tmp_path):
    assert _rejected(write(tmp_path / "people.jsonl", ""))[0].reason.startswith("文件中没有数据行")
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "people"
    wb.save(tmp_path / "book.xlsx")
    errors = _rejected(tmp_path / "book.xlsx")
    assert [(e.table, e.source, e.reason) for e in errors] == [("people", "book.xlsx", "工作表为空：没有表头，也没有数据行")]


def test_imported_events_pass_the_rules_every_write_path_shares(registry, tmp_path):
    """Issue 16 item 1: `jiliang import` writes events under the same rules as the API and
    the workflow — not dated in the future, a mandatory verification only by a legal or
    authorised institution (计量法 第二十条), a signer of the performing institution."""
    import csv
    import datetime as dt

    exchange.export_registry(tmp_path / "a", "csv")
    events = tmp_path / "a" / "events.csv"
    with events.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    by_number = {r["certificate_number"]: i for i, r in enumerate(rows)}
    rows[by_number["VER-2024-0001"]].update(performed_on=future, valid_until="2199-12-31")
    rows[by_number["VER-2023-0001"]]["performer"] = m.Organisation.objects.get(kind="enterprise").credit_code
    with events.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)
    empty_registry()
    errors = _rejected(tmp_path / "a")
    found = {(e.table, e.row, e.field, e.source) for e in errors}
    assert ("events", by_number["VER-2024-0001"] + 2, "performed_on", "events.csv") in found, [e.reason for e in errors]
    assert ("events", by_number["VER-2023-0001"] + 2, "performer", "events.csv") in found, [e.reason for e in errors]
    assert all(not rows for rows in snapshot().values())  # all or nothing
