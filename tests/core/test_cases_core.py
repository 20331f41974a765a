"""The enforcement case's steps and their refusals, pure (jiliang.core.cases): 立案 approved by
another than the proposer, no decision without a notice or inside the statement window, no
closure with an open step, the transfer to the police, and each step's deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.core import cases as core
from jiliang.core.workdays import load_calendar

CAL = load_calendar()
TERMS = core.Terms()
D = dt.date
LATER = D(2025, 6, 1)


def facts(**kw) -> core.Facts:
    kw.setdefault("status", core.FILED)
    kw.setdefault("discovered_on", D(2025, 3, 3))
    kw.setdefault("filed_on", D(2025, 3, 10))
    return core.Facts(**kw)


def rules(action, f, today=LATER, actor_id=2):
    return [rule for _, rule in core.refusals(action, f, actor_id=actor_id, today=today, calendar=CAL, terms=TERMS)]


def test_filing_needs_an_approver_other_than_the_proposer():
    f = facts(status=core.PROPOSED, filed_on=None, proposed_by=7)
    assert rules("approve_filing", f, actor_id=7) == ["filing_approver_is_proposer"]
    assert rules("approve_filing", f, actor_id=8) == []


def test_a_decision_without_a_notice_is_refused():
    assert rules("decide", facts()) == ["decision_without_notice"]


def test_a_decision_waits_for_the_statement_window_unless_waived():
    # Notice on Friday 2025-03-14: five working days end on Friday 2025-03-21.
    f = facts(status=core.NOTIFIED, notified_on=D(2025, 3, 14), hearing_offered=True)
    assert core.statement_window_end(f.notified_on, CAL, TERMS) == D(2025, 3, 21)
    assert rules("decide", f, today=D(2025, 3, 21)) == ["decision_within_statement_window"]
    assert rules("decide", f, today=D(2025, 3, 24)) == []
    waived = facts(status=core.NOTIFIED, notified_on=D(2025, 3, 14), waived_on=D(2025, 3, 15))
    assert rules("decide", waived, today=D(2025, 3, 17)) == []


def test_a_hearing_asked_for_in_time_must_be_held_before_the_decision():
    f = facts(status=core.NOTIFIED, notified_on=D(2025, 3, 14), hearing_offered=True)
    assert rules("request_hearing", f, today=D(2025, 3, 24)) == ["hearing_request_late"]
    assert rules("request_hearing", f, today=D(2025, 3, 20)) == []
    asked = facts(status=core.NOTIFIED, notified_on=D(2025, 3, 14), hearing_offered=True, hearing_requested_on=D(2025, 3, 20))
    assert rules("decide", asked, today=D(2025, 4, 20)) == ["decision_hearing_pending"]
    held = facts(**{**asked.__dict__, "hearing_held_on": D(2025, 4, 2)})
    assert rules("decide", held, today=D(2025, 4, 3)) == []
    not_offered = facts(status=core.NOTIFIED, notified_on=D(2025, 3, 14))
    assert rules("request_hearing", not_offered, today=D(2025, 3, 17)) == ["hearing_not_offered"]


def test_closure_is_refused_with_an_open_step():
    decided = facts(status=core.DECIDED, notified_on=D(2025, 3, 14), decided_on=D(2025, 4, 1), rectify_by=D(2025, 5, 1))
    assert rules("close", decided) == ["closure_unexecuted", "closure_rectification_pending"]
    paid = facts(**{**decided.__dict__, "status": core.EXECUTED, "executed_on": D(2025, 4, 10)})
    assert rules("close", paid) == ["closure_rectification_pending"]
    done = facts(**{**paid.__dict__, "rectified_on": D(2025, 4, 28)})
    assert rules("close", done) == []


def test_a_warning_alone_is_not_published():
    f = facts(status=core.DECIDED, decided_on=D(2025, 4, 1), warning_only=True)
    assert rules("publish", f) == ["publication_warning_only"]
    assert not any(d.step == "publication" for d in core.deadlines(f, CAL, TERMS))


def test_the_transfer_ends_an_undecided_case_and_runs_beside_a_decided_one():
    assert core.next_state("transfer", facts(status=core.NOTIFIED)) == core.TRANSFERRED
    assert core.next_state("transfer", facts(status=core.DECIDED)) == core.DECIDED
    assert rules("transfer", facts(status=core.DECIDED, transferred_on=D(2025, 4, 2))) == ["already_transferred"]


def test_deadlines_of_each_step():
    clue = facts(status=core.CLUE, filed_on=None, discovered_on=D(2026, 9, 30))
    # 15 working days from Wednesday 2026-09-30 across the National Day break (国办 notice of
    # 2025-11-04: 10-01…10-07 off, Saturday 10-10 worked): Tuesday 10-27, not 10-21.
    (filing,) = core.deadlines(clue, CAL, TERMS)
    assert (filing.step, filing.due) == ("filing", D(2026, 10, 27))
    filed = facts(extension_days=30)
    assert [(d.step, d.due) for d in core.deadlines(filed, CAL, TERMS)] == [("decision", D(2025, 7, 8))]
    decided = facts(status=core.DECIDED, decided_on=D(2025, 4, 1), fine=5000.0)
    assert [(d.step, d.due) for d in core.deadlines(decided, CAL, TERMS)] == [
        ("payment", D(2025, 4, 16)),
        ("publication", CAL.add_working_days(D(2025, 4, 1), 20)),
    ]


@pytest.mark.parametrize("action", sorted(core.TRANSITIONS))
def test_every_action_leads_to_a_known_state(action):
    sources, target = core.TRANSITIONS[action]
    assert set(sources) <= set(core.STATES) and (target is None or target in core.STATES)
