"""The use cases of an enforcement case, one transaction each. Each asks the policy who may
act, the core (jiliang.core.cases) what the law asks, and refuses with ``Refused`` naming the
field and the rule with its clause; nothing is half written. Every step is a ``Step`` row and,
through the tracked models, an entry on the audit ledger with who did it and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from jiliang.audit.services import audit_context
from jiliang.core import cases as core
from jiliang.core import workdays
from jiliang.policies import Actor, as_actor
from jiliang.registry.services import Refused

from .models import Case, Evidence, EvidenceFile, Reminder, Step
from .policies import CASES

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024

# Each rule of jiliang.core.cases.refusals, in the reader's language, with its clause.
RULES = {
    "filing_approver_is_proposer": gettext_lazy(
        "立案须由负责人批准，提出立案的办案人员不能批准自己的申请（市场监督管理行政处罚程序规定 第十九条）"
    ),
    "already_extended": gettext_lazy(
        "办案期限已延长过一次；再延长须经负责人集体讨论决定（市场监督管理行政处罚程序规定 第六十四条）"
    ),
    "statement_already_answered": gettext_lazy("当事人已就告知作出答复（放弃陈述申辩或申请听证）"),
    "hearing_not_offered": gettext_lazy("告知时未告知听证权利：拟作出的处罚不属于听证范围（行政处罚法 第六十三条）"),
    "hearing_request_late": gettext_lazy("听证申请应在告知后五日内提出，期限已过（行政处罚法 第六十四条第一项）"),
    "hearing_not_requested": gettext_lazy("当事人未申请听证"),
    "hearing_already_held": gettext_lazy("听证已举行"),
    "decision_without_notice": gettext_lazy(
        "作出行政处罚决定前，须告知当事人拟作出的处罚内容及事实、理由、依据和陈述、申辩、听证的权利；"
        "未告知的不得作出处罚决定（行政处罚法 第四十四条、第六十二条）"
    ),
    "decision_hearing_pending": gettext_lazy("当事人已申请听证，听证结束前不得作出处罚决定（行政处罚法 第六十三条、第六十五条）"),
    "decision_within_statement_window": gettext_lazy(
        "陈述、申辩和申请听证的期限尚未届满，当事人也未放弃，不能作出处罚决定（行政处罚法 第四十五条、第六十四条）"
    ),
    "already_executed": gettext_lazy("处罚决定已执行完毕"),
    "no_rectification_ordered": gettext_lazy("处罚决定未责令改正"),
    "already_rectified": gettext_lazy("改正已确认"),
    "closure_unexecuted": gettext_lazy("处罚决定尚未执行完毕，不能结案（市场监督管理行政处罚程序规定 结案）"),
    "closure_rectification_pending": gettext_lazy("责令改正尚未完成，不能结案"),
    "already_published": gettext_lazy("处罚决定已公示"),
    "publication_warning_only": gettext_lazy("仅受到警告的行政处罚不予公示（市场监督管理行政处罚信息公示规定 第二条）"),
    "already_transferred": gettext_lazy("案件已移送公安机关"),
}

ACTION_LABELS = {
    "open": pgettext_lazy("case action", "登记线索"),
    "propose": pgettext_lazy("case action", "提请立案"),
    "approve_filing": pgettext_lazy("case action", "批准立案"),
    "refuse_filing": pgettext_lazy("case action", "不予立案"),
    "add_evidence": pgettext_lazy("case action", "添加证据"),
    "extend": pgettext_lazy("case action", "延长办案期限"),
    "notify": pgettext_lazy("case action", "告知拟处罚"),
    "waive": pgettext_lazy("case action", "当事人放弃陈述申辩"),
    "request_hearing": pgettext_lazy("case action", "当事人申请听证"),
    "hold_hearing": pgettext_lazy("case action", "举行听证"),
    "decide": pgettext_lazy("case action", "作出处罚决定"),
    "drop": pgettext_lazy("case action", "撤销案件"),
    "execute": pgettext_lazy("case action", "执行完毕"),
    "rectify": pgettext_lazy("case action", "确认改正"),
    "close": pgettext_lazy("case action", "结案"),
    "publish": pgettext_lazy("case action", "公示处罚决定"),
    "transfer": pgettext_lazy("case action", "移送公安机关"),
}

STEP_LABELS = {
    "filing": gettext_lazy("立案决定"),
    "decision": gettext_lazy("作出处理决定"),
    "statement": gettext_lazy("陈述申辩与申请听证"),
    "payment": gettext_lazy("缴纳罚款"),
    "rectification": gettext_lazy("责令改正"),
    "publication": gettext_lazy("公示处罚决定"),
}


def terms() -> core.Terms:
    return core.Terms(
        filing_working_days=settings.JILIANG_CASE_FILING_WORKING_DAYS,
        decision_days=settings.JILIANG_CASE_DECISION_DAYS,
        extension_days=settings.JILIANG_CASE_EXTENSION_DAYS,
        statement_working_days=settings.JILIANG_CASE_STATEMENT_WORKING_DAYS,
        payment_days=settings.JILIANG_CASE_PAYMENT_DAYS,
        publication_working_days=settings.JILIANG_CASE_PUBLICATION_WORKING_DAYS,
    )


def calendar() -> workdays.Calendar:
    extra = getattr(settings, "JILIANG_HOLIDAYS_FILE", "")
    return workdays.load_calendar(*([extra] if extra else []))


def _user(who):
    if isinstance(who, Actor) or who is None:
        return None
    user = getattr(who, "user", who)
    return user if getattr(user, "is_authenticated", False) else None


def _audit_actor(who):
    """Who the ledger names: the user, else the actor's user id, else the system."""
    user = _user(who)
    if user is not None:
        return user
    user_id = as_actor(who).user_id if who is not None else None
    return f"user:{user_id}" if user_id else "system"


def _refuse(field: str, message) -> Refused:
    return Refused([(field, str(message))])


def _forbidden(action: str) -> Refused:
    return Refused(
        [("actor", gettext("只有案件所在地区的计量行政部门可以%(action)s") % {"action": ACTION_LABELS.get(action, action)})],
        forbidden=True,
    )


def _step(case: Case, action: str, who, on: dt.date, note: str = "") -> Step:
    return Step.objects.create(
        case=case, action=action, status_after=case.status, taken_on=on, taken_by_id=as_actor(who).user_id, note=note
    )


def _number(on: dt.date) -> str:
    prefix = f"JLAJ-{on.year}-"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:05d}"


# -- opening -------------------------------------------------------------------------------


def canonical(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def alert_snapshot(alert) -> dict:
    """The alert as it stood when the case was opened: its rule, facts and messages, frozen
    onto the case (the alert may change or go; the case's evidence does not)."""
    return {
        "alert": alert.pk,
        "rule": alert.rule,
        "severity": alert.severity,
        "occurrences": alert.occurrences,
        "instrument": alert.instrument.code if alert.instrument_id else None,
        "owner": alert.owner_id,
        "raised_at": alert.created_at.isoformat() if alert.created_at else None,
        "first_message_at": alert.message_ts.isoformat() if alert.message_ts else None,
        "findings": alert.findings,
        "evidence": json.loads(canonical(alert.evidence or {})),
    }


def snapshot_intact(evidence: Evidence) -> bool:
    return evidence.snapshot is not None and hashlib.sha256(canonical(evidence.snapshot)).hexdigest() == evidence.sha256


@transaction.atomic
def open_case(
    who,
    *,
    region,
    violation: str,
    summary: str,
    party=None,
    discovered_on: dt.date | None = None,
    alert=None,
    complaint=None,
    finding=None,
) -> Case:
    """Register a clue (线索) from an alert, a complaint, an inspection finding or the
    administrator's own knowledge. From an alert its evidence is frozen onto the case."""
    actor = as_actor(who)
    if not CASES.works(actor) or not actor.supervises_region(region.pk):
        raise _forbidden("open")
    if violation not in Case.Violation.values:
        raise _refuse("violation", gettext("未知的违法行为类型 %(got)s") % {"got": violation})
    if not (summary or "").strip():
        raise _refuse("summary", gettext("请填写案情摘要"))
    if alert is not None and Case.objects.filter(alert=alert).exclude(status__in=core.ENDED).exists():
        raise _refuse("alert", gettext("该预警已有办理中的案件"))
    if finding is not None:
        if Case.objects.filter(finding=finding).exclude(status__in=core.ENDED).exists():
            raise _refuse("finding", gettext("该检查发现已有办理中的案件"))
        party = party or finding.organisation
    source = (
        Case.Source.ALERT
        if alert is not None
        else Case.Source.COMPLAINT
        if complaint is not None
        else Case.Source.FINDING
        if finding is not None
        else Case.Source.CLUE
    )
    today = timezone.localdate()
    discovered = discovered_on or (alert.created_at.date() if alert is not None else None) or today
    if discovered > today:
        raise _refuse("discovered_on", gettext("发现线索日期不能晚于今天"))
    with audit_context(actor=_audit_actor(who), reason=str(ACTION_LABELS["open"])):
        case = Case.objects.create(
            number=_number(today),
            region=region,
            party=party,
            source=source,
            alert=alert,
            complaint=complaint,
            finding=finding,
            violation=violation,
            summary=summary.strip(),
            discovered_on=discovered,
        )
        if alert is not None:
            snapshot = alert_snapshot(alert)
            Evidence.objects.create(
                case=case,
                kind=Evidence.Kind.ALERT,
                title=gettext("在线监测预警 %(rule)s 的证据") % {"rule": alert.rule},
                snapshot=snapshot,
                sha256=hashlib.sha256(canonical(snapshot)).hexdigest(),
                added_on=today,
                added_by_id=actor.user_id,
            )
        _step(case, "open", who, today, case.get_source_display())
    return case


def open_from_alert(who, alert, *, violation: str, summary: str = "") -> Case:
    return open_case(
        who,
        region=alert.region,
        party=alert.owner,
        violation=violation,
        summary=summary or alert.findings or alert.rule_label,
        alert=alert,
    )


def open_from_complaint(who, complaint, *, violation: str, summary: str = "", party=None) -> Case:
    party = party or complaint.instrument.owner
    return open_case(
        who,
        region=complaint.region,
        party=party,
        violation=violation,
        summary=summary or complaint.description,
        complaint=complaint,
        discovered_on=timezone.localtime(complaint.filed_at).date(),
    )


def open_from_finding(who, finding, *, violation: str, summary: str = "") -> Case:
    """A clue from a finding of a random or campaign inspection (jiliang.inspections): the
    inspected organisation is the party, its region the case's."""
    return open_case(
        who,
        region=finding.organisation.region,
        party=finding.organisation,
        violation=violation,
        summary=summary or finding.description,
        finding=finding,
        discovered_on=finding.occurred_on,
    )


# -- evidence ------------------------------------------------------------------------------


@transaction.atomic
def add_evidence(
    who, case: Case, *, title: str, note: str = "", filename: str = "", content: bytes | None = None, on: dt.date | None = None
) -> Evidence:
    """A note, or a file kept with its SHA-256 (the hash is on the ledger with the row)."""
    case = _locked(case)
    _allowed(who, case, "add_evidence")
    if not (title or "").strip():
        raise _refuse("title", gettext("请填写证据名称"))
    if content is not None and len(content) > MAX_EVIDENCE_BYTES:
        raise _refuse("file", gettext("文件过大（最多 %(limit)s MB）") % {"limit": MAX_EVIDENCE_BYTES // 1024 // 1024})
    if content is None and not (note or "").strip():
        raise _refuse("note", gettext("请填写笔录内容或上传文件"))
    today = on or timezone.localdate()
    body = content if content is not None else note.strip().encode()
    with audit_context(actor=_audit_actor(who), reason=f"{ACTION_LABELS['add_evidence']} {case.number}"):
        evidence = Evidence.objects.create(
            case=case,
            kind=Evidence.Kind.FILE if content is not None else Evidence.Kind.NOTE,
            title=title.strip()[:200],
            note=(note or "").strip(),
            filename=(filename or "")[:200],
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            added_on=today,
            added_by_id=as_actor(who).user_id,
        )
        if content is not None:
            EvidenceFile.objects.create(evidence=evidence, content=content)
        _step(case, "add_evidence", who, today, evidence.title)
    return evidence


# -- the steps -----------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).get(pk=case.pk)


def _allowed(who, case: Case, action: str) -> None:
    """The state first (it names the reason), then who acts."""
    actor = as_actor(who)
    if not CASES.in_state_for(action, case):
        raise _refuse(
            "status",
            gettext("案件 %(case)s 的状态为“%(status)s”，不能%(action)s")
            % {"case": case.number, "status": case.get_status_display(), "action": ACTION_LABELS[action]},
        )
    if not CASES.may_transition(actor, action, case):
        raise _forbidden(action)


def _amount(raw, field: str) -> Decimal:
    try:
        value = Decimal(str(raw if raw not in (None, "") else 0))
    except InvalidOperation:
        raise _refuse(field, gettext("须为金额（元）")) from None
    if not value.is_finite() or value < 0:
        raise _refuse(field, gettext("须为不小于 0 的金额（元）"))
    return value.quantize(Decimal("0.01"))


def _date(raw, field: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise _refuse(field, gettext("日期格式应为 YYYY-MM-DD")) from None


@transaction.atomic
def act(who, case: Case, action: str, *, on: dt.date | None = None, note: str = "", **data) -> Case:
    """Take one step of the case. ``data`` carries the step's own fields: for ``notify`` the
    proposed penalty and whether a hearing is offered; for ``decide`` the decision number,
    penalty, fine, confiscation, warning only, rectification date; for ``transfer`` the
    police body. ``on`` backdates a step for the demo and the tests (never after today)."""
    if action not in core.TRANSITIONS or action == "add_evidence":
        raise _refuse("action", gettext("未知的办案环节 %(action)s") % {"action": action})
    case = _locked(case)
    _allowed(who, case, action)
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise _refuse("on", gettext("日期不能晚于今天"))
    actor_id = as_actor(who).user_id
    broken = core.refusals(action, case.facts(), actor_id=actor_id, today=on, calendar=calendar(), terms=terms())
    if broken:
        raise Refused([(field, str(RULES[rule])) for field, rule in broken])
    _apply(case, action, on, actor_id, data)
    case.status = core.next_state(action, case.facts())
    with audit_context(actor=_audit_actor(who), reason=f"{ACTION_LABELS[action]} {case.number}"):
        case.save()
        _step(case, action, who, on, (note or "").strip())
    return case


def _apply(case: Case, action: str, on: dt.date, actor_id: int | None, data: dict) -> None:
    """Write the step's own fields (each checked here, before anything is saved)."""
    if action == "propose":
        case.proposed_on, case.proposed_by_id = on, actor_id
        if data.get("party") is not None:
            case.party = data["party"]
        if case.party_id is None:
            raise _refuse("party", gettext("立案须明确当事人（市场监督管理行政处罚程序规定 第十九条）"))
    elif action == "approve_filing":
        case.filed_on, case.filing_approved_by_id = on, actor_id
    elif action == "extend":
        case.extension_days = terms().extension_days
    elif action == "notify":
        penalty = str(data.get("proposed_penalty") or "").strip()
        if not penalty:
            raise _refuse("proposed_penalty", gettext("告知须写明拟作出的行政处罚内容（行政处罚法 第四十四条）"))
        case.notified_on, case.proposed_penalty = on, penalty
        case.hearing_offered = bool(data.get("hearing_offered"))
    elif action == "waive":
        case.waived_on = on
    elif action == "request_hearing":
        case.hearing_requested_on = on
    elif action == "hold_hearing":
        case.hearing_held_on = on
    elif action == "decide":
        penalty = str(data.get("penalty") or "").strip()
        number = str(data.get("decision_number") or "").strip()
        if not penalty:
            raise _refuse("penalty", gettext("请写明处罚内容"))
        if not number:
            raise _refuse("decision_number", gettext("请填写处罚决定书文号"))
        case.decided_on, case.penalty, case.decision_number = on, penalty, number[:60]
        case.fine = _amount(data.get("fine"), "fine")
        case.confiscated = _amount(data.get("confiscated"), "confiscated")
        case.warning_only = bool(data.get("warning_only"))
        if case.warning_only and (case.fine or case.confiscated):
            raise _refuse("warning_only", gettext("仅警告的处罚不含罚款或没收"))
        case.rectify_by = _date(data.get("rectify_by"), "rectify_by")
        if case.rectify_by is not None and case.rectify_by < on:
            raise _refuse("rectify_by", gettext("改正期限不能早于决定日期"))
    elif action == "execute":
        case.executed_on = on
    elif action == "rectify":
        case.rectified_on = on
    elif action == "close":
        case.closed_on = on
    elif action == "publish":
        case.published_on = on
    elif action == "transfer":
        police = str(data.get("transferred_to") or "").strip()
        if not police:
            raise _refuse("transferred_to", gettext("请填写接收移送的公安机关（国务院令第310号 第五条）"))
        case.transferred_on, case.transferred_to = on, police[:200]


def allowed_actions(who, case: Case) -> list[str]:
    """The steps open to the actor now by state and role (the rules may still refuse one)."""
    actor = as_actor(who)
    return [a for a in CASES.allowed_actions(actor, case) if a != "add_evidence"]


# -- deadlines and reminders -----------------------------------------------------------------


def deadlines_of(case: Case, cal: workdays.Calendar | None = None) -> list[core.Deadline]:
    return core.deadlines(case.facts(), cal or calendar(), terms())


def open_cases_by_deadline(actor, limit: int | None = 20) -> list[tuple[Case, core.Deadline | None]]:
    """The actor's open cases, the nearest deadline first (the dashboard's panel)."""
    cal = calendar()
    rows = []
    # A closed case still owing its publication has an open step too.
    owing = Q(status=core.CLOSED, published_on__isnull=True, decided_on__isnull=False, warning_only=False)
    queryset = Case.objects.filter(~Q(status__in=core.ENDED) | owing).select_related("party", "region")
    for case in CASES.visible(as_actor(actor), queryset).order_by("id")[:2000]:
        found = deadlines_of(case, cal)
        rows.append((case, found[0] if found else None))
    rows.sort(key=lambda row: (row[1] is None, row[1].due if row[1] else dt.date.max, row[0].pk))
    return rows[:limit] if limit else rows


def send_reminders(today: dt.date | None = None) -> list[Reminder]:
    """A reminder at each configured stage (days before a deadline, 0 the day itself, and one
    when overdue) reached and not sent yet; `jiliang cases remind` (cron) calls it."""
    today = today or timezone.localdate()
    cal = calendar()
    stages = sorted(set(settings.JILIANG_CASE_REMINDER_DAYS))
    sent = []
    cases = Case.objects.exclude(status__in=(core.NOT_FILED, core.DROPPED, core.TRANSFERRED))
    cases = cases.exclude(status=core.CLOSED, published_on__isnull=False)
    with transaction.atomic(), audit_context(actor="cli:cases-remind", reason="办案期限提醒"):
        for case in cases:
            for deadline in deadlines_of(case, cal):
                left = (deadline.due - today).days
                reached = [s for s in stages if left <= s]
                if not reached:
                    continue
                stage = -1 if left < 0 else min(reached)
                row, created = Reminder.objects.get_or_create(
                    case=case, step=deadline.step, stage=stage, due_on=deadline.due, defaults={"sent_on": today}
                )
                if created:
                    sent.append(row)
    return sent


# -- what the public reads -------------------------------------------------------------------

ID_NUMBER = re.compile(r"\b\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx]\b")
PHONE = re.compile(r"\b1[3-9]\d{9}\b")


def mask_personal(text: str) -> str:
    """Personal data out of a published text (公示规定 第六条): identity-card numbers keep
    their first 6 and last 4 characters, mobile numbers their first 3 and last 4."""
    text = ID_NUMBER.sub(lambda m: m.group()[:6] + "*" * 8 + m.group()[-4:], text or "")
    return PHONE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


def public_view(case: Case) -> dict:
    """The published decision's summary (公示规定 第四条: 文号, the party, the violation, the
    penalty, the authority and the date), masked."""
    return {
        "number": case.number,
        "decision_number": case.decision_number,
        "party": case.party.name if case.party_id else "",
        "credit_code": case.party.credit_code if case.party_id else "",
        "region": case.region.name,
        "violation": case.get_violation_display(),
        "penalty": mask_personal(case.penalty),
        "fine": case.fine,
        "confiscated": case.confiscated,
        "decided_on": case.decided_on,
        "published_on": case.published_on,
    }


def published_penalties():
    return CASES.published(Case.objects.select_related("party", "region")).order_by("-published_on", "-id")
