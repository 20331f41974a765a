"""The registry's use cases, one transaction each: a standard's status change, and writing
a calibration or verification event. The API, the pages, the CLI and the verification
workflow call these, so every write path passes the same rules.

A refusal raises ``Refused`` with every (field, reason) found, and writes nothing;
``forbidden`` tells a refusal of who may do it (403) from one of what was asked (400).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext

from jiliang.policies import NATIONAL, Actor

from . import models, validity
from .policies import EventPolicy, StandardPolicy

EVENT_POLICY = EventPolicy()
STANDARD_POLICY = StandardPolicy()

# Institutions that may perform verification (检定) of instruments under mandatory
# verification: legal metrology institutes set up, and institutions authorised, by the
# government's metrology administration (计量法 第二十条; 计量法实施细则 第十一条、第二十六条).
VERIFYING_KINDS = (
    models.Organisation.Kind.LEGAL_INSTITUTE,
    models.Organisation.Kind.AUTHORISED_INSTITUTE,
    models.Organisation.Kind.PROFESSIONAL_STATION,
)


# Write rules that live in the apps above the registry and that every event write passes
# all the same (apps depend downwards, so the registry cannot import them): who may
# perform a mandatory verification (jiliang.authorisation) and the institution a
# registration assigned (jiliang.verification). Each app registers its rules in ready().
#   EVENT_RULES: fn(instrument, performer, kind, performed_on) -> [(field, reason)]
#   STORED_EVENT_RULES: fn(events queryset) -> [(event id, field, reason)], set-based
EVENT_RULES: list = []
STORED_EVENT_RULES: list = []


def event_rule(fn):
    if fn not in EVENT_RULES:
        EVENT_RULES.append(fn)
    return fn


def stored_event_rule(fn):
    if fn not in STORED_EVENT_RULES:
        STORED_EVENT_RULES.append(fn)
    return fn


def is_mandatory_verification(instrument: models.Instrument, kind: str) -> bool:
    """强制检定: a verification of an instrument under mandatory verification (a catalogue
    item used for one of the legal purposes: 计量法 第九条)."""
    return kind == models.CalibrationEvent.Kind.VERIFICATION and instrument.is_mandatory


@dataclass
class Refused(Exception):
    reasons: list = field(default_factory=list)  # [(field, reason)]
    forbidden: bool = False

    def __str__(self):
        return "; ".join(f"{name}: {reason}" for name, reason in self.reasons)

    def reasons_text(self) -> str:
        """The reasons alone, for a page's message, joined in the reader's language."""
        separator = "；" if (get_language() or "").startswith("zh") else "; "
        return separator.join(str(reason) for _field, reason in self.reasons)


def date_or_refused(raw: str | None, field: str = "date") -> dt.date | None:
    """A date typed into a page's form (ISO), None when left empty; anything else is a
    refusal naming the field, as the services' own refusals are."""
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Refused([(field, gettext("日期格式应为 YYYY-MM-DD"))]) from None


# -- standards ---------------------------------------------------------------------------


def standard_refusals(standard: models.MeasurementStandard) -> list[tuple[str, str]]:
    """Who may have assessed the standard (its issuing department), each refusal naming the
    rule (计量法实施细则 第八至十条; 计量标准考核办法 第五条). The model's clean() runs the same
    rule, so the API, the import and the admin refuse alike."""
    return models.assessment_refusals(standard)


@transaction.atomic
def change_standard_status(
    actor: Actor, standard: models.MeasurementStandard, status: str, reason: str, effective_on: dt.date | None = None
) -> models.StandardStatusChange:
    """Suspend, cancel, expire or reactivate a standard's approval, with the reason recorded
    in its status history (the transitions are the policy's table)."""
    if not STANDARD_POLICY.may_change_status(actor, standard):
        raise Refused([("status", gettext("只有主管的计量行政部门可以变更计量标准的状态"))], forbidden=True)
    if standard.status == status:
        raise Refused([("status", gettext("计量标准已是“%(status)s”状态") % {"status": standard.get_status_display()})])
    action = STANDARD_POLICY.ACTION_OF_STATUS.get(status)
    if action is None:
        raise Refused([("status", gettext("%(status)s 不是计量标准的状态") % {"status": repr(status)})])
    if not STANDARD_POLICY.in_state_for(action, standard):
        raise Refused(
            [
                (
                    "status",
                    gettext("计量标准的状态为“%(status)s”；已撤销的考核不能再变更状态")
                    % {"status": standard.get_status_display()},
                )
            ]
        )
    if not (reason or "").strip():
        raise Refused([("reason", gettext("变更状态须说明理由"))])
    standard.status = status
    standard.save(update_fields=["status"])
    return models.StandardStatusChange.objects.create(
        standard=standard, status=status, effective_on=effective_on or timezone.localdate(), reason=reason
    )


# -- instruments: the catalogue's periods and type approvals -----------------------------

# Periods and service lives in a JJG are maxima ("检定周期一般不超过…"; JJF 1139 lets the
# institution fix a shorter one for the conditions of use): an instrument may carry a shorter
# one, nothing may set a longer one. One rule for every write path (API, pages, import and
# the verification workflow: Instrument.clean and verification.services call it).
PERIOD_RULE = "CATALOG-PERIOD-MAX"
# Items marked P or P+V in the catalogue need a type approval (计量法 第十三条; 计量法实施细则
# 第十五条; 公告 2019 年第 48 号 一): the instrument's approval number must be in the register,
# for its item and not revoked.
TYPE_APPROVAL_RULE = "TYPE-APPROVAL (计量法 第十三条, 实施细则 第十五条)"


def period_refusals(item: models.CatalogItem | None, period_months: int | None, service_life_years: int | None) -> list:
    """(field, reason) for an instrument's own period or service life against its item."""
    found = []
    if period_months is None and service_life_years is None:
        return found
    Mode = models.CatalogItem.Mode
    try:
        regulation = item.regulation.code if item is not None and item.regulation_id else pgettext("period rule", "目录")
    except models.Specification.DoesNotExist:  # an import's row, not written yet
        regulation = pgettext("period rule", "其检定规程")
    unlisted = pgettext("period rule", "未关联目录项的计量器具")
    if period_months is not None:
        if item is None or item.management_mode != Mode.PERIODIC:
            found.append(
                (
                    "period_months",
                    gettext("%(rule)s：%(item)s 不实行周期检定") % {"rule": PERIOD_RULE, "item": item or unlisted},
                )
            )
        elif period_months > item.period_months:
            found.append(
                (
                    "period_months",
                    gettext("%(rule)s：%(regulation)s 规定 %(code)s %(name)s 的检定周期最长 %(limit)s 个月；%(got)s 个月超过了")
                    % {
                        "rule": PERIOD_RULE,
                        "regulation": regulation,
                        "code": item.code,
                        "name": item.name,
                        "limit": item.period_months,
                        "got": period_months,
                    },
                )
            )
    if service_life_years is not None:
        if item is None or item.management_mode != Mode.FIRST_ONLY:
            found.append(
                (
                    "service_life_years",
                    gettext("%(rule)s：%(item)s 没有规定使用年限") % {"rule": PERIOD_RULE, "item": item or unlisted},
                )
            )
        elif service_life_years > item.service_life_years:
            found.append(
                (
                    "service_life_years",
                    gettext("%(rule)s：%(regulation)s 规定 %(code)s %(name)s 的使用年限最长 %(limit)s 年；%(got)s 年超过了")
                    % {
                        "rule": PERIOD_RULE,
                        "regulation": regulation,
                        "code": item.code,
                        "name": item.name,
                        "limit": item.service_life_years,
                        "got": service_life_years,
                    },
                )
            )
    return found


def type_approval_refusals(item: models.CatalogItem | None, number: str, *, required: bool, approvals=None) -> list[str]:
    """Why ``number`` is not a type approval of ``item`` in the register; ``required`` for a
    registration (备案) of an item marked P or P+V. ``approvals`` maps numbers to register rows
    (for a bulk check), else the register is read."""
    if item is None or not item.needs_type_approval:
        return []
    number = (number or "").strip()
    if not number:
        if not required:
            return []
        return [
            gettext("%(rule)s：%(code)s %(name)s 在目录中标为 %(mark)s（公告 2019 年第 48 号 一）：须填写登记的型式批准编号")
            % {"rule": TYPE_APPROVAL_RULE, "code": item.code, "name": item.name, "mark": item.supervision}
        ]
    approval = (
        approvals.get(number)
        if approvals is not None
        else models.TypeApproval.objects.filter(number=number).select_related("catalog_item").first()
    )
    if approval is None:
        return [gettext("%(rule)s：%(number)s 不在型式批准登记中") % {"rule": TYPE_APPROVAL_RULE, "number": number}]
    if approval.catalog_item_id != item.pk:
        return [
            gettext("%(rule)s：%(number)s 批准的是 %(approved)s，不是 %(code)s %(name)s")
            % {
                "rule": TYPE_APPROVAL_RULE,
                "number": number,
                "approved": approval.catalog_item,
                "code": item.code,
                "name": item.name,
            }
        ]
    if approval.status != models.TypeApproval.Status.VALID:
        return [
            gettext("%(rule)s：型式批准 %(number)s 的状态为“%(status)s”")
            % {"rule": TYPE_APPROVAL_RULE, "number": number, "status": approval.get_status_display()}
        ]
    return []


def instrument_refusals(instrument: models.Instrument) -> list:
    """(field, reason) every write path of the registry (API, pages, import: the model's
    clean) refuses an instrument for: a period or service life longer than its item's JJG
    allows. The type approval is judged where an instrument is filed for mandatory
    verification (``registration_refusals``): the registry also holds instruments made before
    the register, and an import restores a history whose approvals come in the same files."""
    item = instrument.catalog_item if instrument.catalog_item_id else None
    return period_refusals(item, instrument.period_months, instrument.service_life_years)


def registration_refusals(instruments: list[models.Instrument]) -> list[tuple[int, str, str]]:
    """(index, field, reason) for instruments filed for mandatory verification (备案): the item
    must be under mandatory verification (V or P+V), the type approval of a P+V item must be
    in the register, and the period rule holds. Two queries for any number of instruments."""
    item_ids = {i.catalog_item_id for i in instruments if i.catalog_item_id}
    items = models.CatalogItem.objects.select_related("regulation").in_bulk(item_ids)
    numbers = {i.type_approval_number.strip() for i in instruments if i.type_approval_number}
    approvals = {a.number: a for a in models.TypeApproval.objects.filter(number__in=numbers).select_related("catalog_item")}
    found = []
    for index, instrument in enumerate(instruments):
        item = items.get(instrument.catalog_item_id)
        if item is None:
            continue
        if not item.needs_verification:
            found.append(
                (
                    index,
                    "catalog_item",
                    gettext("%(code)s %(name)s 在目录中标为 P（公告 2019 年第 48 号 二）：不属于强制检定")
                    % {"code": item.code, "name": item.name},
                )
            )
            continue
        found += [(index, f, why) for f, why in period_refusals(item, instrument.period_months, instrument.service_life_years)]
        found += [
            (index, "type_approval_number", why)
            for why in type_approval_refusals(item, instrument.type_approval_number, required=True, approvals=approvals)
        ]
    return found


# -- calibration and verification events -------------------------------------------------


def performer_reaches(performer: models.Organisation, instrument: models.Instrument, kind: str) -> bool:
    """Whether an institution may record an event on an instrument: its own instruments;
    instruments in the area it serves (the region of the administration that set it up or
    authorised it: 计量法 第二十条, 实施细则 第十一条 — an institution's region and the
    regions inside it); and the calibration of another holder's standard device, which
    the holder may send to any institution able to calibrate it (JJF 1033-2023 §4.2.1,
    traceability of the standard's devices)."""
    if instrument.owner_id == performer.pk:
        return True
    if kind == models.CalibrationEvent.Kind.CALIBRATION and instrument.standard_id is not None:
        return True
    prefix = performer.region.descendant_codes_prefix()
    return instrument.region.code.startswith(prefix)


# Calibration and verification apart (issue 17). The rule codes name the clause they follow:
# - a verification (检定) states conformity: 合格 with a validity (检定证书, 有效期至 from the
#   regulation's period), 不合格 with none (检定结果通知书): 计量检定印、证管理办法 第五条、第六条,
#   JJF 1001-2011 9.17–9.19 (检定证书 / 不合格通知书);
# - a calibration (校准) states values with their uncertainty, no conformity and no validity;
#   a recalibration date is given only when the customer asks for it (建议复校日期): JJF 1071-2010
#   (校准规范编写规则, 复校时间间隔), JJF 1139 (the interval is the user's to set).
RULE_VERIFICATION_VERDICT = "JJF 1001-2011 9.17/9.19, 计量检定印、证管理办法 第五、六条"
RULE_CALIBRATION_NO_VERDICT = "JJF 1071-2010, JJF 1139 (校准不判定合格与否、不给有效期)"


def calibration_apart_reasons(
    kind: str, performed_on: dt.date | None, passed, valid_until: dt.date | None, recalibration_due: dt.date | None
) -> list[tuple[str, str]]:
    """What a verification or a calibration may state, by kind (the rule named in each reason).
    The database enforces the same (CalibrationEvent's check constraints)."""
    Kind = models.CalibrationEvent.Kind
    reasons: list[tuple[str, str]] = []
    if kind == Kind.VERIFICATION:
        if passed is None:
            reasons.append(("passed", gettext("%(rule)s：检定须给出结论（合格或不合格）") % {"rule": RULE_VERIFICATION_VERDICT}))
        elif passed and valid_until is None:
            reasons.append(
                (
                    "valid_until",
                    gettext("%(rule)s：检定合格出具检定证书，须给出有效期至") % {"rule": RULE_VERIFICATION_VERDICT},
                )
            )
        elif not passed and valid_until is not None:
            reasons.append(
                (
                    "valid_until",
                    gettext("%(rule)s：检定不合格出具检定结果通知书，不给有效期") % {"rule": RULE_VERIFICATION_VERDICT},
                )
            )
        if recalibration_due is not None:
            reasons.append(
                (
                    "recalibration_due",
                    gettext("%(rule)s：建议复校日期属于校准，检定不给出") % {"rule": RULE_CALIBRATION_NO_VERDICT},
                )
            )
    elif kind == Kind.CALIBRATION:
        if passed is not None:
            reasons.append(("passed", gettext("%(rule)s：校准不给出合格或不合格的结论") % {"rule": RULE_CALIBRATION_NO_VERDICT}))
        if valid_until is not None:
            reasons.append(
                (
                    "valid_until",
                    gettext("%(rule)s：校准不给出有效期；请改为填写客户要求的建议复校日期")
                    % {"rule": RULE_CALIBRATION_NO_VERDICT},
                )
            )
    if valid_until is not None and performed_on is not None and valid_until < performed_on:
        reasons.append(("valid_until", gettext("%(date)s 早于检定日期 %(on)s") % {"date": valid_until, "on": performed_on}))
    if recalibration_due is not None and performed_on is not None and recalibration_due <= performed_on:
        reasons.append(
            ("recalibration_due", gettext("%(date)s 不晚于校准日期 %(on)s") % {"date": recalibration_due, "on": performed_on})
        )
    return reasons


def event_refusals(
    actor: Actor | None,
    *,
    instrument: models.Instrument,
    performer: models.Organisation,
    kind: str,
    performed_on: dt.date,
    person: models.Person | None = None,
    standards=(),
    before=None,
    today: dt.date | None = None,
    statement: tuple | None = None,
) -> tuple[list, list]:
    """(forbidden, invalid): every reason the event may not be written, split into who may
    write it and what it says. ``actor`` None is the platform itself (a signed workflow);
    ``before`` is the event as stored, for an update; ``statement`` (passed, valid_until,
    recalibration_due) is what the event states, judged by ``calibration_apart_reasons``."""
    today = today or timezone.localdate()
    standards = list(standards)
    # An update is judged on what it changes: correcting the results of an old event does
    # not re-judge the standards it used years ago.
    changed = (
        {"performed_on", "kind", "person", "standards"}
        if before is None
        else {
            name
            for name, new, old in (
                ("performed_on", performed_on, before.performed_on),
                ("kind", kind, before.kind),
                ("person", getattr(person, "pk", None), before.person_id),
                ("standards", sorted(s.pk for s in standards), sorted(before.standards_used.values_list("pk", flat=True))),
            )
            if new != old
        }
    )
    forbidden: list[tuple[str, str]] = []
    invalid: list[tuple[str, str]] = []
    if statement is not None:
        invalid.extend(calibration_apart_reasons(kind, performed_on, *statement))
    if actor is not None:
        probe = models.CalibrationEvent(instrument=instrument, performer=performer)
        if not EVENT_POLICY.writable(actor, probe):
            forbidden.append(("performer", gettext("只有执行机构的检定/校准人员可以记录其检定校准结果")))
    if before is not None:
        if before.instrument_id != instrument.pk:
            forbidden.append(("instrument", gettext("检定校准记录不能改到其他计量器具上；请为该器具另行记录")))
        if before.performer_id != performer.pk:
            forbidden.append(("performer", gettext("检定校准记录不能改到其他执行机构名下")))
    if not performer_reaches(performer, instrument, kind) and (actor is None or actor.kind != NATIONAL):
        forbidden.append(
            (
                "instrument",
                gettext("%(instrument)s 不在 %(performer)s 的服务区域内，也不是其自有器具")
                % {"instrument": instrument.code, "performer": performer.name},
            )
        )
    if "performed_on" in changed and performed_on > today:
        invalid.append(("performed_on", _in_the_future(performed_on)))
    if {"kind", "person", "performed_on"} & changed and is_mandatory_verification(instrument, kind):
        for rule in EVENT_RULES:
            invalid.extend(rule(instrument, performer, kind, performed_on))
    if person is not None and person.organisation_id != performer.pk:
        invalid.append(("person", gettext("须是执行机构的人员")))
    if {"performed_on", "kind"} & changed:
        invalid.extend(duplicate_refusals(instrument, performer, kind, performed_on, statement[0] if statement else None, before))
    if (
        {"kind", "person", "performed_on"} & changed
        and kind == models.CalibrationEvent.Kind.VERIFICATION
        and instrument.is_mandatory
        and person is not None
    ):
        invalid.extend(
            ("person", why) for why in qualification_reasons(person, instrument.catalog_item, performed_on, institution=performer)
        )
    for standard in standards if {"standards", "performed_on"} & changed else ():
        if standard.holder_id != performer.pk:
            invalid.append(
                (
                    "standards_used",
                    gettext("%(number)s 由其他单位持有，不是 %(performer)s")
                    % {"number": standard.certificate_number, "performer": performer.name},
                )
            )
    if standards and {"standards", "performed_on"} & changed and performed_on <= today:
        verdicts = validity.standard_verdicts([s.pk for s in standards], performed_on)
        for standard in standards:
            verdict = verdicts[standard.pk]
            if not verdict["valid"]:
                why = ", ".join(str(r["label"]) for r in verdict["reasons"] if not r["warning"])
                invalid.append(
                    (
                        "standards_used",
                        gettext("%(number)s 在 %(on)s 不在有效状态：%(why)s")
                        % {"number": standard.certificate_number, "on": performed_on, "why": why},
                    )
                )
    return forbidden, invalid


DUPLICATE_RULE = "registry.event.unique"


def _in_the_future(day) -> str:
    return gettext("%(date)s 晚于今天") % {"date": day}


def duplicate_refusals(instrument, performer, kind, performed_on, passed, before=None) -> list[tuple[str, str]]:
    """Rule ``registry.event.unique``: one result per instrument, kind, day and performing
    institution — a second is the same verification recorded twice (a form sent twice, a
    file imported twice), not a second measurement. The one exception is a re-verification
    the same day after a failed one (不合格 → repaired → verified again): a new result may
    follow an existing failure, never a pass."""
    same = models.CalibrationEvent.objects.filter(
        instrument=instrument, performer=performer, kind=kind, performed_on=performed_on
    ).exclude(pk=getattr(before, "pk", None))
    if passed is not None:
        same = same.exclude(passed=False)
    existing = same.order_by("pk").values_list("certificate_number", flat=True).first()
    if existing is None:
        return []
    return [
        (
            "performed_on",
            gettext("%(rule)s：%(instrument)s 在 %(on)s 已有 %(performer)s 的%(kind)s结果（%(number)s）；同一结果不重复记录")
            % {
                "rule": DUPLICATE_RULE,
                "instrument": instrument.code,
                "on": performed_on,
                "performer": performer.name,
                "kind": models.CalibrationEvent.Kind(kind).label,
                "number": existing or gettext("无编号"),
            },
        )
    ]


# The rules a signer of a mandatory verification follows, named in every refusal.
RULE_REGISTRATION = "注册计量师职业资格制度规定 第十四条"
RULE_ASSESSMENT = "注册计量师职业资格制度规定 第十四条(四) 计量专业项目考核"
RULE_LEGACY = "计量检定人员管理办法 检定员证"
RULE_SIGNATORY = "JJF 1069-2012 授权签字人"
SIGNER_ROLES = ("verifier", "checker", "approver")


def qualification_reasons(
    person: models.Person,
    item: models.CatalogItem | None,
    on: dt.date,
    institution: models.Organisation | None = None,
    role: str = "verifier",
    quals: list | None = None,
) -> list[str]:
    """Why the person may not sign a mandatory verification of the item on the date, for
    the institution (default: the person's own), as verifier (检定员), checker (核验员) or
    approver (批准人).

    The verifier and the checker: a 注册计量师 (一级 or 二级) registered with the institution
    (注册单位) on the date, holding a passed 计量专业项目考核 for the item valid that day
    (注册计量师职业资格制度规定 第十四条; 计量法实施细则 第二十七条: 检定人员须经考核合格);
    or, while it lasts, an old 计量检定员证 for the item (the legacy certificate stays good to
    its end date). The approver: an authorised signatory (授权签字人) of the institution for
    the item (or its whole scope) on the date (JJF 1069-2012 法定计量检定机构考核规范: the authorised signatory approves the certificate)."""
    if item is None:
        return []
    institution_id = institution.pk if institution is not None else person.organisation_id
    institution_name = institution.name if institution is not None else str(person.organisation)
    K = models.Qualification.Kind
    # ``quals``: the person's qualifications when the caller loaded them in bulk (the
    # institutions' capability page asks this rule for every person and item at once).
    if quals is None:
        quals = list(models.Qualification.objects.filter(person=person))

    def valid(q):
        return q.valid_from <= on <= q.valid_until

    if role == "approver":
        designations = [
            q
            for q in quals
            if q.kind == K.SIGNATORY and q.organisation_id == institution_id and q.catalog_item_id in (None, item.pk)
        ]
        if not designations:
            return [
                gettext("%(rule)s：%(person)s 不是 %(institution)s 对 %(code)s %(name)s 的授权签字人")
                % {
                    "rule": RULE_SIGNATORY,
                    "person": person.name,
                    "institution": institution_name,
                    "code": item.code,
                    "name": item.name,
                }
            ]
        if not any(valid(q) for q in designations):
            last = max(q.valid_until for q in designations)
            return [
                gettext("%(rule)s：%(person)s 的授权签字人资格在 %(on)s 无效（有效至 %(last)s）")
                % {"rule": RULE_SIGNATORY, "person": person.name, "on": on, "last": last}
            ]
        return []
    legacy = [q for q in quals if q.kind == K.VERIFIER and q.catalog_item_id == item.pk]
    if any(valid(q) for q in legacy):
        return []
    registrations = [q for q in quals if q.kind in models.Qualification.REGISTRATIONS]
    here = [q for q in registrations if q.organisation_id == institution_id]
    reasons = []
    if legacy:
        last = max(q.valid_until for q in legacy)
        reasons.append(
            gettext("%(rule)s：%(person)s 的 %(code)s 检定员证已于 %(last)s 到期")
            % {"rule": RULE_LEGACY, "person": person.name, "code": item.code, "last": last}
        )
    if not any(valid(q) for q in here):
        if here:
            last = max(q.valid_until for q in here)
            reasons.append(
                gettext("%(rule)s：%(person)s 的注册计量师注册在 %(on)s 无效（有效至 %(last)s）")
                % {"rule": RULE_REGISTRATION, "person": person.name, "on": on, "last": last}
            )
        elif registrations:
            reasons.append(
                gettext("%(rule)s：%(person)s 是注册在其他单位的注册计量师，不在 %(institution)s")
                % {"rule": RULE_REGISTRATION, "person": person.name, "institution": institution_name}
            )
        elif not legacy:
            reasons.append(
                gettext("%(rule)s：%(person)s 不是注册在 %(institution)s 的注册计量师，也没有 %(code)s %(name)s 的检定员证")
                % {
                    "rule": RULE_REGISTRATION,
                    "person": person.name,
                    "institution": institution_name,
                    "code": item.code,
                    "name": item.name,
                }
            )
        else:
            reasons.append(
                gettext("%(rule)s：%(person)s 不是注册在 %(institution)s 的注册计量师")
                % {"rule": RULE_REGISTRATION, "person": person.name, "institution": institution_name}
            )
        return reasons
    assessments = [q for q in quals if q.kind == K.ITEM_ASSESSMENT and q.catalog_item_id == item.pk]
    if not any(valid(q) for q in assessments):
        if assessments:
            last = max(q.valid_until for q in assessments)
            return [
                gettext("%(rule)s：%(person)s 的 %(code)s 项目考核在 %(on)s 无效（有效至 %(last)s）")
                % {"rule": RULE_ASSESSMENT, "person": person.name, "code": item.code, "on": on, "last": last}
            ]
        return [
            gettext("%(rule)s：%(person)s 未通过 %(code)s %(name)s 的项目考核")
            % {"rule": RULE_ASSESSMENT, "person": person.name, "code": item.code, "name": item.name}
        ]
    return []


def check_event(actor: Actor | None, event: models.CalibrationEvent, standards, before=None) -> None:
    """Raise ``Refused`` unless ``event`` (built, not saved) may be written with ``standards``."""
    forbidden, invalid = event_refusals(
        actor,
        instrument=event.instrument,
        performer=event.performer,
        kind=event.kind,
        performed_on=event.performed_on,
        person=event.person,
        standards=standards,
        before=before,
        statement=(event.passed, event.valid_until, event.recalibration_due),
    )
    if forbidden:
        raise Refused(forbidden, forbidden=True)
    if invalid:
        raise Refused(invalid)


def _write_standards(event: models.CalibrationEvent, standards) -> None:
    # Row by row through save()/delete(): the audit ledger's signals see every link (a
    # bulk_create would leave the links unrecorded, and `audit verify` would report them).
    for link in models.EventStandard.objects.filter(event=event):
        link.delete()
    for standard in dict.fromkeys(standards):
        models.EventStandard.objects.create(event=event, standard=standard)


@transaction.atomic
def record_event(actor: Actor | None, values: dict, standards=()) -> models.CalibrationEvent:
    """Write a new event (values: the model's fields) with the standards it used."""
    event = models.CalibrationEvent(**values)
    check_event(actor, event, standards)
    event.save()
    _write_standards(event, standards)
    return event


@transaction.atomic
def update_event(actor: Actor | None, event: models.CalibrationEvent, values: dict, standards=None) -> models.CalibrationEvent:
    """Change an event's values (not its instrument nor its performer); ``standards`` None
    keeps the standards it used."""
    before = models.CalibrationEvent.objects.select_for_update().get(pk=event.pk)
    for name, value in values.items():
        setattr(event, name, value)
    used = list(before.standards_used.all()) if standards is None else list(standards)
    check_event(actor, event, used, before=before)
    event.save()
    if standards is not None:
        _write_standards(event, standards)
    return event


def stored_event_refusals(event_ids: list[int], today: dt.date | None = None) -> list[tuple[int, str, str]]:
    """(event id, field, reason) for stored events that break the rules every write path
    shares (``event_refusals``), checked set-based for bulk paths (``jiliang import``):
    dated in the future; a verdict or validity its kind may not state
    (``calibration_apart_reasons``); a mandatory verification by an institution that may not
    perform it (计量法 第二十条, the rules the apps above register); a signer who does not work
    for the performer. Written rows are
    checked inside the import's transaction, so a refusal leaves nothing behind.

    The engine's standard-in-force verdicts and the signers' qualifications are not
    re-judged here: an import restores a history whose standards and people come in the
    same files, and ``jiliang trace``/``audit verify`` report a broken chain after it."""
    today = today or timezone.localdate()
    Kind = models.CalibrationEvent.Kind
    found: list[tuple[int, str, str]] = []
    for start in range(0, len(event_ids), 5000):
        events = models.CalibrationEvent.objects.filter(pk__in=event_ids[start : start + 5000])
        found += [
            (pk, "performed_on", _in_the_future(day))
            for pk, day in events.filter(performed_on__gt=today).values_list("pk", "performed_on")
        ]
        mandatory = events.filter(kind=Kind.VERIFICATION, instrument__catalog_item__isnull=False).exclude(
            instrument__legal_purpose=models.Instrument.Purpose.NONE
        )
        for rule in STORED_EVENT_RULES:
            found += rule(mandatory)
        found += [
            (pk, field, reason)
            for pk, kind, day, passed, until, due in events.filter(
                Q(kind=Kind.CALIBRATION, passed__isnull=False)
                | Q(kind=Kind.CALIBRATION, valid_until__isnull=False)
                | Q(kind=Kind.VERIFICATION, passed=True, valid_until__isnull=True)
                | Q(kind=Kind.VERIFICATION, passed=False, valid_until__isnull=False)
                | Q(kind=Kind.VERIFICATION, recalibration_due__isnull=False)
            ).values_list("pk", "kind", "performed_on", "passed", "valid_until", "recalibration_due")
            for field, reason in calibration_apart_reasons(kind, day, passed, until, due)
        ]
        found += [
            (pk, "person", gettext("须是执行机构的人员"))
            for pk in events.filter(person__isnull=False)
            .exclude(person__organisation_id=F("performer_id"))
            .values_list("pk", flat=True)
        ]
    return found
