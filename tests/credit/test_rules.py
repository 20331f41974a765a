"""The grade rules, pure (jiliang.credit.rules): the shipped rule set read back, the score,
the windows, the caps and the repair periods, and the refusals of a bad document."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.credit import rules
from jiliang.credit.services import SHIPPED_RULES

DAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def shipped():
    return rules.parse(json.loads(SHIPPED_RULES.read_text(encoding="utf-8")))


def test_shipped_rules_are_the_four_classes_of_the_2022_guidance(shipped):
    assert shipped.codes == ["A", "B", "C", "D"]
    assert shipped.default_grade == "B"
    assert all(k.basis for k in shipped.kinds.values())  # every rule names its source
    # Every kind of evidence an installed app provides has a rule (its querysets are built,
    # not run: no database needed).
    from jiliang.credit import providers

    provided = {kind for kind, _queryset in providers.sources()}
    assert {"inspection_finding", "inspection_clean", "penalty_decision", "case_filed", "energy_review"} <= provided
    assert provided <= set(shipped.kinds)
    # 国市监信规〔2021〕3号 第六条: a penalty may be repaired six months after publication;
    # 行政处罚信息公示规定 第十三条: it stops being published after three years.
    assert shipped.kinds["penalty_decision"].repair_after_days == 180
    assert shipped.kinds["penalty_decision"].window_days == 1095
    assert rules.parse(rules.to_document(shipped)) == shipped


def test_no_evidence_is_the_default_class(shipped):
    assert rules.grade_of(shipped, [], DAY) == rules.Result("B", 100, {})


def test_score_thresholds(shipped):
    assert rules.grade_of(shipped, [("inspection_clean", DAY), ("commitment_kept", DAY)], DAY).grade == "A"  # 108
    assert rules.grade_of(shipped, [("prepack_pass", DAY)], DAY).grade == "B"  # 102
    result = rules.grade_of(shipped, [("prepack_fail", DAY), ("complaint_substantiated", DAY)], DAY)
    assert (result.grade, result.score) == ("C", 80)
    two_penalties = [("penalty_decision", DAY), ("penalty_decision", DAY - dt.timedelta(days=10))]
    assert rules.grade_of(shipped, two_penalties, DAY).grade == "D"  # 40


def test_a_cap_keeps_good_scores_out_of_a(shipped):
    good = [("commitment_kept", DAY)] * 20 + [("penalty_decision", DAY)]
    result = rules.grade_of(shipped, good, DAY)
    assert result.score == 170 and result.grade == "C" and result.capped_by == ("penalty_decision",)


def test_windows(shipped):
    window = shipped.kinds["complaint_substantiated"].window_days
    inside = DAY - dt.timedelta(days=window - 1)
    outside = DAY - dt.timedelta(days=window)
    assert rules.grade_of(shipped, [("complaint_substantiated", inside)], DAY).score == 95
    assert rules.grade_of(shipped, [("complaint_substantiated", outside)], DAY).grade == "B"
    # Not yet happened on the day graded: an instrument whose verification lapses tomorrow.
    assert rules.grade_of(shipped, [("instrument_overdue", DAY + dt.timedelta(days=1))], DAY).counts == {}
    assert rules.grade_of(shipped, [("unknown_kind", DAY)], DAY).counts == {}


def test_repair_periods(shipped):
    assert rules.repair_open_from(shipped, "penalty_decision", DAY) == DAY + dt.timedelta(days=180)
    assert rules.repair_open_from(shipped, "instrument_overdue", DAY) is None  # ends when verified


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda d: d.pop("grades"), "grades", "credit_rule_grades"),
        (lambda d: d["grades"][1].update(min_score=200), "grades[1].min_score", "credit_rule_order"),
        (lambda d: d.update(default_grade="E"), "default_grade", "one_of"),
        (lambda d: d["kinds"]["case_filed"].update(weight="x"), "kinds.case_filed.weight", "number_required"),
        (lambda d: d["kinds"]["case_filed"].update(window_days=0), "kinds.case_filed.window_days", "at_least"),
        (lambda d: d["kinds"]["case_filed"].update(cap="Z"), "kinds.case_filed.cap", "one_of"),
        (lambda d: d.update(effective_from="2026-13-01"), "effective_from", "credit_rule_date"),
    ],
)
def test_bad_documents_name_the_field(shipped, change, field, code):
    document = rules.to_document(shipped)
    change(document)
    with pytest.raises(rules.RuleError) as refused:
        rules.parse(document)
    assert (refused.value.field, refused.value.code) == (field, code)
