"""The use cases of a comparison, one transaction each.

draft → open (the pilot opens submissions) → closed (the pilot closes them) → computed (the
pilot computes with an estimator of ``jiliang.core.comparison``) → draft_a → draft_b (the
pilot writes the reports) → approved (the administrator) → published (the administrator).

Every function takes the acting ``user``, checks its role, locks the comparison row,
refuses bad input with ``WorkflowError`` (nothing written) and appends to the audit
ledger when the audit app is installed. Audit entries of submissions carry who and
which measurand, never the values; until the close the row the ledger digests holds the
values only as ciphertext (``sealing``).
"""

from __future__ import annotations

import datetime as dt
import json
import math

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.audit.services import record as audit_record
from jiliang.core.comparison import ESTIMATORS, ComparisonInputError, compute_document
from jiliang.core.comparison.plots import comparison_figure
from jiliang.core.comparison.scores import QUESTIONABLE, UNSATISFACTORY
from jiliang.messages import enumeration, reason
from jiliang.registry.models import MeasurementStandard, Organisation, Quantity, Region

from . import sealing
from .errors import NotAllowed, WorkflowError
from .models import ArtefactMovement, Comparison, FollowUpAction, Measurand, Participant, Report, Submission, SubmissionKey
from .permissions import actor_organisations, administers_region
from .policies import require_state

S = Comparison.Status
FOLLOW_UP_DAYS = 90  # time an institution gets to act on an unsatisfactory result
MAX_BUDGET_COMPONENTS = 200


def _audit(action: str, obj, user, *, old=None, new=None) -> None:
    audit_record(action, obj, actor=user, old=old, new=new)


def _locked(comparison: Comparison) -> Comparison:
    return (
        Comparison.objects.select_for_update(of=("self",)).select_related("administrator_region", "pilot").get(pk=comparison.pk)
    )


def _require_pilot(user, comparison: Comparison) -> None:
    if comparison.pilot_id not in actor_organisations(user):
        raise NotAllowed(gettext("只有主导实验室的人员可以进行此操作"))


def _require_administrator(user, comparison: Comparison) -> None:
    if not administers_region(user, comparison.administrator_region):
        raise NotAllowed(gettext("只有组织比对地区的计量行政部门可以进行此操作"))


def _require_organiser(user, comparison: Comparison) -> None:
    if comparison.pilot_id not in actor_organisations(user) and not administers_region(user, comparison.administrator_region):
        raise NotAllowed(gettext("只有主导实验室或组织比对的计量行政部门可以进行此操作"))


def _transition(user, comparison: Comparison, new_status: str, **fields) -> Comparison:
    old_status, new_status = str(comparison.status), str(new_status)
    comparison.status = new_status
    for name, value in fields.items():
        setattr(comparison, name, value)
    comparison.save()
    _audit(
        "status_change",
        comparison,
        user,
        old={"status": old_status},
        new={"status": new_status, **{k: _jsonable(v) for k, v in fields.items()}},
    )
    return comparison


def _jsonable(value):
    if isinstance(value, str):
        return str(value)  # TextChoices members are str subclasses the ledger refuses
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


# ---------------------------------------------------------------- setting up


SCHEDULE_FIELDS = ("registration_deadline", "circulation_start", "circulation_end", "submission_deadline")


def _check_schedule(values: dict) -> None:
    start, end = values.get("circulation_start"), values.get("circulation_end")
    if start and end and end < start:
        raise WorkflowError("circulation_end", gettext("传递结束日期不能早于传递开始日期"))
    if values.get("submission_deadline") is None:
        raise WorkflowError("submission_deadline", gettext("须填写结果提交截止时间"))


@transaction.atomic
def create_comparison(
    user,
    *,
    code: str,
    title: str,
    kind: str,
    pilot: Organisation,
    administrator_region: Region,
    submission_deadline: dt.datetime,
    description: str = "",
    registration_deadline=None,
    circulation_start=None,
    circulation_end=None,
) -> Comparison:
    """A new comparison in draft, by the administrator of the region or the pilot's staff."""
    if pilot.pk not in actor_organisations(user) and not administers_region(user, administrator_region):
        raise NotAllowed(gettext("比对由主导实验室或组织比对地区的计量行政部门发起"))
    if kind in Comparison.INTERNATIONAL_KINDS:
        raise WorkflowError(
            "kind",
            gettext(
                "JJF 1117-2010 第3章：在国内组织的比对是国家、大区或地方计量比对；"
                "CIPM/RMO 关键比对和补充比对只能从导入的 KCDB 结果登记"
            ),
        )
    if kind not in Comparison.DOMESTIC_KINDS:
        raise WorkflowError("kind", gettext("须为 %(options)s 之一") % {"options": enumeration(Comparison.DOMESTIC_KINDS)})
    if not code.strip():
        raise WorkflowError("code", gettext("须填写比对编号"))
    if Comparison.objects.filter(code=code).exists():
        raise WorkflowError("code", gettext("比对编号 %(code)s 已存在") % {"code": code})
    values = dict(
        registration_deadline=registration_deadline,
        circulation_start=circulation_start,
        circulation_end=circulation_end,
        submission_deadline=submission_deadline,
    )
    _check_schedule(values)
    comparison = Comparison.objects.create(
        code=code,
        title=title,
        kind=kind,
        pilot=pilot,
        administrator_region=administrator_region,
        description=description,
        **values,
    )
    _audit("create", comparison, user, new={"code": code, "pilot": pilot.pk, "administrator_region": administrator_region.code})
    return comparison


@transaction.atomic
def update_schedule(user, comparison: Comparison, **changes) -> Comparison:
    """Change dates (a deadline may be extended while submissions are open)."""
    comparison = _locked(comparison)
    _require_organiser(user, comparison)
    require_state(comparison, "schedule")
    unknown = set(changes) - set(SCHEDULE_FIELDS)
    if unknown:
        raise WorkflowError(sorted(unknown)[0], gettext("不是比对日程的字段"))
    old = {k: _jsonable(getattr(comparison, k)) for k in changes}
    values = {k: getattr(comparison, k) for k in SCHEDULE_FIELDS} | changes
    _check_schedule(values)
    for name, value in changes.items():
        setattr(comparison, name, value)
    comparison.save()
    _audit("update", comparison, user, old=old, new={k: _jsonable(v) for k, v in changes.items()})
    return comparison


@transaction.atomic
def set_protocol(user, comparison: Comparison, upload) -> Comparison:
    comparison = _locked(comparison)
    _require_organiser(user, comparison)
    require_state(comparison, "protocol")
    if upload is None or not getattr(upload, "size", 0):
        raise WorkflowError("protocol", gettext("文件为空"))
    comparison.protocol.save(upload.name, upload, save=False)
    comparison.protocol_name = upload.name[:200]
    comparison.save()
    _audit("update", comparison, user, new={"protocol": comparison.protocol_name})
    return comparison


@transaction.atomic
def add_measurand(
    user, comparison: Comparison, *, name: str, quantity: Quantity, unit: str = "", nominal_value: float | None = None
) -> Measurand:
    comparison = _locked(comparison)
    _require_organiser(user, comparison)
    require_state(comparison, "measurand")
    if not name.strip():
        raise WorkflowError("name", gettext("须填写被测量名称"))
    if comparison.measurands.filter(name=name).exists():
        raise WorkflowError("name", gettext("本比对已有被测量 %(name)s") % {"name": name})
    if nominal_value is not None and not math.isfinite(nominal_value):
        raise WorkflowError("nominal_value", gettext("须为有限数值"))
    measurand = Measurand.objects.create(
        comparison=comparison, name=name, quantity=quantity, unit=unit or quantity.unit, nominal_value=nominal_value
    )
    _audit("create", measurand, user, new={"comparison": comparison.code, "name": name, "unit": measurand.unit})
    return measurand


@transaction.atomic
def add_participant(
    user,
    comparison: Comparison,
    *,
    institution: Organisation,
    standard: MeasurementStandard | None = None,
    label: str = "",
    in_reference: bool = True,
) -> Participant:
    comparison = _locked(comparison)
    _require_organiser(user, comparison)
    require_state(comparison, "participant")
    if standard is not None and standard.holder_id != institution.pk:
        raise WorkflowError(
            "standard",
            gettext("计量标准 %(standard)s 的持有单位是 %(holder)s，不是 %(institution)s")
            % {"standard": standard, "holder": standard.holder, "institution": institution.name},
        )
    if comparison.participants.filter(institution=institution).exists():
        raise WorkflowError("institution", gettext("%(institution)s 已是参加单位") % {"institution": institution.name})
    label = (label or institution.name).strip()[:60]
    if comparison.participants.filter(label=label).exists():
        raise WorkflowError("label", gettext("代号 %(label)s 已被使用") % {"label": label})
    participant = Participant.objects.create(
        comparison=comparison, institution=institution, standard=standard, label=label, in_reference=in_reference
    )
    _audit(
        "create",
        participant,
        user,
        new={"comparison": comparison.code, "institution": institution.pk, "standard": standard.pk if standard else None},
    )
    return participant


@transaction.atomic
def record_movement(
    user,
    comparison: Comparison,
    *,
    holder: Organisation,
    received_on: dt.date,
    condition_on_arrival: str,
    sent_on: dt.date | None = None,
    notes: str = "",
) -> ArtefactMovement:
    """Log a stay of the artefact: by the organisers, or by the holder itself."""
    comparison = _locked(comparison)
    if holder.pk not in actor_organisations(user):
        _require_organiser(user, comparison)
    require_state(comparison, "movement")
    if holder.pk != comparison.pilot_id and not comparison.participants.filter(institution=holder).exists():
        raise WorkflowError("holder", gettext("%(holder)s 既不是主导实验室，也不是参加单位") % {"holder": holder.name})
    if sent_on is not None and sent_on < received_on:
        raise WorkflowError("sent_on", gettext("发出日期不能早于接收日期"))
    if not condition_on_arrival.strip():
        raise WorkflowError("condition_on_arrival", gettext("须填写到达时的状态"))
    movement = ArtefactMovement.objects.create(
        comparison=comparison,
        holder=holder,
        received_on=received_on,
        sent_on=sent_on,
        condition_on_arrival=condition_on_arrival,
        notes=notes,
    )
    _audit(
        "create", movement, user, new={"comparison": comparison.code, "holder": holder.pk, "received_on": received_on.isoformat()}
    )
    return movement


# ---------------------------------------------------------------- submissions


@transaction.atomic
def open_submissions(user, comparison: Comparison) -> Comparison:
    comparison = _locked(comparison)
    _require_pilot(user, comparison)
    require_state(comparison, "open")
    if not comparison.measurands.exists():
        raise WorkflowError("measurands", gettext("比对至少需要一个被测量"))
    if comparison.participants.count() < 2:
        raise WorkflowError("participants", gettext("比对至少需要两个参加单位"))
    if comparison.submission_deadline <= timezone.now():
        raise WorkflowError("submission_deadline", gettext("结果提交截止时间已过"))
    return _transition(user, comparison, S.OPEN)


def _check_budget(budget) -> list:
    if budget in (None, ""):
        return []
    if not isinstance(budget, list) or len(budget) > MAX_BUDGET_COMPONENTS:
        raise WorkflowError("budget", gettext("须为不超过 %(limit)s 个分量的列表") % {"limit": MAX_BUDGET_COMPONENTS})
    for i, component in enumerate(budget):
        if not isinstance(component, dict) or not str(component.get("name", "")).strip():
            raise WorkflowError("budget", gettext("第 %(n)s 个分量须为带名称（name）的对象") % {"n": i + 1})
    try:
        json.dumps(budget, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WorkflowError("budget", gettext("须为不含 NaN 或无穷大的 JSON（%(detail)s）") % {"detail": exc}) from None
    return budget


def _positive(value, field: str, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise WorkflowError(field, gettext("必填"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WorkflowError(field, gettext("必须是数字（输入值 %(got)s）") % {"got": repr(value)}) from None
    if not (math.isfinite(number) and number > 0):
        raise WorkflowError(field, gettext("须为有限正数（输入值 %(got)s）") % {"got": repr(value)})
    return number


@transaction.atomic
def submit(
    user,
    comparison: Comparison,
    *,
    measurand: Measurand,
    value,
    u,
    dof=None,
    budget=None,
    budget_file=None,
    now: dt.datetime | None = None,
) -> Submission:
    """The acting institution's result for one measurand; a later call replaces it (until the close)."""
    comparison = _locked(comparison)
    participant = comparison.participants.filter(institution_id__in=actor_organisations(user)).first()
    if participant is None:
        raise NotAllowed(gettext("只有参加单位的人员可以提交结果"))
    require_state(comparison, "submit")
    now = now or timezone.now()
    if now > comparison.submission_deadline:
        raise WorkflowError(
            "submission_deadline",
            gettext("结果提交截止时间 %(deadline)s 已过，不再接收结果")
            % {"deadline": comparison.submission_deadline.isoformat()},
        )
    if measurand.comparison_id != comparison.pk:
        raise WorkflowError("measurand", gettext("不是本比对的被测量"))
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise WorkflowError("value", gettext("必须是数字（输入值 %(got)s）") % {"got": repr(value)}) from None
    if not math.isfinite(value):
        raise WorkflowError("value", gettext("须为有限数值"))
    u = _positive(u, "u", required=True)
    dof = _positive(dof, "dof", required=False)
    budget = _check_budget(budget)
    existing = Submission.objects.select_for_update().filter(participant=participant, measurand=measurand).first()
    if existing is None:
        submission = Submission(participant=participant, measurand=measurand, revision=1)
        action, key, file_name = "create", sealing.new_key(), ""
    else:
        submission = existing
        key_row = SubmissionKey.objects.filter(submission_id=existing.pk).first()
        key = bytes.fromhex(key_row.key) if key_row else sealing.new_key()
        file_name = existing.content.budget_file_name
        submission.revision += 1
        action = "update"
        if submission.budget_file and budget_file is not None:
            submission.budget_file.delete(save=False)
    submission.submitted_by = user if getattr(user, "pk", None) else None
    submission.submitted_at = now
    if budget_file is not None:
        submission.budget_file.save(budget_file.name, budget_file, save=False)  # stored under a random name
        file_name = budget_file.name[:200]
    # The row holds the values only as ciphertext until the close (``sealing``): the ledger
    # digests the row, and a digest of plain values can be inverted by trying candidates.
    content = sealing.Content(value, u, dof, budget, file_name)
    submission.sealed = sealing.seal(key, content, sealing.associated_data(participant.pk, measurand.pk, submission.revision))
    submission.value = submission.u = submission.dof = None
    submission.budget, submission.budget_file_name, submission.seal_key = [], "", ""
    submission.save()
    SubmissionKey.objects.update_or_create(submission_id=submission.pk, defaults={"key": key.hex()})
    submission.__dict__["content"] = content
    # No values in the ledger: it is readable by auditors while the seal holds.
    _audit(
        action,
        submission,
        user,
        new={
            "comparison": comparison.code,
            "participant": participant.label,
            "measurand": measurand.name,
            "revision": submission.revision,
        },
    )
    return submission


def _open_sealed(user, comparison: Comparison) -> None:
    """At the close: every sealed submission's values written in plain, its key revealed in
    the row and in the ledger (so the sealed digest recorded before can be checked against them)."""
    rows = Submission.objects.select_for_update(of=("self",)).filter(measurand__comparison=comparison).order_by("pk")
    keys = dict(SubmissionKey.objects.filter(submission__measurand__comparison=comparison).values_list("submission_id", "key"))
    for submission in rows.select_related("participant", "measurand"):
        if not submission.is_sealed:
            continue
        key = keys[submission.pk]
        content = sealing.unseal(bytes.fromhex(key), submission.sealed, submission.aad())
        submission.value, submission.u, submission.dof = content.value, content.u, content.dof
        submission.budget, submission.budget_file_name, submission.seal_key = content.budget, content.budget_file_name, key
        submission.save(update_fields=list(sealing.OPENED_FIELDS))
        _audit(
            "update",
            submission,
            user,
            new={
                "comparison": comparison.code,
                "participant": submission.participant.label,
                "measurand": submission.measurand.name,
                "seal_key": key,
            },
        )
    SubmissionKey.objects.filter(submission_id__in=list(keys)).delete()


@transaction.atomic
def close_submissions(user, comparison: Comparison) -> Comparison:
    comparison = _locked(comparison)
    _require_pilot(user, comparison)
    require_state(comparison, "close")
    _open_sealed(user, comparison)
    return _transition(user, comparison, S.CLOSED, closed_at=timezone.now())


# ---------------------------------------------------------------- computing


def measurand_rows(measurand: Measurand) -> list[dict]:
    """The measurand's submissions in the core's input format (participants in their order)."""
    rows = []
    for label, in_ref, value, u, dof in (
        Submission.objects.filter(measurand=measurand)
        .order_by("participant_id")
        .values_list("participant__label", "participant__in_reference", "value", "u", "dof")
    ):
        row = {"lab": label, "value": value, "u": u, "in_reference": 1 if in_ref else 0}
        if dof is not None:
            row["dof"] = dof
        rows.append(row)
    return rows


def _plot_svg(rows: list[dict], document: dict, title: str) -> str:
    nan = float("nan")
    labs = [r["lab"] for r in rows]
    excluded = set(document["excluded"])
    ref = document["reference"]
    by_lab = {p["lab"]: p for p in document["participants"]}

    def num(v):
        return nan if v is None else v

    svg = comparison_figure(
        labs,
        [r["value"] for r in rows],
        [2.0 * r["u"] for r in rows],
        ref["value"],
        2.0 * num(ref["u"]),
        [num(by_lab[lab]["d"]) for lab in labs],
        [num(by_lab[lab]["U_d"]) for lab in labs],
        fmt="svg",
        title=title,
        used=[lab not in excluded for lab in labs],
    )
    return svg.decode("utf-8")


def verdicts(participant_doc: dict) -> list[tuple[str, str]]:
    """(verdict, reason) of one participant's scores: |En| > 1 or |z| ≥ 3 unsatisfactory,
    2 < |z| < 3 questionable (ISO 13528:2022 §9.4.2, §9.7.2). Empty when satisfactory."""
    found = []
    en, z = participant_doc.get("En"), participant_doc.get("z")
    if en is not None and abs(en) > 1.0:
        found.append((UNSATISFACTORY, f"|En| = {abs(en):.3g} > 1"))
    if z is not None and abs(z) >= 3.0:
        found.append((UNSATISFACTORY, f"|z| = {abs(z):.3g} ≥ 3"))
    elif z is not None and abs(z) > 2.0:
        found.append((QUESTIONABLE, f"2 < |z| = {abs(z):.3g} < 3"))
    return found


@transaction.atomic
def compute(user, comparison: Comparison, *, estimator: str, sigma_pt: float | None = None) -> Comparison:
    """Compute every measurand with the core's ``compute_document`` (may be repeated until Draft A)."""
    comparison = _locked(comparison)
    _require_pilot(user, comparison)
    require_state(comparison, "compute")
    if estimator not in ESTIMATORS:
        raise WorkflowError("estimator", gettext("须为 %(options)s 之一") % {"options": enumeration(ESTIMATORS)})
    if sigma_pt is not None:
        sigma_pt = _positive(sigma_pt, "sigma_pt", required=False)
    measurands = list(comparison.measurands.order_by("id"))
    participants = {p.label: p for p in comparison.participants.select_related("standard", "institution")}
    computed = []
    for measurand in measurands:
        rows = measurand_rows(measurand)
        if not rows:
            raise WorkflowError("measurand", gettext("被测量 %(name)s 没有提交的结果") % {"name": measurand.name})
        try:
            document = compute_document(rows, estimator, sigma_pt)
        except ComparisonInputError as exc:
            raise WorkflowError(f"{measurand.name}.{exc.field}", reason(exc), code=exc.code, **exc.params) from exc
        computed.append((measurand, rows, document))
    # Results of an earlier computation are replaced, with the follow-ups nobody has started on.
    for stale in comparison.follow_ups.filter(status=FollowUpAction.Status.OPEN):
        _audit(
            "delete",
            stale,
            user,
            old={"participant": stale.participant_id, "measurand": stale.measurand_id, "verdict": stale.verdict},
        )
        stale.delete()
    started = set(comparison.follow_ups.values_list("participant_id", "measurand_id"))
    due_on = timezone.localdate() + dt.timedelta(days=FOLLOW_UP_DAYS)
    for measurand, rows, document in computed:
        measurand.result = document
        measurand.plot_svg = _plot_svg(rows, document, f"{comparison.code} {measurand.name}")
        measurand.save(update_fields=["result", "plot_svg"])
        _audit("update", measurand, user, new={"estimator": estimator, "reference": document["reference"]["value"]})
        for entry in document["participants"]:
            found = verdicts(entry)
            participant = participants[entry["lab"]]
            if not found or (participant.pk, measurand.pk) in started:
                continue
            verdict = UNSATISFACTORY if any(v == UNSATISFACTORY for v, _ in found) else QUESTIONABLE
            action = FollowUpAction.objects.create(
                comparison=comparison,
                participant=participant,
                measurand=measurand,
                institution=participant.institution,
                standard=participant.standard,
                verdict=verdict,
                reason="; ".join(reason for _, reason in found)[:200],
                due_on=due_on,
            )
            _audit(
                "create",
                action,
                user,
                new={
                    "comparison": comparison.code,
                    "institution": participant.institution_id,
                    "standard": participant.standard_id,
                    "verdict": verdict,
                },
            )
    return _transition(user, comparison, S.COMPUTED, estimator=estimator, sigma_pt=sigma_pt, computed_at=timezone.now())


# ---------------------------------------------------------------- reports and publication


def result_tables(comparison: Comparison) -> list[dict]:
    """Per measurand: the reference value and each participant's value, u and scores with verdicts."""
    tables = []
    for measurand in comparison.measurands.order_by("id"):
        if not measurand.result:
            continue
        submitted = {s.participant.label: s for s in Submission.objects.filter(measurand=measurand).select_related("participant")}
        rows = []
        for entry in measurand.result["participants"]:
            sub = submitted.get(entry["lab"])
            flags = verdicts(entry)
            rows.append(
                {
                    **entry,
                    "value": sub.value if sub else None,
                    "u": sub.u if sub else None,
                    "verdict": flags[0][0] if flags else "satisfactory",
                    "excluded": entry["lab"] in measurand.result["excluded"],
                }
            )
        tables.append({"measurand": measurand, "document": measurand.result, "rows": rows, "plot_svg": measurand.plot_svg})
    return tables


def render_report(comparison: Comparison, stage: str, introduction: str, discussion: str, conclusions: str) -> str:
    return render_to_string(
        "comparisons/report.html",
        {
            "comparison": comparison,
            "stage": Report.Stage(stage).label,
            "introduction": introduction,
            "discussion": discussion,
            "conclusions": conclusions,
            "tables": result_tables(comparison),
            "participants": comparison.participants.select_related("institution", "standard"),
        },
    )


@transaction.atomic
def write_report(
    user, comparison: Comparison, *, stage: str, introduction: str = "", discussion: str = "", conclusions: str = ""
) -> Report:
    """Write (or rewrite) Draft A after computing, then Draft B after Draft A."""
    comparison = _locked(comparison)
    _require_pilot(user, comparison)
    if stage == Report.Stage.DRAFT_A:
        require_state(comparison, "draft_a")
    elif stage == Report.Stage.DRAFT_B:
        require_state(comparison, "draft_b")
    else:
        raise WorkflowError("stage", gettext("须为 %(options)s 之一") % {"options": enumeration(Report.Stage.values)})
    html = render_report(comparison, stage, introduction, discussion, conclusions)
    report, created = Report.objects.update_or_create(
        comparison=comparison,
        stage=stage,
        defaults=dict(
            introduction=introduction,
            discussion=discussion,
            conclusions=conclusions,
            html=html,
            written_by=user if getattr(user, "pk", None) else None,
            written_at=timezone.now(),
        ),
    )
    _audit("create" if created else "update", report, user, new={"comparison": comparison.code, "stage": str(stage)})
    if comparison.status != stage:
        _transition(user, comparison, stage)
    return report


@transaction.atomic
def approve(user, comparison: Comparison) -> Comparison:
    comparison = _locked(comparison)
    _require_administrator(user, comparison)
    require_state(comparison, "approve")
    return _transition(user, comparison, S.APPROVED, approved_at=timezone.now(), approved_by=user)


@transaction.atomic
def publish(user, comparison: Comparison) -> Comparison:
    comparison = _locked(comparison)
    _require_administrator(user, comparison)
    require_state(comparison, "publish")
    return _transition(user, comparison, S.PUBLISHED, published_at=timezone.now())


@transaction.atomic
def update_follow_up(
    user, action: FollowUpAction, *, status: str | None = None, notes: str | None = None, due_on: dt.date | None = None
) -> FollowUpAction:
    """The institution records what it did; its region's administrator may also change the due date."""
    action = FollowUpAction.objects.select_for_update(of=("self",)).select_related("institution__region").get(pk=action.pk)
    is_admin = administers_region(user, action.institution.region)
    if action.institution_id not in actor_organisations(user) and not is_admin:
        raise NotAllowed(gettext("只有该单位或其所在地区的计量行政部门可以更新此后续措施"))
    if due_on is not None and not is_admin:
        raise NotAllowed(gettext("只有计量行政部门可以更改完成期限"))
    old = {"status": action.status, "due_on": action.due_on.isoformat()}
    if status is not None:
        if status not in FollowUpAction.Status.values:
            raise WorkflowError(
                "status", gettext("须为 %(options)s 之一") % {"options": enumeration(FollowUpAction.Status.values)}
            )
        action.status = status
        action.closed_at = timezone.now() if status == FollowUpAction.Status.CLOSED else None
    if notes is not None:
        action.notes = notes
    if due_on is not None:
        action.due_on = due_on
    action.save()
    _audit(
        "status_change" if status and status != old["status"] else "update",
        action,
        user,
        old=old,
        new={"status": action.status, "due_on": action.due_on.isoformat()},
    )
    return action
