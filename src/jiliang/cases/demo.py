"""The demo's enforcement cases: one opened from a telemetry alert (its evidence frozen onto
the case) and under investigation, and one from an administrator's clue walked through every
step to its published penalty, so the portal shows a decision. Everything goes through the
services, so each step's rule applies and each is on the audit ledger. Hooked into the demo
by one call (``console.demo_activity``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiliang.policies import actor_for

from . import services
from .models import Case

# The administrators who may act, nearest first: one proposes 立案, the next approves it.
ADMINISTRATORS = ("inspector", "county-admin", "city-admin", "province-admin", "admin")


def _pair(cast, region_id: int):
    users = [cast.users[name] for name in ADMINISTRATORS if name in cast.users]
    able = [user for user in users if actor_for(user).supervises_region(region_id)]
    return (able[0], able[1]) if len(able) >= 2 else (None, None)


def plant_cases(cast) -> list[Case]:
    from jiliang.supervision.telemetry.models import Alert

    planted = []
    today = timezone.localdate()
    alert = (
        Alert.objects.select_related("region", "owner", "instrument")
        .filter(region__code__startswith=cast.province.code[:2], cases__isnull=True)
        .order_by("-severity", "id")
        .first()
    )
    if alert is not None:
        proposer, approver = _pair(cast, alert.region_id)
        if proposer is not None:
            case = services.open_from_alert(
                proposer,
                alert,
                violation=Case.Violation.TAMPERING,
                summary=f"在线监测预警（{alert.rule_label}）提示计量器具示值异常，疑似破坏计量器具准确度。",
            )
            services.act(proposer, case, "propose", note="预警证据已冻结，建议立案调查")
            services.act(approver, case, "approve_filing", note="同意立案")
            services.add_evidence(
                proposer, case, title="现场检查笔录", note="现场检查计量器具铅封完好性，拍照并提取软件版本与校验和。"
            )
            planted.append(case)

    party = cast.enterprise
    proposer, approver = _pair(cast, party.region_id)
    if proposer is not None:
        day = lambda n: today - dt.timedelta(days=n)  # noqa: E731 - the walk's dates read as days ago
        case = services.open_case(
            proposer,
            region=party.region,
            party=party,
            violation=Case.Violation.UNVERIFIED,
            summary="监督检查发现当事人用于贸易结算的电子计价秤未按规定申请强制检定。",
            discovered_on=day(60),
        )
        services.act(proposer, case, "propose", on=day(58))
        services.act(approver, case, "approve_filing", on=day(57))
        services.add_evidence(proposer, case, title="询问笔录", note="当事人承认 3 台电子计价秤逾期未检定仍在使用。", on=day(50))
        services.act(
            proposer,
            case,
            "notify",
            on=day(40),
            proposed_penalty="依据计量法实施细则 第四十三条，拟责令停止使用并处罚款 800 元。",
        )
        services.act(proposer, case, "waive", on=day(39), note="当事人书面放弃陈述申辩")
        services.act(
            approver,
            case,
            "decide",
            on=day(30),
            decision_number=f"市监计罚〔{day(30).year}〕{case.pk:03d}号",
            penalty="责令停止使用未经检定的电子计价秤，罚款 800 元。",
            fine="800",
            rectify_by=day(16),
        )
        services.act(proposer, case, "execute", on=day(20), note="罚款已缴纳")
        services.act(proposer, case, "rectify", on=day(17), note="3 台电子计价秤已检定合格")
        services.act(approver, case, "close", on=day(15))
        services.act(approver, case, "publish", on=day(14))
        planted.append(case)
    return [Case.objects.get(pk=case.pk) for case in planted]
