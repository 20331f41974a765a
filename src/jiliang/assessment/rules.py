"""The rules of a measurement-standard assessment, each in one place and each refusal naming
its rule: who assesses (reusing the registry's rule), when a re-examination may be filed,
what an application must carry, the facts the platform checks before the authority sees it,
the evaluation items of JJF 1033-2023 and which in-service changes need a new assessment.

Clause numbers are JJF 1033-2023's (§4 考核要求: 4.1 计量标准器及配套设备, 4.2 主要计量特性,
4.3 环境条件及设施, 4.4 人员, 4.5 文件集, 4.6 测量能力的确认; §5 考核程序: 5.1 申请, 5.2 受理,
5.3 组织与实施, 5.4 审批; §6 后续监管). The sub-items under each clause follow the 考评表
of the JJF 1033 family (the 2016 edition's table, whose headings the 2023 edition keeps);
where we chose wording it says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiliang.messages import enumeration
from jiliang.registry import models as reg
from jiliang.registry import validity
from jiliang.registry.services import qualification_reasons

RULE_AUTHORITY = reg.RULE_PUBLIC_HIGHEST
RULE_WINDOW = "计量标准考核办法 第十六条、JJF 1033-2023 §5.1（复查考核于有效期满前6个月提出）"
RULE_DOCUMENTS = "JJF 1033-2023 §5.1（申请资料）"
RULE_TRACEABLE = "JJF 1033-2023 §4.1（计量标准器及主要配套设备应有连续、有效的检定或校准证书）"
RULE_PEOPLE = "JJF 1033-2023 §4.4（每个项目至少两名具备能力的检定或校准人员）"
RULE_SPECIFICATION = "JJF 1033-2023 §4.5（执行现行有效的计量检定规程或技术规范）"
RULE_ASSESSOR_OWN = "JJF 1033-2023 §5.3（考评员与申请单位有利害关系的应当回避）"
RULE_ASSESSOR_VALID = "JJF 1033-2023 §5.3（由具有相应专业考评资格的考评员考评）"
RULE_DECISION = "JJF 1033-2023 §5.4（整改未完成的不予批准）"
RULE_COMMITMENT = "市场监管总局 告知承诺制（复查考核；主持考核部门开展的方可适用）"
MIN_PEOPLE = 2


@dataclass(frozen=True)
class EvaluationItem:
    clause: str
    title: str
    documents: bool = True  # judged in the document review (书面审查)
    onsite: bool = True  # judged in the on-site evaluation (现场考评)


# 计量标准考评表: the items, with JJF 1033-2023's clause numbers.
EVALUATION_ITEMS: tuple[EvaluationItem, ...] = (
    EvaluationItem("4.1.1", _("计量标准器及配套设备配置齐全，满足检定规程或技术规范的要求")),
    EvaluationItem("4.1.2", _("计量标准器及主要配套设备有连续、有效的检定或校准证书")),
    EvaluationItem("4.1.3", _("溯源到计量基准或社会公用计量标准，溯源途径合理")),
    EvaluationItem("4.2.1", _("测量范围满足开展检定或校准的需要")),
    EvaluationItem("4.2.2", _("不确定度、准确度等级或最大允许误差满足要求")),
    EvaluationItem("4.2.3", _("检定或校准结果的重复性满足要求")),
    EvaluationItem("4.2.4", _("计量标准的稳定性满足要求")),
    EvaluationItem("4.2.5", _("其他计量特性满足要求")),
    EvaluationItem("4.3.1", _("环境条件满足检定规程或技术规范的要求")),
    EvaluationItem("4.3.2", _("设施与布局合理，互不干扰")),
    EvaluationItem("4.3.3", _("环境条件有监测和控制记录")),
    EvaluationItem("4.4.1", _("计量标准负责人具备相应能力并履行职责")),
    EvaluationItem("4.4.2", _("每个项目有不少于二名具备能力的检定或校准人员")),
    EvaluationItem("4.5.1", _("文件集完整，有专人管理")),
    EvaluationItem("4.5.2", _("执行的检定规程或技术规范现行有效")),
    EvaluationItem("4.5.3", _("计量标准技术报告内容完整、结论正确")),
    EvaluationItem("4.5.4", _("检定或校准原始记录完整、规范")),
    EvaluationItem("4.5.5", _("检定或校准证书内容与格式符合要求")),
    EvaluationItem("4.5.6", _("管理制度齐全并有效实施")),
    EvaluationItem("4.6.1", _("技术资料审查：测量能力有充分证据"), documents=True, onsite=False),
    EvaluationItem("4.6.2", _("现场实验：考评员选定的测量结果与不确定度相符"), documents=False, onsite=True),
)
ITEMS_BY_CLAUSE = {item.clause: item for item in EVALUATION_ITEMS}


def items_for(phase: str) -> list[EvaluationItem]:
    return [i for i in EVALUATION_ITEMS if (i.documents if phase == "documents" else i.onsite)]


# The files JJF 1033-2023 §5.1 asks for (application form notes): kind → label, and which
# are required of a new standard and of a re-examination.
DOCUMENT_KINDS = {
    "application_form": _("计量标准考核（复查）申请书"),
    "technical_report": _("计量标准技术报告"),
    "previous_certificate": _("计量标准考核证书（原件扫描）"),
    "traceability_certificates": _("计量标准器及主要配套设备的检定或校准证书"),
    "sample_records": _("检定或校准原始记录及相应证书"),
    "repeatability_records": _("检定或校准结果的重复性试验记录"),
    "stability_records": _("计量标准的稳定性考核记录"),
    "personnel_competence": _("检定或校准人员能力证明"),
    "file_set": _("文件集目录"),
    "change_filings": _("计量标准变更申报表（如适用）"),
    "other": _("其他证明测量能力的技术资料"),
}
REQUIRED_DOCUMENTS = {
    "new": ("application_form", "technical_report", "traceability_certificates", "sample_records", "personnel_competence"),
    "reexamination": (
        "application_form",
        "previous_certificate",
        "technical_report",
        "traceability_certificates",
        "sample_records",
        "repeatability_records",
        "stability_records",
        "personnel_competence",
    ),
}
# The technical report's structured fields (计量标准技术报告), all required.
REPORT_FIELDS = {
    "measurement_range": _("测量范围"),
    "uncertainty": _("不确定度或准确度等级或最大允许误差"),
    "environment": _("环境条件"),
    "repeatability": _("重复性试验结果"),
    "stability": _("稳定性考核结果"),
    "uncertainty_verification": _("不确定度验证结论"),
}


# -- who assesses ------------------------------------------------------------------------


def assessing_authority(holder: reg.Organisation, tier: str, level: str, rank: str) -> reg.Organisation | None:
    """The administration that holds the assessment: of those whose region contains the
    holder, the lowest one the registry's rule (registry.models.assessment_refusals)
    accepts as issuer. None when the registry holds none (a province's highest public
    standard is SAMR's, outside the province)."""
    chain = []
    node = holder.region
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    admins = {
        o.region_id: o
        for o in reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION, region_id__in=chain).order_by("pk")
    }
    for region_id in chain:  # lowest first
        admin = admins.get(region_id)
        if admin is None:
            continue
        candidate = reg.MeasurementStandard(holder=holder, tier=tier, level=level, rank=rank, issuing_department=admin)
        if not reg.assessment_refusals(candidate):
            return admin
    return None


# -- when a re-examination may be filed ---------------------------------------------------


def window_refusals(standard: reg.MeasurementStandard, on: dt.date, late: bool) -> list[tuple[str, str]]:
    """A 复查 opens JILIANG_STANDARD_REEXAMINATION_MONTHS before expiry; after expiry only
    with the late flag (the file is marked late for the authority)."""
    opens = reg.reexamination_due_from(standard.valid_until)
    if on < opens:
        return [
            (
                "kind",
                gettext("%(rule)s：%(number)s 的复查考核自 %(opens)s 起方可申请")
                % {"rule": RULE_WINDOW, "number": standard.certificate_number, "opens": opens},
            )
        ]
    if on > standard.valid_until and not late:
        return [
            (
                "late",
                gettext("%(rule)s：证书 %(number)s 已于 %(expired)s 到期；有效期满后提出的复查考核须标为逾期（勾选“逾期”）")
                % {"rule": RULE_WINDOW, "number": standard.certificate_number, "expired": standard.valid_until},
            )
        ]
    return []


# -- completeness and the known facts ------------------------------------------------------


def completeness_refusals(application, document_kinds) -> list[tuple[str, str]]:
    found = []
    missing = [k for k in REQUIRED_DOCUMENTS[application.kind] if k not in set(document_kinds)]
    if missing:
        documents = enumeration(DOCUMENT_KINDS[k] for k in missing)
        found.append(("documents", gettext("%(rule)s：缺少%(documents)s") % {"rule": RULE_DOCUMENTS, "documents": documents}))
    blank = [k for k in REPORT_FIELDS if not str((application.report or {}).get(k, "")).strip()]
    if blank:
        fields = enumeration(REPORT_FIELDS[k] for k in blank)
        found.append(("report", gettext("%(rule)s：技术报告缺少%(fields)s") % {"rule": RULE_DOCUMENTS, "fields": fields}))
    if application.responsible_id is None:
        found.append(("responsible", gettext("%(rule)s：请指定计量标准负责人") % {"rule": RULE_PEOPLE}))
    return found


def fact_refusals(application, on: dt.date) -> list[tuple[str, str]]:
    """What the registry already knows against the file on the day: each device traceable
    (the traceability engine's verdict), each specification current, enough qualified people."""
    found = []
    equipment = list(application.equipment.all())
    if not equipment:
        found.append(("equipment", gettext("%(rule)s：请列出计量标准器及配套设备") % {"rule": RULE_TRACEABLE}))
    verdicts = validity.item_verdicts([d.pk for d in equipment], on)
    for device in equipment:
        verdict = verdicts[device.pk]
        if not verdict["valid"]:
            why = ", ".join(r["code"] for r in verdict["reasons"] if not r["warning"])
            found.append(
                (
                    "equipment",
                    gettext("%(rule)s：%(code)s %(name)s 在 %(on)s 不能溯源（%(why)s）")
                    % {"rule": RULE_TRACEABLE, "code": device.code, "name": device.name, "on": on, "why": why},
                )
            )
    for device in equipment:
        if device.owner_id != application.holder_id:
            found.append(
                ("equipment", gettext("%(rule)s：%(code)s 属于其他单位") % {"rule": RULE_TRACEABLE, "code": device.code})
            )
    specs = list(application.specifications.all())
    if not specs:
        found.append(("specifications", gettext("%(rule)s：请列出执行的检定规程或技术规范") % {"rule": RULE_SPECIFICATION}))
    for spec in specs:
        if spec.status != reg.Specification.Status.CURRENT:
            found.append(
                (
                    "specifications",
                    gettext("%(rule)s：%(code)s 状态为“%(status)s”，不是现行有效的")
                    % {"rule": RULE_SPECIFICATION, "code": spec.code, "status": spec.get_status_display()},
                )
            )
    people = list(application.people.all())
    for person in people:
        if person.organisation_id != application.holder_id:
            found.append(
                (
                    "people",
                    gettext("%(rule)s：%(person)s 不是 %(holder)s 的人员")
                    % {"rule": RULE_PEOPLE, "person": person.name, "holder": application.holder},
                )
            )
    items = list(application.catalog_items.all())
    if items:
        for item in items:
            able = [p for p in people if not qualification_reasons(p, item, on, application.holder)]
            if len(able) < MIN_PEOPLE:
                found.append(
                    (
                        "people",
                        gettext("%(rule)s：%(on)s 具备 %(code)s %(name)s 资格的人员只有 %(count)s 名")
                        % {"rule": RULE_PEOPLE, "count": len(able), "code": item.code, "name": item.name, "on": on},
                    )
                )
    else:
        held = set(
            reg.Qualification.objects.filter(person__in=people, valid_from__lte=on, valid_until__gte=on).values_list(
                "person_id", flat=True
            )
        )
        if len(held) < MIN_PEOPLE:
            found.append(
                (
                    "people",
                    gettext("%(rule)s：%(on)s 持有有效资格的人员只有 %(count)s 名")
                    % {"rule": RULE_PEOPLE, "count": len(held), "on": on},
                )
            )
    return found


# -- assessors ------------------------------------------------------------------------------


def assessor_refusals(assessor, application, on: dt.date) -> list[tuple[str, str]]:
    found = []
    if assessor.person.organisation_id == application.holder_id:
        found.append(
            (
                "assessor",
                gettext("%(rule)s：%(person)s 是申请单位 %(holder)s 的人员")
                % {"rule": RULE_ASSESSOR_OWN, "person": assessor.person.name, "holder": application.holder},
            )
        )
    if not assessor.valid_from <= on <= assessor.valid_until:
        found.append(
            (
                "assessor",
                gettext("%(rule)s：%(assessor)s 在 %(on)s 不是注册的考评员")
                % {"rule": RULE_ASSESSOR_VALID, "assessor": assessor, "on": on},
            )
        )
    if not assessor.specialities.filter(pk=application.field_id).exists():
        found.append(
            (
                "assessor",
                gettext("%(rule)s：%(assessor)s 未注册 %(field)s 专业的考评资格")
                % {"rule": RULE_ASSESSOR_VALID, "assessor": assessor, "field": application.field},
            )
        )
    return found


# -- in service ---------------------------------------------------------------------------

# JJF 1033-2023 §6: which change is filed and reviewed (备案) and which makes the standard be
# assessed again. We chose: a new location always needs a new assessment (the conditions
# and facilities are new); the others are filed and the authority may still ask for one.
REASSESS_ALWAYS = ("location",)
