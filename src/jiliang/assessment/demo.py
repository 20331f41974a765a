"""The demo's assessment files (issue 18 item 7): files in every state for one holder (a draft,
one waiting for acceptance, one returned, evaluations in progress with findings, one waiting
for decision, an approved one with its signed certificate, a refused one), certificates of
the province about to expire (reminders sent), in-service filings (a seal, a pending change),
the assessor register with the demo's assessor user, and what a visitor needs to walk a new
file from application to certificate (``walk_setup``).

The files' states are planted as records (the demo's data need not pass every check that
filing would run); the approval goes through the service, so its certificate is signed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiliang.registry import models as reg

from . import rules, services
from .models import Application, Assessor, Assignment, AuthorityProfile, Document, Finding, ItemResult

DAY = dt.timedelta(days=1)
REPORT = {
    "measurement_range": "(0～60) MPa",
    "uncertainty": "U=0.02%，k=2",
    "environment": "温度(20±2)℃，相对湿度≤75%",
    "repeatability": "0.005%（10次测量）",
    "stability": "0.008%/年（4次核查）",
    "uncertainty_verification": "传递比较法验证，|y−y0|≤U",
}


def _admin_of(region):
    return reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION, region=region).order_by("pk").first()


def _other_institutes(holder, n):
    return list(
        reg.Organisation.objects.filter(
            kind=reg.Organisation.Kind.LEGAL_INSTITUTE, region__code__startswith=holder.region.code[:2]
        )
        .exclude(pk=holder.pk)
        .order_by("pk")[:n]
    )


def register_assessors(holder, fields, today, user=None) -> list[Assessor]:
    """Three assessors from other institutes for the fields (the first with ``user``), and one
    from the holder itself (whom the rule keeps off the holder's files)."""
    province_admin = _admin_of(reg.Region.objects.get(code=holder.region.code[:2] + "0000")) or _admin_of(holder.region)
    rows = []
    for n, org in enumerate([*_other_institutes(holder, 3), holder]):
        person = reg.Person.objects.create(name=f"考评员{'甲乙丙丁'[n]}", organisation=org)
        row = Assessor.objects.create(
            person=person,
            user=user if n == 0 else None,
            certificate_number=f"JJKP-{today.year}-{org.pk:04d}-{n}",
            registered_by=province_admin,
            valid_from=today - 700 * DAY,
            valid_until=today + 1100 * DAY,
        )
        row.specialities.set(fields)
        rows.append(row)
    return rows


def _file(holder, authority, standard, kind, status, today, n, **extra) -> Application:
    field = standard.field if standard is not None else extra.pop("field")
    app = Application.objects.create(
        number=f"KH{today.year}-D{n:03d}",
        kind=kind,
        status=status,
        holder=holder,
        authority=authority,
        standard=standard if kind == "reexamination" else None,
        name=standard.name if standard is not None else extra.pop("name"),
        tier="public",
        level=standard.level if standard is not None else holder.region.level,
        rank=standard.rank if standard is not None else "subordinate",
        field=field,
        report=REPORT,
        filed_on=None if status == "draft" else today - 40 * DAY + n * DAY,
        **extra,
    )
    if standard is not None:
        app.equipment.set(standard.devices.all())
        app.specifications.set(standard.specifications.all())
        app.catalog_items.set(standard.catalog_items.all())
    app.people.set(reg.Person.objects.filter(organisation=holder).order_by("pk")[:3])
    app.responsible = app.people.first()
    app.save(update_fields=["responsible"])
    for doc in rules.REQUIRED_DOCUMENTS[kind]:
        Document.objects.create(
            application=app, kind=doc, filename=f"{doc}.pdf", content_type="application/pdf", content=b"%PDF-1.4 demo", size=13
        )
    return app


def _judge(app, assessor, today, bad=()):
    for phase in ("documents", "onsite"):
        for item in rules.items_for(phase):
            ItemResult.objects.create(
                application=app,
                phase=phase,
                clause=item.clause,
                conforming=item.clause not in bad,
                note="环境温湿度监控记录不连续" if item.clause in bad else "",
                evidence="查阅文件集、现场查看",
                assessor=assessor,
                recorded_on=today - 5 * DAY,
            )


@transaction.atomic
def plant_files(holder, today: dt.date, assessor_user=None, seal: bool = True) -> dict:
    """Files of ``holder`` in every state, assessed by its own region's administration (its
    subordinate public standards, 计量标准考核办法 第五条), and the province's certificates
    about to expire. Returns the records the demo's tours and the crawler open."""
    if Application.objects.filter(holder=holder).exists():
        return {}
    authority = rules.assessing_authority(holder, "public", holder.region.level, "subordinate")
    if authority is None:
        return {}
    AuthorityProfile.objects.get_or_create(authority=authority, defaults={"commitment_enabled": True})
    standards = list(reg.MeasurementStandard.objects.filter(holder=holder, status="active").order_by("pk")[:4])
    if not standards:
        return {}
    fields = sorted({s.field_id for s in standards})
    assessors = register_assessors(holder, reg.MetrologyField.objects.filter(pk__in=fields), today, user=assessor_user)
    lead, second = assessors[0], assessors[1]
    field = standards[0].field
    S = Application.Status
    n = iter(range(1, 100))

    def new(status, name, **extra):
        return _file(holder, authority, None, "new", status, today, next(n), field=field, name=name, **extra)

    new(S.DRAFT, "二等活塞式压力计标准装置")
    waiting = new(S.SUBMITTED, "精密压力表标准装置", due_on=today + 3 * DAY)
    new(S.RETURNED, "数字压力计标准装置", return_reasons="技术报告未附不确定度验证数据，请补正后重新提交")
    evaluating = new(S.EVALUATING, "压力变送器检定装置", due_on=today + 25 * DAY)
    rectifying = new(S.RECTIFICATION, "血压计检定装置", due_on=today + 9 * DAY)
    deciding = new(S.EVALUATED, "氧气表检定装置", due_on=today + 4 * DAY)
    approved = new(S.EVALUATED, "弹簧管式压力表检定装置")
    refused = new(S.EVALUATED, "真空计校准装置")
    for app in (evaluating, rectifying, deciding, approved, refused):
        Assignment.objects.create(application=app, assessor=lead, leader=True, assigned_on=today - 20 * DAY)
        Assignment.objects.create(application=app, assessor=second, assigned_on=today - 20 * DAY)
    _judge(evaluating, lead, today, bad=("4.3.3",))
    Finding.objects.create(
        application=evaluating,
        clause="4.3.3",
        description="补充近三个月的环境温湿度监控记录",
        deadline=today + 12 * DAY,
        raised_by=lead,
        raised_on=today - 3 * DAY,
    )
    _judge(rectifying, lead, today, bad=("4.5.4",))
    Finding.objects.create(
        application=rectifying,
        clause="4.5.4",
        description="原始记录缺少环境条件和复核人签名",
        deadline=today + 9 * DAY,
        status=Finding.Status.RESPONDED,
        response="已修订原始记录格式并补签",
        responded_on=today - 1 * DAY,
        raised_by=lead,
        raised_on=today - 8 * DAY,
    )
    for app in (deciding, approved, refused):
        _judge(app, lead, today)
    # A certificate issued through the service (signed), and a refusal.
    cert = services.approve(None, approved, "考核合格", on=today - 2 * DAY)
    services.refuse(None, refused, "现场实验结果超出申报的不确定度", on=today - 1 * DAY)
    # The province's certificates about to expire: reminders go to their holders.
    services.send_reminders(today)
    # In service: a sealed standard (filed and approved) and a pending change of equipment.
    sealing = services.file_change(
        None,
        standards[-1],
        kind="seal",
        description="主标准器送上级计量机构修理",
        effective_on=today - 10 * DAY,
        on=today - 12 * DAY,
    )
    services.review_change(None, sealing, "approve", "同意封存", on=today - 11 * DAY)
    pending = services.file_change(
        None, standards[0], kind="equipment", description="更换数字压力计（原器损坏）", on=today - 2 * DAY
    )
    if len(standards) > 2:
        # A certificate in its last months, its re-examination filed on a signed commitment
        # (告知承诺; the authority takes them) and waiting to be accepted.
        renewing = standards[1]
        renewing.valid_until = today + 100 * DAY
        renewing.save(update_fields=["valid_until"])
        _file(holder, authority, renewing, "reexamination", S.SUBMITTED, today, next(n), commitment=True, due_on=today + 2 * DAY)
    return {
        "waiting": waiting,
        "evaluating": evaluating,
        "finding": evaluating.findings.first(),
        "certificate": cert,
        "filing": pending,
        "document": waiting.documents.first(),
    }


@transaction.atomic
def walk_setup(holder, today: dt.date, assessor_user) -> dict:
    """What a new file of ``holder`` needs to pass the platform's checks: two calibrated devices
    of its own, two staff with a valid qualification, a current specification, and an
    assessor (of another institute) for the field; the administration that will hold it."""
    field = reg.MetrologyField.objects.order_by("code").first()
    spec = reg.Specification.objects.filter(status="current").order_by("code").first()
    devices = []
    for n in range(2):
        device = reg.Instrument.objects.create(
            code=f"KH-WALK-{holder.pk}-{n}",
            name=f"新建标准器{n + 1}",
            owner=holder,
            region=holder.region,
            accuracy="0.02级",
            installed_on=today - 200 * DAY,
        )
        reg.CalibrationEvent.objects.create(
            instrument=device,
            performer=holder,
            kind="calibration",
            performed_on=today - 20 * DAY,
            recalibration_due=today + 345 * DAY,
            certificate_number=f"KH-WALK-CAL-{device.pk}",
            external_source="中国计量科学研究院",
        )
        devices.append(device)
    people = []
    for name in ("建标甲", "建标乙"):
        person = reg.Person.objects.create(name=name, organisation=holder)
        reg.Qualification.objects.create(
            person=person,
            kind="metrologist_2",
            organisation=holder,
            certificate_number=f"ZC-{person.pk}",
            valid_from=today - 300 * DAY,
            valid_until=today + 1500 * DAY,
        )
        people.append(person)
    authority = rules.assessing_authority(holder, "public", holder.region.level, "subordinate")
    assessor = Assessor.objects.filter(user=assessor_user).first()
    if assessor is None:
        assessor = register_assessors(holder, [field], today, user=assessor_user)[0]
    assessor.specialities.add(field)
    return {
        "assessor": assessor,
        "field": field,
        "spec": spec,
        "devices": devices,
        "people": people,
        "authority": authority,
        "level": holder.region.level,
    }
