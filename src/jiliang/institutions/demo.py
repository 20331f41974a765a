"""The demo's institutions' supervision: the provincial institute (the demo's own institute
user) files an impartiality declaration and leaves its integrity declaration missing; the
province's administrator records a supervision visit with a finding on its people (a gap
where an authorised item has fewer than two qualified people, if it has one), closes it (the
finding reaches the credit record) and records a capability evaluation. Everything goes
through the services. Hooked into the demo by one call (``console.demo_activity``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services


def plant_institutions(cast) -> None:
    institution = cast.institute
    if institution is None:
        return
    admin = cast.users.get("province-admin")
    staff = cast.users.get("institute")
    today = timezone.localdate()
    if staff is not None:
        services.declare(
            staff,
            institution,
            kind="impartiality",
            signed_by="院长",
            text="本机构承诺独立、公正地开展计量检定工作，不受任何可能影响检定结果的商业、财务或其他压力。",
            declared_on=today - dt.timedelta(days=30),
        )
    if admin is None:
        return
    p = services.profile(institution, today)
    gap = next((row for row in p.items if row.few_people), None)
    described = (
        f"授权项目 {gap.item.code} {gap.item.name} 有资格的检定人员仅 {len(gap.people)} 人"
        if gap is not None
        else "部分检定原始记录未记录环境条件"
    )
    visit = services.record_visit(
        admin,
        institution,
        visited_on=today - dt.timedelta(days=20),
        inspectors="省局计量处 王检查、李监督",
        scope="授权项目的人员、计量标准和原始记录",
        findings=[
            {
                "clause": "E3" if gap is not None else "E7",
                "description": described,
                "severity": "minor",
                "rectify_by": today + dt.timedelta(days=40),
            }
        ],
    )
    services.close_visit(admin, visit, today - dt.timedelta(days=19))
    services.record_evaluation(admin, institution, note="演示：年度能力评价")
