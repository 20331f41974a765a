"""Import and export of every registry table in CSV, JSON Lines and XLSX.

Foreign keys are written as natural keys (a region code, a credit code, a certificate
number, a person as organisation credit code + name …), so exported files are readable
and import into an empty database without ids.

Export streams ``values_list`` rows straight from the database. Import is all-or-nothing:
every row is parsed and checked (types, choices, required fields, validators, natural-key
references to the database or to rows of the same import, the models' ``clean()`` and
their check constraints, duplicate keys); every error is collected, and only an import
without any error is written, in bulk, inside one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models as djm, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from jiliang.audit.models import AuditEntry
from jiliang.audit.services import record_batches, tracked_models

from . import models as m

FORMATS = ("csv", "jsonl", "xlsx")
EXPORT_CHUNK = 5000
WRITE_BATCH = 2000
LOOKUP_BATCH = 500
# Excel holds 1,048,576 rows a sheet; a longer table continues on sheets "<table>.2", …
XLSX_ROWS_PER_SHEET = 1_048_575
CSV_ENCODING = "utf-8-sig"  # written with a BOM so Excel reads UTF-8; read with or without
# Fields the model declares non-blank but the shipped reference data leaves empty: a
# dimensionless quantity (pH值) has no unit symbol, and standards and capabilities copy
# it. Accepted so the registry round-trips.
BLANK_ALLOWED = {("quantities", "unit"), ("primary_standards", "unit"), ("capabilities", "unit"), ("certified_values", "unit")}


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """How one table is written: its fields in column order, its natural key, and for each
    foreign key the table it points to (written as that table's natural key)."""

    name: str
    model: type
    fields: tuple[str, ...]
    key: tuple[str, ...] = ()
    refs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (field, target table, column names)
    order: tuple[str, ...] = ()  # export order of a table without natural key (paths)

    def ref(self, field: str):
        for f, target, columns in self.refs:
            if f == field:
                return target, columns
        return None


def _refs(**targets) -> tuple:
    """field=target or field=(target, (column names…)) → the refs tuple."""
    out = []
    for field, target in targets.items():
        if isinstance(target, tuple):
            out.append((field, target[0], target[1]))
        else:
            out.append((field, target, (field,)))
    return tuple(out)


_StandardSpecification = m.MeasurementStandard.specifications.through
_StandardCatalogItem = m.MeasurementStandard.catalog_items.through
_PERSON_COLUMNS = ("person_organisation", "person_name")

TABLE_LIST: tuple[Table, ...] = (
    Table("regions", m.Region, ("code", "name", "level", "parent"), key=("code",), refs=_refs(parent="regions")),
    Table("fields", m.MetrologyField, ("code", "name", "name_en"), key=("code",)),
    Table("organisations", m.Organisation, ("credit_code", "name", "kind", "region", "address"), key=("credit_code",), refs=_refs(region="regions")),
    Table("quantities", m.Quantity, ("name", "name_en", "field", "unit"), key=("name",), refs=_refs(field="fields")),
    Table(
        "specifications", m.Specification, ("code", "title", "kind", "status", "field", "supersedes", "required_ratio"),
        key=("code",), refs=_refs(field="fields", supersedes="specifications"),
    ),
    Table(
        "catalog", m.CatalogItem,
        ("code", "name", "name_en", "category", "field", "quantity", "regulation", "management_mode", "period_months", "service_life_years"),
        key=("code",), refs=_refs(field="fields", quantity="quantities", regulation="specifications"),
    ),
    Table(
        "primary_standards", m.PrimaryStandard, ("code", "name", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "holder"),
        key=("code",), refs=_refs(quantity="quantities", holder="organisations"),
    ),
    Table(
        "standards", m.MeasurementStandard,
        ("certificate_number", "name", "tier", "level", "holder", "field", "issuing_department", "valid_from", "valid_until", "status", "published"),
        key=("certificate_number",), refs=_refs(holder="organisations", field="fields", issuing_department="organisations"),
    ),
    Table(
        "standard_specifications", _StandardSpecification, ("measurementstandard", "specification"), key=("measurementstandard", "specification"),
        refs=_refs(measurementstandard=("standards", ("standard",)), specification="specifications"),
    ),
    Table(
        "standard_catalog_items", _StandardCatalogItem, ("measurementstandard", "catalogitem"), key=("measurementstandard", "catalogitem"),
        refs=_refs(measurementstandard=("standards", ("standard",)), catalogitem=("catalog", ("catalog_item",))),
    ),
    Table(
        "standard_status_changes", m.StandardStatusChange, ("standard", "status", "effective_on", "reason"),
        refs=_refs(standard="standards"), order=("standard__certificate_number", "effective_on", "id"),
    ),
    Table(
        "capabilities", m.Capability,
        ("standard", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "relative", "accuracy_class", "mpe"),
        refs=_refs(standard="standards", quantity="quantities"), order=("standard__certificate_number", "id"),
    ),
    Table("reference_materials", m.ReferenceMaterial, ("number", "name", "level", "producer", "expires_on"), key=("number",), refs=_refs(producer="organisations")),
    Table(
        "certified_values", m.CertifiedValue, ("material", "component", "value", "unit", "uncertainty", "k"),
        key=("material", "component"), refs=_refs(material="reference_materials"),
    ),
    Table("people", m.Person, ("organisation", "name"), key=("organisation", "name"), refs=_refs(organisation="organisations")),
    Table(
        "qualifications", m.Qualification,
        ("person", "kind", "certificate_number", "specialty", "catalog_item", "valid_from", "valid_until"),
        refs=_refs(person=("people", _PERSON_COLUMNS), catalog_item="catalog"),
        order=("person__organisation__credit_code", "person__name", "kind", "certificate_number", "id"),
    ),
    Table(
        "instruments", m.Instrument,
        (
            "code", "name", "catalog_item", "legal_purpose", "owner", "region", "manufacturer", "model", "serial_number",
            "type_approval_number", "accuracy", "range_min", "range_max", "unit", "status", "installed_on", "standard",
        ),
        key=("code",), refs=_refs(catalog_item="catalog", owner="organisations", region="regions", standard="standards"),
    ),
    Table(
        "events", m.CalibrationEvent,
        (
            "certificate_number", "instrument", "kind", "performed_on", "valid_until", "performer", "person", "primary_standard",
            "external_source", "specification", "passed", "results", "uncertainty",
        ),
        key=("certificate_number",),
        refs=_refs(
            instrument="instruments", performer="organisations", person=("people", _PERSON_COLUMNS),
            primary_standard="primary_standards", specification="specifications",
        ),
    ),
    Table("event_standards", m.EventStandard, ("event", "standard"), key=("event", "standard"), refs=_refs(event="events", standard="standards")),
)
TABLES: dict[str, Table] = {t.name: t for t in TABLE_LIST}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)  # also the dependency order


def key_paths(table: Table) -> list[str]:
    """ORM paths of a table's natural key, foreign keys expanded to their targets' keys."""
    paths: list[str] = []
    for field in table.key:
        ref = table.ref(field)
        paths.extend([f"{field}__{p}" for p in key_paths(TABLES[ref[0]])] if ref else [field])
    return paths


def columns(table: Table) -> list[tuple[str, str]]:
    """(column name, ORM path) in file order."""
    out = []
    for field in table.fields:
        ref = table.ref(field)
        if ref:
            out.extend(zip(ref[1], [f"{field}__{p}" for p in key_paths(TABLES[ref[0]])]))
        else:
            out.append((field, field))
    return out


def column_names(table_name: str) -> list[str]:
    return [c for c, _ in columns(TABLES[table_name])]


def _check_table_definitions() -> None:
    for t in TABLE_LIST:
        for field, target, cols in t.refs:
            if len(cols) != len(key_paths(TABLES[target])):
                raise AssertionError(f"{t.name}.{field}: {len(cols)} columns for the key of {target}")


_check_table_definitions()


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RowError:
    table: str
    row: int | None  # the row as the user sees it: CSV/XLSX with the header as row 1, JSONL by line
    field: str
    reason: str
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.table} row {self.row}" if self.row is not None else self.table
        if self.source:
            where += f" ({self.source})"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ImportRejected(ValueError):
    """An import with errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.errors)
        return f"import rejected, database unchanged: {n} error{'s' if n != 1 else ''}"

    def report(self, limit: int = 50) -> str:
        lines = [self.summary()] + [f"  {e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  … and {len(self.errors) - limit} more")
        return "\n".join(lines)


class BadValue(ValueError):
    pass


# --------------------------------------------------------------------------- export


def _export_queryset(table: Table):
    order = key_paths(table) if table.key else list(table.order)
    return table.model.objects.order_by(*order).values_list(*[p for _, p in columns(table)])


def _json_positions(table: Table) -> list[int]:
    return [i for i, (_, path) in enumerate(columns(table)) if "__" not in path and isinstance(table.model._meta.get_field(path), djm.JSONField)]


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
        raise ValueError(f"unknown table(s) {', '.join(unknown)}; tables are: {', '.join(TABLE_NAMES)}")
    return [t for t in TABLE_NAMES if t in set(tables)]


def export_registry(target: str | Path, fmt: str = "csv", tables: Iterable[str] | None = None,
                    progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write the tables (all by default) to ``target``: a folder of ``<table>.<fmt>`` files,
    or one workbook with a sheet per table for xlsx. Returns the row count per table."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
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


# A spreadsheet takes a cell starting with one of these as a formula (CSV injection): such
# text is written with a leading apostrophe, as OWASP's "CSV Injection" page advises, and so
# is text that starts with an apostrophe itself, so that reading strips exactly one again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_MARK = "'"


def escape_csv_text(value: str) -> str:
    return CSV_TEXT_MARK + value if value.startswith(FORMULA_START) or value.startswith(CSV_TEXT_MARK) else value


def unescape_csv_text(value: str) -> str:
    return value[1:] if value.startswith(CSV_TEXT_MARK) else value


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
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

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


# --------------------------------------------------------------------------- reading files


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
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix == "json":
        return "jsonl"
    raise ValueError(f"{path}: cannot tell the format from the extension; give --format csv, jsonl or xlsx")


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for its files named after tables (and workbooks)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and (
                (f.stem in TABLES and f.suffix.lower().lstrip(".") in ("csv", "jsonl")) or f.suffix.lower() == ".xlsx"))
            if not found:
                raise ValueError(f"{p}: no registry files (<table>.csv, <table>.jsonl or .xlsx) in this folder")
            out.extend(found)
        elif not p.exists():
            raise FileNotFoundError(2, "no such file", str(p))
        else:
            out.append(p)
    return out


def open_sources(paths: Iterable[str | Path], table: str | None = None, fmt: str | None = None) -> list[Source]:
    files = expand_paths(paths)
    if table and table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables are: {', '.join(TABLE_NAMES)}")
    if table and len(files) > 1:
        raise ValueError("--table names the table of a single file; name the files after their tables instead")
    sources: list[Source] = []
    for path in files:
        kind = detect_format(path, fmt)
        if kind == "xlsx":
            sources.extend(_xlsx_sources(path, table))
            continue
        name = table or path.stem
        if name not in TABLES:
            raise ValueError(f"{path}: file name does not name a table ({', '.join(TABLE_NAMES)}); give --table")
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
            yield 1, (name, _("列名重复（第 %(positions)s 列）：每列只能出现一次") % {
                "positions": _("、").join(str(i + 1) for i, h in enumerate(header) if h == name)})
        return
    for number, row in rows:
        row = list(row)
        while len(row) > len(header) and row[-1] in (None, ""):
            row.pop()
        if all(v in (None, "") for v in row):
            continue
        if len(row) > len(header):
            yield number, f"{len(row)} values but {len(header)} columns in the header"
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
            yield reader.line_num, f"not readable as CSV: {exc}"


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
            yield number, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        yield (number, obj) if isinstance(obj, dict) else (number, "a line must be one JSON object")


def _xlsx_sources(path: Path, table: str | None) -> list[Source]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    sources = []
    for ws in wb.worksheets:
        name = table if table and len(wb.worksheets) == 1 else ws.title.split(".")[0]
        if name not in TABLES:
            sources.append(Source(ws.title, f"{path.name}[{ws.title}]", [(None, f"sheet {ws.title!r} does not name a table")], native=False))
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


# --------------------------------------------------------------------------- converting values


_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否"}


# C0 control characters other than tab, line feed and carriage return (and NUL): no text of
# the registry holds them, XML 1.0 — and so an XLSX sheet — cannot, and a terminal would act on them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _checked_text(v: str) -> str:
    found = CONTROL_CHARACTERS.search(v)
    if found:
        raise BadValue(_("含有控制字符 U+%(code)04X（第 %(position)d 个字符）：文本中不允许出现 NUL 等控制字符") % {
            "code": ord(found.group()), "position": found.start() + 1})
    return v


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return _checked_text(v)
    if isinstance(v, bool):
        raise BadValue("must be text, not a boolean")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a code typed into a spreadsheet as a number
    raise BadValue(f"must be text, not {v!r}")


def _is_empty(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _int(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise BadValue("must be a whole number")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise BadValue(f"{v!r} is not a whole number")


def _float(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise BadValue("must be a number")
    try:
        x = float(v.strip() if isinstance(v, str) else v)
    except (TypeError, ValueError):
        raise BadValue(f"{v!r} is not a number") from None
    if not math.isfinite(x):
        raise BadValue(f"{v!r} is not a finite number")
    return x


def _bool(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise BadValue(f"{v!r} is not true or false")


def _date(v, native):
    if _is_empty(v):
        return None
    if isinstance(v, dt.datetime):
        if v.time() != dt.time(0):
            raise BadValue(f"{v.isoformat()} has a time of day; a date is expected")
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise BadValue(f"{v!r} is not a date (YYYY-MM-DD)")


def _json(v, native):
    if native:
        return v
    if _is_empty(v):
        return None
    if not isinstance(v, str):
        raise BadValue("must be JSON text")
    try:
        return json.loads(v)
    except json.JSONDecodeError as exc:
        raise BadValue(f"not valid JSON: {exc.msg}") from None


def _str(v, native):
    return _text(v)


def _converter(field) -> Callable:
    if isinstance(field, djm.BooleanField):
        return _bool
    if isinstance(field, djm.FloatField):
        return _float
    if isinstance(field, djm.IntegerField):
        return _int
    if isinstance(field, djm.DateField):
        return _date
    if isinstance(field, djm.JSONField):
        return _json
    if isinstance(field, djm.CharField):
        return _str
    raise TypeError(f"no converter for {field!r}")


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --------------------------------------------------------------------------- constraints


def _check_q(q: Q, values: dict, model) -> bool | None:
    """A check constraint's condition in SQL's three-valued logic (None = unknown, which a
    CHECK lets through), so the import accepts exactly what the database accepts."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_check_q(child, values, model))
        else:
            results.append(_check_lookup(child[0], child[1], values, model))
    if q.connector == Q.AND:
        result = False if False in results else (None if None in results else True)
    else:
        result = True if True in results else (None if None in results else False)
    if q.negated:
        result = None if result is None else not result
    return result


def _attname(model, name: str) -> str:
    if name in ("id", "pk"):
        return "id"
    return model._meta.get_field(name).attname


def _check_lookup(lookup: str, rhs, values: dict, model) -> bool | None:
    name, _, op = lookup.partition("__")
    op = op or "exact"
    lhs = values.get(_attname(model, name))
    if op == "isnull":
        return (lhs is None) == bool(rhs)
    if isinstance(rhs, F):
        rhs = values.get(_attname(model, rhs.name))
    if op == "exact" and rhs is None:
        return lhs is None
    if lhs is None or rhs is None:
        return None
    if op == "exact":
        return lhs == rhs
    if op == "gt":
        return lhs > rhs
    if op == "gte":
        return lhs >= rhs
    if op == "lt":
        return lhs < rhs
    if op == "lte":
        return lhs <= rhs
    if op == "regex":
        return re.search(rhs, lhs) is not None
    if op == "in":
        return lhs in rhs
    raise NotImplementedError(f"lookup {op!r} in a check constraint of {model.__name__}")


def check_constraints(model) -> list[djm.CheckConstraint]:
    return [c for c in model._meta.constraints if isinstance(c, djm.CheckConstraint)]


def _constraint_fields(model, q: Q) -> set[str]:
    names: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            names |= _constraint_fields(model, child)
        else:
            names.add(child[0].split("__")[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
    return {n for n in names if n not in ("id", "pk")}


def _constraint_message(model, constraint) -> str:
    return f"breaks the rule {constraint.name} ({_describe_q(constraint.condition)})"


def _describe_q(q: Q) -> str:
    parts = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(f"({_describe_q(child)})")
        else:
            rhs = child[1].name if isinstance(child[1], F) else repr(child[1])
            parts.append(f"{child[0]}={rhs}")
    text = f" {q.connector.lower()} ".join(parts)
    return f"not ({text})" if q.negated else text


# --------------------------------------------------------------------------- import


@dataclass(slots=True)
class _Row:
    number: int | None
    source: str
    values: dict | tuple  # attname → value (a foreign key: pk or negative placeholder); a tuple once checked
    refs: dict  # field → natural key tuple
    placeholder: int
    ok: bool = True
    key: tuple | None = None


class _Importer:
    def __init__(self):
        self.errors: list[RowError] = []
        self.rows: dict[str, list[_Row]] = {}
        self.key_index: dict[str, dict[tuple, int]] = {}  # table → natural key → placeholder
        self.next_placeholder = -1
        self.pk_of: dict[int, int] = {}  # placeholder → primary key once written
        self.waves: dict[str, list[list[_Row]]] = {}  # write order where rows refer to their own table
        self.written: dict[str, list[int]] = {}  # table → primary keys of the rows written

    def error(self, table, row: _Row | None, field, reason, number=None, source=""):
        self.errors.append(RowError(table, row.number if row else number, field, reason, row.source if row else source))
        if row:
            row.ok = False

    # ---- parsing

    def parse(self, table: Table, sources: list[Source]) -> None:
        model = table.model
        plain = [f for f in table.fields if not table.ref(f)]
        fields = {f: model._meta.get_field(f) for f in table.fields}
        convert = {f: _converter(fields[f]) for f in plain}
        choices = {f: {str(c[0]) for c in fields[f].flatchoices} for f in plain if fields[f].choices}
        known = set(column_names(table.name))
        required_columns = {f for f in plain if _required(fields[f])} | {
            c for f in table.fields if table.ref(f) and _required(fields[f]) for c in table.ref(f)[1]}
        plain_specs = [(f, fields[f], convert[f], choices.get(f)) for f in plain]
        ref_specs = [(f, fields[f], table.ref(f)[1]) for f in table.fields if table.ref(f)]
        key_specs = [(True, f) if table.ref(f) else (False, fields[f].attname) for f in table.key]
        rows = self.rows.setdefault(table.name, [])
        keys = self.key_index.setdefault(table.name, {})
        first_rows: dict[tuple, int | None] = {}
        for source in sources:
            checked_header = source.native  # JSONL lines are checked one by one
            for number, raw in source.rows:
                if isinstance(raw, str):
                    self.error(table.name, None, "", raw, number, source.label)
                    continue
                if isinstance(raw, tuple):  # (column, reason)
                    self.error(table.name, None, raw[0], raw[1], number, source.label)
                    continue
                if not checked_header:
                    checked_header = True
                    if not self._check_header(table, raw.keys(), known, required_columns, source):
                        break
                row = _Row(number, source.label, {}, {}, self.next_placeholder)
                self.next_placeholder -= 1
                if source.native:
                    for col in raw.keys() - known:
                        self.error(table.name, row, col, "unknown column")
                for f, field, conv, allowed in plain_specs:
                    self._parse_field(table, row, f, field, conv, allowed, raw.get(f), source.native)
                for f, field, cols in ref_specs:
                    self._parse_ref(table, row, f, field, cols, raw)
                if table.key:
                    key = []
                    for is_ref, name in key_specs:
                        key.extend(row.refs.get(name, (None,)) if is_ref else (row.values.get(name),))
                    key = tuple(key)
                    if any(p in ("", None) for p in key):
                        pass  # already reported as required
                    elif key in keys:
                        self.error(table.name, row, _first_column(table), f"duplicate key {_show(key)} (also row {first_rows[key]})")
                    else:
                        keys[key] = row.placeholder
                        first_rows[key] = row.number
                    row.key = key
                rows.append(row)

    def _check_header(self, table, header, known, required_columns, source) -> bool:
        header = set(header)
        for col in sorted(header - known):
            self.error(table.name, None, col, "unknown column", 1, source.label)
        missing = sorted(required_columns - header)
        for col in missing:
            self.error(table.name, None, col, "missing column", 1, source.label)
        return not missing

    def _parse_field(self, table, row, name, field, convert, allowed, raw, native):
        try:
            value = convert(raw, native)
        except BadValue as exc:
            self.error(table.name, row, name, str(exc))
            return
        if value is None or value == "":
            if field.has_default() and not (isinstance(field, djm.CharField) and field.blank):
                value = field.get_default()
            elif isinstance(field, djm.CharField):
                value = "" if not field.null else None
        blank_ok = field.blank or (table.name, name) in BLANK_ALLOWED
        if value is None and not field.null and not blank_ok or (value == "" and not blank_ok):
            self.error(table.name, row, name, "required")
            return
        if value is not None and value != "":
            if allowed is not None and str(value) not in allowed:
                self.error(table.name, row, name, f"{value!r} is not one of: {', '.join(sorted(allowed))}")
                return
            try:
                field.run_validators(value)
            except ValidationError as exc:
                self.error(table.name, row, name, _messages(exc))
                return
        row.values[field.attname] = value

    def _parse_ref(self, table, row, name, field, cols, raw):
        parts = []
        for c in cols:
            try:
                v = _text(raw.get(c))
            except BadValue as exc:
                self.error(table.name, row, c, str(exc))
                return
            parts.append(v.strip())
        parts = tuple(parts)
        if all(p == "" for p in parts):
            if not field.null:
                self.error(table.name, row, cols[0], "required")
            row.values[field.attname] = None
            return
        for c, p in zip(cols, parts):
            if p == "":
                self.error(table.name, row, c, "required with " + ", ".join(x for x in cols if x != c))
                return
        row.refs[name] = parts

    # ---- references, uniqueness, rules

    def resolve(self, table: Table) -> None:
        rows = self.rows[table.name]
        for field, target, cols in table.refs:
            attname = table.model._meta.get_field(field).attname
            in_import = self.key_index.get(target, {})
            wanted = {r.refs[field] for r in rows if field in r.refs and r.refs[field] not in in_import}
            in_db = _db_keys(TABLES[target], wanted)
            label = target.replace("_", " ")
            for r in rows:
                key = r.refs.get(field)
                if key is None:
                    continue
                pk = in_import.get(key) or in_db.get(key)
                if pk is None:
                    self.error(table.name, r, cols[0], f"no {label} {_show(key)} in the import or the database")
                else:
                    r.values[attname] = pk
        if table.key:
            existing = _db_keys(table, {r.key for r in rows if r.key})
            for r in rows:
                if r.key in existing:
                    self.error(table.name, r, _first_column(table), f"duplicate key {_show(r.key)}: already in the database")
        self._check_unique_fields(table, rows)

    def _check_unique_fields(self, table, rows):
        """Unique fields other than the natural key (a specification supersedes one code at most)."""
        key_fields = set(table.key)
        for field in table.model._meta.fields:
            if not field.unique or field.primary_key or field.name in key_fields:
                continue
            column = (table.ref(field.name) or (None, (field.name,)))[1][0]
            seen: dict = {}
            for r in rows:
                value = r.values.get(field.attname)
                if value is None or value == "":
                    continue
                if value in seen:
                    self.error(table.name, r, column, f"same {field.name} as row {seen[value].number}; it must be unique")
                else:
                    seen[value] = r
            taken = set()
            real = [v for v in seen if not (isinstance(v, int) and v < 0 and field.is_relation)]
            for i in range(0, len(real), LOOKUP_BATCH):
                taken |= set(table.model.objects.filter(**{f"{field.attname}__in": real[i:i + LOOKUP_BATCH]}).values_list(field.attname, flat=True))
            for value in taken:
                self.error(table.name, seen[value], column, f"{field.name} is already used by a row in the database; it must be unique")

    def check_rules(self, table: Table) -> None:
        model = table.model
        constraints = [(c, _constraint_fields(model, c.condition)) for c in check_constraints(model)]
        has_clean = model.clean is not djm.Model.clean
        for r in self.rows[table.name]:
            if not r.ok:
                continue
            if table.name == "standards" and r.values.get("valid_until") is None and r.values.get("valid_from"):
                r.values["valid_until"] = m.default_valid_until(r.values["valid_from"])  # what save() does
            values = dict(r.values, id=r.placeholder)
            for constraint, names in constraints:
                if _check_q(constraint.condition, values, model) is False:
                    where = "+".join(_column_of(table, f) for f in table.fields if f in names)
                    self.error(table.name, r, where, _constraint_message(model, constraint))
            if has_clean and r.ok:
                instance = self._instance_for_clean(table, r)
                try:
                    instance.clean()
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for name, errs in exc.error_dict.items():
                            self.error(table.name, r, "" if name == "__all__" else _column_of(table, name), " ".join(m_ for e in errs for m_ in e.messages))
                    else:
                        self.error(table.name, r, "", _messages(exc))

    def _instance_for_clean(self, table: Table, r: _Row):
        model = table.model
        instance = model(**r.values)
        instance.pk = r.placeholder
        # clean() may read a related object's natural key (a region's parent code).
        for field, target, _cols in table.refs:
            key = r.refs.get(field)
            target_table = TABLES[target]
            if key and len(target_table.key) == 1 and not target_table.ref(target_table.key[0]):
                related = target_table.model(**{target_table.key[0]: key[0]})
                related.pk = r.values.get(model._meta.get_field(field).attname)
                model._meta.get_field(field).set_cached_value(instance, related)
        return instance

    def release(self, table: Table) -> None:
        """Drop what only the checks needed and keep values as tuples, to hold a large
        import in less memory until it is written."""
        attnames = [table.model._meta.get_field(f).attname for f in table.fields]
        for r in self.rows[table.name]:
            r.refs = None
            r.key = None
            r.values = tuple(r.values.get(a) for a in attnames)

    # ---- writing

    def write(self, table: Table) -> int:
        rows = self.rows[table.name]
        model = table.model
        fk_attnames = [model._meta.get_field(f).attname for f, _, _ in table.refs]
        attnames = [model._meta.get_field(f).attname for f in table.fields]
        written = self.written.setdefault(table.name, [])
        n = 0
        for wave in self.waves.pop(table.name, [rows]):
            for i in range(0, len(wave), WRITE_BATCH):
                batch = wave[i:i + WRITE_BATCH]
                objs = []
                for r in batch:
                    values = dict(zip(attnames, r.values))
                    for a in fk_attnames:
                        v = values.get(a)
                        if v is not None and v < 0:
                            values[a] = self.pk_of[v]
                    objs.append(model(**values))
                model.objects.bulk_create(objs, batch_size=WRITE_BATCH)
                for r, obj in zip(batch, objs):
                    if obj.pk is None:
                        raise DatabaseError(f"{model.__name__}: the database did not return new ids")
                    self.pk_of[r.placeholder] = obj.pk
                    written.append(obj.pk)
                n += len(objs)
        return n

    def _waves(self, table, rows, self_refs) -> list[list[_Row]]:
        """Rows pointing at rows of the same import come after them (a region after its parent)."""
        if not self_refs:
            return [rows]
        by_placeholder = {r.placeholder: r for r in rows}
        depth: dict[int, int] = {}

        def depth_of(r: _Row, trail: tuple = ()) -> int:
            if r.placeholder in depth:
                return depth[r.placeholder]
            d = 0
            for a in self_refs:
                target = r.values.get(a)
                if target is not None and target < 0 and target in by_placeholder:
                    if target in trail or target == r.placeholder:
                        loop = (trail + (r.placeholder,))[(trail + (r.placeholder,)).index(target):]
                        raise _Cycle([by_placeholder[p] for p in loop])
                    d = max(d, depth_of(by_placeholder[target], trail + (r.placeholder,)) + 1)
            depth[r.placeholder] = d
            return d

        waves: dict[int, list[_Row]] = defaultdict(list)
        for r in rows:
            waves[depth_of(r)].append(r)
        return [waves[d] for d in sorted(waves)]

    def check_cycles(self, table: Table) -> None:
        self_refs = [(table.model._meta.get_field(f).attname, cols[0]) for f, target, cols in table.refs if target == table.name]
        if not self_refs:
            return
        try:
            self.waves[table.name] = self._waves(table, self.rows[table.name], [a for a, _ in self_refs])
        except _Cycle as exc:
            first = min(exc.rows, key=lambda r: (r.source, r.number or 0))
            others = ", ".join(str(r.number) for r in exc.rows if r is not first)
            self.error(table.name, first, self_refs[0][1], f"the references form a cycle (with row {others})" if others else "refers to itself")
        except RecursionError:
            self.error(table.name, None, self_refs[0][1], "references are nested too deeply")


class _Cycle(Exception):
    def __init__(self, rows):
        self.rows = rows


def _required(field) -> bool:
    return not (field.null or field.blank or field.has_default())


def _first_column(table: Table) -> str:
    ref = table.ref(table.key[0])
    return ref[1][0] if ref else table.key[0]


def _column_of(table: Table, field: str) -> str:
    ref = table.ref(field)
    return ref[1][0] if ref else field


def _show(key: tuple) -> str:
    return " / ".join(map(str, key)) if len(key) > 1 else str(key[0])


def _db_keys(table: Table, keys: set[tuple]) -> dict[tuple, int]:
    """Natural key → primary key for the keys that exist in the database."""
    if not keys:
        return {}
    paths = key_paths(table)
    manager = table.model.objects
    found: dict[tuple, int] = {}
    keys = list(keys)
    for i in range(0, len(keys), LOOKUP_BATCH):
        chunk = keys[i:i + LOOKUP_BATCH]
        if len(paths) == 1:
            qs = manager.filter(**{f"{paths[0]}__in": [k[0] for k in chunk]})
        else:
            qs = manager.filter(**{f"{paths[0]}__in": {k[0] for k in chunk}, f"{paths[-1]}__in": {k[-1] for k in chunk}})
        wanted = set(chunk)
        for *key, pk in qs.values_list(*paths, "pk"):
            key = tuple(key)
            if key in wanted:
                found[key] = pk
    return found


def import_sources(sources: list[Source]) -> dict[str, int]:
    """Check every row of every source, then write them all in one transaction; or raise
    ImportRejected listing every error and write nothing."""
    by_table: dict[str, list[Source]] = defaultdict(list)
    importer = _Importer()
    for s in sources:
        if s.table not in TABLES:
            for number, reason in s.rows:
                importer.error(s.table, None, "", reason, number, s.label)
            continue
        by_table[s.table].append(s)
    if not sources:
        raise ImportRejected([RowError("", None, "", _("没有可导入的文件"))])
    names = [t for t in TABLE_NAMES if t in by_table]
    with transaction.atomic():
        for name in names:
            importer.parse(TABLES[name], by_table[name])
            importer.resolve(TABLES[name])
            importer.check_rules(TABLES[name])
            importer.check_cycles(TABLES[name])
            importer.release(TABLES[name])
        if not importer.errors and not any(importer.rows.get(name) for name in names):
            labels = _("、").join(s.label for s in sources)
            importer.error(names[0] if names else sources[0].table, None, "", _("文件中没有数据行：%(files)s") % {"files": labels})
        if importer.errors:
            raise ImportRejected(importer.errors)
        counts = {}
        for name in names:
            try:
                counts[name] = importer.write(TABLES[name])
            except DatabaseError as exc:  # a rule the checks above missed: still all or nothing
                raise ImportRejected([RowError(name, None, "", f"the database refused the rows: {str(exc).strip()}")]) from exc
        # bulk_create passes the audit signals by: the rows go on the ledger in batches.
        tracked = set(tracked_models())
        for name in names:
            model = TABLES[name].model
            if model in tracked and importer.written[name]:
                files = sorted({s.label for s in by_table[name]})
                record_batches(AuditEntry.Action.IMPORT, model, pks=importer.written[name], new={"files": files})
    return counts


def import_paths(paths: Iterable[str | Path], table: str | None = None, fmt: str | None = None) -> dict[str, int]:
    """Import files (or a folder written by export) all or nothing; see import_sources."""
    return import_sources(open_sources(paths, table=table, fmt=fmt))
