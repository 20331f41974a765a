"""The institutions' capability and supervision: what the pages, API and CLI show, and the
writes of the workflow, one transaction each.

An institution's profile gathers, on a day: its authorised items (jiliang.authorisation)
against the standards it holds (registry) and the people qualified for each — qualified as
the certificate signing check decides, by the one rule ``registry.services.qualification_reasons``
— its comparison results, workload and timeliness, complaints, findings and
self-declarations; the capability evaluation scores it item by item (rules.py).

Each write asks the policy (policies.py) and raises ``Refused`` naming the field and the
rule, in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext

from jiliang.authorisation.models import Authorisation, AuthorisedItem
from jiliang.policies import Actor, as_actor
from jiliang.registry import models as reg
from jiliang.registry.services import Refused, qualification_reasons

from .models import Declaration, Evaluation, SupervisionVisit, VisitFinding
from .policies import FINDINGS, INSTITUTION_KINDS, INSTITUTIONS, VISITS
from .rules import rules

# Two qualified people per authorised item (a second to check and to stand in; data/evaluation.json E3).
MIN_QUALIFIED = 2
# The windows the profile looks back over (the platform's choice, stated on the page).
WORKLOAD_DAYS = 365
COMPARISON_YEARS = 3
PROMPT_DAYS = 7


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


def _refuse(field_name: str, message: str, *, forbidden: bool = False):
    raise Refused([(field_name, message)], forbidden=forbidden)


# -- which organisations are institutions -------------------------------------------------


def institutions(who):
    """The legal metrology institutes and authorised institutions the actor may see."""
    actor = as_actor(who)
    qs = (
        reg.Organisation.objects.filter(Q(kind__in=INSTITUTION_KINDS) | Q(authorisations__isnull=False))
        .distinct()
        .select_related("region")
        .order_by("region__code", "name")
    )
    return INSTITUTIONS.visible(actor, qs)


# -- authorised items, standards and people -------------------------------------------------


def authorised_items(institution: reg.Organisation, on: dt.date) -> list[AuthorisedItem]:
    """The items (with their ranges) of the institution's authorisations in force on the day."""
    return list(
        AuthorisedItem.objects.filter(
            authorisation__institution=institution,
            authorisation__valid_from__lte=on,
            authorisation__valid_until__gte=on,
            added_on__lte=on,
        )
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=on))
        .filter(Q(authorisation__revoked_on__isnull=True) | Q(authorisation__revoked_on__gt=on))
        .exclude(authorisation__form=Authorisation.Form.PUBLIC_STANDARD)
        .select_related("catalog_item", "authorisation")
        .order_by("catalog_item__code", "range_min", "pk")
    )


def candidates(institution: reg.Organisation) -> tuple[list[reg.Person], dict[int, list]]:
    """The people who might sign for the institution (its own staff, and anyone registered
    with it), with every qualification of each, loaded in two queries."""
    people = list(
        reg.Person.objects.filter(
            Q(organisation=institution)
            | Q(qualifications__organisation=institution, qualifications__kind__in=reg.Qualification.REGISTRATIONS)
        )
        .distinct()
        .select_related("organisation")
        .order_by("name", "pk")
    )
    quals: dict[int, list] = defaultdict(list)
    for q in reg.Qualification.objects.filter(person__in=people).select_related("catalog_item"):
        quals[q.person_id].append(q)
    return people, quals


def qualified_for(
    institution: reg.Organisation, items: list[reg.CatalogItem], on: dt.date, people=None
) -> dict[int, list[reg.Person]]:
    """Catalogue item id → the people who may sign its mandatory verification for the
    institution on the day, by the signing check's own rule (registry.services.qualification_reasons,
    as verifier: a 注册计量师 registered with the institution with a passed 项目考核, or a
    检定员证 still in force)."""
    if people is None:
        people = candidates(institution)
    persons, quals = people
    out: dict[int, list[reg.Person]] = {}
    for item in items:
        out[item.pk] = [
            p for p in persons if not qualification_reasons(p, item, on, institution, role="verifier", quals=quals[p.pk])
        ]
    return out


def standards_for(institution: reg.Organisation, item_ids, on: dt.date) -> dict[int, list[reg.MeasurementStandard]]:
    """Catalogue item id → the institution's standards valid on the day that list the item."""
    out: dict[int, list] = defaultdict(list)
    standards = (
        reg.MeasurementStandard.objects.filter(
            holder=institution,
            status=reg.MeasurementStandard.Status.ACTIVE,
            valid_from__lte=on,
            valid_until__gte=on,
            catalog_items__in=list(item_ids),
        )
        .distinct()
        .prefetch_related("catalog_items", "capabilities__quantity")
        .order_by("certificate_number")
    )
    wanted = set(item_ids)
    for standard in standards:
        for item in standard.catalog_items.all():
            if item.pk in wanted:
                out[item.pk].append(standard)
    return out


@dataclass
class ItemRow:
    authorised: AuthorisedItem
    standards: list
    people: list

    @property
    def item(self) -> reg.CatalogItem:
        return self.authorised.catalog_item

    @property
    def no_standard(self) -> bool:
        return not self.standards

    @property
    def few_people(self) -> bool:
        return len(self.people) < MIN_QUALIFIED


def item_rows(institution: reg.Organisation, on: dt.date) -> list[ItemRow]:
    authorised = authorised_items(institution, on)
    items = {a.catalog_item_id: a.catalog_item for a in authorised}
    people = qualified_for(institution, list(items.values()), on)
    standards = standards_for(institution, items.keys(), on)
    return [ItemRow(a, standards.get(a.catalog_item_id, []), people[a.catalog_item_id]) for a in authorised]


# -- comparisons, workload, complaints, findings, declarations -----------------------------


def comparison_results(institution: reg.Organisation, on: dt.date) -> list[dict]:
    """The comparisons the institution took part in over the last three years, each with the
    follow-up actions an unsatisfactory or questionable result raised."""
    from jiliang.comparisons.models import FollowUpAction, Participant

    since = on - relativedelta(years=COMPARISON_YEARS)
    participations = (
        Participant.objects.filter(institution=institution, comparison__created_at__date__gte=since)
        .select_related("comparison")
        .order_by("-comparison__created_at", "pk")
    )
    follow = defaultdict(list)
    for action in FollowUpAction.objects.filter(institution=institution).select_related("measurand"):
        follow[action.participant_id].append(action)
    return [{"participant": p, "comparison": p.comparison, "follow_ups": follow.get(p.pk, [])} for p in participations]


def workload(institution: reg.Organisation, on: dt.date) -> dict:
    """Verifications and calibrations performed over the last year, and how promptly their
    digital certificates followed (a verification's DCC within PROMPT_DAYS of the day)."""
    from jiliang.certificates.models import Certificate
    from jiliang.verification.models import Registration

    since = on - dt.timedelta(days=WORKLOAD_DAYS)
    events = reg.CalibrationEvent.objects.filter(performer=institution, performed_on__gt=since, performed_on__lte=on)
    verifications = events.filter(kind=reg.CalibrationEvent.Kind.VERIFICATION)
    issued = list(Certificate.objects.filter(event__in=verifications).values_list("issued_at", "event__performed_on").order_by())
    prompt = sum(1 for at, day in issued if (timezone.localtime(at).date() - day).days <= PROMPT_DAYS)
    return {
        "since": since,
        "verifications": verifications.count(),
        "failed": verifications.filter(passed=False).count(),
        "calibrations": events.filter(kind=reg.CalibrationEvent.Kind.CALIBRATION).count(),
        "certificates": len(issued),
        "prompt": prompt,
        "assigned": Registration.objects.filter(assigned_institution=institution, status=Registration.Status.APPROVED).count(),
        "prompt_days": PROMPT_DAYS,
    }


def complaints(institution: reg.Organisation, on: dt.date):
    """Complaints of the last year about instruments whose registration assigned their
    verification to the institution (the platform's attribution: data/evaluation.json E6)."""
    from jiliang.portal.models import Complaint

    since = on - dt.timedelta(days=WORKLOAD_DAYS)
    return (
        Complaint.objects.filter(instrument__registration__assigned_institution=institution, filed_at__date__gt=since)
        .select_related("instrument")
        .order_by("-filed_at")
    )


def findings(institution: reg.Organisation, on: dt.date) -> dict:
    """Findings of supervision visits (all, open first) and of random inspections in the last year."""
    from jiliang.inspections.models import Finding

    since = on - dt.timedelta(days=WORKLOAD_DAYS)
    visits = list(
        VisitFinding.objects.filter(visit__organisation=institution)
        .select_related("visit")
        .order_by("rectified_on", "-visit__visited_on", "pk")
    )
    inspections = list(
        Finding.objects.filter(organisation=institution, occurred_on__gt=since, occurred_on__lte=on).order_by("-occurred_on")
    )
    return {"visits": visits, "inspections": inspections}


@dataclass
class DeclarationState:
    kind: str
    label: str
    latest: Declaration | None
    state: str  # "current", "expired", "missing"


def declaration_states(institution: reg.Organisation, on: dt.date) -> list[DeclarationState]:
    out = []
    latest = {}
    for d in Declaration.objects.filter(organisation=institution, declared_on__lte=on).order_by("kind", "-declared_on", "-id"):
        latest.setdefault(d.kind, d)
    for kind, label in Declaration.Kind.choices:
        d = latest.get(kind)
        state = "missing" if d is None else ("current" if d.current_on(on) else "expired")
        out.append(DeclarationState(kind, str(label), d, state))
    return out


# -- the profile and its evaluation ---------------------------------------------------------


@dataclass
class Profile:
    institution: reg.Organisation
    on: dt.date
    items: list[ItemRow]
    comparisons: list[dict]
    workload: dict
    complaints: list
    findings: dict
    declarations: list[DeclarationState]
    scored: list[dict] = field(default_factory=list)
    score: float = 0.0
    result: str = ""

    @property
    def gaps(self) -> list[ItemRow]:
        return [row for row in self.items if row.few_people or row.no_standard]


def profile(institution: reg.Organisation, on: dt.date | None = None) -> Profile:
    on = on or timezone.localdate()
    p = Profile(
        institution=institution,
        on=on,
        items=item_rows(institution, on),
        comparisons=comparison_results(institution, on),
        workload=workload(institution, on),
        complaints=list(complaints(institution, on)[:200]),
        findings=findings(institution, on),
        declarations=declaration_states(institution, on),
    )
    p.scored, p.score, p.result = score(p)
    return p


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def score(p: Profile) -> tuple[list[dict], float, str]:
    """Each item of data/evaluation.json scored from the profile's figures: (items, total on
    100 over the items that apply, result). An item that does not apply (no comparison taken
    part in, no digital certificate) is left out and the total rescaled."""
    rs = rules()
    language = get_language() or "zh-hans"
    n_items = len(p.items)
    declared = sum(1 for d in p.declarations if d.state == "current")
    unsatisfied = sum(1 for c in p.comparisons if c["follow_ups"])
    substantiated = sum(1 for c in p.complaints if c.substantiated)
    open_visit = [f for f in p.findings["visits"] if f.rectified_on is None]
    deduction = sum(5 if f.severity == VisitFinding.Severity.MAJOR else 2 for f in open_visit) + 2 * len(
        p.findings["inspections"]
    )
    figures = {
        "E1": (_share(declared, len(p.declarations)), f"{declared}/{len(p.declarations)}"),
        "E2": (_share(sum(1 for r in p.items if not r.no_standard), n_items), None),
        "E3": (_share(sum(1 for r in p.items if not r.few_people), n_items), None),
        "E4": (_share(len(p.comparisons) - unsatisfied, len(p.comparisons)), None),
        "E5": (_share(p.workload["prompt"], p.workload["certificates"]), None),
    }
    scored, earned, possible = [], 0.0, 0.0
    for item in rs.items:
        if item.code in figures:
            share, shown = figures[item.code]
            points = None if share is None else round(item.points * share, 1)
            detail = shown or (
                None
                if share is None
                else {
                    "E2": f"{sum(1 for r in p.items if not r.no_standard)}/{n_items}",
                    "E3": f"{sum(1 for r in p.items if not r.few_people)}/{n_items}",
                    "E4": f"{len(p.comparisons) - unsatisfied}/{len(p.comparisons)}",
                    "E5": f"{p.workload['prompt']}/{p.workload['certificates']}",
                }[item.code]
            )
        elif item.code == "E6":
            points, detail = max(0.0, item.points - 5 * substantiated), str(substantiated)
        elif item.code == "E7":
            points, detail = max(0.0, item.points - deduction), f"-{deduction}"
        else:  # an item the data file adds that no figure feeds: shown, not scored
            points, detail = None, None
        if points is not None:
            earned += points
            possible += item.points
        scored.append(
            {
                "code": item.code,
                "label": item.label(language),
                "basis": item.basis,
                "method": item.method,
                "points": item.points,
                "score": points,
                "detail": detail,
            }
        )
    total = round(100 * earned / possible, 1) if possible else 0.0
    return scored, total, rs.result_for(total)


# -- writes -------------------------------------------------------------------------------


def _institution_or_refused(institution: reg.Organisation) -> None:
    if institution.kind not in INSTITUTION_KINDS and not institution.authorisations.exists():
        _refuse(
            "institution",
            gettext("%(name)s 不是法定计量检定机构或授权机构（计量法 第二十条）") % {"name": institution.name},
        )


@transaction.atomic
def declare(
    who, institution: reg.Organisation, *, kind: str, signed_by: str, text: str, declared_on: dt.date | None = None
) -> Declaration:
    """File a self-declaration (自我声明) of the institution; valid the months the rules set."""
    actor = as_actor(who)
    if not INSTITUTIONS.may_declare(actor, institution):
        _refuse("institution", gettext("自我声明由机构本身的人员提交"), forbidden=True)
    if kind not in Declaration.Kind.values:
        _refuse("kind", gettext("声明类型须为公正性声明或诚信声明"))
    if not (signed_by or "").strip():
        _refuse("signed_by", gettext("须写明声明人"))
    if not (text or "").strip():
        _refuse("text", gettext("须写明声明内容"))
    today = timezone.localdate()
    declared_on = declared_on or today
    if declared_on > today:
        _refuse("declared_on", gettext("%(date)s 晚于今天") % {"date": declared_on})
    declaration = Declaration(
        organisation=institution,
        kind=kind,
        declared_on=declared_on,
        valid_until=declared_on + relativedelta(months=rules().declaration_months),
        signed_by=signed_by.strip(),
        text=text.strip(),
        filed_by=_user(who),
    )
    declaration.save()
    return declaration


def _finding_fields(clause: str, description: str, severity: str, rectify_by, visited_on: dt.date) -> dict:
    codes = [item.code for item in rules().items]
    if clause not in codes:
        _refuse("clause", gettext("评价项须为 %(codes)s 之一") % {"codes": "、".join(codes)})
    if not (description or "").strip():
        _refuse("description", gettext("须写明问题描述"))
    if severity not in VisitFinding.Severity.values:
        _refuse("severity", gettext("严重程度须为一般或严重"))
    if rectify_by is None or rectify_by <= visited_on:
        _refuse("rectify_by", gettext("整改期限须晚于检查日期（%(date)s）") % {"date": visited_on})
    return {"clause": clause, "description": description.strip(), "severity": severity, "rectify_by": rectify_by}


@transaction.atomic
def record_visit(
    who,
    institution: reg.Organisation,
    *,
    visited_on: dt.date,
    inspectors: str,
    scope: str,
    summary: str = "",
    findings: list[dict] | tuple = (),
) -> SupervisionVisit:
    """Record a supervision visit (监督检查) and what it found, all or nothing."""
    actor = as_actor(who)
    if not INSTITUTIONS.may_record_visit(actor, institution):
        _refuse(
            "institution",
            gettext("监督检查由机构所在地区的计量行政部门进行（法定计量检定机构监督管理办法 第三条）"),
            forbidden=True,
        )
    _institution_or_refused(institution)
    if visited_on is None:
        _refuse("visited_on", gettext("须写明检查日期"))
    if visited_on > timezone.localdate():
        _refuse("visited_on", gettext("%(date)s 晚于今天") % {"date": visited_on})
    if not (inspectors or "").strip():
        _refuse("inspectors", gettext("须写明检查人员"))
    if not (scope or "").strip():
        _refuse("scope", gettext("须写明检查内容"))
    cleaned = [_finding_fields(**f, visited_on=visited_on) for f in findings]
    visit = SupervisionVisit(
        organisation=institution,
        visited_on=visited_on,
        inspectors=inspectors.strip(),
        scope=scope.strip(),
        summary=(summary or "").strip(),
        recorded_by=_user(who),
    )
    visit.save()
    for f in cleaned:
        VisitFinding(visit=visit, **f).save()
    return visit


def _may_act(actor: Actor, action: str, visit: SupervisionVisit) -> None:
    if not VISITS.may(actor, action, visit):
        if not VISITS.in_state_for(action, visit):
            _refuse("status", gettext("监督检查当前状态（%(status)s）不允许此操作") % {"status": visit.get_status_display()})
        _refuse("visit", gettext("监督检查由机构所在地区的计量行政部门进行"), forbidden=True)


@transaction.atomic
def add_finding(
    who, visit: SupervisionVisit, *, clause: str, description: str, severity: str, rectify_by: dt.date | None
) -> VisitFinding:
    _may_act(as_actor(who), "add_finding", visit)
    finding = VisitFinding(visit=visit, **_finding_fields(clause, description, severity, rectify_by, visit.visited_on))
    finding.save()
    return finding


@transaction.atomic
def close_visit(who, visit: SupervisionVisit, on: dt.date | None = None) -> SupervisionVisit:
    """Close the visit: its findings then count in the credit record (credit_evidence.py)."""
    _may_act(as_actor(who), "close", visit)
    on = on or timezone.localdate()
    if on < visit.visited_on:
        _refuse("closed_on", gettext("办结日期不得早于检查日期（%(date)s）") % {"date": visit.visited_on})
    visit.status, visit.closed_on = SupervisionVisit.Status.CLOSED, on
    visit.save()
    return visit


@transaction.atomic
def mark_rectified(who, finding: VisitFinding, on: dt.date | None = None) -> VisitFinding:
    actor = as_actor(who)
    if not FINDINGS.may_mark_rectified(actor, finding):
        if finding.rectified_on is not None:
            _refuse("rectified_on", gettext("已确认整改"))
        _refuse("finding", gettext("整改由机构所在地区的计量行政部门确认"), forbidden=True)
    on = on or timezone.localdate()
    if on < finding.visit.visited_on:
        _refuse("rectified_on", gettext("整改完成日期不得早于检查日期（%(date)s）") % {"date": finding.visit.visited_on})
    finding.rectified_on = on
    finding.save()
    return finding


@transaction.atomic
def record_evaluation(who, institution: reg.Organisation, *, note: str = "", on: dt.date | None = None) -> Evaluation:
    """Score the institution's profile on the day and keep the scores as they stood."""
    actor = as_actor(who)
    if not INSTITUTIONS.may_evaluate(actor, institution):
        _refuse("institution", gettext("能力评价由机构所在地区的计量行政部门进行"), forbidden=True)
    _institution_or_refused(institution)
    p = profile(institution, on)
    evaluation = Evaluation(
        organisation=institution,
        evaluated_on=p.on,
        rules_version=rules().version,
        items=[{k: item[k] for k in ("code", "points", "score", "detail")} for item in p.scored],
        score=p.score,
        result=p.result,
        note=(note or "").strip(),
        evaluated_by=_user(who),
    )
    evaluation.save()
    return evaluation


# -- registered metrologists of a region (issue 21 §4) --------------------------------------


@dataclass
class MetrologistRow:
    person: reg.Person
    level: str
    number: str
    specialty: str
    institution: reg.Organisation | None
    registered_on: dt.date  # first registration
    valid_until: dt.date
    items: list = field(default_factory=list)  # (item, valid_until, kind)


def metrologists(region: reg.Region, on: dt.date | None = None) -> dict:
    """The region's registered metrologists (注册计量师 registered with an institution of the
    region and in force on the day), their item qualifications and expiry, the number newly
    registered this year and last, and the region's share of the national target."""
    on = on or timezone.localdate()
    K = reg.Qualification.Kind
    regs = list(
        reg.Qualification.objects.filter(
            kind__in=reg.Qualification.REGISTRATIONS, organisation__region__code__startswith=_prefix(region)
        )
        .select_related("person", "organisation")
        .order_by("person__name", "valid_from")
    )
    first: dict[int, dt.date] = {}
    current: dict[int, reg.Qualification] = {}
    for q in regs:
        first[q.person_id] = min(first.get(q.person_id, q.valid_from), q.valid_from)
        if q.valid_from <= on <= q.valid_until:
            current[q.person_id] = q
    items = defaultdict(list)
    for q in (
        reg.Qualification.objects.filter(person_id__in=list(current), kind__in=(K.ITEM_ASSESSMENT, K.VERIFIER))
        .select_related("catalog_item")
        .order_by("catalog_item__code")
    ):
        items[q.person_id].append(q)
    rows = [
        MetrologistRow(
            person=q.person,
            level=q.get_kind_display(),
            number=q.certificate_number,
            specialty=q.specialty,
            institution=q.organisation,
            registered_on=first[pid],
            valid_until=q.valid_until,
            items=items.get(pid, []),
        )
        for pid, q in current.items()
    ]
    rows.sort(key=lambda r: (r.institution.name if r.institution else "", r.person.name))
    this_year = sum(1 for d in first.values() if d.year == on.year)
    last_year = sum(1 for d in first.values() if d.year == on.year - 1)
    return {
        "region": region,
        "on": on,
        "rows": rows,
        "this_year": this_year,
        "last_year": last_year,
        "target": target_share(region, first, on),
        "first": first,
    }


def _prefix(region: reg.Region) -> str:
    return {"province": region.code[:2], "city": region.code[:4]}.get(region.level, region.code)


def target_share(region: reg.Region, first: dict[int, dt.date], on: dt.date) -> dict:
    """The region's share of the national target of new registered metrologists (a choice,
    data/evaluation.json "target".share_rule): a province's share is configured
    (JILIANG_METROLOGIST_TARGET_SHARES, by province code) or 1/31; a city's or county's is its
    province's share times its part of the province's metrologists registered before the
    period began."""
    t = rules().target
    start, end = t["period"]
    shares = getattr(settings, "JILIANG_METROLOGIST_TARGET_SHARES", {})
    province_code = region.code[:2] + "0000"
    province_share = float(shares.get(province_code, 1 / 31))
    share = province_share
    if region.level != "province":
        before = dt.date(start, 1, 1)
        in_province = reg.Qualification.objects.filter(
            kind__in=reg.Qualification.REGISTRATIONS,
            organisation__region__code__startswith=region.code[:2],
            valid_from__lt=before,
        )
        whole = in_province.values("person_id").distinct().count()
        part = sum(1 for d in first.values() if d < before)
        share = province_share * (part / whole) if whole else 0.0
    years = end - start + 1
    target = t["national_new_metrologists"] * share
    added = sum(1 for d in first.values() if start <= d.year <= end)
    return {
        "national": t["national_new_metrologists"],
        "period": (start, end),
        "share": share,
        "target": round(target, 1),
        "per_year": round(target / years, 1),
        "added": added,
        "confirmed": bool(t.get("confirmed")),
        "basis": t["basis"],
        "share_rule": t["share_rule"],
    }


def region_gaps(who, region: reg.Region, on: dt.date | None = None, limit: int = 200) -> list[tuple]:
    """(institution, item row) of every authorised item with fewer than two qualified people,
    over the institutions of the region the actor sees (at most ``limit`` institutions)."""
    on = on or timezone.localdate()
    out = []
    for institution in institutions(who).filter(region__code__startswith=_prefix(region))[:limit]:
        for row in item_rows(institution, on):
            if row.few_people:
                out.append((institution, row))
    return out
