"""Export: every table streamed from the database to CSV, JSON Lines or one XLSX workbook."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import models as djm
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from jiliang.messages import enumeration

from .csvtext import escape_csv_text
from .tables import CSV_ENCODING, FORMATS, TABLE_NAMES, TABLES, Table, column_names, columns, key_paths

EXPORT_CHUNK = 5000
# Excel holds 1,048,576 rows a sheet; a longer table continues on sheets "<table>.2", …
XLSX_ROWS_PER_SHEET = 1_048_575


def _export_queryset(table: Table):
    order = key_paths(table) if table.key else list(table.order)
    return table.model.objects.order_by(*order).values_list(*[p for _, p in columns(table)])


def _json_positions(table: Table) -> list[int]:
    return [
        i
        for i, (_, path) in enumerate(columns(table))
        if "__" not in path and isinstance(table.model._meta.get_field(path), djm.JSONField)
    ]


def iter_rows(table_name: str) -> Iterator[tuple]:
    """The table's rows in file order as Python values (natural keys for foreign keys)."""
    return _export_queryset(TABLES[table_name]).iterator(chunk_size=EXPORT_CHUNK)


def _dump_json_value(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _with_json_as_text(rows: Iterable[tuple], positions: list[int]) -> Iterator[tuple]:
    if not positions:
        yield from rows
        return
    for row in rows:
        row = list(row)
        for i in positions:
            if row[i] is not None:
                row[i] = _dump_json_value(row[i])
        yield row


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _resolve_tables(tables: Iterable[str] | None) -> list[str]:
    if not tables:
        return list(TABLE_NAMES)
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ValueError(
            gettext("未知的表 %(table)s；可用的表：%(tables)s")
            % {"table": enumeration(unknown), "tables": enumeration(TABLE_NAMES)}
        )
    return [t for t in TABLE_NAMES if t in set(tables)]


def export_registry(
    target: str | Path, fmt: str = "csv", tables: Iterable[str] | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Write the tables (all by default) to ``target``: a folder of ``<table>.<fmt>`` files,
    or one workbook with a sheet per table for xlsx. Returns the row count per table."""
    if fmt not in FORMATS:
        raise ValueError(
            gettext("格式须为 %(options)s 之一（输入值 %(got)s）") % {"options": enumeration(FORMATS), "got": repr(fmt)}
        )
    names = _resolve_tables(tables)
    target = Path(target)
    counts: dict[str, int] = {}
    if fmt == "xlsx":
        if target.suffix.lower() != ".xlsx":
            target = target / "registry.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        _export_xlsx(target, names, counts)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            writer = _export_csv if fmt == "csv" else _export_jsonl
            counts[name] = writer(target / f"{name}.{fmt}", TABLES[name])
            if progress:
                progress(name, counts[name])
    return counts


def _counting(rows: Iterable, counter: list[int]) -> Iterator:
    for row in rows:
        counter[0] += 1
        yield row


def _escaped(rows: Iterable, positions: list[int]) -> Iterator:
    for row in rows:
        row = list(row)
        for i in positions:
            value = row[i]
            if value and type(value) is str:
                row[i] = escape_csv_text(value)
        yield row


def _export_csv(path: Path, table: Table) -> int:
    counter = [0]
    text_positions = [i for i, (_c, path_) in enumerate(columns(table)) if _is_text_path(table, path_)]
    with open(path, "w", newline="", encoding=CSV_ENCODING) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(column_names(table.name))
        # csv writes None as "", dates in ISO form, floats by repr (exact round trip).
        rows = _with_json_as_text(iter_rows(table.name), _json_positions(table))
        writer.writerows(_counting(_escaped(rows, text_positions), counter))
    return counter[0]


def _export_jsonl(path: Path, table: Table) -> int:
    names = column_names(table.name)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in iter_rows(table.name):
            fh.write(json.dumps(dict(zip(names, row)), ensure_ascii=False, default=_json_default, separators=(",", ":")))
            fh.write("\n")
            n += 1
    return n


def _export_xlsx(path: Path, names: list[str], counts: dict[str, int]) -> None:

    wb = Workbook(write_only=True)
    for name in names:
        table = TABLES[name]
        header = column_names(name)
        text_positions = [i for i, (_, path_) in enumerate(columns(table)) if _is_text_path(table, path_)]
        sheet, n, sheet_no = wb.create_sheet(name), 0, 1
        sheet.append(header)
        on_sheet = 0
        for row in _with_json_as_text(iter_rows(name), _json_positions(table)):
            if on_sheet == XLSX_ROWS_PER_SHEET:
                sheet_no += 1
                sheet = wb.create_sheet(f"{name}.{sheet_no}")
                sheet.append(header)
                on_sheet = 0
            row = list(row)
            for i in text_positions:
                value = row[i]
                if value and value[0] == "=":  # text, not a formula
                    cell = WriteOnlyCell(sheet, value)
                    cell.data_type = "s"
                    row[i] = cell
            sheet.append(row)
            n += 1
            on_sheet += 1
        counts[name] = n
    wb.save(path)


def _is_text_path(table: Table, path: str) -> bool:
    model = table.model
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    field = model._meta.get_field(last)
    return isinstance(field, (djm.CharField, djm.JSONField))
