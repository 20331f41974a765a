"""The credit use cases: collect the evidence, grade, publish a rule set, object, repair.

Grading is set-based: one aggregate over the evidence (weights, windows, caps and the
excluded pieces written into the SQL from the rule set), then the changed grades written
with INSERT … SELECT; no loop per organisation (``rules.grade_of`` is the reference the tests
hold it to). Refusals are ``CreditRefused`` naming the field and the rule; a missing right
is ``NotAllowed``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from jiliang.audit.services import record as audit_record
from jiliang.core.errors import InputError
from jiliang.policies import as_actor

from . import providers, rules
from .models import CreditGrade, Evidence, Exclusion, Objection, Repair, RuleSetVersion
from .policies import CREDIT

SHIPPED_RULES = Path(__file__).resolve().parent / "data" / "default_rules.json"


class CreditRefused(InputError):
    """A refused credit write: ``field``, the English ``reason``, and a catalogue ``code``."""


class NotAllowed(PermissionError):
    pass


def _user(who):
    user = getattr(who, "user", who)  # a request or a user
    return user if getattr(user, "is_authenticated", False) else None


def _audit(action: str, obj, who, new: dict, reason: str | None = None) -> None:
    user = _user(who)
    audit_record(action, obj, actor=user if user is not None else "system", new=new, reason=reason)


# -- rule sets -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shipped_rules() -> rules.RuleSet:
    return rules.parse(json.loads(SHIPPED_RULES.read_text(encoding="utf-8")))


def _parsed(row: RuleSetVersion) -> rules.RuleSet:
    return rules.parse(row.document, version=row.version, effective_from=row.effective_from)


def rule_set_on(day: dt.date | None = None) -> rules.RuleSet:
    """The rule set in force on ``day`` (today): the latest published one applying by then,
    else the shipped default."""
    day = day or timezone.localdate()
    row = RuleSetVersion.objects.filter(effective_from__lte=day).order_by("-effective_from", "-version").first()
    return _parsed(row) if row is not None else shipped_rules()


def rule_set(version: int) -> rules.RuleSet | None:
    if version == shipped_rules().version:
        return shipped_rules()
    row = RuleSetVersion.objects.filter(version=version).first()
    return _parsed(row) if row is not None else None


def all_rule_sets() -> list[tuple[rules.RuleSet, RuleSetVersion | None]]:
    """Every version, newest first, the shipped default last."""
    return [(_parsed(row), row) for row in RuleSetVersion.objects.order_by("-version")] + [(shipped_rules(), None)]


@transaction.atomic
def set_rules(who, document, effective_from: dt.date, note: str = "") -> RuleSetVersion:
    """Publish a new rule-set version applying from ``effective_from`` (today or later: a
    grade already given keeps the rules it was given under)."""
    actor = as_actor(who)
    if not CREDIT.may_set_rules(actor):
        raise NotAllowed("the rule set is changed by a provincial or national administrator")
    today = timezone.localdate()
    if effective_from < today:
        raise CreditRefused("effective_from", f"cannot apply before today ({today})", code="credit_rule_past", today=today)
    latest = RuleSetVersion.objects.select_for_update().order_by("-version").first()
    version = max(latest.version if latest else 0, shipped_rules().version) + 1
    parsed = rules.parse(document, version=version, effective_from=effective_from)
    row = RuleSetVersion.objects.create(
        version=version,
        effective_from=effective_from,
        document=rules.to_document(parsed),
        note=(note or "").strip()[:500],
        created_by=_user(who),
    )
    _audit("create", row, who, {"version": version, "effective_from": effective_from.isoformat(), "document": row.document}, note)
    return row


# -- evidence ------------------------------------------------------------------------------


@transaction.atomic
def collect() -> dict[str, int]:
    """Rebuild the evidence from every installed provider, set-based: one INSERT … SELECT of
    all sources, written in organisation order (grading then reads each organisation's
    pieces together, without a hash table or a sort). Returns the pieces collected by kind."""
    table = connection.ops.quote_name(Evidence._meta.db_table)
    parts, params = [], []
    for kind, queryset in providers.sources():
        sql, source_params = queryset.query.get_compiler(connection=connection).as_sql()
        parts.append(f"SELECT q.*, %s FROM ({sql}) q")
        params.extend((kind, *source_params))  # the kind's placeholder comes first in the text
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        if parts:
            cursor.execute(
                f"INSERT INTO {table} (organisation_id, occurred_on, reference, kind) "
                f"SELECT * FROM ({' UNION ALL '.join(parts)}) u ORDER BY 1",
                params,
            )
    counts = dict(Evidence.objects.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    counts = {kind: counts.get(kind, 0) for kind, _ in providers.sources()} | counts
    audit_record("other", "credit.evidence", actor="system", new={"collected": counts})
    return counts


# -- grading -------------------------------------------------------------------------------


def counted_evidence(rs: rules.RuleSet, on: dt.date, organisation_ids=None):
    """The pieces that count on ``on`` (a queryset): in their kind's window, not excluded by then."""
    window = Q(pk__in=[])
    for kind, rule in rs.kinds.items():
        window |= Q(kind=kind, occurred_on__gt=on - dt.timedelta(days=rule.window_days), occurred_on__lte=on)
    excluded = Exclusion.objects.filter(
        organisation_id=OuterRef("organisation_id"), kind=OuterRef("kind"), reference=OuterRef("reference"), effective_on__lte=on
    )
    queryset = Evidence.objects.filter(window).filter(~Exists(excluded))
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=list(organisation_ids))
    return queryset


def _scores_sql(rs: rules.RuleSet, on: dt.date, only: str, only_params: list, *, excluding=True) -> tuple[str, list]:
    """One row an organisation with counted evidence: (organisation_id, total, cap, pieces).
    The rule set is a small table joined by kind (weight, first day counted, cap rank), so
    the database hashes the kinds instead of testing each in turn."""
    evidence = connection.ops.quote_name(Evidence._meta.db_table)
    exclusions = connection.ops.quote_name(Exclusion._meta.db_table)
    # Typed on PostgreSQL; SQLite compares dates as ISO text, which a CAST to DATE would spoil.
    row = (
        "SELECT CAST(%s AS VARCHAR(40)) AS kind, CAST(%s AS DOUBLE PRECISION) AS weight, CAST(%s AS DATE) AS since, "
        "CAST(%s AS INTEGER) AS cap"
        if connection.vendor == "postgresql"
        else "SELECT %s AS kind, %s AS weight, %s AS since, %s AS cap"
    )
    table = " UNION ALL ".join(row for _ in rs.kinds)
    table_params = [
        p
        for kind, rule in rs.kinds.items()
        for p in (kind, float(rule.weight), on - dt.timedelta(days=rule.window_days), rs.rank(rule.cap) if rule.cap else 0)
    ]
    # Without any exclusion in force (the usual case) the anti-join is left out.
    not_excluded = (
        f"NOT EXISTS (SELECT 1 FROM {exclusions} x WHERE x.organisation_id = e.organisation_id AND x.kind = e.kind "
        f"AND x.reference = e.reference AND x.effective_on <= %s)"
        if excluding
        else "1 = 1"
    )
    joined = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    sql = (
        f"SELECT e.organisation_id AS organisation_id, SUM(w.weight) AS total, MAX(w.cap) AS cap, "
        f"{joined}(e.kind || ':' || e.reference, ';') AS pieces "
        f"FROM {evidence} e JOIN ({table}) w ON e.kind = w.kind AND e.occurred_on > w.since AND e.occurred_on <= %s "
        f"WHERE {not_excluded}{only.replace('g0.', 'e.')} GROUP BY e.organisation_id"
    )
    return sql, [*table_params, on, *([on] if excluding else []), *only_params]


def _grade_sql(rs: rules.RuleSet, score: str, cap: str) -> tuple[str, list]:
    """SQL of the class code from a score and a cap rank, as ``rules.grade_of`` decides it."""
    params: list = []
    whens = []
    for i, grade in enumerate(rs.grades[:-1]):
        whens.append(f"WHEN {score} >= %s THEN {i}")
        params.append(float(grade.min_score))
    rank = f"(CASE {' '.join(whens)} ELSE {len(rs.grades) - 1} END)"
    codes = " ".join("WHEN %s THEN %s" for _ in rs.grades)
    code_params = [p for i, g in enumerate(rs.grades) for p in (i, g.code)]
    sql = f"(CASE (CASE WHEN {cap} > {rank} THEN {cap} ELSE {rank} END) {codes} END)"
    return sql, params + params + code_params  # the rank appears twice


@transaction.atomic
def grade_all(on: dt.date | None = None, organisation_ids=None, *, who=None) -> int:
    """Grade every organisation with evidence (or those given) on ``on`` under the rule set in
    force then; write a history row where the class or the rule version changed (and put
    organisations whose evidence all lapsed back on the default class). Returns the rows written."""
    on = on or timezone.localdate()
    rs = rule_set_on(on)
    grades = connection.ops.quote_name(CreditGrade._meta.db_table)
    grade_sql, grade_params = _grade_sql(rs, "s.score", "s.cap")
    only = ""
    only_params: list = []
    if organisation_ids is not None:
        ids = list(organisation_ids)
        only = f" AND g0.organisation_id IN ({', '.join(['%s'] * len(ids))})" if ids else " AND 1 = 0"
        only_params = ids
    excluding = Exclusion.objects.filter(effective_on__lte=on).exists()
    agg_sql, agg_params = _scores_sql(rs, on, only, only_params, excluding=excluding)
    base, version = float(rs.base_score), rs.version
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The evidence lies in organisation order (``collect``): grouping along its index
            # beats hashing a million groups; the rest of the statement hashes in memory.
            cursor.execute("SET LOCAL enable_hashagg = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("DROP TABLE IF EXISTS credit_changed")
        # The new grades (n); the changed ones against each current row (g), and the
        # organisations graded before with nothing counting now (back to the default class).
        cursor.execute(
            f"CREATE TEMP TABLE credit_changed AS WITH n AS ("
            f"SELECT s.organisation_id AS organisation_id, s.score AS score, {grade_sql} AS grade, s.pieces AS pieces FROM "
            f"(SELECT a.organisation_id AS organisation_id, %s + a.total AS score, a.cap AS cap, a.pieces AS pieces "
            f"FROM ({agg_sql}) a) s) "
            f"SELECT n.organisation_id AS organisation_id, n.score AS score, n.grade AS grade, n.pieces AS pieces, "
            f"g.id AS prev_id, g.grade AS prev_grade "
            f"FROM n LEFT JOIN {grades} g ON g.organisation_id = n.organisation_id AND g.current = %s "
            f"WHERE g.id IS NULL OR g.grade <> n.grade OR g.rule_version <> %s "
            f"UNION ALL SELECT g0.organisation_id, %s, %s, '', g0.id, g0.grade FROM {grades} g0 WHERE g0.current = %s{only} "
            f"AND (g0.grade <> %s OR g0.rule_version <> %s) "
            f"AND NOT EXISTS (SELECT 1 FROM n WHERE n.organisation_id = g0.organisation_id)",
            [
                *grade_params,
                base,
                *agg_params,
                True,
                version,
                base,
                rs.default_grade,
                True,
                *only_params,
                rs.default_grade,
                version,
            ],
        )
        cursor.execute(
            f"UPDATE {grades} SET current = %s WHERE id IN (SELECT prev_id FROM credit_changed WHERE prev_id IS NOT NULL)",
            [False],
        )
        cursor.execute(
            f"INSERT INTO {grades} (organisation_id, grade, previous, score, graded_on, rule_version, evidence, current, "
            f"created_at) SELECT organisation_id, grade, COALESCE(prev_grade, ''), score, %s, %s, COALESCE(pieces, ''), %s, %s "
            f"FROM credit_changed",
            [on, version, True, timezone.now()],
        )
        written = max(cursor.rowcount, 0)
        cursor.execute("DROP TABLE credit_changed")
    if organisation_ids is None or written:
        _audit("other", "credit.creditgrade", who, {"graded_on": on.isoformat(), "rule_version": version, "changed": written})
    return written


# -- one organisation's record -------------------------------------------------------------


def record_of(organisation, on: dt.date | None = None) -> dict:
    """The organisation's record: each piece with its weight, window and state; the class its
    evidence gives today under the rules in force; the current grade row and the history."""
    on = on or timezone.localdate()
    rs = rule_set_on(on)
    excluded = {
        (kind, ref): why
        for kind, ref, why in Exclusion.objects.filter(organisation=organisation, effective_on__lte=on).values_list(
            "kind", "reference", "why"
        )
    }
    open_objections = set(
        Objection.objects.filter(organisation=organisation, status=Objection.Status.OPEN).values_list("kind", "reference")
    )
    open_repairs = set(
        Repair.objects.filter(organisation=organisation, status=Repair.Status.OPEN).values_list("kind", "reference")
    )
    pieces = []
    for piece in Evidence.objects.filter(organisation=organisation).order_by("-occurred_on", "kind", "reference"):
        rule = rs.kinds.get(piece.kind)
        key = (piece.kind, piece.reference)
        counting = rule is not None and rules.counts_on(rule, piece.occurred_on, on) and key not in excluded
        pieces.append(
            {
                "piece": piece,
                "rule": rule,
                "counts": counting,
                "excluded": excluded.get(key, ""),
                "repair_from": rules.repair_open_from(rs, piece.kind, piece.occurred_on),
                "objection_open": key in open_objections,
                "repair_open": key in open_repairs,
            }
        )
    result = rules.grade_of(rs, [(p["piece"].kind, p["piece"].occurred_on) for p in pieces if p["counts"]], on)
    history = list(CreditGrade.objects.filter(organisation=organisation).order_by("-graded_on", "-id")[:50])
    return {
        "rules": rs,
        "on": on,
        "pieces": pieces,
        "result": result,
        "history": history,
        "current": history[0] if history and history[0].current else None,
    }


# -- objections and repairs ------------------------------------------------------------------


def _piece(organisation, kind: str, reference: str) -> Evidence:
    piece = Evidence.objects.filter(organisation=organisation, kind=kind, reference=reference).first()
    if piece is None:
        raise CreditRefused(
            "reference", "no such piece in the organisation's record", code="credit_no_piece", kind=kind, reference=reference
        )
    return piece


def _file(model, who, organisation, kind, reference, statement, attachment, check=None):
    actor = as_actor(who)
    if not CREDIT.may_request(actor, organisation):
        raise NotAllowed("an organisation's own staff object to or ask to repair its record")
    statement = (statement or "").strip()
    if not statement:
        raise CreditRefused("statement", "say why, and what the evidence shows", code="required")
    piece = _piece(organisation, kind, reference)
    if check is not None:
        check(piece)
    try:
        with transaction.atomic():
            request = model.objects.create(
                organisation=organisation,
                kind=kind,
                reference=reference,
                occurred_on=piece.occurred_on,
                statement=statement[:4000],
                attachment=attachment or "",
                filed_by=_user(who),
                filed_on=timezone.localdate(),
            )
    except IntegrityError:
        raise CreditRefused(
            "reference", "a request on this piece is already open", code="credit_request_open", reference=reference
        ) from None
    _audit(
        "create", request, who, {"organisation": organisation.pk, "kind": kind, "reference": reference, "statement": statement}
    )
    return request


@transaction.atomic
def file_objection(who, organisation, kind: str, reference: str, statement: str, attachment=None) -> Objection:
    """异议: the organisation says a piece of its record is wrong, with its evidence."""
    return _file(Objection, who, organisation, kind, reference, statement, attachment)


@transaction.atomic
def request_repair(who, organisation, kind: str, reference: str, statement: str, attachment=None) -> Repair:
    """信用修复: after the rule's period the organisation asks that a piece stop counting, with
    proof it was put right (国市监信规〔2021〕3号 第六条 for penalties)."""
    rs = rule_set_on()

    def check(piece):
        opens = rules.repair_open_from(rs, kind, piece.occurred_on)
        if opens is None:
            raise CreditRefused(
                "kind", "the rules allow no repair of this kind", code="credit_not_repairable", kind=kind, version=rs.version
            )
        if timezone.localdate() < opens:
            raise CreditRefused(
                "reference",
                f"repair may be asked from {opens}",
                code="credit_repair_too_early",
                date=opens,
                days=rs.kinds[kind].repair_after_days,
                version=rs.version,
            )

    return _file(Repair, who, organisation, kind, reference, statement, attachment, check)


def _decide(who, request, accept: bool, reason: str, why: str):
    actor = as_actor(who)
    request = type(request).objects.select_for_update(of=("self",)).select_related("organisation").get(pk=request.pk)
    if not CREDIT.may_decide(actor, request.organisation):
        raise NotAllowed("the organisation's supervising administrator decides")
    if request.status != request.Status.OPEN:
        raise CreditRefused("status", "already decided", code="credit_decided", date=request.decided_on)
    reason = (reason or "").strip()
    if not reason:
        raise CreditRefused("decision_reason", "give the reason for the decision", code="required")
    today = timezone.localdate()
    request.status = request.Status.ACCEPTED if accept else request.Status.REFUSED
    request.decided_by = _user(who)
    request.decided_on = today
    request.decision_reason = reason[:500]
    request.save(update_fields=["status", "decided_by", "decided_on", "decision_reason"])
    _audit("status_change", request, who, {"status": str(request.status), "decision_reason": request.decision_reason}, reason)
    if accept:
        exclusion = Exclusion.objects.create(
            organisation=request.organisation,
            kind=request.kind,
            reference=request.reference,
            why=why,
            effective_on=today,
            **{why: request},
        )
        _audit("create", exclusion, who, {"kind": exclusion.kind, "reference": exclusion.reference, "why": str(why)})
        grade_all(today, [request.organisation_id], who=who)
    return request


@transaction.atomic
def decide_objection(who, objection: Objection, upheld: bool, reason: str) -> Objection:
    """Upheld: the piece stops counting and the grade is recomputed; rejected: with the reason."""
    return _decide(who, objection, upheld, reason, Exclusion.Why.OBJECTION)


@transaction.atomic
def decide_repair(who, repair: Repair, granted: bool, reason: str) -> Repair:
    return _decide(who, repair, granted, reason, Exclusion.Why.REPAIR)


# -- the dashboard ---------------------------------------------------------------------------


def summary(actor, by: str = "region") -> dict:
    """Current grades counted by region (the actor's child regions) or by sector (the
    organisation's kind) × class, for what the actor supervises."""
    from jiliang.registry.models import Organisation, Region

    rs = rule_set_on()
    orgs = CREDIT.visible_organisations(actor, Organisation.objects.all())
    graded = CreditGrade.objects.filter(current=True, organisation__in=orgs)
    if by == "sector":
        key = "organisation__kind"
        total_key = "kind"
    else:
        key = "organisation__region__code"
        total_key = "region__code"
    rows: dict[str, dict[str, int]] = {}
    for k, grade, n in graded.values(key, "grade").annotate(n=Count("id")).values_list(key, "grade", "n"):
        row = rows.setdefault(_bucket(k, by, actor), {})
        row[grade] = row.get(grade, 0) + n
    totals: dict[str, int] = {}
    for k, n in orgs.values(total_key).annotate(n=Count("id")).values_list(total_key, "n"):
        b = _bucket(k, by, actor)
        totals[b] = totals.get(b, 0) + n
    for b, total in totals.items():
        row = rows.setdefault(b, {})
        row[rs.default_grade] = row.get(rs.default_grade, 0) + total - sum(row.values())
    names = {}
    if by == "region":
        names = dict(Region.objects.filter(code__in=list(rows)).values_list("code", "name"))
    else:
        names = dict(Organisation.Kind.choices)
    return {
        "rules": rs,
        "by": by,
        "rows": [
            {
                "key": b,
                "name": str(names.get(b, b)),
                "counts": [rows[b].get(code, 0) for code in rs.codes],
                "total": sum(rows[b].values()),
            }
            for b in sorted(rows)
        ],
    }


def _bucket(key: str, by: str, actor) -> str:
    """A region code cut to the level below the actor's (a province's cities, a city's counties)."""
    if by != "region" or not key:
        return key
    prefix = getattr(actor, "region_prefix", "") or ""
    return key[: min(len(prefix) + 2, 6)].ljust(6, "0")
