"""Enforcement cases (行政处罚案件): the steps, what each step may not skip, and the deadline
of every open step. Pure: facts in, refusals and dates out (the shell names the refusals in
the reader's language and cites the clause beside each).

The steps follow 行政处罚法 (2021 修订) and 市场监督管理行政处罚程序规定 (市场监管总局令第2号,
as amended 2021 and 2022):

- a clue (线索) is checked and 立案 decided within 15 working days of its discovery
  (程序规定 第十八条), by the 负责人 (第十九条): the platform has one administrator propose
  and another approve;
- the investigation gathers evidence (行政处罚法 第五十四条, 第五十五条);
- before a decision the party is told the facts, reasons, basis and proposed penalty and
  its rights to state, defend and (for the heavier penalties) ask for a hearing
  (行政处罚法 第四十四条, 第六十三条); without that notice no decision may be made
  (第六十二条); a hearing is asked for within 5 days of the notice (第六十四条(一));
- the decision within 90 days of 立案 (行政处罚法 第六十条; 程序规定 第六十四条), extended
  by 30 with the 负责人's approval;
- the fine is paid within 15 days of the decision (行政处罚法 第六十七条);
- the case is closed (结案) once the decision is executed;
- the decision is published within 20 working days (市场监督管理行政处罚信息公示规定;
  行政处罚法 第四十八条); a warning alone is not published (公示规定 第二条);
- a violation suspected of being a crime goes to the police (行政处罚法 第二十七条;
  国务院令第310号 第三条): before a decision the administrative case stops there (a penalty
  may not take the place of the transfer, 310号 第十一条); a decision already made keeps
  being executed beside the criminal case (310号 第十一条 第二款).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .workdays import Calendar

CLUE = "clue"
PROPOSED = "proposed"
FILED = "filed"
NOTIFIED = "notified"
DECIDED = "decided"
EXECUTED = "executed"
CLOSED = "closed"
NOT_FILED = "not_filed"
DROPPED = "dropped"
TRANSFERRED = "transferred"

STATES = (CLUE, PROPOSED, FILED, NOTIFIED, DECIDED, EXECUTED, CLOSED, NOT_FILED, DROPPED, TRANSFERRED)
ENDED = (CLOSED, NOT_FILED, DROPPED, TRANSFERRED)
INVESTIGATING = (FILED, NOTIFIED)

# action → (the states it starts from, the state it leads to; None: the case stays, or the
# service chooses). A state listed here that a rule below then refuses gives the rule's
# reason (a decision from FILED is refused as "no notice", not as a wrong state).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "propose": ((CLUE,), PROPOSED),
    "approve_filing": ((PROPOSED,), FILED),
    "refuse_filing": ((CLUE, PROPOSED), NOT_FILED),
    "add_evidence": ((CLUE, PROPOSED, FILED, NOTIFIED), None),
    "extend": ((FILED, NOTIFIED), None),
    "notify": ((FILED,), NOTIFIED),
    "waive": ((NOTIFIED,), None),
    "request_hearing": ((NOTIFIED,), None),
    "hold_hearing": ((NOTIFIED,), None),
    "decide": ((FILED, NOTIFIED), DECIDED),
    "drop": ((FILED, NOTIFIED), DROPPED),
    "execute": ((DECIDED,), EXECUTED),
    "rectify": ((DECIDED, EXECUTED), None),
    "close": ((DECIDED, EXECUTED), CLOSED),
    "publish": ((DECIDED, EXECUTED, CLOSED), None),
    "transfer": ((FILED, NOTIFIED, DECIDED, EXECUTED), None),
}


@dataclass(frozen=True)
class Terms:
    """The periods the rules set (settings JILIANG_CASE_*)."""

    filing_working_days: int = 15  # 程序规定 第十八条
    decision_days: int = 90  # 行政处罚法 第六十条; 程序规定 第六十四条
    extension_days: int = 30  # 程序规定 第六十四条
    statement_working_days: int = 5  # 行政处罚法 第六十四条(一) 五日; 程序规定 五个工作日 (the longer)
    payment_days: int = 15  # 行政处罚法 第六十七条
    publication_working_days: int = 20  # 市场监督管理行政处罚信息公示规定


@dataclass(frozen=True)
class Facts:
    """What the rules read of a case."""

    status: str
    discovered_on: dt.date
    proposed_by: int | None = None
    filed_on: dt.date | None = None
    extension_days: int = 0
    notified_on: dt.date | None = None
    hearing_offered: bool = False
    waived_on: dt.date | None = None
    hearing_requested_on: dt.date | None = None
    hearing_held_on: dt.date | None = None
    decided_on: dt.date | None = None
    fine: float = 0.0
    warning_only: bool = False
    executed_on: dt.date | None = None
    rectify_by: dt.date | None = None
    rectified_on: dt.date | None = None
    published_on: dt.date | None = None
    transferred_on: dt.date | None = None


@dataclass(frozen=True)
class Deadline:
    step: str  # filing, decision, statement, payment, rectification, publication
    due: dt.date
    clause: str


def statement_window_end(notified_on: dt.date, calendar: Calendar, terms: Terms) -> dt.date:
    """The last day the party may state, defend or ask for a hearing."""
    return calendar.add_working_days(notified_on, terms.statement_working_days)


def decision_due(facts: Facts, terms: Terms) -> dt.date | None:
    if facts.filed_on is None:
        return None
    return facts.filed_on + dt.timedelta(days=terms.decision_days + facts.extension_days)


def publishable(facts: Facts) -> bool:
    """A decision of the ordinary procedure is published, a warning alone not (公示规定 第二条)."""
    return facts.decided_on is not None and not facts.warning_only


def refusals(action: str, facts: Facts, *, actor_id: int | None, today: dt.date, calendar: Calendar, terms: Terms) -> list:
    """The rules ``action`` breaks now, as (field, rule) pairs; empty when it may go ahead.
    The state itself (``TRANSITIONS``) is the policy's question, asked before this."""
    out: list[tuple[str, str]] = []
    if action == "approve_filing" and actor_id is not None and actor_id == facts.proposed_by:
        out.append(("approver", "filing_approver_is_proposer"))
    elif action == "extend" and facts.extension_days:
        out.append(("extension_days", "already_extended"))
    elif action in ("waive", "request_hearing"):
        if facts.waived_on is not None or facts.hearing_requested_on is not None:
            out.append(("notified_on", "statement_already_answered"))
        elif action == "request_hearing":
            if not facts.hearing_offered:
                out.append(("hearing", "hearing_not_offered"))
            elif facts.notified_on is not None and today > statement_window_end(facts.notified_on, calendar, terms):
                out.append(("hearing", "hearing_request_late"))
    elif action == "hold_hearing":
        if facts.hearing_requested_on is None:
            out.append(("hearing", "hearing_not_requested"))
        elif facts.hearing_held_on is not None:
            out.append(("hearing", "hearing_already_held"))
    elif action == "decide":
        if facts.notified_on is None:
            out.append(("notified_on", "decision_without_notice"))
        elif facts.hearing_requested_on is not None and facts.hearing_held_on is None:
            out.append(("hearing", "decision_hearing_pending"))
        elif facts.waived_on is None and facts.hearing_held_on is None:
            if today <= statement_window_end(facts.notified_on, calendar, terms):
                out.append(("notified_on", "decision_within_statement_window"))
    elif action == "execute" and facts.executed_on is not None:
        out.append(("executed_on", "already_executed"))
    elif action == "rectify":
        if facts.rectify_by is None:
            out.append(("rectify_by", "no_rectification_ordered"))
        elif facts.rectified_on is not None:
            out.append(("rectified_on", "already_rectified"))
    elif action == "close":
        if facts.executed_on is None:
            out.append(("executed_on", "closure_unexecuted"))
        if facts.rectify_by is not None and facts.rectified_on is None:
            out.append(("rectified_on", "closure_rectification_pending"))
    elif action == "publish":
        if facts.published_on is not None:
            out.append(("published_on", "already_published"))
        elif facts.warning_only:
            out.append(("penalty", "publication_warning_only"))
    elif action == "transfer" and facts.transferred_on is not None:
        out.append(("transferred_on", "already_transferred"))
    return out


def next_state(action: str, facts: Facts) -> str:
    """The state after ``action`` (the transfer ends a case not yet decided, 310号 第十一条)."""
    target = TRANSITIONS[action][1]
    if action == "transfer":
        return TRANSFERRED if facts.status in INVESTIGATING else facts.status
    return target if target is not None else facts.status


def deadlines(facts: Facts, calendar: Calendar, terms: Terms) -> list[Deadline]:
    """The open steps' deadlines, earliest first."""
    out: list[Deadline] = []
    status = facts.status
    if status in (CLUE, PROPOSED):
        out.append(
            Deadline("filing", calendar.add_working_days(facts.discovered_on, terms.filing_working_days), "程序规定 第十八条")
        )
    # Each step's date is set when its state is entered; the guards only say so to the types.
    due = decision_due(facts, terms)
    if status in INVESTIGATING and due is not None:
        out.append(Deadline("decision", due, "行政处罚法 第六十条；程序规定 第六十四条"))
    notified, decided = facts.notified_on, facts.decided_on
    if status == NOTIFIED and notified is not None and facts.waived_on is None and facts.hearing_requested_on is None:
        out.append(Deadline("statement", statement_window_end(notified, calendar, terms), "行政处罚法 第六十四条"))
    if status == DECIDED and decided is not None and facts.executed_on is None and facts.fine > 0:
        out.append(Deadline("payment", decided + dt.timedelta(days=terms.payment_days), "行政处罚法 第六十七条"))
    if status in (DECIDED, EXECUTED) and facts.rectify_by is not None and facts.rectified_on is None:
        out.append(Deadline("rectification", facts.rectify_by, "计量法 第五章（责令改正）"))
    if status in (DECIDED, EXECUTED, CLOSED) and decided is not None and publishable(facts) and facts.published_on is None:
        out.append(
            Deadline(
                "publication",
                calendar.add_working_days(decided, terms.publication_working_days),
                "市场监督管理行政处罚信息公示规定",
            )
        )
    return sorted(out, key=lambda d: d.due)
