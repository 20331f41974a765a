"""The review checklists and what the data-quality rules are called.

能源计量审查 follows JJF 1356-2012《重点用能单位能源计量审查规范》: its chapters 4–8 are the
content of the review (能源计量管理, 能源计量人员, 能源计量器具, 能源计量数据, 自查与整改),
drawn from 《能源计量监督管理办法》(质检总局令第132号) 第五条至第十二条 and 第十五条; chapter 9
the method (资料审查 and 现场审查 on the unit's self-check, the report, and the handling); the
review itself is the bureau's periodic one of 第十七条. The items below group the chapters'
requirements as the platform asks them; the clause of each is the chapter (the sub-clause
numbering could not be checked against the text and is left out).

碳计量审查 is a pilot (SAMR started it in Shandong in 2023 under the provinces' own review
rules, 《建立健全碳达峰碳中和标准计量体系实施方案》): no national specification yet, so its list
is the platform's, built on the emission sources and the activity data of GB/T 32150-2015
《工业企业温室气体排放核算和报告通则》, to be replaced by the province's rules.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ENERGY_CHECKLIST = (
    ("4.1", _("建立能源计量管理制度，明确能源计量管理职责"), "JJF 1356-2012 第4章；132号令第五条"),
    ("4.2", _("能源计量器具配备、使用、检定校准、维修、报废等管理程序"), "JJF 1356-2012 第4章；132号令第五条"),
    ("5.1", _("设专人负责能源计量器具的管理"), "JJF 1356-2012 第5章；132号令第六条"),
    ("5.2", _("能源计量管理人员和检测人员经培训，具备相应能力"), "JJF 1356-2012 第5章；132号令第六条"),
    ("6.1", _("按 GB 17167 配备能源计量器具（配备率）"), "JJF 1356-2012 第6章；GB 17167-2006 4.3；132号令第七条"),
    ("6.2", _("能源计量器具准确度等级满足 GB 17167 要求"), "JJF 1356-2012 第6章；GB 17167-2006 4.3.8"),
    ("6.3", _("能源计量器具按规定检定或校准，在有效期内使用"), "JJF 1356-2012 第6章；132号令第八条"),
    ("6.4", _("建立能源计量器具一览表和档案"), "JJF 1356-2012 第6章；GB 17167-2006 5.2"),
    ("7.1", _("建立能源计量数据记录制度，原始记录完整可查"), "JJF 1356-2012 第7章；132号令第九条"),
    ("7.2", _("能源计量数据用于统计、分析和考核，按规定上报"), "JJF 1356-2012 第7章；132号令第十条、第十一条"),
    ("7.3", _("能源计量数据采集、传输的在线监测系统运行正常"), "JJF 1356-2012 第7章；132号令第十二条"),
    ("8.1", _("开展能源计量自查，不符合项已整改"), "JJF 1356-2012 第8章；132号令第十五条"),
)

CARBON_CHECKLIST = (
    ("C1", _("识别全部排放源（燃料燃烧、工业过程、净购入电力和热力）"), "GB/T 32150-2015 6"),
    ("C2", _("每个排放源的活动数据均有计量器具测量"), "GB/T 32150-2015 7；碳排放计量审查试点"),
    ("C3", _("活动数据计量器具的准确度和测量不确定度满足核算要求"), "碳排放计量审查试点（省级规范）"),
    ("C4", _("活动数据计量器具按规定检定或校准"), "《计量法》第九条；碳排放计量审查试点"),
    ("C5", _("排放因子与低位发热量等参数的来源可追溯（实测或缺省值）"), "GB/T 32150-2015 8"),
    ("C6", _("碳排放计量数据记录、保存和报送"), "碳排放计量审查试点（省级规范）"),
)

CHECKLISTS = {"energy": ENERGY_CHECKLIST, "carbon": CARBON_CHECKLIST}
VERDICTS = ("yes", "no", "na")

# The data-quality rules of jiliang.core.energy_quality as the alert pages name them.
RULE_LABELS = {
    "energy.gap": _("能源计量数据缺失"),
    "energy.stuck": _("能源计量器具读数冻结"),
    "energy.jump": _("能源计量读数跳变或倒走"),
    "energy.balance": _("总表与分表不平衡"),
    "energy.intensity": _("单位产品能耗偏离历史水平"),
}


def checklist(kind: str):
    return CHECKLISTS[kind]


def item_label(kind: str, code: str) -> str:
    for c, label, _source in CHECKLISTS.get(kind, ()):
        if c == code:
            return str(label)
    return code
