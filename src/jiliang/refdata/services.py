"""The use cases of standard reference data, one transaction each: import a version from
its files (all or nothing), submit, approve (freezing it), return; export a version as
CSV, JSON or XLSX; resolve a citation.

The import format is docs/refdata.md: a metadata file (YAML or JSON) naming a CSV file of
rows. Every problem found is reported, each naming the file, the line, the field and the
reason in the reader's language, and nothing is written unless there is none.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language, gettext

from jiliang.policies import as_actor
from jiliang.portal.units import _parse as parse_unit  # pint's reading, with the registry's spellings
from jiliang.registry.models import Organisation
from jiliang.registry.services import Refused

from .models import CODE_PATTERN, IDENTIFIER, Dataset, DatasetRow, DatasetVersion
from .policies import VERSIONS

FORMAT = "jiliang-srd/1"
MAX_ROWS = 100_000  # bounded work per import; a bigger table is split into datasets
MAX_COLUMNS = 60
KINDS = ("text", "value", "uncertainty")
REQUIRED = ("format", "code", "title", "issuing_body", "provenance", "method", "uncertainty", "data", "columns")


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    reason: str

    def where(self) -> str:
        if self.line is None:
            return gettext("%(file)s，字段 %(field)s") % {"file": self.file, "field": self.field}
        return gettext("%(file)s 第 %(line)s 行，字段 %(field)s") % {"file": self.file, "line": self.line, "field": self.field}


def _refused(problems: list[Problem]) -> Refused:
    return Refused([(p.where(), p.reason) for p in problems])


# -- reading the files ---------------------------------------------------------------------------


def read_metadata(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        meta = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise _refused([Problem(path.name, None, "-", gettext("无法解析：%(detail)s") % {"detail": exc})]) from None
    if not isinstance(meta, dict):
        raise _refused([Problem(path.name, None, "-", gettext("应为键值对（YAML 映射或 JSON 对象）"))])
    return meta


def _check_metadata(name: str, meta: dict) -> list[Problem]:
    problems = [Problem(name, None, key, gettext("必填")) for key in REQUIRED if not meta.get(key)]
    if meta.get("format") and meta["format"] != FORMAT:
        problems.append(Problem(name, None, "format", gettext("应为 %(format)s") % {"format": FORMAT}))
    if meta.get("code") and not re.match(CODE_PATTERN, str(meta["code"])):
        problems.append(Problem(name, None, "code", gettext("只能用大写字母、数字、点和连字符")))
    columns = meta.get("columns") or []
    if not isinstance(columns, list) or len(columns) > MAX_COLUMNS:
        return problems + [Problem(name, None, "columns", gettext("应为不超过 %(n)s 列的列表") % {"n": MAX_COLUMNS})]
    names = [c.get("name") for c in columns if isinstance(c, dict)]
    for i, column in enumerate(columns, start=1):
        where = f"columns[{i}]"
        if not isinstance(column, dict) or not column.get("name"):
            problems.append(Problem(name, None, where, gettext("每列须有 name")))
            continue
        kind = column.get("kind", "text")
        if kind not in KINDS:
            problems.append(Problem(name, None, where, gettext("kind 须为 text、value 或 uncertainty")))
        if kind == "value":
            if not column.get("unit") and column.get("unit_column") not in names:
                problems.append(Problem(name, None, where, gettext("数值列须给出 unit 或 unit_column")))
            if column.get("unit") and parse_unit(str(column["unit"])) is None:
                problems.append(Problem(name, None, where, gettext("单位 %(unit)s 无法识别") % {"unit": column["unit"]}))
            if not any(c.get("kind") == "uncertainty" and c.get("of") == column["name"] for c in columns if isinstance(c, dict)):
                problems.append(
                    Problem(name, None, where, gettext("每个数值列都须有不确定度列（of: %(name)s）") % {"name": column["name"]})
                )
        if kind == "uncertainty":
            if column.get("of") not in names:
                problems.append(Problem(name, None, where, gettext("不确定度列须以 of 指明所属数值列")))
            k = column.get("k")
            if not column.get("relative") and k is not None and not (isinstance(k, (int, float)) and k > 0):
                problems.append(Problem(name, None, where, gettext("包含因子 k 须为正数")))
    if len(set(names)) != len(names):
        problems.append(Problem(name, None, "columns", gettext("列名重复")))
    return problems


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _check_rows(name: str, columns: list[dict], reader) -> tuple[list[dict], list[Problem]]:
    problems: list[Problem] = []
    header = next(reader, None)
    names = [c["name"] for c in columns]
    if header is None:
        return [], [Problem(name, 1, "-", gettext("文件为空"))]
    if [h.strip() for h in header] != names:
        return [], [
            Problem(
                name,
                1,
                "-",
                gettext("表头应为 %(expected)s，实为 %(found)s") % {"expected": ",".join(names), "found": ",".join(header)},
            )
        ]
    rows: list[dict] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(Problem(name, line, "-", gettext("超过 %(n)s 行的上限") % {"n": MAX_ROWS}))
            break
        if len(cells) != len(names):
            problems.append(
                Problem(name, line, "-", gettext("应有 %(n)s 列，实有 %(m)s 列") % {"n": len(names), "m": len(cells)})
            )
            continue
        row = {column: cell.strip() for column, cell in zip(names, cells, strict=True)}
        for column in columns:
            cell, kind = row[column["name"]], column.get("kind", "text")
            if kind == "value":
                if _number(cell) is None:
                    problems.append(Problem(name, line, column["name"], gettext("%(cell)s 不是数值") % {"cell": repr(cell)}))
                unit = column.get("unit") or row.get(column.get("unit_column", ""), "")
                if parse_unit(unit) is None:
                    problems.append(
                        Problem(
                            name,
                            line,
                            column.get("unit_column") or column["name"],
                            gettext("单位 %(unit)s 无法识别") % {"unit": repr(unit)},
                        )
                    )
            elif kind == "uncertainty":
                number = _number(cell)
                if number is None or number < 0:
                    problems.append(
                        Problem(
                            name,
                            line,
                            column["name"],
                            gettext("不确定度 %(cell)s 应为非负数值（0 表示准确值）") % {"cell": repr(cell)},
                        )
                    )
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem(name, 2, "-", gettext("没有数据行")))
    return rows, problems


def read_files(meta_path: Path) -> tuple[dict, list[dict]]:
    """The metadata and the rows of a dataset's files, checked; a Refused naming every problem."""
    meta = read_metadata(meta_path)
    problems = _check_metadata(meta_path.name, meta)
    if problems:
        raise _refused(problems)
    data_path = meta_path.parent / str(meta["data"])
    if data_path.parent.resolve() != meta_path.parent.resolve():
        raise _refused([Problem(meta_path.name, None, "data", gettext("数据文件须与元数据文件在同一目录"))])
    if not data_path.exists():
        raise _refused([Problem(meta_path.name, None, "data", gettext("找不到文件 %(file)s") % {"file": data_path.name})])
    with data_path.open(encoding="utf-8-sig", newline="") as handle:
        rows, problems = _check_rows(data_path.name, meta["columns"], csv.reader(handle))
    if problems:
        raise _refused(problems)
    meta["_source_file"] = data_path.name
    return meta, rows


# -- the use cases -------------------------------------------------------------------------------


@transaction.atomic
def import_version(who, meta_path: Path, issuer: Organisation) -> DatasetVersion:
    """A new draft version of the dataset the files describe (the dataset itself when new)."""
    actor = as_actor(who)
    if not VERSIONS.may_import(actor, issuer.pk):
        raise Refused([("issuer", gettext("只有发布机构的人员可以导入其标准参考数据"))], forbidden=True)
    meta, rows = read_files(Path(meta_path))
    dataset = Dataset.objects.select_for_update().filter(code=meta["code"]).first()
    if dataset is None:
        dataset = Dataset.objects.create(
            code=meta["code"],
            title=meta["title"],
            title_en=meta.get("title_en", ""),
            subject=meta.get("subject", ""),
            issuer=issuer,
        )
    elif dataset.issuer_id != issuer.pk:
        raise Refused([("code", gettext("数据集 %(code)s 属于另一发布机构") % {"code": dataset.code})], forbidden=True)
    number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        issuing_body=meta["issuing_body"],
        provenance=str(meta["provenance"]).strip(),
        source_url=meta.get("source_url", ""),
        method=str(meta["method"]).strip(),
        uncertainty_note=meta["uncertainty"],
        language=str(meta.get("language") or "zh-Hans")[:20],
        columns=[{"kind": "text", **c} for c in meta["columns"]],
        row_count=len(rows),
        source_file=meta["_source_file"],
        created_by=_user(who),
    )
    DatasetRow.objects.bulk_create(DatasetRow(version=version, number=i, values=row) for i, row in enumerate(rows, start=1))
    return version


def _transition(who, version: DatasetVersion, action: str) -> None:
    actor = as_actor(who)
    if not VERSIONS.in_state_for(action, version):
        raise Refused(
            [
                (
                    "status",
                    gettext("%(identifier)s 当前为“%(status)s”，不能执行此操作")
                    % {"identifier": version.identifier, "status": version.get_status_display()},
                )
            ]
        )
    if not VERSIONS.may_transition(actor, action, version):
        if action in ("approve", "return") and actor.user_id is not None and actor.user_id == version.submitted_by_id:
            raise Refused([("status", gettext("提交人不能审核自己提交的版本"))], forbidden=True)
        raise Refused([("status", gettext("无权对此版本执行此操作"))], forbidden=True)


@transaction.atomic
def submit(who, version: DatasetVersion) -> DatasetVersion:
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    _transition(who, version, "submit")
    version.status = DatasetVersion.Status.SUBMITTED
    version.submitted_by = _user(who)
    version.submitted_at = timezone.now()
    version.save()
    return version


@transaction.atomic
def approve(who, version: DatasetVersion, note: str = "") -> DatasetVersion:
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    _transition(who, version, "approve")
    version.sha256 = digest(version)
    version.status = DatasetVersion.Status.APPROVED
    version.approved_by = _user(who)
    version.approved_at = timezone.now()
    version.review_note = note
    version.save()
    return version


@transaction.atomic
def return_for_correction(who, version: DatasetVersion, note: str) -> DatasetVersion:
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    _transition(who, version, "return")
    if not note.strip():
        raise Refused([("note", gettext("退回须写明意见"))])
    version.status = DatasetVersion.Status.RETURNED
    version.review_note = note
    version.save()
    return version


# -- content, citation and export ----------------------------------------------------------------


def canonical(version: DatasetVersion) -> dict:
    """The version's content as served and digested: metadata, columns, rows."""
    return {
        "identifier": version.identifier,
        "dataset": {"code": version.dataset.code, "title": version.dataset.title, "title_en": version.dataset.title_en},
        "version": version.number,
        "issuer": version.dataset.issuer.name,
        "issuing_body": version.issuing_body,
        "provenance": version.provenance,
        "source_url": version.source_url,
        "method": version.method,
        "uncertainty": version.uncertainty_note,
        "columns": version.columns,
        "rows": [
            {"citation": f"{version.identifier}#row-{number}", **values}
            for number, values in version.rows.order_by("number").values_list("number", "values")
        ],
    }


def digest(version: DatasetVersion) -> str:
    text = json.dumps(canonical(version), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def intact(version: DatasetVersion) -> bool:
    """Whether an approved version's content still has the digest its approval recorded."""
    return bool(version.sha256) and digest(version) == version.sha256


def resolve(identifier: str) -> tuple[DatasetVersion, DatasetRow | None] | None:
    """The version (and row) a citation names, or None when it names nothing."""
    match = IDENTIFIER.match(identifier.strip())
    if match is None:
        return None
    version = (
        DatasetVersion.objects.select_related("dataset__issuer")
        .filter(dataset__code=match["code"], number=int(match["version"]))
        .first()
    )
    if version is None:
        return None
    row = None
    if match["row"] is not None:
        row = version.rows.filter(number=int(match["row"])).first()
        if row is None:
            return None
    return version, row


def export_json(version: DatasetVersion) -> bytes:
    content = canonical(version)
    content["status"] = version.status
    content["sha256"] = version.sha256
    content["approved_at"] = version.approved_at.isoformat() if version.approved_at else None
    return json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")


def export_csv(version: DatasetVersion) -> bytes:
    """The rows as imported, each led by its citation (UTF-8 with BOM, so spreadsheets read it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [c["name"] for c in version.columns]
    writer.writerow(["citation", *names])
    for number, values in version.rows.order_by("number").values_list("number", "values"):
        writer.writerow([f"{version.identifier}#row-{number}", *(values.get(n, "") for n in names)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(version: DatasetVersion) -> bytes:
    """Two sheets: the rows (numbers as numbers) and the version's metadata."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "data"
    names = [c["name"] for c in version.columns]
    numeric = {c["name"] for c in version.columns if c.get("kind") in ("value", "uncertainty")}
    sheet.append(["citation", *names])
    for number, values in version.rows.order_by("number").values_list("number", "values"):
        cells = [float(values[n]) if n in numeric and values.get(n) else values.get(n, "") for n in names]
        sheet.append([f"{version.identifier}#row-{number}", *cells])
    meta = book.create_sheet("metadata")
    content = canonical(version)
    for key in ("identifier", "issuer", "issuing_body", "provenance", "source_url", "method", "uncertainty"):
        meta.append([key, str(content[key])])
    meta.append(["status", version.status])
    meta.append(["sha256", version.sha256])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def value_rows(version: DatasetVersion, rows) -> list[dict]:
    """Rows for a page: each value column with its unit and its uncertainty beside it."""
    values = version.value_columns
    uncertainty = {c["of"]: c for c in version.columns if c.get("kind") == "uncertainty"}
    texts = [c for c in version.columns if c.get("kind") == "text" and not any(v.get("unit_column") == c["name"] for v in values)]
    out = []
    for row in rows:
        cells = [{"kind": "text", "text": row.values.get(c["name"], "")} for c in texts]
        for column in values:
            u = uncertainty.get(column["name"], {})
            cells.append(
                {
                    "kind": "value",
                    "value": row.values.get(column["name"], ""),
                    "u": row.values.get(u.get("name", ""), ""),
                    "relative": bool(u.get("relative")),
                    "unit": column.get("unit") or row.values.get(column.get("unit_column", ""), ""),
                }
            )
        out.append({"number": row.number, "citation": f"{version.identifier}#row-{row.number}", "cells": cells})
    return out


def headings(version: DatasetVersion) -> list[str]:
    """The column headings in the reader's language (``label``, and ``label_en`` for English)."""
    english = not (get_language() or "zh").startswith("zh")
    values = version.value_columns
    texts = [c for c in version.columns if c.get("kind") == "text" and not any(v.get("unit_column") == c["name"] for v in values)]
    return [(english and c.get("label_en")) or c.get("label") or c["name"] for c in texts + values]
