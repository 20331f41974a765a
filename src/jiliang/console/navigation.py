"""The site navigation for the acting role: only links to pages the role may use.

Three groups: the role's work (dashboard, due list, its workflows), the registry (open to
everyone), and the public services (certificate check, published results). A link whose
page is not installed in the URLconf is left out, so the bar renders under any URLconf.
The crawler test (tests/web/test_crawler.py) checks every link shown to a role opens
for that role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from jiliang.cases.policies import CASES
from jiliang.checks.policies import CHECK_ALERTS
from jiliang.cmc.policies import CLAIMS as CMC_CLAIMS
from jiliang.comparisons.policies import may_follow_up
from jiliang.credit.policies import CREDIT
from jiliang.energy.policies import UNITS as ENERGY_UNITS
from jiliang.federation.policies import OPERATIONS as FEDERATION_OPERATIONS
from jiliang.federation.policies import PROVINCE_ROWS as FEDERATION_ROWS
from jiliang.federation.policies import opens_national_comparisons
from jiliang.inspections.policies import CAMPAIGNS, INSPECTIONS
from jiliang.institutions.policies import INSTITUTIONS
from jiliang.intervals.policies import REPORTS as INTERVAL_REPORTS
from jiliang.matching.policies import NEEDS
from jiliang.plans.policies import INDICATORS as PLAN_INDICATORS
from jiliang.plans.policies import PLANS
from jiliang.policies import ANONYMOUS, AUDITOR, ENTERPRISE, NATIONAL, PUBLIC, REGION_ADMIN, STAFF, Actor, actor_for
from jiliang.supervision.prepack.policies import POLICY as INSPECTION_POLICY
from jiliang.supervision.telemetry.policies import POLICY as ALERT_POLICY
from jiliang.traceability.views import may_open_recalls

EVERYONE = frozenset({ANONYMOUS, PUBLIC, NATIONAL, REGION_ADMIN, AUDITOR, STAFF, ENTERPRISE})
SIGNED_IN_ROLES = EVERYONE - {ANONYMOUS, PUBLIC}  # the roles with a dashboard
SUPERVISORS = frozenset({NATIONAL, REGION_ADMIN, AUDITOR})
ADMINISTRATORS = frozenset({NATIONAL, REGION_ADMIN})


@dataclass(frozen=True)
class Link:
    url_name: str
    label: object
    roles: frozenset
    # Pages whose resolver match marks this link current: "namespace:url_name" or "namespace:*".
    sections: tuple = ()
    # Where a record's policy decides, its question (actor → bool) instead of the role list.
    allowed: Callable[[Actor], bool] | None = None

    def shown_to(self, actor: Actor) -> bool:
        return self.allowed(actor) if self.allowed is not None else actor.kind in self.roles


WORK = [
    Link("console:dashboard", _("工作台"), SIGNED_IN_ROLES, ("console:dashboard",)),
    Link("console:due", _("到期与超期"), SUPERVISORS | {ENTERPRISE}, ("console:due",)),
    # Mandatory verification: each role's own page of the verification app.
    Link("verification:administrator", _("强制检定"), SUPERVISORS, ("verification:*",)),
    Link("verification:institution", _("强制检定"), frozenset({STAFF}), ("verification:*",)),
    Link("verification:enterprise", _("强制检定"), frozenset({ENTERPRISE}), ("verification:*",)),
    Link(
        "comparisons:list",
        _("比对管理"),
        SUPERVISORS | {STAFF},
        ("comparisons:list", "comparisons:detail", "comparisons:report", "comparisons:create"),
    ),
    Link("comparisons:follow-ups", _("比对后续措施"), SUPERVISORS | {STAFF}, ("comparisons:follow-ups",), allowed=may_follow_up),
    Link(
        "prepack:create",
        _("净含量抽查登记"),
        ADMINISTRATORS | {STAFF},
        ("prepack:create", "prepack:measure"),
        allowed=INSPECTION_POLICY.may_create,
    ),
    Link("assessment:home", _("计量标准考核"), SUPERVISORS | {STAFF, ENTERPRISE}, ("assessment:*",)),
    Link("portal:complaints", _("投诉处理"), SUPERVISORS, ("portal:complaints", "portal:complaint")),
    Link(
        "telemetry:alert-list",
        _("监测预警"),
        SUPERVISORS,
        ("telemetry:alert-list", "telemetry:alert-detail"),
        allowed=ALERT_POLICY.opens_alerts,
    ),
    Link("checks:alerts", _("期间核查"), SUPERVISORS | {STAFF}, ("checks:*",), allowed=CHECK_ALERTS.sees_alerts),
    Link("cases:list", _("行政处罚案件"), SUPERVISORS, ("cases:list", "cases:detail"), allowed=CASES.sees_cases),
    Link("credit:home", _("信用监管"), SUPERVISORS | {STAFF, ENTERPRISE}, ("credit:*",), allowed=CREDIT.opens_credit),
    Link("traceability:recall", _("追溯召回"), ADMINISTRATORS, ("traceability:*",), allowed=may_open_recalls),
    Link("inspections:dashboard", _("双随机抽查"), SUPERVISORS, ("inspections:dashboard",), allowed=CAMPAIGNS.sees_lists),
    Link("inspections:today", _("今日检查"), frozenset({REGION_ADMIN}), ("inspections:today",), allowed=INSPECTIONS.sees_today),
    Link("energy:overview", _("能源计量"), SUPERVISORS, ("energy:*",), allowed=ENERGY_UNITS.sees_overview),
    Link("energy:mine", _("能源计量"), frozenset({STAFF, ENTERPRISE}), ("energy:*",), allowed=ENERGY_UNITS.sees_own),
    Link("institutions:list", _("机构能力与监督"), SUPERVISORS, ("institutions:*",), allowed=INSTITUTIONS.sees_list),
    Link("institutions:mine", _("机构能力与监督"), frozenset({STAFF}), ("institutions:*",), allowed=INSTITUTIONS.sees_own),
    Link("intervals:families", _("检定间隔分析"), SUPERVISORS | {STAFF}, ("intervals:*",), allowed=INTERVAL_REPORTS.sees_reports),
    Link(
        "federation:overview",
        _("全国汇总"),
        SUPERVISORS,
        ("federation:overview", "federation:recalls"),
        allowed=FEDERATION_ROWS.opens_national_pages,
    ),
    Link(
        "federation:status",
        _("联邦节点"),
        frozenset({NATIONAL}),
        ("federation:status",),
        allowed=FEDERATION_OPERATIONS.sees_operations,
    ),
    Link("cmc:home", _("校准测量能力"), SUPERVISORS | {STAFF}, ("cmc:*",), allowed=CMC_CLAIMS.sees_claims),
    Link("matching:home", _("供需对接"), SUPERVISORS | {STAFF, ENTERPRISE}, ("matching:*",), allowed=NEEDS.reads_needs),
    Link(
        "plans:indicators",
        _("规划指标"),
        SUPERVISORS,
        ("plans:indicators", "plans:rows"),
        allowed=PLAN_INDICATORS.sees_indicators,
    ),
    Link("plans:list", _("建设规划"), SUPERVISORS, ("plans:list", "plans:plan"), allowed=PLANS.sees_plans),
]

PUBLIC_SERVICES = [
    Link("portal:home", _("公众服务"), EVERYONE, ("portal:*",)),
    Link("certificates:check", _("证书核验"), EVERYONE, ("certificates:*",)),
    Link("comparisons:public", _("计量比对"), EVERYONE, ("comparisons:public",)),
    Link("federation:comparisons", _("全国比对结果"), EVERYONE, ("federation:comparisons",), allowed=opens_national_comparisons),
    Link("prepack:public-list", _("净含量抽查"), EVERYONE, ("prepack:public-list", "prepack:detail")),
    Link("telemetry:home", _("在线监测"), EVERYONE, ("telemetry:home",)),
    Link("cases:penalties", _("行政处罚公示"), EVERYONE, ("cases:penalties", "cases:penalty")),
    Link("inspections:draws", _("双随机抽查公示"), EVERYONE, ("inspections:draws", "inspections:draw")),
    Link("witness:log", _("诚信计量见证日志"), EVERYONE, ("witness:*",)),
    Link("refdata:catalogue", _("标准参考数据"), EVERYONE, ("refdata:*",)),
    Link("cmc:home", _("国际校准测量能力"), frozenset({ANONYMOUS, PUBLIC, ENTERPRISE}), ("cmc:*",)),
]


def _current(request) -> tuple[str, str]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", ""
    return match.namespace or "", match.url_name or ""


def _links(links: list[Link], actor: Actor, namespace: str, url_name: str) -> list[dict]:
    out = []
    for link in links:
        if not link.shown_to(actor):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:  # the app is not in this URLconf
            continue
        active = any(s == f"{namespace}:{url_name}" or s == f"{namespace}:*" for s in link.sections)
        out.append({"url": url, "label": link.label, "active": active, "name": link.url_name})
    return out


def role_of(user) -> str:
    return actor_for(user).kind


def navigation_for(request) -> dict:
    """{"work": [...], "public": [...], "role": kind} for the request's user."""
    actor = actor_for(getattr(request, "user", None))
    namespace, url_name = _current(request)
    return {
        "role": actor.kind,
        "work": _links(WORK, actor, namespace, url_name),
        "public": _links(PUBLIC_SERVICES, actor, namespace, url_name),
    }


def links_for_role(role: str) -> list[str]:
    """The URL names of every link the role is shown (for tests and the crawler)."""
    names = []
    actor = Actor(role)
    for link in WORK + PUBLIC_SERVICES:
        if link.shown_to(actor):
            try:
                reverse(link.url_name)
            except NoReverseMatch:
                continue
            names.append(link.url_name)
    return names
