"""The demo's stability and in-service checks: plans with two years of monthly checks for a
few of the provincial institute's standards, each with its yearly repeatability test, and one
standard whose control chart went out of control last month, its alert unanswered and gone
to the bureau. Everything goes through the services, so the charts, the tests for special
causes and the alerts are the real ones. Hooked into the demo by one call
(``console.demo_activity``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from jiliang.core import control_charts as cc
from jiliang.registry import models as reg

from . import services
from .models import CheckPlan, CheckRecord

MONTHS = 24

# (name of the standard, plan fields, true value, σ of one reading, digits)
PLANS = (
    (
        "质量标准装置",
        dict(
            check_item="1 kg 质量比较：核查砝码折算质量偏差",
            check_standard="1 kg E2 等级不锈钢砝码（核查专用）",
            unit="mg",
            method="每月用质量比较仪以 ABBA 循环测 1 kg 核查砝码，记录折算质量与标称值之差。",
            chart=cc.X_MR,
            stability_allowed=1.6,  # |MPE| of a 1 kg E2 weight (JJG 99-2022)
            stability_basis=cc.NOMINAL,
            repeatability_used=0.045,
        ),
        0.25,
        0.04,
        3,
    ),
    (
        "压力标准装置",
        dict(
            check_item="10 MPa 测量点：活塞压力计示值",
            check_standard="0.05 级活塞式压力计（核查用）",
            unit="MPa",
            method="每月在 10 MPa 点对核查用活塞压力计平衡 3 次，以平均值作为一个子组。",
            chart=cc.XBAR_R,
            subgroup_size=3,
            stability_allowed=0.005,
            stability_basis=cc.NOMINAL,
            repeatability_used=0.0006,
        ),
        10.0004,
        0.0004,
        4,
    ),
    (
        "电压标准装置",
        dict(
            check_item="10 V 直流电压：固态电压标准输出",
            check_standard="Fluke 732B 固态电压标准（核查用）",
            unit="V",
            method="每月用 8.5 位数字多用表测 732B 的 10 V 输出 5 次，取一个子组。",
            chart=cc.XBAR_S,
            subgroup_size=5,
            stability_allowed=0.000004,  # U (k = 2) of the 732B's calibration value
            stability_basis=cc.CORRECTED,
            repeatability_used=0.0000004,
        ),
        10.0000021,
        0.0000003,
        7,
    ),
)
# The standard whose chart went out of control last month: its check standard's resistance
# at the triple point of water jumped (a shock to the thermometer).
OUT_OF_CONTROL = (
    "温度标准装置",
    dict(
        check_item="水三相点：标准铂电阻温度计 R_tp",
        check_standard="水三相点瓶与核查用标准铂电阻温度计",
        unit="Ω",
        method="每月在水三相点瓶中测核查用标准铂电阻温度计的 R_tp 一次（单值）。",
        chart=cc.X_MR,
        stability_allowed=0.00012,  # U (k = 2) of R_tp
        stability_basis=cc.CORRECTED,
        repeatability_used=0.000006,
    ),
    25.548620,
    0.000005,
    6,
)


def _standard(cast, name):
    return reg.MeasurementStandard.objects.filter(holder=cast.institute, name=name).order_by("id").first() or (
        reg.MeasurementStandard.objects.filter(holder=cast.institute, name__endswith="标准装置").order_by("id").first()
    )


def _series(rng, size: int, mean: float, sigma: float, kind: str, n: int):
    """A clean series: redrawn until no test for special causes fires (the demo's healthy plans)."""
    for _ in range(100):
        data = rng.normal(mean, sigma, size=(size, n))
        chart = cc.build_chart(kind, data.tolist(), baseline=20)
        if not chart.signals:
            return data
    return data


def plant_checks(cast) -> None:
    user = cast.users["institute"]
    today = timezone.localdate()
    people = list(reg.Person.objects.filter(organisation=cast.institute).order_by("id").values_list("name", flat=True)[:3]) or [
        "核查员"
    ]
    rng = np.random.default_rng(20261)
    start = today - dt.timedelta(days=30 * MONTHS + 10)
    days = [start + dt.timedelta(days=30 * k + 3) for k in range(MONTHS)]
    for index, (name, fields, mean, sigma, digits) in enumerate((*PLANS, OUT_OF_CONTROL)):
        standard = _standard(cast, name)
        if standard is None or CheckPlan.objects.filter(standard=standard, check_item=fields["check_item"]).exists():
            continue
        plan = services.create_plan(user, standard, interval_days=30, baseline_points=20, **fields)
        CheckPlan.objects.filter(pk=plan.pk).update(created_on=start)
        plan.refresh_from_db()
        n = plan.subgroup_size
        data = _series(rng, MONTHS, mean, sigma, plan.chart, n)
        last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=12)
        dates = list(days)
        if (name, fields) == OUT_OF_CONTROL[:2]:
            # The last check, last month: 6σ above the centre line.
            dates[-1] = last_month
            data[-1] = mean + 6 * sigma
        for k, (day, values) in enumerate(zip(dates, data)):
            services.record_check(
                user, plan, day, [round(float(v), digits) for v in np.atleast_1d(values)], performer=people[k % len(people)]
            )
        for year_back in (1, 0):  # a repeatability test a year (JJF 1033-2023: at least once a year)
            day = today - dt.timedelta(days=365 * year_back + 40 + index)
            values = rng.normal(mean, sigma, 10)
            services.record_check(
                user,
                plan,
                day,
                [round(float(v), digits) for v in values],
                performer=people[0],
                kind=CheckRecord.Kind.REPEATABILITY,
                note="n = 10，重复性条件",
            )
    services.escalate_overdue(today)
