"""The use cases of CMCs and the KCDB, one transaction each.

- ``import_kcdb_cmcs`` / ``export_kcdb_cmcs``: a CMC file saved from the KCDB (its API's
  ``searchData`` answer, JSON) in and out; the records are kept as published, so the export
  is the file that came in (docs/kcdb.md).
- ``import_kcdb_comparison`` / ``export_kcdb_comparison``: a key comparison's degrees of
  equivalence as its KCDB page prints them (docs/kcdb.md, a small text format).
- ``comparison_with_kcdb``: a claim against the KCDB's CMCs for the same quantity: the common
  range and U(claim)/U(KCDB) at common points (jiliang.core.cmc does the arithmetic).
- The claim's workflow: declare, link support, submit, approve, return.

Every import checks the whole file first and writes nothing when a problem is found; each
problem names the file, the record (or line), the field and the reason.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.comparisons.models import Comparison, Participant
from jiliang.core import cmc as core
from jiliang.policies import as_actor
from jiliang.portal.units import UnitError, convert, convert_difference
from jiliang.registry.services import Refused

from .models import Claim, KcdbCmc, KcdbComparison, KcdbDegree, KcdbFile
from .policies import CLAIMS, KCDB

MAX_RECORDS = 20_000  # a KCDB page is at most a few thousand rows; bounded work per import
KC_FORMAT = "jiliang kcdb-kc/1"


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


def _where(file: str, record: str, field: str) -> str:
    return gettext("%(file)s %(record)s，字段 %(field)s") % {"file": file, "record": record, "field": field}


# -- KCDB CMCs -----------------------------------------------------------------------------------


def _limits(record: dict, name: str, where, problems: list) -> tuple[float | None, float | None, str]:
    block = record.get(name)
    if block is None:
        return None, None, ""
    if not isinstance(block, dict):
        problems.append((where(name), gettext("应为含 lowerLimit、upperLimit、unit 的对象")))
        return None, None, ""
    out = []
    for end in ("lowerLimit", "upperLimit"):
        value = block.get(end)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
            problems.append((where(f"{name}.{end}"), gettext("%(value)s 不是数值") % {"value": repr(value)}))
            value = None
        out.append(None if value is None else float(value))
    return out[0], out[1], str(block.get("unit") or "")


def _key(record: dict) -> str:
    return record.get("kcdbCode") or f"{record.get('nmiCode', '')}:{record.get('nmiServiceCode', '')}"


def read_kcdb_cmcs(path: Path) -> tuple[dict, list[dict]]:
    """The envelope and the checked rows of a KCDB CMC file (a Refused naming every problem)."""
    name = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Refused([(name, gettext("不是 JSON：%(detail)s") % {"detail": exc})]) from None
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise Refused([(name, gettext("应为 KCDB searchData 的应答（含 data 列表）或记录列表"))])
    if len(records) > MAX_RECORDS:
        raise Refused([(name, gettext("超过 %(n)s 条记录的上限") % {"n": MAX_RECORDS})])
    problems: list[tuple[str, str]] = []
    rows, keys = [], set()
    for i, record in enumerate(records, start=1):
        label = gettext("第 %(n)s 条记录") % {"n": i}

        def where(field, label=label):
            return _where(name, label, field)

        if not isinstance(record, dict):
            problems.append((where("-"), gettext("应为对象")))
            continue
        for field in ("nmiCode", "quantityValue"):
            if not record.get(field):
                problems.append((where(field), gettext("必填")))
        if not record.get("kcdbCode") and not record.get("nmiServiceCode"):
            problems.append((where("kcdbCode"), gettext("须有 kcdbCode 或 nmiServiceCode 以识别记录")))
        low, high, unit = _limits(record, "cmc", where, problems)
        u_low, u_high, u_unit = _limits(record, "cmcUncertainty", where, problems)
        if low is not None and high is not None and low > high:
            problems.append((where("cmc"), gettext("下限大于上限")))
        mode = record.get("uncertaintyMode")
        if mode not in (None, "Absolute", "Relative"):
            problems.append((where("uncertaintyMode"), gettext("应为 Absolute 或 Relative")))
        for field in ("coverageFactor", "confidenceLevel"):
            value = record.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                problems.append((where(field), gettext("应为正数")))
        key = _key(record)
        if key in keys:
            problems.append((where("kcdbCode"), gettext("记录 %(key)s 重复") % {"key": key}))
        keys.add(key)
        rows.append(
            {
                "key": key,
                "kcdb_code": record.get("kcdbCode") or "",
                "nmi_code": record.get("nmiCode") or "",
                "nmi_name": record.get("nmiName") or "",
                "country": record.get("countryValue") or "",
                "rmo": record.get("rmo") or "",
                "nmi_service_code": record.get("nmiServiceCode") or "",
                "area": record.get("metrologyAreaLabel") or "",
                "quantity": record.get("quantityValue") or "",
                "instrument": record.get("instrument") or "",
                "method": record.get("instrumentMethod") or "",
                "range_min": low,
                "range_max": high,
                "unit": unit,
                "u_low": u_low,
                "u_high": u_high,
                "u_unit": u_unit,
                "relative": mode == "Relative",
                "k": record.get("coverageFactor"),
                "confidence": record.get("confidenceLevel"),
                "approved_on": record.get("approvalDate") or "",
                "raw": json.dumps(record, ensure_ascii=False),
            }
        )
    if problems:
        raise Refused(problems)
    envelope = {k: v for k, v in document.items() if k != "data"} if isinstance(document, dict) else {}
    return envelope, rows


@transaction.atomic
def import_kcdb_cmcs(who, path: Path) -> KcdbFile:
    """The file's CMCs, replacing those of an earlier import of the same file."""
    if not KCDB.may_import(as_actor(who)):
        raise Refused([("file", gettext("KCDB 数据由国家计量行政部门导入"))], forbidden=True)
    path = Path(path)
    envelope, rows = read_kcdb_cmcs(path)
    file, _ = KcdbFile.objects.update_or_create(name=path.name, defaults={"envelope": json.dumps(envelope, ensure_ascii=False)})
    file.cmcs.all().delete()
    clashes = KcdbCmc.objects.filter(key__in=[r["key"] for r in rows]).values_list("key", "file__name")
    for key, other in clashes:
        raise Refused([(_where(path.name, key, "kcdbCode"), gettext("已由文件 %(file)s 导入") % {"file": other})])
    KcdbCmc.objects.bulk_create(KcdbCmc(file=file, position=i, **row) for i, row in enumerate(rows, start=1))
    return file


def export_kcdb_cmcs(file: KcdbFile) -> bytes:
    """The file as imported: its envelope and its records as the KCDB published them."""
    document = json.loads(file.envelope)
    document["data"] = [json.loads(raw) for raw in file.cmcs.order_by("position").values_list("raw", flat=True)]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- KCDB key comparisons ------------------------------------------------------------------------

_KC_KEYS = ("comparison", "measurand", "source", "retrieved", "statement", "unit")


def _number_text(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def read_kcdb_comparison(path: Path) -> tuple[dict, list[str], list[tuple[str, str, str]]]:
    name = path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != f"# {KC_FORMAT}":
        raise Refused([(_where(name, gettext("第 1 行"), "-"), gettext("首行应为 “# %(format)s”") % {"format": KC_FORMAT})])
    head: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    body_start = None
    for number, line in enumerate(lines[1:], start=2):
        if not line.startswith("#"):
            body_start = number
            break
        key, sep, value = line[1:].strip().partition(":")
        if not sep or key.strip() not in _KC_KEYS:
            problems.append((_where(name, gettext("第 %(n)s 行") % {"n": number}, key.strip() or "-"), gettext("未知的说明行")))
            continue
        head[key.strip()] = value.strip()
    for key in ("comparison", "measurand", "source", "retrieved"):
        if not head.get(key):
            problems.append((_where(name, gettext("说明行"), key), gettext("必填")))
    if body_start is None:
        problems.append((_where(name, gettext("表格"), "-"), gettext("没有等效度表格")))
        raise Refused(problems)
    header = [cell.strip() for cell in lines[body_start - 1].split(",")]
    if len(header) != 3:
        problems.append((_where(name, gettext("第 %(n)s 行") % {"n": body_start}, "-"), gettext("表头应为 机构,D,U 三列")))
    degrees = []
    labs = set()
    for number, line in enumerate(lines[body_start:], start=body_start + 1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(",")]
        where = gettext("第 %(n)s 行") % {"n": number}
        if len(cells) != 3:
            problems.append((_where(name, where, "-"), gettext("应有 3 列，实有 %(m)s 列") % {"m": len(cells)}))
            continue
        lab, d, u = cells
        if not lab or lab in labs:
            problems.append((_where(name, where, header[0] if header else "lab"), gettext("机构为空或重复")))
        labs.add(lab)
        if not _number_text(d):
            problems.append((_where(name, where, "D"), gettext("%(value)s 不是数值") % {"value": repr(d)}))
        if not _number_text(u) or float(u) < 0:
            problems.append((_where(name, where, "U"), gettext("%(value)s 应为非负数值") % {"value": repr(u)}))
        degrees.append((lab, d, u))
    if problems:
        raise Refused(problems)
    return head, header, degrees


@transaction.atomic
def import_kcdb_comparison(who, path: Path) -> KcdbComparison:
    if not KCDB.may_import(as_actor(who)):
        raise Refused([("file", gettext("KCDB 数据由国家计量行政部门导入"))], forbidden=True)
    path = Path(path)
    head, header, degrees = read_kcdb_comparison(path)
    comparison, _ = KcdbComparison.objects.update_or_create(
        code=head["comparison"],
        defaults={
            "measurand": head["measurand"],
            "statement": head.get("statement", ""),
            "unit": head.get("unit", ""),
            "source_url": head["source"],
            "retrieved_on": head["retrieved"],
            "header": header,
            "source": path.name,
        },
    )
    comparison.degrees.all().delete()
    KcdbDegree.objects.bulk_create(
        KcdbDegree(comparison=comparison, position=i, lab=lab, d=d, u=u) for i, (lab, d, u) in enumerate(degrees, start=1)
    )
    return comparison


def export_kcdb_comparison(comparison: KcdbComparison) -> bytes:
    lines = [f"# {KC_FORMAT}", f"# comparison: {comparison.code}", f"# measurand: {comparison.measurand}"]
    lines += [f"# source: {comparison.source_url}", f"# retrieved: {comparison.retrieved_on}"]
    if comparison.statement:
        lines.append(f"# statement: {comparison.statement}")
    if comparison.unit:
        lines.append(f"# unit: {comparison.unit}")
    lines.append(",".join(comparison.header))
    lines += [f"{d.lab},{d.d},{d.u}" for d in comparison.degrees.order_by("position")]
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- a claim against the KCDB --------------------------------------------------------------------


def claim_function(claim: Claim) -> core.UncertaintyFunction:
    return core.UncertaintyFunction(claim.form, a=claim.a, b=claim.b)


def _relative_scale(unit: str) -> float:
    """The fraction one unit of a relative uncertainty is: % → 0.01, µV/V → 1e-6, Hz/Hz → 1."""
    text = unit.strip() or "1"
    if text == "%":
        return 0.01
    try:
        return convert_difference(1.0, text, "1")
    except UnitError:
        pass
    numerator, _, denominator = text.partition("/")
    try:
        return convert_difference(1.0, numerator, denominator)
    except UnitError:
        raise UnitError(f"{unit!r} is not a relative unit") from None


def kcdb_function(row: KcdbCmc, unit: str) -> tuple[core.UncertaintyFunction, tuple[float, float]]:
    """The KCDB row's U(x) and range in ``unit`` (the claim's)."""
    low, high = convert(row.range_min, row.unit, unit), convert(row.range_max, row.unit, unit)
    u_low = row.u_low if row.u_low is not None else row.u_high
    u_high = row.u_high if row.u_high is not None else row.u_low
    if u_low is None or u_high is None:
        raise UnitError("no uncertainty stated")
    if row.relative:
        scale = _relative_scale(row.u_unit)
        function = core.from_limits(low, high, u_low * scale, u_high * scale, relative=True)
    else:
        function = core.from_limits(
            low, high, convert_difference(u_low, row.u_unit, unit), convert_difference(u_high, row.u_unit, unit), relative=False
        )
    return function, (low, high)


def comparison_with_kcdb(claim: Claim, points: int = 3) -> list[dict]:
    """Each KCDB CMC of the claim's quantity (same name, ignoring case): its common range with
    the claim and U(claim)/U(KCDB) at the common points, or why it cannot be compared."""
    mine = claim_function(claim)
    out = []
    for row in KcdbCmc.objects.filter(quantity__iexact=claim.quantity.strip()).order_by("nmi_code", "key"):
        entry: dict = {"row": row, "span": None, "points": [], "reason": ""}
        if row.range_min is None or row.range_max is None:
            entry["reason"] = gettext("KCDB 未以数值给出范围")
        else:
            try:
                other, other_range = kcdb_function(row, claim.unit)
            except UnitError:
                entry["reason"] = gettext("单位 %(unit)s 无法换算为 %(mine)s") % {"unit": row.unit, "mine": claim.unit}
            else:
                span, ratios = core.compare(mine, (claim.range_min, claim.range_max), other, other_range, n=points)
                entry["span"] = span
                entry["points"] = ratios
                if span is None:
                    entry["reason"] = gettext("范围不重叠")
        out.append(entry)
    return out


# -- the claim's workflow ------------------------------------------------------------------------

CLAIM_FIELDS = (
    "quantity",
    "instrument",
    "method",
    "range_min",
    "range_max",
    "unit",
    "form",
    "a",
    "b",
    "k",
    "confidence",
    "conditions",
)


def _check_claim(values: dict) -> list[tuple[str, str]]:
    problems = []
    for field in ("quantity", "instrument", "unit"):
        if not str(values.get(field) or "").strip():
            problems.append((field, gettext("必填")))
    numbers = {}
    for field in ("range_min", "range_max", "a", "b", "k", "confidence"):
        try:
            numbers[field] = float(values.get(field))
            if not math.isfinite(numbers[field]):
                raise ValueError
        except (TypeError, ValueError):
            problems.append((field, gettext("须为数值")))
    if {"range_min", "range_max"} <= numbers.keys() and numbers["range_min"] > numbers["range_max"]:
        problems.append(("range_max", gettext("上限不能小于下限")))
    if {"a", "b"} <= numbers.keys() and (numbers["a"] < 0 or numbers["b"] < 0 or numbers["a"] == numbers["b"] == 0):
        problems.append(("a", gettext("a、b 须非负且不全为零")))
    if "k" in numbers and numbers["k"] <= 0:
        problems.append(("k", gettext("包含因子须为正数")))
    if "confidence" in numbers and not 0 < numbers["confidence"] < 100:
        problems.append(("confidence", gettext("包含概率须在 0 与 100 之间")))
    if values.get("form") not in Claim.Form.values:
        problems.append(("form", gettext("表达式须为 rss 或 linear")))
    return problems


@transaction.atomic
def declare(who, capability, **values) -> Claim:
    """The CMC statement of a capability row (a new claim, or a draft's correction)."""
    actor = as_actor(who)
    if not CLAIMS.may_declare(actor, capability):
        raise Refused([("capability", gettext("只有该计量标准的建标单位可以申报其校准测量能力"))], forbidden=True)
    values = {"form": Claim.Form.RSS, "k": 2.0, "confidence": 95.0, "a": 0.0, "b": 0.0, **values}
    values.setdefault("unit", capability.unit)
    values.setdefault("range_min", capability.range_min)
    values.setdefault("range_max", capability.range_max)
    problems = _check_claim(values)
    if problems:
        raise Refused(problems)
    claim = Claim.objects.filter(capability=capability).first()
    if claim is not None and not CLAIMS.writable(actor, claim):
        raise Refused([("status", gettext("已提交或已认可的申报不能修改"))], forbidden=True)
    claim = claim or Claim(capability=capability)
    for field in CLAIM_FIELDS:
        value = values.get(field, getattr(claim, field))
        setattr(claim, field, float(value) if field in ("range_min", "range_max", "a", "b", "k", "confidence") else value)
    claim.save()
    return claim


@transaction.atomic
def link_support(who, claim: Claim, participant: Participant) -> Claim:
    """A comparison participation of the holder that supports the claim."""
    actor = as_actor(who)
    if not CLAIMS.writable(actor, claim):
        raise Refused([("supporting", gettext("只有建标单位可在草稿阶段关联支撑比对"))], forbidden=True)
    if participant.institution_id != claim.capability.standard.holder_id:
        raise Refused([("supporting", gettext("只能关联本单位参加的比对"))])
    claim.supporting.add(participant)
    return claim


def _transition(who, claim: Claim, action: str) -> None:
    actor = as_actor(who)
    if not CLAIMS.in_state_for(action, claim):
        raise Refused([("status", gettext("申报当前为“%(status)s”，不能执行此操作") % {"status": claim.get_status_display()})])
    if not CLAIMS.may_transition(actor, action, claim):
        raise Refused([("status", gettext("无权对此申报执行此操作"))], forbidden=True)


@transaction.atomic
def submit(who, claim: Claim) -> Claim:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _transition(who, claim, "submit")
    if not claim.supporting.exists():
        raise Refused([("supporting", gettext("提交前须关联至少一项支撑比对（CIPM MRA-D-04 §3）"))])
    claim.status = Claim.Status.SUBMITTED
    claim.submitted_by = _user(who)
    claim.submitted_at = timezone.now()
    claim.save()
    return claim


@transaction.atomic
def approve(who, claim: Claim, note: str = "") -> Claim:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _transition(who, claim, "approve")
    if not claim.supporting.filter(comparison__status=Comparison.Status.PUBLISHED).exists():
        raise Refused([("supporting", gettext("支撑比对须至少有一项结果已公布"))])
    claim.status = Claim.Status.APPROVED
    claim.reviewed_by = _user(who)
    claim.reviewed_at = timezone.now()
    claim.review_note = note
    claim.save()
    return claim


@transaction.atomic
def return_for_correction(who, claim: Claim, note: str) -> Claim:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _transition(who, claim, "return")
    if not note.strip():
        raise Refused([("note", gettext("退回须写明意见"))])
    claim.status = Claim.Status.RETURNED
    claim.reviewed_by = _user(who)
    claim.reviewed_at = timezone.now()
    claim.review_note = note
    claim.save()
    return claim
