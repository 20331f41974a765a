"""The credit grade rules, pure: a published, versioned rule set and the grade it gives.

A rule set (信用风险分类规则) weighs each kind of evidence, says how long a piece counts
(its window) and after how long the organisation may ask for repair (信用修复), and maps
the score to the authority's classes. The shipped default follows 国市监信发〔2022〕6号
(企业信用风险分类管理: A 信用风险低, B 一般, C 较高, D 高); its weights and periods,
with the clause behind each, are in ``data/default_rules.json``.

    score = base_score + Σ weight of every counted piece
    class = the first class (best first) whose ``min_score`` the score reaches,
            then no better than the ``cap`` of any counted piece (a penalty decision,
            a broken commitment keep an organisation out of A whatever else it has).

A piece counts on day ``on`` when ``on - window_days < occurred_on <= on`` and it was
neither upheld on objection (异议) nor repaired. The database does the same sums set-based
(``services.grade_all``); this module is the reference, tested without a database, and the
per-organisation baseline of the benchmark.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from jiliang.core.errors import InputError


class RuleError(InputError):
    """A rule-set document that cannot be used: the field (dotted path) and the reason."""


@dataclass(frozen=True)
class Grade:
    code: str
    label_zh: str
    label_en: str
    min_score: float | None  # None: the last class, anything below the others


@dataclass(frozen=True)
class KindRule:
    kind: str
    label_zh: str
    label_en: str
    weight: float
    window_days: int
    repair_after_days: int | None = None  # None: not repairable (it lapses with its window)
    cap: str | None = None  # the best class while it counts
    basis: str = ""


@dataclass(frozen=True)
class RuleSet:
    version: int
    effective_from: dt.date
    base_score: float
    default_grade: str
    grades: tuple[Grade, ...]
    kinds: dict[str, KindRule] = field(default_factory=dict)
    basis: str = ""
    name_zh: str = ""
    name_en: str = ""

    def rank(self, code: str) -> int:
        for i, grade in enumerate(self.grades):
            if grade.code == code:
                return i
        raise KeyError(code)

    def grade(self, code: str) -> Grade:
        return self.grades[self.rank(code)]

    @property
    def codes(self) -> list[str]:
        return [g.code for g in self.grades]


@dataclass(frozen=True)
class Result:
    grade: str
    score: float
    counts: dict[str, int]
    capped_by: tuple[str, ...] = ()


def counts_on(rule: KindRule, occurred_on: dt.date, on: dt.date) -> bool:
    return on - dt.timedelta(days=rule.window_days) < occurred_on <= on


def score_rank(rules: RuleSet, score: float) -> int:
    for i, grade in enumerate(rules.grades):
        if grade.min_score is None or score >= grade.min_score:
            return i
    return len(rules.grades) - 1


def grade_of(rules: RuleSet, evidence, on: dt.date) -> Result:
    """The class of one organisation on ``on`` from its evidence: (kind, occurred_on) pairs
    already cleared of excluded pieces. Kinds the rule set does not name weigh nothing."""
    counts: Counter = Counter()
    score = rules.base_score
    for kind, occurred_on in evidence:
        rule = rules.kinds.get(kind)
        if rule is None or not counts_on(rule, occurred_on, on):
            continue
        counts[kind] += 1
        score += rule.weight
    if not counts:
        return Result(rules.default_grade, rules.base_score, {})
    rank = score_rank(rules, score)
    capped = []
    for kind in counts:
        cap = rules.kinds[kind].cap
        if cap is not None and rules.rank(cap) >= rank:
            capped.append(kind)
            rank = rules.rank(cap)
    return Result(rules.grades[rank].code, score, dict(sorted(counts.items())), tuple(sorted(capped)))


def repair_open_from(rules: RuleSet, kind: str, occurred_on: dt.date) -> dt.date | None:
    """The first day repair may be asked for a piece (None: the rule allows none)."""
    rule = rules.kinds.get(kind)
    if rule is None or rule.repair_after_days is None:
        return None
    return occurred_on + dt.timedelta(days=rule.repair_after_days)


def date_of(text: str, field: str = "effective_from") -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise RuleError(field, "a date YYYY-MM-DD", code="credit_rule_date", got=text) from None


# -- the document ----------------------------------------------------------------------------


def _number(doc: dict, key: str, where: str, *, integer=False, minimum=None, optional=False):
    value = doc.get(key)
    if value is None:
        if optional:
            return None
        raise RuleError(f"{where}{key}", "is required", code="required")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        code = "whole_number" if integer else "number_required"
        raise RuleError(f"{where}{key}", "must be a number", code=code, got=value)
    if minimum is not None and value < minimum:
        raise RuleError(f"{where}{key}", f"at least {minimum}", code="at_least", minimum=minimum, got=value)
    return value


def _text(doc: dict, key: str, where: str, *, optional=False) -> str:
    value = doc.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return ""
        raise RuleError(f"{where}{key}", "is required", code="required")
    if not isinstance(value, str):
        raise RuleError(f"{where}{key}", "must be text", code="credit_rule_text", got=value)
    return value.strip()


def parse(doc, *, version: int | None = None, effective_from: dt.date | None = None) -> RuleSet:
    """A rule set from its JSON document, checked whole: a refusal names the field."""
    if not isinstance(doc, dict):
        raise RuleError("", "a rule set is a JSON object", code="model_not_object")
    if version is None:
        version = _number(doc, "version", "", integer=True, minimum=1)
    if effective_from is None:
        raw = _text(doc, "effective_from", "")
        try:
            effective_from = dt.date.fromisoformat(raw)
        except ValueError:
            raise RuleError("effective_from", "a date YYYY-MM-DD", code="credit_rule_date", got=raw) from None
    raw_grades = doc.get("grades")
    if not isinstance(raw_grades, list) or len(raw_grades) < 2:
        raise RuleError("grades", "at least two classes, best first", code="credit_rule_grades")
    grades = []
    last = None
    for i, g in enumerate(raw_grades):
        where = f"grades[{i}]."
        if not isinstance(g, dict):
            raise RuleError(f"grades[{i}]", "a class is an object", code="must_be_object")
        final = i == len(raw_grades) - 1
        threshold = None if final else _number(g, "min_score", where)
        if threshold is not None and last is not None and threshold >= last:
            raise RuleError(
                f"{where}min_score", "thresholds fall from the best class to the worst", code="credit_rule_order", got=threshold
            )
        last = threshold if threshold is not None else last
        grades.append(Grade(_text(g, "code", where), _text(g, "label_zh", where), _text(g, "label_en", where), threshold))
    codes = [g.code for g in grades]
    if len(set(codes)) != len(codes):
        raise RuleError("grades", "class codes are unique", code="credit_rule_duplicate", got=", ".join(codes))
    default_grade = _text(doc, "default_grade", "")
    if default_grade not in codes:
        raise RuleError("default_grade", "one of the classes", code="one_of", options=", ".join(codes), got=default_grade)
    raw_kinds = doc.get("kinds")
    if not isinstance(raw_kinds, dict) or not raw_kinds:
        raise RuleError("kinds", "the evidence kinds and their weights", code="credit_rule_kinds")
    kinds = {}
    for kind, k in raw_kinds.items():
        where = f"kinds.{kind}."
        if not isinstance(k, dict):
            raise RuleError(f"kinds.{kind}", "a rule is an object", code="must_be_object")
        cap = k.get("cap")
        if cap is not None and cap not in codes:
            raise RuleError(f"{where}cap", "one of the classes", code="one_of", options=", ".join(codes), got=cap)
        kinds[kind] = KindRule(
            kind=kind,
            label_zh=_text(k, "label_zh", where),
            label_en=_text(k, "label_en", where),
            weight=_number(k, "weight", where),
            window_days=_number(k, "window_days", where, integer=True, minimum=1),
            repair_after_days=_number(k, "repair_after_days", where, integer=True, minimum=0, optional=True),
            cap=cap,
            basis=_text(k, "basis", where, optional=True),
        )
    return RuleSet(
        version=version,
        effective_from=effective_from,
        base_score=_number(doc, "base_score", ""),
        default_grade=default_grade,
        grades=tuple(grades),
        kinds=kinds,
        basis=_text(doc, "basis", "", optional=True),
        name_zh=_text(doc, "name_zh", "", optional=True),
        name_en=_text(doc, "name_en", "", optional=True),
    )


def to_document(rules: RuleSet) -> dict:
    """The JSON document of a rule set (what ``parse`` reads back)."""
    return {
        "version": rules.version,
        "effective_from": rules.effective_from.isoformat(),
        "name_zh": rules.name_zh,
        "name_en": rules.name_en,
        "basis": rules.basis,
        "base_score": rules.base_score,
        "default_grade": rules.default_grade,
        "grades": [
            {"code": g.code, "label_zh": g.label_zh, "label_en": g.label_en}
            | ({} if g.min_score is None else {"min_score": g.min_score})
            for g in rules.grades
        ],
        "kinds": {
            k.kind: {
                "label_zh": k.label_zh,
                "label_en": k.label_en,
                "weight": k.weight,
                "window_days": k.window_days,
                "repair_after_days": k.repair_after_days,
                "cap": k.cap,
                "basis": k.basis,
            }
            for k in rules.kinds.values()
        },
    }
