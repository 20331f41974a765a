"""Reading a bulk registration file (CSV or XLSX) and checking every row before anything is
written. Rows are numbered as the owner sees them in the file: the header is row 1."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils.translation import gettext

from jiliang.messages import enumeration
from jiliang.registry import models as reg
from jiliang.registry import services as registry_services

from .errors import ImportRowError, VerificationError

COLUMNS = {
    "code": "器具编号",
    "name": "名称",
    "catalog_item": "目录编号",
    "legal_purpose": "用途",
    "region": "区划代码",
    "manufacturer": "制造商",
    "model": "型号",
    "serial_number": "出厂编号",
    "type_approval_number": "型式批准编号",
    "accuracy": "准确度等级",
    "range_min": "测量范围下限",
    "range_max": "测量范围上限",
    "unit": "单位",
    "installed_on": "安装日期",
}
REQUIRED = ("code", "name", "catalog_item", "legal_purpose", "region")
_ALIASES = {**{k: k for k in COLUMNS}, **{v: k for k, v in COLUMNS.items()}}
_PURPOSES = {**{p.value: p.value for p in reg.Instrument.Purpose}, **{str(p.label): p.value for p in reg.Instrument.Purpose}}


def parse_registration_file(content: bytes, filename: str) -> list[dict]:
    """Rows as dicts keyed by field name (English or Chinese headers accepted)."""
    name = filename.lower()
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise VerificationError(
                "file", gettext("%(file)s 不是 UTF-8 文本（第 %(byte)s 个字节无法解码）") % {"file": filename, "byte": exc.start}
            ) from None
        table = list(csv.reader(io.StringIO(text)))
    elif name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - openpyxl raises several kinds for a damaged file
            raise VerificationError(
                "file",
                gettext("%(file)s 不是可读取的 XLSX 工作簿（%(error)s）") % {"file": filename, "error": type(exc).__name__},
            ) from None
        table = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        raise VerificationError("file", gettext("%(file)s：请使用 .csv 或 .xlsx 文件") % {"file": filename})
    if not table:
        raise VerificationError("file", gettext("%(file)s 是空文件") % {"file": filename})
    header = [str(h).strip() for h in table[0]]
    unknown = [h for h in header if h and h not in _ALIASES]
    if unknown:
        raise VerificationError(
            "file",
            gettext("%(file)s 有未知的列 %(unknown)s；可用的列：%(expected)s")
            % {"file": filename, "unknown": enumeration(unknown), "expected": enumeration(COLUMNS)},
        )
    fields = [_ALIASES.get(h) for h in header]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise VerificationError(
            "file", gettext("%(file)s 缺少列 %(missing)s") % {"file": filename, "missing": enumeration(missing)}
        )
    rows = []
    for values in table[1:]:
        if all(str(v).strip() == "" for v in values):
            continue
        rows.append({f: v for f, v in zip(fields, values) if f})
    if not rows:
        raise VerificationError("file", gettext("%(file)s 只有表头，没有数据行") % {"file": filename})
    return rows


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def validate_rows(rows: list[dict], owner: reg.Organisation) -> list[reg.Instrument]:
    """Unsaved instruments for every row, or ImportRowError listing every bad field.
    Lookups are one query per table, not per row."""
    items = dict(reg.CatalogItem.objects.values_list("code", "id"))
    regions = dict(reg.Region.objects.values_list("code", "id"))
    codes = [_text(r.get("code")) for r in rows]
    taken = set(reg.Instrument.objects.filter(code__in=[c for c in codes if c]).values_list("code", flat=True))
    errors: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    instruments = []
    for number, row in enumerate(rows, start=2):

        def bad(field, reason, number=number):
            errors.append((number, field, reason))

        values = {f: _text(row.get(f)) for f in COLUMNS if f not in ("installed_on", "range_min", "range_max")}
        for f in REQUIRED:
            if not values[f]:
                bad(f, gettext("必填"))
        code = values["code"]
        if code and code in taken:
            bad("code", gettext("器具 %(code)s 已在器具库中") % {"code": code})
        if code and code in seen:
            bad("code", gettext("%(code)s 与第 %(row)s 行重复") % {"code": code, "row": seen[code]})
        seen.setdefault(code, number)
        for f in ("code", "name", "manufacturer", "model", "serial_number", "type_approval_number", "accuracy", "unit"):
            limit = reg.Instrument._meta.get_field(f).max_length
            if len(values[f]) > limit:
                bad(f, gettext("超过 %(limit)s 个字符") % {"limit": limit})
        if values["catalog_item"] and values["catalog_item"] not in items:
            bad("catalog_item", gettext("目录中没有项目 %(item)s") % {"item": values["catalog_item"]})
        purpose = _PURPOSES.get(values["legal_purpose"])
        if values["legal_purpose"] and purpose is None:
            bad(
                "legal_purpose",
                gettext("%(got)r 不是贸易结算、安全防护、医疗卫生、环境监测之一") % {"got": values["legal_purpose"]},
            )
        elif purpose == reg.Instrument.Purpose.NONE:
            bad(
                "legal_purpose",
                gettext("不属于强制检定：只有用于贸易结算、安全防护、医疗卫生、环境监测的器具办理备案"),
            )
        if values["region"] and values["region"] not in regions:
            bad("region", gettext("没有代码为 %(code)s 的区划") % {"code": values["region"]})
        numbers = {}
        for f in ("range_min", "range_max"):
            raw = row.get(f)
            if raw is None or _text(raw) == "":
                numbers[f] = None
                continue
            try:
                numbers[f] = float(raw)
            except (TypeError, ValueError):
                bad(f, gettext("%(got)r 不是数字") % {"got": _text(raw)})
                numbers[f] = None
        if numbers["range_min"] is not None and numbers["range_max"] is not None and numbers["range_min"] > numbers["range_max"]:
            bad("range_max", gettext("低于 range_min"))
        installed = row.get("installed_on")
        if isinstance(installed, dt.datetime):
            installed = installed.date()
        elif isinstance(installed, dt.date) or installed in (None, ""):
            installed = installed or None
        else:
            try:
                installed = dt.date.fromisoformat(_text(installed))
            except ValueError:
                bad("installed_on", gettext("%(got)r 不是日期（YYYY-MM-DD）") % {"got": _text(installed)})
                installed = None
        instruments.append(
            reg.Instrument(
                code=code,
                name=values["name"],
                catalog_item_id=items.get(values["catalog_item"]),
                legal_purpose=purpose or "none",
                owner=owner,
                region_id=regions.get(values["region"]),
                manufacturer=values["manufacturer"],
                model=values["model"],
                serial_number=values["serial_number"],
                type_approval_number=values["type_approval_number"],
                accuracy=values["accuracy"],
                range_min=numbers["range_min"],
                range_max=numbers["range_max"],
                unit=values["unit"],
                installed_on=installed,
            )
        )
    # The catalogue's rules for a registration (registry.services: type approval, periods).
    errors += [(index + 2, f, why) for index, f, why in registry_services.registration_refusals(instruments)]
    if errors:
        raise ImportRowError(sorted(errors, key=lambda e: e[0]))
    return instruments
