"""The demo's logins as the sign-in page and the terminal show them.

``jiliang demo`` (jiliang.console.demo_roles) makes a user for every role and puts them in
the group ``DEMO_GROUP``: the sign-in page lists that group's users, with the shared demo
password and what to try first, and nothing else — an instance that was never a demo has no
such group in its database and shows no logins.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from jiliang.registry import models as reg

DEMO_GROUP = "jiliang-demo"
DEMO_PASSWORD = "jiliang-demo"


@dataclass(frozen=True)
class DemoRole:
    username: str
    role: object  # a label (lazy translation)
    first: object  # what to try first


# In the order a visitor meets them; the scope is filled in by ``create_demo_users``.
ROLES = (
    DemoRole("admin", _("国家级管理员（超级用户）"), _("工作台 → 覆盖率、追溯召回，或进入 /admin/")),
    DemoRole("province-admin", _("省级计量行政部门"), _("追溯召回：选择失准的计量标准和日期，查看受影响器具并发出召回通知")),
    DemoRole("city-admin", _("市级计量行政部门"), _("强制检定 → 备案审核与超期未检")),
    DemoRole("county-admin", _("县级计量行政部门"), _("投诉处理：处理公众投诉并填写处理情况")),
    DemoRole("inspector", _("执法检查员（县级）"), _("在线监测 → 预警：受理预警、查看证据、记录现场检查")),
    DemoRole("auditor", _("审计员（省级，只读）"), _("工作台与覆盖率：只读查看全省数据")),
    DemoRole("institute", _("法定计量检定机构人员"), _("强制检定 → 录入检定结果，再签发数字证书")),
    DemoRole("assessor", _("计量标准考评员"), _("计量标准考核 → 我的考评任务：书面审查、现场考评、确认整改")),
    DemoRole("enterprise", _("企业用户"), _("工作台：召回通知、到期器具；强制检定 → 备案器具")),
    DemoRole("public", _("公众（投诉人）"), _("公众服务：查询器具、核验证书、投诉")),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    organisation: str
    first: str


def _administration(region: reg.Region) -> reg.Organisation | None:
    return reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION, region=region).order_by("pk").first()


def _scope_of(user) -> str:
    if user.is_superuser:
        return str(_("全国"))
    membership = getattr(user, "membership", None)
    if membership is None:
        return "—"
    if membership.region_id:
        administration = _administration(membership.region)
        return administration.name if administration else membership.region.name
    return membership.organisation.name


def demo_logins() -> list[DemoLogin]:
    """The demo's logins, in the order of ``ROLES``; empty on an instance that is not a demo."""
    group = Group.objects.filter(name=DEMO_GROUP).first()
    if group is None:
        return []
    users = {
        u.username: u
        for u in group.user_set.select_related("membership__region", "membership__organisation").filter(is_active=True)
    }
    rows = []
    for spec in ROLES:
        user = users.get(spec.username)
        if user is not None:
            rows.append(DemoLogin(str(spec.role), user.username, DEMO_PASSWORD, _scope_of(user), str(spec.first)))
    return rows


def print_logins(logins: list[DemoLogin], console=None) -> None:
    """The logins as a table on the terminal (Rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="演示账号 Demo logins", show_lines=False)
    for heading in ("角色 role", "登录名 login", "密码 password", "所属单位 organisation", "先试试 try first"):
        table.add_column(heading)
    for row in logins:
        table.add_row(row.role, row.username, row.password, row.organisation, row.first)
    if console is None:
        console = Console()
        console.width = max(console.width, 160)  # a pipe gets 80 columns: the table would wrap every cell
    console.print(table)
