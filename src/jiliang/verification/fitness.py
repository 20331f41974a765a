"""Whether a measurement standard may verify an instrument on a date.

One entry point, ``standard_fit_for``. The rules read the registry as it stood on the date:
the assessment certificate (计量标准考核证书) in force, the status from the
``StandardStatusChange`` history, each standard device traceable on the date (asked of the
traceability engine, so a break anywhere above counts), and a capability whose quantity,
range and accuracy cover the instrument.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.core.accuracy import relative_mpe
from jiliang.core.traceability import ERROR_MASK, Reason
from jiliang.messages import enumeration
from jiliang.registry import graph as loader
from jiliang.registry import models as reg
from jiliang.traceability import services as trace


def status_on(standard: reg.MeasurementStandard, date: dt.date, today: dt.date | None = None) -> str:
    """The status of a standard on a date: the latest status change in force, and for today
    or later the present status too. Before its first approval a standard is 'unapproved'."""
    today = today or timezone.localdate()
    change = standard.status_changes.filter(effective_on__lte=date).order_by("-effective_on", "-id").first()
    if change is None and standard.status_changes.exists():
        return "unapproved"
    status = change.status if change is not None else standard.status
    if date >= today and standard.status != reg.MeasurementStandard.Status.ACTIVE:
        status = standard.status
    return status


def capability_reasons(standard: reg.MeasurementStandard, instrument: reg.Instrument) -> list[str]:
    """Why the standard does not cover the instrument (empty when it does): a standard that
    lists catalog items covers only those; then a capability of the item's quantity must
    cover the instrument's range, with an uncertainty within 1/ratio of its MPE (the
    regulation's required ratio, 1:3 by default)."""
    item = instrument.catalog_item
    if item is None:
        return [gettext("计量器具未关联目录项")]
    listed = set(standard.catalog_items.values_list("code", flat=True))
    if listed and item.code not in listed:
        return [
            gettext("计量标准考核批准的项目为 %(items)s，不含 %(code)s %(name)s")
            % {"items": enumeration(sorted(listed)), "code": item.code, "name": item.name}
        ]
    caps = [c for c in standard.capabilities.all() if c.quantity_id == item.quantity_id]
    if not caps:
        if listed:
            return [gettext("计量标准列有项目 %(code)s，但未给出该量的测量能力") % {"code": item.code}]
        return [gettext("计量标准没有 %(code)s %(name)s 的测量能力") % {"code": item.code, "name": item.name}]
    ratio = item.regulation.required_ratio if item.regulation_id else 3.0
    mpe = relative_mpe(instrument.accuracy)
    failures = []
    for cap in caps:
        why = []
        if instrument.unit and cap.unit and instrument.unit != cap.unit:
            why.append(gettext("单位 %(unit)s 与计量器具的 %(own)s 不同") % {"unit": cap.unit, "own": instrument.unit})
        elif (
            instrument.range_min is not None
            and instrument.range_max is not None
            and not (cap.range_min <= instrument.range_min and instrument.range_max <= cap.range_max)
        ):
            why.append(
                gettext("测量范围 %(range)s 不能覆盖 %(needed)s")
                % {
                    "range": f"{cap.range_min:g}–{cap.range_max:g} {cap.unit}".strip(),
                    "needed": f"{instrument.range_min:g}–{instrument.range_max:g}",
                }
            )
        if mpe is not None and cap.relative and cap.uncertainty is not None and cap.uncertainty * ratio > mpe * (1 + 1e-9):
            why.append(
                gettext("相对不确定度 %(u)s 大于计量器具最大允许误差 %(mpe)s 的 1/%(ratio)s")
                % {"u": f"{cap.uncertainty:g}", "mpe": f"{mpe:g}", "ratio": f"{ratio:g}"}
            )
        if not why:
            return []
        failures.extend(why)
    return [gettext("没有能覆盖该计量器具的测量能力：%(why)s") % {"why": "; ".join(dict.fromkeys(failures))}]


def standard_fit_for(standard: reg.MeasurementStandard, instrument: reg.Instrument, date: dt.date) -> list[str]:
    """Every reason the standard could not verify the instrument on the date; empty if fit."""
    reasons = []
    if not (standard.valid_from <= date <= standard.valid_until):
        reasons.append(
            gettext("计量标准考核证书 %(number)s 在 %(on)s 不在有效期内（有效期 %(start)s 至 %(end)s）")
            % {"number": standard.certificate_number, "on": date, "start": standard.valid_from, "end": standard.valid_until}
        )
    status = status_on(standard, date)
    if status == "unapproved":
        reasons.append(gettext("计量标准在 %(on)s 尚未考核合格") % {"on": date})
    elif status != reg.MeasurementStandard.Status.ACTIVE:
        reasons.append(
            gettext("计量标准在 %(on)s 的状态为“%(status)s”")
            % {
                "on": date,
                "status": reg.MeasurementStandard.Status(status).label
                if status in reg.MeasurementStandard.Status.values
                else status,
            }
        )
    reasons.extend(untraceable_devices(standard, date))
    reasons.extend(capability_reasons(standard, instrument))
    return reasons


def untraceable_devices(standard: reg.MeasurementStandard, date: dt.date) -> list[str]:
    """Why the standard's devices were not traceable on the date, asked of the traceability
    engine: the device's own calibration (missing, expired, failed, revoked) and everything
    above it (the calibrating standard suspended, unapproved or out of tolerance that day,
    an upstream break)."""
    import numpy as np

    devices = list(standard.devices.order_by("code").values_list("id", "code"))
    if not devices:
        return [gettext("计量标准没有登记的标准器，不能溯源")]
    engine = trace.current_graph().engine
    verdict = engine.validity_at(loader.to_day(date), np.array([pk for pk, _ in devices], dtype=np.int64))
    own = int(Reason.NO_EVENT | Reason.EXPIRED | Reason.FAILED | Reason.REVOKED)
    reasons = []
    for (_, code), valid, flags in zip(devices, verdict.valid.tolist(), verdict.flags.tolist()):
        if valid:
            continue
        if flags & own:
            reasons.append(gettext("标准器 %(code)s 在 %(on)s 没有有效的检定或校准，不能溯源") % {"code": code, "on": date})
        else:
            why = ", ".join(r.name.lower().replace("_", " ") for r in Reason if flags & int(r) & ERROR_MASK)
            reasons.append(gettext("标准器 %(code)s 在 %(on)s 不能溯源（%(why)s）") % {"code": code, "on": date, "why": why})
    return reasons


def active_public_standards(date: dt.date, today: dt.date | None = None):
    """Public standards in force on a date (certificate valid, status active on the date),
    as a queryset-derived list of ids. Standards are few (thousands), so the history is
    resolved with one query and a subquery per standard row in SQL."""
    today = today or timezone.localdate()
    S = reg.MeasurementStandard
    last_status = Subquery(
        reg.StandardStatusChange.objects.filter(standard=OuterRef("pk"), effective_on__lte=date)
        .order_by("-effective_on", "-id")
        .values("status")[:1]
    )
    any_change = Exists(reg.StandardStatusChange.objects.filter(standard=OuterRef("pk")))
    rows = (
        S.objects.filter(tier=S.Tier.PUBLIC, valid_from__lte=date, valid_until__gte=date)
        .annotate(last_status=last_status, has_changes=any_change)
        .filter(Q(last_status="active") | Q(has_changes=False, status=S.Status.ACTIVE))
    )
    if date >= today:
        rows = rows.filter(status=S.Status.ACTIVE)
    return list(rows.values_list("id", flat=True))
