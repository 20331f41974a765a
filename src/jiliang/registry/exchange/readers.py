"""Reading import files: CSV, JSON Lines and XLSX sheets as rows of raw values per table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from jiliang.messages import enumeration

from .csvtext import unescape_csv_text
from .tables import CSV_ENCODING, FORMATS, TABLE_NAMES, TABLES


@dataclass
class Source:
    """The rows of one table from one file or sheet: (row number, {column: raw value})
    or (row number, error message) for a row that could not be read."""

    table: str
    label: str
    rows: Iterable[tuple[int, dict | str]]
    native: bool  # JSON values are native (JSONL), not text to decode


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(
                _("格式须为 %(options)s 之一（输入值 %(got)s）") % {"options": enumeration(FORMATS), "got": repr(fmt)}
            )
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix == "json":
        return "jsonl"
    raise ValueError(_("%(path)s：无法从扩展名判断格式；请加 --format csv、jsonl 或 xlsx") % {"path": path})


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for its files named after tables (and workbooks)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and ((f.stem in TABLES and f.suffix.lower().lstrip(".") in ("csv", "jsonl")) or f.suffix.lower() == ".xlsx")
            )
            if not found:
                raise ValueError(_("%(path)s：此文件夹中没有登记数据文件（<表名>.csv、<表名>.jsonl 或 .xlsx）") % {"path": p})
            out.extend(found)
        elif not p.exists():
            raise FileNotFoundError(2, _("找不到文件"), str(p))
        else:
            out.append(p)
    return out


def open_sources(paths: Iterable[str | Path], table: str | None = None, fmt: str | None = None) -> list[Source]:
    files = expand_paths(paths)
    if table and table not in TABLES:
        raise ValueError(
            _("未知的表 %(table)s；可用的表：%(tables)s") % {"table": repr(table), "tables": enumeration(TABLE_NAMES)}
        )
    if table and len(files) > 1:
        raise ValueError(_("--table 只能指明单个文件的表；多个文件请以其表名命名"))
    sources: list[Source] = []
    for path in files:
        kind = detect_format(path, fmt)
        if kind == "xlsx":
            sources.extend(_xlsx_sources(path, table))
            continue
        name = table or path.stem
        if name not in TABLES:
            raise ValueError(
                _("%(path)s：文件名不是表名（%(tables)s）；请加 --table") % {"path": path, "tables": enumeration(TABLE_NAMES)}
            )
        reader = _csv_rows if kind == "csv" else _jsonl_rows
        sources.append(Source(name, path.name, reader(path), native=kind == "jsonl"))
    return sources


def _header_rows(header: list, rows: Iterable[tuple[int, list]]) -> Iterator[tuple[int, dict | str | tuple]]:
    header = [("" if h is None else str(h)).strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    if not header:
        yield 1, _("文件没有表头行（第一行应为列名）")
        return
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        # Which of two columns of one name holds the value is anyone's guess: refuse the file.
        for name in repeated:
            yield (
                1,
                (
                    name,
                    _("列名重复（第 %(positions)s 列）：每列只能出现一次")
                    % {"positions": _("、").join(str(i + 1) for i, h in enumerate(header) if h == name)},
                ),
            )
        return
    for number, row in rows:
        row = list(row)
        while len(row) > len(header) and row[-1] in (None, ""):
            row.pop()
        if all(v in (None, "") for v in row):
            continue
        if len(row) > len(header):
            yield number, _("有 %(values)s 个值，但表头有 %(columns)s 列") % {"values": len(row), "columns": len(header)}
            continue
        yield number, dict(zip(header, row))


NOT_UTF8 = "the file is not UTF-8 text (in Excel: save as “CSV UTF-8”)"


def _csv_rows(path: Path) -> Iterator[tuple[int, dict | str]]:
    with open(path, newline="", encoding=CSV_ENCODING) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                yield None, _("文件为空：没有表头，也没有数据行")
                return
            # Text the export marked with an apostrophe against spreadsheet formulas comes back as written.
            rows = ((reader.line_num, [unescape_csv_text(v) for v in row]) for row in reader)
            yield from _header_rows(header, rows)
        except UnicodeDecodeError:
            yield reader.line_num + 1, NOT_UTF8
        except csv.Error as exc:
            yield reader.line_num, _("无法按 CSV 读取：%(detail)s") % {"detail": exc}


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict | str]]:
    with open(path, encoding=CSV_ENCODING) as fh:  # tolerate a BOM here too
        try:
            yield from _jsonl_lines(fh)
        except UnicodeDecodeError:
            yield None, NOT_UTF8


class _RepeatedKey(ValueError):
    def __init__(self, key: str):
        self.key = key


def _object_without_repeats(pairs: list[tuple]) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen[key] = value
    return seen


def _jsonl_lines(fh) -> Iterator[tuple[int, dict | str | tuple]]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_object_without_repeats)
        except _RepeatedKey as exc:
            yield number, (exc.key, _("键重复：同一行中每个键只能出现一次"))
            continue
        except json.JSONDecodeError as exc:
            yield number, _("不是有效的 JSON：%(detail)s（第 %(column)s 列）") % {"detail": exc.msg, "column": exc.colno}
            continue
        yield (number, obj) if isinstance(obj, dict) else (number, _("每行须为一个 JSON 对象"))


def _xlsx_sources(path: Path, table: str | None) -> list[Source]:

    wb = load_workbook(path, read_only=True, data_only=True)
    sources = []
    for ws in wb.worksheets:
        name = table if table and len(wb.worksheets) == 1 else ws.title.split(".")[0]
        if name not in TABLES:
            sources.append(
                Source(
                    ws.title,
                    f"{path.name}[{ws.title}]",
                    [(None, _("工作表 %(sheet)s 不是表名") % {"sheet": repr(ws.title)})],
                    native=False,
                )
            )
            continue

        def rows(ws=ws):
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            if header is None:
                yield None, _("工作表为空：没有表头，也没有数据行")
                return
            yield from _header_rows(list(header), enumerate(it, start=2))

        sources.append(Source(name, f"{path.name}[{ws.title}]" if ws.title != name else path.name, rows(), native=False))
    return sources
