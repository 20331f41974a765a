"""The use cases of an assessment file, one transaction each. Each asks the policy who may
act, the rules module what the law asks, and refuses with ``Refused`` naming the field and
the rule; nothing is half written.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from jiliang.audit.services import audit_context
from jiliang.certificates.keys import KeyInfrastructureError
from jiliang.core import workdays
from jiliang.messages import enumeration
from jiliang.policies import NATIONAL, Actor
from jiliang.registry import models as reg
from jiliang.registry import validity
from jiliang.registry.services import Refused, change_standard_status

from . import certificate as signing
from . import rules
from .models import (
    Application,
    Assessor,
    Assignment,
    AuthorityProfile,
    ChangeFiling,
    Document,
    Finding,
    ItemResult,
    Reminder,
    StandardCertificate,
)
from .policies import APPLICATION_POLICY, FILING_POLICY, FINDING_POLICY, assessor_of

S = Application.Status
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DAY = dt.timedelta(days=1)
# We chose: a file decided on a signed commitment (告知承诺) is checked on site within 3 months.
POST_CHECK_DAYS = 90


def _today(on):
    return on or timezone.localdate()


def _action_label(action: str) -> str:
    """The action as the refusal says it, in the active language."""
    labels = {
        "submit": pgettext("assessment action", "提交"),
        "return": pgettext("assessment action", "退回"),
        "accept": pgettext("assessment action", "受理"),
        "assign": pgettext("assessment action", "指派考评员"),
        "record": pgettext("assessment action", "记录考评结果"),
        "raise_finding": pgettext("assessment action", "提出整改项"),
        "conclude": pgettext("assessment action", "作出考评结论"),
        "approve": pgettext("assessment action", "批准"),
        "refuse": pgettext("assessment action", "不予批准"),
        "respond": pgettext("assessment action", "答复整改"),
        "close": pgettext("assessment action", "确认整改完成"),
        "reopen": pgettext("assessment action", "退回整改"),
        "reassess": pgettext("assessment action", "要求重新考核"),
        "reject": pgettext("assessment action", "驳回"),
    }
    return labels.get(action, action)


def _who(who: str) -> str:
    return {
        "applicant": pgettext("assessment party", "申请单位"),
        "authority": pgettext("assessment party", "主持考核的部门"),
        "assessor": pgettext("assessment party", "指派的考评员"),
    }[who]


def _refuse_unless(actor, policy, action, obj, who: str):
    """The lifecycle first (the state names the reason), then who acts."""
    if action in policy.transitions and not policy.in_state_for(action, obj):
        raise Refused(
            [
                (
                    "status",
                    gettext("%(record)s 的状态为“%(status)s”，不能%(action)s")
                    % {"record": obj, "status": obj.get_status_display(), "action": _action_label(action)},
                )
            ]
        )
    if actor is not None and not policy.may_transition(actor, action, obj):
        raise Refused(
            [("actor", gettext("只有%(who)s可以%(action)s") % {"who": _who(who), "action": _action_label(action)})],
            forbidden=True,
        )


def _locked(app: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("authority__region", "holder", "standard")
        .get(pk=app.pk)
    )


def profile_of(authority: reg.Organisation) -> AuthorityProfile:
    return AuthorityProfile.objects.get_or_create(authority=authority)[0]


# -- application ---------------------------------------------------------------------------


@transaction.atomic
def open_application(
    actor: Actor | None,
    *,
    kind: str,
    holder: reg.Organisation,
    standard: reg.MeasurementStandard | None = None,
    name: str = "",
    tier: str = "",
    level: str = "",
    rank: str = reg.MeasurementStandard.Rank.HIGHEST,
    field: reg.MetrologyField | None = None,
    equipment=(),
    specifications=(),
    catalog_items=(),
    people=(),
    responsible: reg.Person | None = None,
    report: dict | None = None,
    late: bool = False,
    commitment: bool = False,
    on: dt.date | None = None,
) -> Application:
    """A draft file of the holder (新建 or 复查). A re-examination takes the standard's own
    description; the authority follows from level and region (rules.assessing_authority)."""
    on = _today(on)
    if actor is not None and not APPLICATION_POLICY.may_file(actor, holder):
        raise Refused([("holder", gettext("只有计量标准持有单位的人员可以提出考核申请"))], forbidden=True)
    problems = []
    if kind not in Application.Kind.values:
        raise Refused([("kind", gettext("%(kind)s 不是 new（新建）或 reexamination（复查）") % {"kind": repr(kind)})])
    if kind == Application.Kind.REEXAMINATION:
        if standard is None:
            raise Refused([("standard", gettext("复查考核须指明计量标准"))])
        if standard.holder_id != holder.pk:
            raise Refused(
                [
                    (
                        "standard",
                        gettext("%(standard)s 的持有单位是 %(owner)s，不是 %(holder)s")
                        % {"standard": standard, "owner": standard.holder, "holder": holder},
                    )
                ]
            )
        if standard.status == reg.MeasurementStandard.Status.CANCELLED:
            raise Refused([("standard", gettext("%(standard)s 已撤销，请申请新建考核") % {"standard": standard})])
        problems += rules.window_refusals(standard, on, late)
        name, tier, level, rank, field = standard.name, standard.tier, standard.level, standard.rank, standard.field
    else:
        standard = None
        if not (name or "").strip():
            problems.append(("name", gettext("新建计量标准须填写名称")))
        if field is None:
            problems.append(("field", gettext("新建计量标准须选择专业")))
        if tier == reg.MeasurementStandard.Tier.PUBLIC and not level:
            problems.append(("level", gettext("社会公用计量标准须选择等级")))
        if tier != reg.MeasurementStandard.Tier.PUBLIC:
            level, rank = "", reg.MeasurementStandard.Rank.HIGHEST
    if problems:
        raise Refused(problems)
    authority = rules.assessing_authority(holder, tier, level, rank)
    if authority is None:
        raise Refused(
            [("authority", gettext("%(rule)s：登记的计量行政部门中没有可以考核此计量标准的") % {"rule": rules.RULE_AUTHORITY})]
        )
    if commitment and not (kind == Application.Kind.REEXAMINATION and profile_of(authority).commitment_enabled):
        raise Refused(
            [
                (
                    "commitment",
                    gettext("%(rule)s：%(authority)s 不受理告知承诺方式的复查考核")
                    % {"rule": rules.RULE_COMMITMENT, "authority": authority},
                )
            ]
        )
    app = Application.objects.create(
        number=f"tmp-{timezone.now().timestamp()}",
        kind=kind,
        holder=holder,
        authority=authority,
        standard=standard,
        name=name.strip(),
        tier=tier,
        level=level or "",
        rank=rank,
        field=field,
        responsible=responsible,
        report=dict(report or {}),
        late=bool(late) and kind == Application.Kind.REEXAMINATION,
        commitment=commitment,
    )
    app.number = f"KH{on.year}-{app.pk:05d}"
    app.save(update_fields=["number"])
    app.equipment.set(equipment or (standard.devices.all() if standard is not None else []))
    app.specifications.set(specifications or (standard.specifications.all() if standard is not None else []))
    app.catalog_items.set(catalog_items or (standard.catalog_items.all() if standard is not None else []))
    app.people.set(people)
    return app


@transaction.atomic
def attach(actor: Actor | None, app: Application, kind: str, filename: str, content: bytes, content_type: str = "") -> Document:
    if actor is not None and not APPLICATION_POLICY.writable(actor, app):
        raise Refused([("documents", gettext("只有申请单位可以在提交前上传申请资料"))], forbidden=True)
    if kind not in rules.DOCUMENT_KINDS:
        raise Refused(
            [
                (
                    "kind",
                    gettext("%(kind)s 不是申请资料的类别（%(kinds)s）")
                    % {"kind": repr(kind), "kinds": ", ".join(rules.DOCUMENT_KINDS)},
                )
            ]
        )
    if not content:
        raise Refused([("file", gettext("%(file)s：文件为空") % {"file": filename})])
    if len(content) > MAX_DOCUMENT_BYTES:
        raise Refused(
            [("file", gettext("%(file)s：超过 %(limit)s MB") % {"file": filename, "limit": MAX_DOCUMENT_BYTES // (1024 * 1024)})]
        )
    return Document.objects.create(
        application=app, kind=kind, filename=filename[:200], content_type=content_type[:100], content=content, size=len(content)
    )


def check_application(app: Application, on: dt.date | None = None) -> list[tuple[str, str]]:
    """Every refusal the file would meet on submission (shown to the applicant beforehand)."""
    on = _today(on)
    found = rules.completeness_refusals(app, app.documents.values_list("kind", flat=True))
    found += rules.fact_refusals(app, on)
    if app.kind == Application.Kind.REEXAMINATION:
        found += rules.window_refusals(app.standard, on, app.late)
    return found


@transaction.atomic
def submit(actor: Actor | None, app: Application, on: dt.date | None = None) -> Application:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "submit", app, "applicant")
    problems = check_application(app, on)
    if problems:
        raise Refused(problems)
    app.status, app.filed_on = S.SUBMITTED, on
    app.due_on = working_days_after(on, settings.JILIANG_ASSESSMENT_ACCEPTANCE_WORKING_DAYS)
    app.return_reasons = ""
    app.save(update_fields=["status", "filed_on", "due_on", "return_reasons"])
    return app


@functools.cache
def _calendar(holidays_file: str) -> workdays.Calendar:
    return workdays.load_calendar(*([holidays_file] if holidays_file else []))


def working_days_after(on: dt.date, days: int) -> dt.date:
    """The deadline ``days`` working days after ``on`` (the State Council's holiday notices;
    weekends only in a year none covers)."""
    return _calendar(settings.JILIANG_HOLIDAYS_FILE).add_working_days(on, days)


def _move(app: Application, status: str, *, due_on=None, **fields) -> Application:
    app.status, app.due_on = status, due_on
    for name, value in fields.items():
        setattr(app, name, value)
    app.save(update_fields=["status", "due_on", *fields])
    return app


@transaction.atomic
def return_application(actor: Actor | None, app: Application, reasons: str) -> Application:
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "return", app, "authority")
    if not (reasons or "").strip():
        raise Refused([("reasons", gettext("JJF 1033-2023 §5.2：退回申请须说明理由"))])
    return _move(app, S.RETURNED, return_reasons=reasons.strip())


@transaction.atomic
def accept(actor: Actor | None, app: Application, on: dt.date | None = None) -> Application:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "accept", app, "authority")
    return _move(app, S.ACCEPTED, due_on=on + dt.timedelta(days=settings.JILIANG_ASSESSMENT_EVALUATION_DAYS))


@transaction.atomic
def assign(actor: Actor | None, app: Application, assessors, on: dt.date | None = None) -> list[Assignment]:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "assign", app, "authority")
    assessors = list(assessors)
    if not assessors:
        raise Refused([("assessors", gettext("请至少指派一名考评员"))])
    problems = [p for a in assessors for p in rules.assessor_refusals(a, app, on)]
    if problems:
        raise Refused(problems)
    has_leader = app.assignments.filter(leader=True).exists()
    rows = []
    for n, assessor in enumerate(assessors):
        row, _ = Assignment.objects.get_or_create(
            application=app, assessor=assessor, defaults={"assigned_on": on, "leader": not has_leader and n == 0}
        )
        rows.append(row)
    if app.status != S.EVALUATING:
        _move(app, S.EVALUATING, due_on=app.due_on)
    return rows


def _assessor(actor, app) -> Assessor:
    """The acting assessor: the actor's registration, or (the platform acting, CLI) the group's leader."""
    if actor is not None:
        found = assessor_of(actor, app)
    else:
        row = app.assignments.select_related("assessor").order_by("-leader", "id").first()
        found = row.assessor if row is not None else None
    if found is None:
        raise Refused([("assessor", gettext("JJF 1033-2023 §5.3：%(number)s 尚未指派考评员") % {"number": app.number})])
    return found


@transaction.atomic
def record_result(
    actor: Actor | None,
    app: Application,
    *,
    phase: str,
    clause: str,
    conforming: bool,
    note: str = "",
    evidence: str = "",
    on: dt.date | None = None,
) -> ItemResult:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "record", app, "assessor")
    if phase not in ItemResult.Phase.values:
        raise Refused([("phase", gettext("%(phase)s 须为 documents（书面审查）或 onsite（现场考评）") % {"phase": repr(phase)})])
    if clause not in {i.clause for i in rules.items_for(phase)}:
        raise Refused(
            [
                (
                    "clause",
                    gettext("JJF 1033-2023 §4：%(clause)s 不是 %(phase)s 阶段的考评项目")
                    % {"clause": repr(clause), "phase": phase},
                )
            ]
        )
    if not conforming and not (note or "").strip():
        raise Refused([("note", gettext("%(clause)s：不符合项须写明说明") % {"clause": clause})])
    row, _ = ItemResult.objects.update_or_create(
        application=app,
        phase=phase,
        clause=clause,
        defaults={
            "conforming": conforming,
            "note": (note or "").strip()[:500],
            "evidence": (evidence or "").strip()[:500],
            "assessor": _assessor(actor, app),
            "recorded_on": on,
        },
    )
    return row


@transaction.atomic
def raise_finding(
    actor: Actor | None, app: Application, *, clause: str, description: str, deadline: dt.date | None = None, on=None
) -> Finding:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "raise_finding", app, "assessor")
    if clause not in rules.ITEMS_BY_CLAUSE:
        raise Refused([("clause", gettext("JJF 1033-2023 §4：%(clause)s 不是考评项目") % {"clause": repr(clause)})])
    if not (description or "").strip():
        raise Refused([("description", gettext("整改项须写明需整改的内容"))])
    deadline = deadline or working_days_after(on, settings.JILIANG_ASSESSMENT_RECTIFICATION_WORKING_DAYS)
    if deadline <= on:
        raise Refused([("deadline", gettext("整改期限须晚于今天"))])
    finding = Finding.objects.create(
        application=app,
        clause=clause,
        description=description.strip()[:500],
        deadline=deadline,
        raised_by=_assessor(actor, app),
        raised_on=on,
    )
    if app.status != S.EVALUATING:
        _move(app, S.EVALUATING, due_on=app.due_on)
    return finding


@transaction.atomic
def respond(actor: Actor | None, finding: Finding, response: str, on: dt.date | None = None) -> Finding:
    on = _today(on)
    finding = Finding.objects.select_for_update(of=("self",)).select_related("application__holder").get(pk=finding.pk)
    _refuse_unless(actor, FINDING_POLICY, "respond", finding, "applicant")
    if not (response or "").strip():
        raise Refused([("response", gettext("请说明整改情况"))])
    finding.status, finding.response, finding.responded_on = Finding.Status.RESPONDED, response.strip(), on
    finding.save(update_fields=["status", "response", "responded_on"])
    return finding


@transaction.atomic
def close_finding(actor: Actor | None, finding: Finding, accepted: bool = True, on: dt.date | None = None) -> Finding:
    """The assessor accepts the rectification (closed) or sends it back (open again)."""
    on = _today(on)
    finding = Finding.objects.select_for_update(of=("self",)).select_related("application").get(pk=finding.pk)
    _refuse_unless(actor, FINDING_POLICY, "close" if accepted else "reopen", finding, "assessor")
    if accepted:
        finding.status, finding.closed_on = Finding.Status.CLOSED, on
    else:
        finding.status = Finding.Status.OPEN
    finding.save(update_fields=["status", "closed_on"])
    return finding


@transaction.atomic
def conclude(actor: Actor | None, app: Application, on: dt.date | None = None) -> Application:
    """The assessors' conclusion: every item judged in both phases and every nonconformity a
    finding; with findings open the file waits for rectification, else it goes for decision."""
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "conclude", app, "assessor")
    judged = set(app.results.values_list("phase", "clause"))
    missing = [
        f"{phase}:{i.clause}"
        for phase in ItemResult.Phase.values
        for i in rules.items_for(phase)
        if (phase, i.clause) not in judged
    ]
    if missing:
        raise Refused([("results", gettext("JJF 1033-2023 §5.3：尚未考评的项目：%(items)s") % {"items": enumeration(missing)})])
    raised = set(app.findings.values_list("clause", flat=True))
    bare = sorted({c for c in app.results.filter(conforming=False).values_list("clause", flat=True)} - raised)
    if bare:
        raise Refused(
            [("findings", gettext("JJF 1033-2023 §5.3：不符合项尚未提出整改：%(items)s") % {"items": enumeration(bare)})]
        )
    still_open = app.findings.exclude(status=Finding.Status.CLOSED)
    if still_open.exists():
        return _move(app, S.RECTIFICATION, due_on=min(f.deadline for f in still_open))
    return _move(app, S.EVALUATED, due_on=working_days_after(on, settings.JILIANG_ASSESSMENT_DECISION_WORKING_DAYS))


def certificate_number(authority: reg.Organisation, on: dt.date) -> str:
    fmt = profile_of(authority).certificate_format
    taken = set(StandardCertificate.objects.filter(authority=authority).values_list("number", flat=True))
    seq = StandardCertificate.objects.filter(authority=authority, issued_on__year=on.year).count() + 1
    while True:
        number = fmt.format(year=on.year, seq=seq, code=authority.region.code)
        if number not in taken and not reg.MeasurementStandard.objects.filter(certificate_number=number).exists():
            return number
        seq += 1


@transaction.atomic
def approve(actor: Actor | None, app: Application, reason: str = "", on: dt.date | None = None) -> StandardCertificate:
    """The authority approves: the certificate (number in its format, validity by
    JILIANG_STANDARD_CERTIFICATE_YEARS), written onto the registry's standard, signed."""
    on = _today(on)
    app = _locked(app)
    open_findings = app.findings.exclude(status=Finding.Status.CLOSED)
    if open_findings.exists():
        raise Refused(
            [
                (
                    "findings",
                    gettext("%(rule)s：%(count)s 项整改尚未完成") % {"rule": rules.RULE_DECISION, "count": open_findings.count()},
                )
            ]
        )
    _refuse_unless(actor, APPLICATION_POLICY, "approve", app, "authority")
    number = certificate_number(app.authority, on)
    valid_until = reg.default_valid_until(on)
    standard = app.standard
    if standard is None:
        standard = reg.MeasurementStandard(
            name=app.name,
            tier=app.tier,
            level=app.level,
            rank=app.rank,
            holder=app.holder,
            field=app.field,
            issuing_department=app.authority,
        )
    else:
        standard = reg.MeasurementStandard.objects.select_for_update().get(pk=standard.pk)
        StandardCertificate.objects.filter(standard=standard, status=StandardCertificate.Status.ISSUED).update(
            status=StandardCertificate.Status.SUPERSEDED
        )
    was = standard.status if standard.pk else None
    standard.certificate_number, standard.valid_from, standard.valid_until = number, on, valid_until
    standard.issuing_department = app.authority
    standard.status = reg.MeasurementStandard.Status.ACTIVE
    refusals = reg.assessment_refusals(standard)
    if refusals:
        raise Refused(refusals)
    label = "新建考核合格" if app.kind == Application.Kind.NEW else "复查考核合格"
    with audit_context(reason=f"{label} {number}"):
        standard.save()
    if app.standard is None:
        standard.specifications.set(app.specifications.all())
        standard.catalog_items.set(app.catalog_items.all())
        app.equipment.update(standard=standard)
    if was != reg.MeasurementStandard.Status.ACTIVE:
        reg.StandardStatusChange.objects.create(standard=standard, status="active", effective_on=on, reason=f"{label} {number}")
    cert = StandardCertificate(
        application=app,
        standard=standard,
        number=number,
        authority=app.authority,
        issued_on=on,
        valid_from=on,
        valid_until=valid_until,
    )
    try:
        cert.xml, cert.key_serial = signing.sign(cert)
    except KeyInfrastructureError as exc:
        raise Refused([("certificate", gettext("证书无法签名：%(error)s") % {"error": exc})]) from None
    cert.sha256 = hashlib.sha256(cert.xml).hexdigest()
    cert.save()
    app.standard = standard
    post_check = on + dt.timedelta(days=POST_CHECK_DAYS) if app.commitment else None
    _move(
        app, S.APPROVED, decided_on=on, decision_reason=(reason or "").strip()[:300], standard=standard, post_check_due=post_check
    )
    return cert


@transaction.atomic
def refuse(actor: Actor | None, app: Application, reason: str, on: dt.date | None = None) -> Application:
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "refuse", app, "authority")
    if not (reason or "").strip():
        raise Refused([("reason", gettext("JJF 1033-2023 §5.4：不予批准须说明理由"))])
    return _move(app, S.REFUSED, decided_on=on, decision_reason=reason.strip()[:300])


RULE_POST_CHECK = "国办发〔2020〕42号 告知承诺制（事后核查）"


@transaction.atomic
def post_check(actor: Actor | None, app: Application, conforming: bool, note: str = "", on: dt.date | None = None) -> Application:
    """The authority's check after a decision on a commitment (告知承诺, 国办发〔2020〕42号):
    conforming closes it; a first finding that the commitment was not kept sets a
    rectification deadline (责令限期整改) and a second check; not kept after it, the
    approval is revoked (依法撤销): the standard is cancelled from that day, the reason
    in its status history, which the traceability engine reads."""
    on = _today(on)
    app = _locked(app)
    _refuse_unless(actor, APPLICATION_POLICY, "post_check", app, "authority")
    note = (note or "").strip()
    if not conforming and not note:
        raise Refused([("note", gettext("%(rule)s：不符合承诺须写明核查发现的问题") % {"rule": RULE_POST_CHECK})])
    P = Application.PostCheck
    if conforming:
        result, due = P.CONFORMING, None
    elif app.post_check != P.RECTIFY:
        result, due = P.RECTIFY, working_days_after(on, settings.JILIANG_ASSESSMENT_RECTIFICATION_WORKING_DAYS)
    else:
        result, due = P.REVOKED, None
        standard = app.standard
        if standard is not None and standard.status != reg.MeasurementStandard.Status.CANCELLED:
            reason = gettext("%(rule)s：%(number)s 整改后仍不符合承诺，撤销考核合格决定") % {
                "rule": RULE_POST_CHECK,
                "number": app.number,
            }
            with audit_context(reason=reason[:300]):
                change_standard_status(actor or Actor(NATIONAL), standard, "cancelled", reason[:300], on)
    app.post_check, app.post_checked_on, app.post_check_note, app.post_check_due = result, on, note[:500], due
    app.save(update_fields=["post_check", "post_checked_on", "post_check_note", "post_check_due"])
    return app


# -- in service ---------------------------------------------------------------------------


@transaction.atomic
def file_change(
    actor: Actor | None, standard: reg.MeasurementStandard, *, kind: str, description: str, effective_on=None, on=None
) -> ChangeFiling:
    on = _today(on)
    if actor is not None and not FILING_POLICY.may_file(actor, standard):
        raise Refused([("standard", gettext("只有计量标准持有单位的人员可以申报变更"))], forbidden=True)
    if kind not in ChangeFiling.Kind.values:
        raise Refused([("kind", gettext("JJF 1033-2023 §6：%(kind)s 不是规定的变更类别") % {"kind": repr(kind)})])
    if not (description or "").strip():
        raise Refused([("description", gettext("请说明变更内容及原因"))])
    if standard.status == reg.MeasurementStandard.Status.CANCELLED:
        raise Refused([("standard", gettext("%(standard)s 已撤销") % {"standard": standard})])
    filing = ChangeFiling.objects.create(
        number=f"tmp-{timezone.now().timestamp()}",
        standard=standard,
        kind=kind,
        description=description.strip()[:500],
        effective_on=effective_on or on,
        filed_on=on,
    )
    filing.number = f"BG{on.year}-{filing.pk:05d}"
    filing.save(update_fields=["number"])
    return filing


@transaction.atomic
def review_change(actor: Actor | None, filing: ChangeFiling, action: str, note: str = "", on=None) -> ChangeFiling:
    """The authority's review: approve (备案; a seal, cancellation or restoration then writes
    the registry's dated status change), ask for a new assessment, or reject."""
    on = _today(on)
    filing = (
        ChangeFiling.objects.select_for_update(of=("self",))
        .select_related("standard__issuing_department__region")
        .get(pk=filing.pk)
    )
    if action not in FILING_POLICY.transitions:
        raise Refused([("action", gettext("%(action)s 须为 approve、reassess 或 reject") % {"action": repr(action)})])
    _refuse_unless(actor, FILING_POLICY, action, filing, "authority")
    if action == "approve" and filing.kind in rules.REASSESS_ALWAYS:
        raise Refused([("action", gettext("JJF 1033-2023 §6：计量标准迁址须重新考核（reassess）"))])
    if action == "reject" and not (note or "").strip():
        raise Refused([("note", gettext("驳回须说明理由"))])
    if action == "approve" and filing.kind in ChangeFiling.STATUS_OF_KIND:
        standard = filing.standard
        if filing.kind == "restore":
            devices = list(standard.devices.all())
            verdicts = validity.item_verdicts([d.pk for d in devices], filing.effective_on)
            broken = [d.code for d in devices if not verdicts[d.pk]["valid"]]
            if broken:
                raise Refused(
                    [
                        (
                            "standard",
                            gettext("%(rule)s：恢复使用前须重新检定或校准 %(devices)s")
                            % {"rule": rules.RULE_TRACEABLE, "devices": enumeration(broken)},
                        )
                    ]
                )
        reason = f"{filing.get_kind_display()}：{filing.description}"[:300]
        with audit_context(reason=reason):
            # The filing's review is the authority's act; a run without a signed-in actor (the
            # CLI, the demo) acts as the platform.
            change_standard_status(
                actor or Actor(NATIONAL), standard, ChangeFiling.STATUS_OF_KIND[filing.kind], reason, filing.effective_on
            )
    filing.status = FILING_POLICY.transitions[action][1]
    filing.review_note, filing.reviewed_on = (note or "").strip()[:300], on
    filing.save(update_fields=["status", "review_note", "reviewed_on"])
    return filing


# -- reminders ----------------------------------------------------------------------------


def deadlines(today: dt.date):
    """(subject, object id, label, due date, recipient organisation) of every open deadline."""
    out = []
    apps = Application.objects.filter(status__in=Application.OPEN, due_on__isnull=False).select_related("authority", "holder")
    subject = {
        S.SUBMITTED: Reminder.Subject.ACCEPTANCE,
        S.ACCEPTED: Reminder.Subject.EVALUATION,
        S.EVALUATING: Reminder.Subject.EVALUATION,
        S.RECTIFICATION: Reminder.Subject.RECTIFICATION,
        S.EVALUATED: Reminder.Subject.DECISION,
    }
    for app in apps:
        recipient = app.holder if app.status == S.RECTIFICATION else app.authority
        out.append((subject[app.status], app.pk, f"{app.number} {app.name}", app.due_on, recipient))
    for f in Finding.objects.filter(status=Finding.Status.OPEN).select_related("application__holder"):
        out.append((Reminder.Subject.RECTIFICATION, f.pk, f"{f.application.number} {f.clause}", f.deadline, f.application.holder))
    horizon = reg.reexamination_horizon(today)
    pending = Application.objects.filter(status__in=Application.OPEN, kind="reexamination").values_list("standard_id", flat=True)
    standards = reg.MeasurementStandard.objects.filter(
        status=reg.MeasurementStandard.Status.ACTIVE, valid_until__gte=today, valid_until__lte=horizon
    ).exclude(pk__in=pending)
    for std in standards.select_related("holder"):
        out.append((Reminder.Subject.REEXAMINATION, std.pk, f"{std.certificate_number} {std.name}", std.valid_until, std.holder))
    return out


@transaction.atomic
def send_reminders(today: dt.date | None = None, steps=None) -> list[Reminder]:
    """A reminder at each step (days before the deadline) reached and not sent yet; the
    demo's activity and `jiliang assessment remind` (cron) call it."""
    today = _today(today)
    steps = sorted(steps or settings.JILIANG_ASSESSMENT_REMINDER_DAYS)
    sent = []
    for subject, object_id, label, due_on, recipient in deadlines(today):
        left = (due_on - today).days
        reached = [s for s in steps if left <= s]
        if not reached:
            continue
        stage = min(reached)  # the nearest step reached: one reminder per step, not a flood
        row, created = Reminder.objects.get_or_create(
            subject=subject,
            object_id=object_id,
            stage=stage,
            due_on=due_on,
            defaults={"label": label[:300], "recipient": recipient, "sent_on": today},
        )
        if created:
            sent.append(row)
    return sent
