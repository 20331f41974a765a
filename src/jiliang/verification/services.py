"""Use cases of mandatory verification, one transaction each: register (one or a file),
review and assign, record a verification result. Scheduling and the coverage ledger live
in ``scheduling`` and ``coverage`` and are re-exported here.

Every refusal raises a ``VerificationError`` (a ValueError) naming the field and the
reason, and writes nothing.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.audit.services import audit_context, record_many
from jiliang.authorisation import rules as authorisation_rules
from jiliang.policies import Actor
from jiliang.registry import models as reg
from jiliang.registry import services as registry_services

from . import fitness
from .coverage import build_ledger, coverage_chart, export_xlsx, history, take_snapshot  # noqa: F401  (re-exported use cases)
from .errors import RefusedRecording, VerificationError
from .fitness import standard_fit_for  # noqa: F401
from .imports import parse_registration_file, validate_rows
from .models import Notice, Registration, RegistrationHistory, VerificationRecord
from .policies import RegistrationPolicy
from .scheduling import (  # noqa: F401
    administration_of,
    due_list,
    escalate_overdue,
    replacement_list,
    send_reminders,
)

H = RegistrationHistory.Action


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _acting(user):
    """The audit actor for the writes of a use case: the signed-in user, else the context's."""
    return audit_context(actor=user) if _user(user) is not None else contextlib.nullcontext()


# -- registration (备案) -----------------------------------------------------------------


def _check_mandatory(instrument: reg.Instrument) -> None:
    if instrument.catalog_item_id is None:
        raise VerificationError(
            "catalog_item",
            gettext("器具 %(code)s 未对应强制检定目录中的项目，不属于强制检定") % {"code": instrument.code},
        )
    if instrument.legal_purpose == reg.Instrument.Purpose.NONE:
        raise VerificationError(
            "legal_purpose",
            gettext("器具 %(code)s 未用于贸易结算、安全防护、医疗卫生或环境监测，不属于强制检定") % {"code": instrument.code},
        )
    if instrument.standard_id is not None:
        raise VerificationError(
            "instrument",
            gettext("%(code)s 是计量标准器具，随其计量标准校准，不办理强检备案") % {"code": instrument.code},
        )


@transaction.atomic
def register_instrument(
    owner: reg.Organisation, instrument: reg.Instrument, user=None, on: dt.date | None = None
) -> Registration:
    """File one instrument of the owner; a returned registration is submitted again."""
    with _acting(user):
        on = on or timezone.localdate()
        if instrument.owner_id != owner.pk:
            raise VerificationError("owner", gettext("器具 %(code)s 属于其他单位") % {"code": instrument.code})
        _check_mandatory(instrument)
        # The catalogue's rules for a registration: V or P+V item, type approval, periods.
        for _index, field, reason in registry_services.registration_refusals([instrument]):
            raise VerificationError(field, reason)
        existing = Registration.objects.select_for_update().filter(instrument=instrument).first()
        if existing is not None:
            if existing.status != Registration.Status.RETURNED:
                raise VerificationError(
                    "instrument",
                    gettext("%(code)s 已备案（%(status)s）") % {"code": instrument.code, "status": existing.get_status_display()},
                )
            existing.status, existing.submitted_on, existing.region_id = Registration.Status.SUBMITTED, on, instrument.region_id
            existing.save(update_fields=["status", "submitted_on", "region"])
            RegistrationHistory.objects.create(registration=existing, action=H.RESUBMITTED, actor=_user(user))
            return existing
        registration = Registration.objects.create(
            instrument=instrument, owner=owner, region_id=instrument.region_id, submitted_on=on
        )
        RegistrationHistory.objects.create(registration=registration, action=H.SUBMITTED, actor=_user(user))
        return registration


@transaction.atomic
def register_new_instrument(owner: reg.Organisation, values: dict, user=None, on: dt.date | None = None) -> Registration:
    """Enter one new instrument (the fields of a row of the bulk file) and file it; bad
    fields raise ``ImportRowError`` naming each, and nothing is written."""
    with _acting(user):
        instrument = validate_rows([values], owner)[0]
        instrument.save()
        return register_instrument(owner, instrument, user=user, on=on)


@transaction.atomic
def import_registrations(
    owner: reg.Organisation, content: bytes, filename: str, user=None, on: dt.date | None = None
) -> list[Registration]:
    """Create and file every instrument of a CSV or XLSX file, or none: a file with bad rows
    raises ``ImportRowError`` listing each (row, field, reason)."""
    on = on or timezone.localdate()
    rows = parse_registration_file(content, filename)
    instruments = validate_rows(rows, owner)
    reg.Instrument.objects.bulk_create(instruments, batch_size=2000)
    created = {i.code: i.id for i in reg.Instrument.objects.filter(code__in=[i.code for i in instruments])}
    registrations = Registration.objects.bulk_create(
        [Registration(instrument_id=created[i.code], owner=owner, region_id=i.region_id, submitted_on=on) for i in instruments],
        batch_size=2000,
    )
    ids = {r.instrument_id: r.id for r in Registration.objects.filter(instrument_id__in=created.values())}
    # bulk_create bypasses the audit signals: record one import entry per row ourselves.
    with audit_context(actor=_user(user) or "verification:import", reason=f"强检备案 imported from {filename}"):
        record_many("import", reg.Instrument, [{"id": pk} for pk in created.values()])
        record_many("import", Registration, [{"id": pk} for pk in ids.values()])
    RegistrationHistory.objects.bulk_create(
        [
            RegistrationHistory(
                registration_id=ids[created[i.code]], action=H.SUBMITTED, actor=_user(user), note=f"从文件 {filename} 导入"
            )
            for i in instruments
        ],
        batch_size=2000,
    )
    return registrations


def _region_chain(region: reg.Region) -> list[reg.Region]:
    chain = []
    while region is not None:
        chain.append(region)
        region = region.parent
    return chain


# Who may be designated for mandatory verification, in order of preference: the legal
# metrology institute, then an authorised institute, then a professional station.
DESIGNATED_KINDS = (
    reg.Organisation.Kind.LEGAL_INSTITUTE,
    reg.Organisation.Kind.AUTHORISED_INSTITUTE,
    reg.Organisation.Kind.PROFESSIONAL_STATION,
)


def find_designated_standard(instrument: reg.Instrument, on: dt.date) -> reg.MeasurementStandard | None:
    """The public standard that should verify the instrument: held in the owner's region,
    else its city, else its province, active on the date, with a capability covering the
    item, the instrument's range and accuracy, by an institution that could legally
    perform the verification that day (authorised for the item, range and area:
    ``authorisation.rules``)."""
    active = set(fitness.active_public_standards(on))
    for region in _region_chain(instrument.owner.region):
        candidates = list(
            reg.MeasurementStandard.objects.filter(id__in=active, holder__region=region, holder__kind__in=DESIGNATED_KINDS)
            .select_related("holder")
            .prefetch_related("capabilities")
            .annotate(preference=Case(*(When(holder__kind=k, then=Value(n)) for n, k in enumerate(DESIGNATED_KINDS))))
            .order_by("preference", "id")
        )
        able = authorisation_rules.institutions_able(instrument, on, {s.holder for s in candidates})
        for standard in candidates:
            if standard.holder_id in able and not fitness.capability_reasons(standard, instrument):
                return standard
    return None


REGISTRATIONS = RegistrationPolicy()


@transaction.atomic
def reassign_registration(
    registration: Registration,
    institution: reg.Organisation,
    reason: str,
    actor: Actor,
    user=None,
    on: dt.date | None = None,
) -> Registration:
    """Assign an approved registration to another institution (an act of the region's
    administration, with its reason, on the audit ledger): one that could legally perform
    the verification on the day, with a standard fit for the instrument if it holds one."""
    on = on or timezone.localdate()
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("instrument__region", "assigned_institution")
        .get(pk=registration.pk)
    )
    if not REGISTRATIONS.may_reassign(actor, registration):
        raise VerificationError("assigned_institution", gettext("只有备案所在区划的计量行政部门可以改派已批准的备案"))
    if not (reason or "").strip():
        raise VerificationError("reason", gettext("改派须说明理由"))
    if registration.assigned_institution_id == institution.pk:
        raise VerificationError(
            "assigned_institution", gettext("该备案已指派给 %(institution)s") % {"institution": institution.name}
        )
    instrument = registration.instrument
    refusals = authorisation_rules.performer_refusals(instrument, institution, reg.CalibrationEvent.Kind.VERIFICATION, on)
    if refusals:
        raise VerificationError("assigned_institution", refusals[0][1])
    standard = next(
        (
            s
            for s in reg.MeasurementStandard.objects.filter(
                id__in=fitness.active_public_standards(on), holder=institution
            ).prefetch_related("capabilities")
            if not fitness.capability_reasons(s, instrument)
        ),
        None,
    )
    before = registration.assigned_institution.name if registration.assigned_institution_id else "—"
    with _acting(user), audit_context(reason=reason.strip()):
        registration.assigned_institution, registration.assigned_standard, registration.coverage_gap = (
            institution,
            standard,
            False,
        )
        registration.save(update_fields=["assigned_institution", "assigned_standard", "coverage_gap"])
        RegistrationHistory.objects.create(
            registration=registration,
            action=H.ASSIGNED,
            actor=_user(user),
            note=f"由 {before} 改派至 {institution.name}：{reason.strip()}"[:300],
        )
    return registration


@transaction.atomic
def review_registration(
    registration: Registration, approve: bool, reason: str = "", user=None, on: dt.date | None = None
) -> Registration:
    """The region administrator approves (and the instrument is assigned, or flagged as a
    coverage gap) or returns the registration with a reason."""
    with _acting(user):
        on = on or timezone.localdate()
        registration = (
            Registration.objects.select_for_update().select_related("instrument__owner__region", "region").get(pk=registration.pk)
        )
        if registration.status != Registration.Status.SUBMITTED:
            raise VerificationError(
                "status",
                gettext("%(code)s 的备案状态为“%(status)s”，不在待审核状态")
                % {"code": registration.instrument.code, "status": registration.get_status_display()},
            )
        registration.reviewed_on = on
        if not approve:
            if not reason.strip():
                raise VerificationError("reason", gettext("退回备案须向申请单位说明理由"))
            registration.status, registration.return_reason = Registration.Status.RETURNED, reason.strip()[:300]
            registration.save(update_fields=["status", "return_reason", "reviewed_on"])
            RegistrationHistory.objects.create(
                registration=registration, action=H.RETURNED, actor=_user(user), note=registration.return_reason
            )
            return registration
        registration.status, registration.return_reason = Registration.Status.APPROVED, ""
        RegistrationHistory.objects.create(registration=registration, action=H.APPROVED, actor=_user(user))
        standard = find_designated_standard(registration.instrument, on)
        if standard is None:
            registration.coverage_gap, registration.assigned_institution, registration.assigned_standard = True, None, None
            instrument = registration.instrument
            RegistrationHistory.objects.create(
                registration=registration,
                action=H.GAP_FLAGGED,
                actor=_user(user),
                note=f"{instrument.owner.region.name}（{instrument.owner.region.code}）及上级均无覆盖 {instrument.catalog_item.code} 的社会公用计量标准",
            )
            admin = administration_of([instrument.owner.region_id]).get(instrument.owner.region_id)
            if admin is not None:
                Notice.objects.create(
                    kind=Notice.Kind.COVERAGE_GAP,
                    addressee_id=admin,
                    region_id=instrument.owner.region_id,
                    instrument=instrument,
                    catalog_item_id=instrument.catalog_item_id,
                    issued_on=on,
                    text=f"建标空白：没有可检定 {instrument.catalog_item.code} {instrument.code} 的社会公用计量标准",
                )
        else:
            registration.coverage_gap, registration.assigned_institution, registration.assigned_standard = (
                False,
                standard.holder,
                standard,
            )
            RegistrationHistory.objects.create(
                registration=registration,
                action=H.ASSIGNED,
                actor=_user(user),
                note=f"{standard.holder.name} ({standard.certificate_number})",
            )
        registration.save()
        return registration


# -- verification results ----------------------------------------------------------------

ROLES = ("verifier", "checker", "approver")


def _signatory_reasons(
    people: dict[str, reg.Person], institution: reg.Organisation, item: reg.CatalogItem, on: dt.date
) -> list[tuple[str, str]]:
    from jiliang.certificates.records import ROLE_TEXT  # the signers' roles as the certificate names them

    reasons = []
    seen: dict[int, str] = {}
    for role, person in people.items():
        if person.pk in seen:
            reasons.append(
                (
                    role,
                    gettext("%(person)s 已作为%(role)s签字：检定员、核验员和批准人须为三个不同的人")
                    % {"person": person.name, "role": ROLE_TEXT[seen[person.pk]]},
                )
            )
            continue
        seen[person.pk] = role
        if person.organisation_id != institution.pk:
            reasons.append(
                (
                    role,
                    gettext("%(person)s 不是 %(institution)s 的人员") % {"person": person.name, "institution": institution.name},
                )
            )
        reasons.extend(
            (role, why) for why in registry_services.qualification_reasons(person, item, on, institution=institution, role=role)
        )
    return reasons


def _next_number(institution: reg.Organisation, document: str, on: dt.date) -> str:
    prefix = "JDZS" if document == VerificationRecord.Document.CERTIFICATE else "JDTZ"
    stem = f"{prefix}{on.year}-{institution.pk:05d}-"
    count = VerificationRecord.objects.filter(number__startswith=stem).count()
    return f"{stem}{count + 1:06d}"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month, months later (the month's last day when it is shorter)."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _valid_until(instrument: reg.Instrument, on: dt.date, passed: bool) -> dt.date | None:
    """The end of a passed verification: the period, or the service life of a first-only
    limited-life item — the instrument's own when shorter (registry.services.PERIOD_RULE keeps
    it within the JJG's maximum); a 失准报废 item stays valid until it fails."""
    if not passed:
        # A failed verification yields a 检定结果通知书, which states no validity (计量检定印、证
        # 管理办法 第六条): the instrument may not be used until repaired and verified again.
        return None
    item = instrument.catalog_item
    if item.management_mode == reg.CatalogItem.Mode.PERIODIC:
        return add_months(on, instrument.period_months or item.period_months) - dt.timedelta(days=1)
    if item.management_mode == reg.CatalogItem.Mode.FIRST_ONLY:
        # end of service life: replaced, not re-verified
        return add_months(on, 12 * (instrument.service_life_years or item.service_life_years))
    return reg.NO_EXPIRY


@transaction.atomic
def record_verification(
    instrument: reg.Instrument,
    institution: reg.Organisation,
    standard: reg.MeasurementStandard,
    performed_on: dt.date,
    passed: bool,
    verifier: reg.Person,
    checker: reg.Person,
    approver: reg.Person,
    fee: Decimal | None = None,
    results: list | None = None,
    user=None,
) -> VerificationRecord:
    """Record a verification: a certificate (pass) or a notice of non-conformity (fail),
    signed by three qualified people, with a standard fit for the instrument on the day.
    Writes the registry event and its standard link; the due date moves with it."""
    reasons: list[tuple[str, str]] = []
    instrument = reg.Instrument.objects.select_related("catalog_item__regulation", "region").get(pk=instrument.pk)
    # The rules every event write passes (registry.services): the institution's reach, the
    # date, who may verify. The standard and the signatories are judged in full below.
    forbidden, invalid = registry_services.event_refusals(
        None,
        instrument=instrument,
        performer=institution,
        kind=reg.CalibrationEvent.Kind.VERIFICATION,
        performed_on=performed_on,
        statement=(
            passed,
            _valid_until(instrument, performed_on, passed) if instrument.catalog_item else None,
            None,
        ),
    )
    reasons.extend(forbidden + invalid)
    try:
        _check_mandatory(instrument)
    except VerificationError as exc:
        reasons.append((exc.field, exc.reason))
        raise RefusedRecording(reasons) from None
    if instrument.status != reg.Instrument.Status.IN_USE:
        reasons.append(
            (
                "instrument",
                gettext("%(instrument)s 的状态为“%(status)s”")
                % {"instrument": instrument.code, "status": instrument.get_status_display()},
            )
        )
    if fee is not None and Decimal(fee) < 0:
        reasons.append(("fee", gettext("不能为负数")))
    if standard.holder_id != institution.pk:
        reasons.append(
            (
                "standard",
                gettext("%(number)s 由其他单位持有，不是 %(performer)s")
                % {"number": standard.certificate_number, "performer": institution.name},
            )
        )
    if standard.tier != reg.MeasurementStandard.Tier.PUBLIC and institution.kind == reg.Organisation.Kind.LEGAL_INSTITUTE:
        reasons.append(("standard", gettext("%(number)s 不是社会公用计量标准") % {"number": standard.certificate_number}))
    reasons.extend(("standard", why) for why in fitness.standard_fit_for(standard, instrument, performed_on))
    reasons.extend(
        _signatory_reasons(dict(zip(ROLES, (verifier, checker, approver))), institution, instrument.catalog_item, performed_on)
    )
    if reasons:
        raise RefusedRecording(reasons)

    with _acting(user):
        document = VerificationRecord.Document.CERTIFICATE if passed else VerificationRecord.Document.NONCONFORMITY
        number = _next_number(institution, document, performed_on)
        event = reg.CalibrationEvent.objects.create(
            instrument=instrument,
            performer=institution,
            person=verifier,
            specification=instrument.catalog_item.regulation,
            kind=reg.CalibrationEvent.Kind.VERIFICATION,
            performed_on=performed_on,
            valid_until=_valid_until(instrument, performed_on, passed),
            passed=passed,
            results=results or [],
            certificate_number=number,
        )
        reg.EventStandard.objects.create(event=event, standard=standard)
        return VerificationRecord.objects.create(
            event=event,
            institution=institution,
            standard=standard,
            document=document,
            number=number,
            verifier=verifier,
            checker=checker,
            approver=approver,
            fee=fee,
        )
