"""Use cases of a net-content inspection, one transaction each:

create (draft) → add measurements (measured) → judge (judged; a failure notifies the
producer's region administration) → approve (approved; the result enters the producer's
credit history) → publish (published: on the portal).

The computation is the pure core's (``jiliang.core.prepack``); a refusal raises
``InspectionError`` or the core's ``PrepackError`` (both ValueErrors naming the field) and
writes nothing; a missing role raises ``NotAllowed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum

import numpy as np
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.audit.services import record as audit_record
from jiliang.core import prepack as core
from jiliang.core.errors import InputError
from jiliang.core.identifiers import IdentifierError, region_level, validate_credit_code
from jiliang.messages import enumeration
from jiliang.messages import reason as error_reason
from jiliang.registry.models import Instrument, Organisation, Person, Region
from jiliang.traceability.services import item_chain

from . import permissions
from .models import CreditRecord, Inspection, InspectionScale, InspectionUnit, Notice
from .policies import require_state

CREDIT_SOURCE = "prepack inspection"
# Jiliang's own weighting (no published scale exists): a failed mean or a unit short by more
# than 2T is a major finding; too many units short by more than T a minor one.
CREDIT_WEIGHTS = {"pass": ("none", 0), "minor": ("minor", -5), "major": ("major", -10)}
MIN_INSPECTORS = 2
MAX_BATCH = 2_147_483_647  # the column is a 32-bit integer on PostgreSQL
MAX_ID = 2**63 - 1


class InspectionError(InputError):
    """A refused step; names the field and the reason. ``details`` carries structured data
    (e.g. the traceability reasons of each refused scale)."""

    def __init__(self, field: str, reason: str, details=None, **kwargs):
        self.details = details
        super().__init__(field, reason, **kwargs)


class NotAllowed(PermissionError):
    pass


def _audit(action: str, obj, user, new: dict, reason: str | None = None) -> None:
    actor = user if user is not None and getattr(user, "is_authenticated", False) else "system"
    kwargs = {"actor": actor, "new": {k: (v.value if isinstance(v, Enum) else v) for k, v in new.items()}}
    if reason:
        kwargs["reason"] = reason
    audit_record(action, obj, **kwargs)


def _require(field: str, value, what: str | None = None):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InspectionError(field, what or gettext("必填"))
    return value.strip() if isinstance(value, str) else value


# ------------------------------------------------------------------ organisations


def pick_organisation(party: dict | None, field: str) -> Organisation:
    """The registry organisation with this credit code, or a new enterprise registered with
    the given name and region (by default the region in characters 3–8 of the code)."""
    if not isinstance(party, dict):
        raise InspectionError(field, gettext("须给出单位的统一社会信用代码、名称和地区代码（credit_code、name、region_code）"))
    raw = _require(f"{field}.credit_code", party.get("credit_code"))
    try:
        code = validate_credit_code(str(raw))
    except IdentifierError as exc:
        raise InspectionError(
            f"{field}.credit_code",
            gettext("%(code)s 不是有效的统一社会信用代码（GB 32100）：%(reason)s")
            % {"code": repr(raw), "reason": error_reason(exc)},
        ) from None
    existing = Organisation.objects.select_related("region").filter(credit_code=code).first()
    if existing is not None:
        return existing
    name = _require(
        f"{field}.name",
        party.get("name"),
        gettext("登记中没有统一社会信用代码为 %(code)s 的单位：请填写其名称以登记") % {"code": code},
    )
    region_code = str(party.get("region_code") or code[2:8]).strip()
    try:
        region_level(region_code)
    except IdentifierError as exc:
        raise InspectionError(f"{field}.region_code", error_reason(exc)) from None
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise InspectionError(f"{field}.region_code", gettext("登记中没有代码为 %(code)s 的地区") % {"code": region_code})
    org = Organisation(
        name=name[:200],
        credit_code=code,
        kind=Organisation.Kind.ENTERPRISE,
        region=region,
        address=(party.get("address") or "")[:300],
    )
    org.save()
    return org


def region_administration(region: Region) -> Organisation | None:
    """The administration (计量行政部门) of the region, else of its city, else of its province."""
    code = region.code
    codes = [code, code[:4] + "00", code[:2] + "0000"]
    administrations = Organisation.objects.select_related("region").filter(
        kind=Organisation.Kind.ADMINISTRATION, region__code__in=codes
    )
    found = {o.region.code: o for o in administrations.order_by("-id")}  # the oldest per region wins
    return next((found[c] for c in codes if c in found), None)


# ------------------------------------------------------------------ create


def _scale_checks(scale_ids: Sequence[int], date: dt.date) -> list[tuple[Instrument, dict]]:
    ids = _ids(scale_ids, "scales")
    if not ids:
        raise InspectionError("scales", gettext("须至少填写一台所用的计量器具（秤）"))
    instruments = Instrument.objects.in_bulk(ids)
    missing = [i for i in ids if i not in instruments]
    if missing:
        raise InspectionError("scales", gettext("登记中没有 id 为 %(id)s 的计量器具") % {"id": missing[0]})
    checks, refused = [], {}
    for pk in ids:
        chain = item_chain(instruments[pk], date)
        checks.append((instruments[pk], chain))
        if not chain["traceable"]:
            refused[instruments[pk].code] = [r for r in chain["reasons"] if not r["warning"]]
    if refused:
        text = "; ".join(
            f"{code}: " + (enumeration(f"{r['label']} ({r['code']})" for r in reasons) or gettext("不可溯源"))
            for code, reasons in refused.items()
        )
        raise InspectionError(
            "scales", gettext("%(date)s 不可溯源：%(reasons)s") % {"date": date.isoformat(), "reasons": text}, details=refused
        )
    return checks


def _ids(values, field: str) -> list[int]:
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InspectionError(field, gettext("须为 id 列表"))
    out = []
    for value in values:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise InspectionError(field, gettext("%(value)s 不是 id") % {"value": repr(value)}) from None
        if not 1 <= pk <= MAX_ID:
            raise InspectionError(field, gettext("%(value)s 不是 id") % {"value": repr(value)})
        if pk not in out:
            out.append(pk)
    return out


def _as_date(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InspectionError(field, gettext("不是日期（YYYY-MM-DD）：%(got)s") % {"got": repr(value)}) from None


@transaction.atomic
def create_inspection(
    user,
    *,
    product_name: str,
    nominal,
    unit: str,
    batch_size,
    producer: dict,
    sampled_at: str,
    sampling_date,
    inspector_ids: Sequence[int],
    scale_ids: Sequence[int],
    brand: str = "",
    specification: str = "",
    retailer: dict | None = None,
    edition: str | None = None,
) -> Inspection:
    product_name = _require("product_name", product_name)
    # Judged by the edition in force on the sampling date (core.choose_edition names the rule).
    edition = core.choose_edition(
        _as_date(sampling_date, "sampling_date"), edition or None, without_tables=settings.JILIANG_PREPACK_WITHOUT_TABLES
    ).judged_under
    tolerance = core.tolerable_shortfall(nominal, unit, edition)  # checks nominal, unit and the table's range
    core.sampling_plan(batch_size, edition)
    if int(batch_size) > MAX_BATCH:
        raise InspectionError(
            "batch_size", gettext("不能超过 %(limit)s（输入值 %(got)s）") % {"limit": MAX_BATCH, "got": batch_size}
        )
    try:
        nominal_decimal = Decimal(str(nominal))
    except InvalidOperation:  # pragma: no cover - the core refused it already
        raise InspectionError("nominal", gettext("必须是数字（输入值 %(got)s）") % {"got": repr(nominal)}) from None
    if sampled_at not in Inspection.Place.values:
        raise InspectionError(
            "sampled_at",
            gettext("须为 %(options)s 之一（输入值 %(got)s）")
            % {"options": enumeration(Inspection.Place.values), "got": repr(sampled_at)},
        )
    date = _as_date(sampling_date, "sampling_date")
    if date > timezone.localdate():
        raise InspectionError("sampling_date", gettext("%(date)s 晚于今天") % {"date": date.isoformat()})

    producer_org = pick_organisation(producer, "producer")
    if not permissions.may_inspect(user, producer_org.region.code):
        raise NotAllowed(gettext("您不能抽查地区 %(region)s 生产者的商品") % {"region": producer_org.region.code})
    retailer_org = None
    if sampled_at == Inspection.Place.RETAILER:
        if not retailer:
            raise InspectionError("retailer", gettext("在销售者处抽样须写明销售者"))
        retailer_org = pick_organisation(retailer, "retailer")
    elif retailer:
        raise InspectionError("retailer", gettext("只有在销售者处抽样才写明销售者"))

    inspector_pks = _ids(inspector_ids, "inspectors")
    if len(inspector_pks) < MIN_INSPECTORS:
        raise InspectionError(
            "inspectors",
            gettext("一次检验至少需要 %(minimum)s 名不同的检验人员，实际 %(got)s 名")
            % {"minimum": MIN_INSPECTORS, "got": len(inspector_pks)},
        )
    people = Person.objects.in_bulk(inspector_pks)
    missing = [pk for pk in inspector_pks if pk not in people]
    if missing:
        raise InspectionError("inspectors", gettext("登记中没有 id 为 %(id)s 的人员") % {"id": missing[0]})
    checks = _scale_checks(scale_ids, date)

    inspection = Inspection.objects.create(
        product_name=product_name[:200],
        brand=(brand or "").strip()[:100],
        specification=(specification or "").strip()[:100],
        nominal=nominal_decimal,
        unit=tolerance.unit,
        kind=tolerance.kind,
        producer=producer_org,
        batch_size=int(batch_size),
        sampled_at=sampled_at,
        retailer=retailer_org,
        sampling_date=date,
        edition=edition,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    inspection.inspectors.set(inspector_pks)
    InspectionScale.objects.bulk_create(
        InspectionScale(
            inspection=inspection,
            instrument=instrument,
            checked_on=date,
            traceable=chain["traceable"],
            chain={
                "reasons": chain["reasons"],
                "links": [
                    {
                        "instrument": link["instrument"]["code"],
                        "certificate": (link["event"] or {}).get("certificate_number", ""),
                        "valid_until": (link["event"] or {}).get("valid_until") or (link["event"] or {}).get("good_until", ""),
                    }
                    for link in chain["links"][:6]
                ],
            },
        )
        for instrument, chain in checks
    )
    _audit(
        "create",
        inspection,
        user,
        {"number": inspection.number, "producer": producer_org.credit_code, "status": inspection.status},
    )
    return inspection


# ------------------------------------------------------------------ measurements


def _numbers(values, field: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InspectionError(field, gettext("须为数字列表"))
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if isinstance(v, bool):
            raise InspectionError(f"{field}[{i}]", gettext("必须是数字（输入值 %(got)s）") % {"got": repr(v)})
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise InspectionError(f"{field}[{i}]", gettext("必须是数字（输入值 %(got)s）") % {"got": repr(v)}) from None
    bad = np.flatnonzero(~np.isfinite(out) | (out < 0))
    if bad.size:
        raise InspectionError(f"{field}[{bad[0]}]", gettext("须为有限的非负数（输入值 %(got)s）") % {"got": repr(values[bad[0]])})
    return out


def _locked(inspection: Inspection) -> Inspection:
    """The row, locked for the rest of the transaction (two phones entering at once)."""
    return Inspection.objects.select_for_update().select_related("producer__region").get(pk=inspection.pk)


@transaction.atomic
def add_measurements(
    user, inspection: Inspection, *, values=None, gross=None, tare=None, tare_sample=None, replace: bool = False
) -> Inspection:
    """Append measured units: net contents (``values``); gross values with one tare each
    (``gross`` + ``tare``, individual tare); or gross values and/or weighed empty packagings
    (``gross`` and/or ``tare_sample``, the average-tare method). ``replace`` starts over."""
    inspection = _locked(inspection)
    if not permissions.may_work_on(user, inspection):
        raise NotAllowed(gettext("您不能为此次检验录入测量数据"))
    require_state(inspection, "measure", InspectionError)
    M = Inspection.Mode
    if values is not None:
        if gross is not None or tare is not None or tare_sample is not None:
            raise InspectionError("values", gettext("净含量（values）与毛重（gross）只能给出其一"))
        mode = M.NET
    elif gross is not None and tare is not None:
        if tare_sample is not None:
            raise InspectionError("tare_sample", gettext("逐个皮重（tare）与皮重样本（tare_sample）不能同时给出"))
        mode = M.INDIVIDUAL_TARE
    elif tare is not None:
        raise InspectionError("gross", gettext("逐个皮重须配有各自的毛重"))
    elif gross is not None or tare_sample is not None:
        mode = M.AVERAGE_TARE
    else:
        raise InspectionError(
            "values", gettext("须给出净含量（values），或毛重与皮重（gross、tare），或毛重与皮重样本（gross、tare_sample）")
        )

    if replace:
        inspection.units.all().delete()
        inspection.tare_sample = []
        inspection.mode = ""
    if inspection.mode and inspection.mode != mode:
        raise InspectionError(
            "mode",
            gettext("此次检验已按“%(mode)s”（%(code)s）录入；请继续按此方式录入，或替换已录入的数据")
            % {"mode": inspection.get_mode_display(), "code": inspection.mode},
        )

    if mode == M.NET:
        net = _numbers(values, "values")
        rows = [dict(net=float(q)) for q in net]
        field = "values"
    elif mode == M.INDIVIDUAL_TARE:
        g, t = _numbers(gross, "gross"), _numbers(tare, "tare")
        if g.size != t.size:
            raise InspectionError(
                "tare",
                gettext("逐个皮重须每个毛重对应一个皮重：毛重 %(gross)s 个，皮重 %(tare)s 个")
                % {"gross": g.size, "tare": t.size},
            )
        short = np.flatnonzero(g < t)
        if short.size:
            raise InspectionError(
                f"tare[{short[0]}]",
                gettext("皮重 %(tare)s 超过其毛重 %(gross)s") % {"tare": f"{t[short[0]]:g}", "gross": f"{g[short[0]]:g}"},
            )
        rows = [dict(gross=float(a), tare=float(b)) for a, b in zip(g, t)]
        field = "gross"
    else:
        g = _numbers(gross if gross is not None else [], "gross")
        extra_tare = _numbers(tare_sample if tare_sample is not None else [], "tare_sample")
        rows = [dict(gross=float(a)) for a in g]
        inspection.tare_sample = list(inspection.tare_sample) + [float(x) for x in extra_tare]
        field = "gross"

    plan = core.sampling_plan(inspection.batch_size, inspection.edition)
    have = inspection.units.count()
    if have + len(rows) > plan.n:
        raise InspectionError(
            field,
            gettext("样本将有 %(count)s 个单位，超过批量 %(batch)s 的抽样方案规定的样本量（n = %(n)s）")
            % {"count": have + len(rows), "batch": inspection.batch_size, "n": plan.n},
        )
    InspectionUnit.objects.bulk_create(
        InspectionUnit(inspection=inspection, position=have + i + 1, **row) for i, row in enumerate(rows)
    )
    inspection.mode = mode
    inspection.status = Inspection.Status.MEASURED if have + len(rows) > 0 else Inspection.Status.DRAFT
    inspection.save(update_fields=["mode", "tare_sample", "status"])
    _audit("update", inspection, user, {"units_added": len(rows), "units": have + len(rows), "mode": mode})
    return inspection


# ------------------------------------------------------------------ judge


@transaction.atomic
def judge_inspection(user, inspection: Inspection) -> Inspection:
    """Judge the sample with the core and keep the result; a failure notifies the producer's
    region administration. A sample smaller than the plan asks is refused by the core."""
    inspection = _locked(inspection)
    if not permissions.may_work_on(user, inspection):
        raise NotAllowed(gettext("您不能判定此次检验"))
    require_state(inspection, "judge", InspectionError)
    rows = np.array(inspection.units.order_by("position").values_list("gross", "tare", "net"), dtype=float).reshape(-1, 3)
    gross, tare, net = rows.T  # None reads as NaN; only the mode's columns are used
    M = Inspection.Mode
    common = dict(
        nominal=str(inspection.nominal), unit=inspection.unit, batch_size=inspection.batch_size, edition=inspection.edition
    )
    if inspection.mode == M.NET:
        judgement = core.judge(net, **common)
    elif inspection.mode == M.INDIVIDUAL_TARE:
        judgement = core.judge(gross=gross, tare=tare, tare_method="individual", **common)
    else:
        if not inspection.tare_sample:
            raise InspectionError("tare_sample", gettext("平均皮重法须给出称量的空包装（tare_sample）"))
        judgement = core.judge(gross=gross, tare=inspection.tare_sample, tare_method="average", **common)

    if judgement.tare is not None:
        units = list(InspectionUnit.objects.filter(inspection=inspection).order_by("position"))
        for unit, q in zip(units, judgement.tare.net):
            unit.net = float(q)
        InspectionUnit.objects.bulk_update(units, ["net"], batch_size=500)
        inspection.mean_tare = judgement.tare.mean_tare
    plan = judgement.plan
    inspection.passed = judgement.passed
    inspection.T = judgement.T
    inspection.n = plan.n
    inspection.correction_factor = plan.lambda_
    inspection.mean = judgement.mean
    inspection.s = judgement.s
    inspection.mean_ok = judgement.mean_ok
    inspection.short_T = judgement.short_T
    inspection.short_2T = judgement.short_2T
    inspection.allowed_short_T = plan.allowed_short_T
    inspection.allowed_short_2T = plan.allowed_short_2T
    inspection.reasons = list(judgement.reasons)
    inspection.edition = judgement.edition
    inspection.status = Inspection.Status.JUDGED
    inspection.judged_at = timezone.now()
    inspection.save()
    if not judgement.passed:
        _notify_failure(inspection)
    _audit("status_change", inspection, user, {"status": inspection.status, **judgement.to_json()})
    return inspection


def _notify_failure(inspection: Inspection) -> Notice:
    region = inspection.producer.region
    admin = region_administration(region)
    if admin is None:
        raise InspectionError(
            "producer",
            gettext("地区 %(region)s 及其上级没有登记可通知的计量行政部门") % {"region": region.code},
        )
    body = "\n".join(
        [
            f"{inspection.number}: {inspection.product_name} {inspection.brand} {inspection.nominal_text}",
            f"生产者 producer: {inspection.producer.name} ({inspection.producer.credit_code})",
            f"抽样日期 sampled on {inspection.sampling_date.isoformat()}, 批量 N = {inspection.batch_size}, n = {inspection.n}",
            f"结论 verdict: {inspection.verdict_text} ({inspection.edition})",
            *inspection.reasons,
        ]
    )
    return Notice.objects.create(
        recipient=admin,
        inspection=inspection,
        subject=f"定量包装商品净含量不合格 / net content failed: {inspection.product_name} ({inspection.producer.name})",
        body=body,
    )


# ------------------------------------------------------------------ approve, publish


@transaction.atomic
def approve_inspection(user, inspection: Inspection) -> Inspection:
    """The producer's region administrator approves the result; it enters the credit history."""
    inspection = _locked(inspection)
    if not permissions.administers(user, inspection.producer.region.code):
        raise NotAllowed(
            gettext("只有地区 %(region)s（或其上级）的计量行政部门可以批准此次检验") % {"region": inspection.producer.region.code}
        )
    require_state(inspection, "approve", InspectionError)
    inspection.status = Inspection.Status.APPROVED
    inspection.approved_by = user if getattr(user, "is_authenticated", False) else None
    inspection.approved_at = timezone.now()
    inspection.save(update_fields=["status", "approved_by", "approved_at"])
    severity, weight = CREDIT_WEIGHTS[_severity_of_row(inspection)]
    CreditRecord.objects.create(
        organisation=inspection.producer,
        date=inspection.sampling_date,
        source=CREDIT_SOURCE,
        reference=inspection.number,
        outcome=CreditRecord.Outcome.PASS if inspection.passed else CreditRecord.Outcome.FAIL,
        severity=severity,
        weight=weight,
        summary=(
            f"{inspection.product_name} {inspection.nominal_text}: {inspection.verdict_text}; " + "; ".join(inspection.reasons)
        )[:500],
        subject_type=ContentType.objects.get_for_model(Inspection),
        subject_id=inspection.pk,
    )
    _audit("status_change", inspection, user, {"status": inspection.status, "passed": inspection.passed})
    return inspection


def _severity_of_row(inspection: Inspection) -> str:
    if inspection.passed:
        return "pass"
    if inspection.mean_ok is False or (inspection.short_2T or 0) > (inspection.allowed_short_2T or 0):
        return "major"
    return "minor"


@transaction.atomic
def publish_inspection(user, inspection: Inspection) -> Inspection:
    inspection = _locked(inspection)
    if not permissions.administers(user, inspection.producer.region.code):
        raise NotAllowed(
            gettext("只有地区 %(region)s（或其上级）的计量行政部门可以公布此次检验") % {"region": inspection.producer.region.code}
        )
    require_state(inspection, "publish", InspectionError)
    inspection.status = Inspection.Status.PUBLISHED
    inspection.published_at = timezone.now()
    inspection.save(update_fields=["status", "published_at"])
    _audit("status_change", inspection, user, {"status": inspection.status})
    return inspection


def published():
    return Inspection.objects.filter(status=Inspection.Status.PUBLISHED).select_related("producer__region", "retailer")
