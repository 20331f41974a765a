"""The use cases of random inspections and campaigns, one transaction each.

Each takes the actor, asks the policy, checks the rules and writes (the models are on the
audit ledger through ``track``); a refusal is an ``InspectionRefused`` naming the field and
the rule, in the user's language (catalogue codes of jiliang.messages).
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jiliang.assessment.services import working_days_after
from jiliang.audit.models import AuditEntry, LedgerHead
from jiliang.audit.services import audit_context, object_type_of
from jiliang.core import draws as core
from jiliang.core.errors import InputError
from jiliang.credit.grades import current_grades
from jiliang.policies import as_actor
from jiliang.registry.models import Instrument, Person

from . import checklists
from .models import (
    Campaign,
    ConflictTie,
    Draw,
    Finding,
    Inspection,
    InspectionPhoto,
    Inspector,
    ItemResult,
    RectificationOrder,
    Signoff,
    Target,
    TargetKind,
)
from .policies import CAMPAIGNS, DRAWS, INSPECTIONS, ORDERS, inspector_of

# 行政处罚法 (2021) 第四十二条: 执法人员不得少于两人 — an inspection is signed by two officers.
SIGNERS_REQUIRED = 2
# The default sample per credit-risk class (国市监信发〔2022〕6号: A lower, B usual, C higher,
# D much higher rates and frequencies; the numbers are the province's choice — ours here).
DEFAULT_SAMPLE = {"A": "0.02", "B": "0.05", "C": "0.10", "D": "0.30"}


class InspectionRefused(InputError):
    """A refused write: ``field``, the English ``reason``, and a catalogue ``code``."""


def _user(who):
    return who if getattr(who, "is_authenticated", False) else None


def _actor_name(who):
    user = _user(who)
    return user if user is not None else (who if isinstance(who, str) else "system")


def _refuse_unless(allowed: bool, field: str, reason: str, code: str, **params):
    if not allowed:
        raise InspectionRefused(field, reason, code=code, **params)


def former_employment_years() -> int:
    return settings.JILIANG_INSPECTION_FORMER_EMPLOYMENT_YEARS


# -- the 执法检查人员名录库 and its conflicts -------------------------------------------------


def excluded_targets(inspector_ids, on: dt.date) -> dict[int, set[int]]:
    """For each inspector, the organisations he or she must not inspect (回避, 行政处罚法
    第四十三条): the organisation of the officer's registry person (employment), and every
    declared tie — a former employment for JILIANG_INSPECTION_FORMER_EMPLOYMENT_YEARS after
    it ended, a relative's or a shareholding for as long as declared."""
    ids = list(inspector_ids)
    out: dict[int, set[int]] = {i: set() for i in ids}
    for inspector_id, organisation_id in Inspector.objects.filter(pk__in=ids, person__isnull=False).values_list(
        "pk", "person__organisation_id"
    ):
        out[inspector_id].add(organisation_id)
    cutoff = _years_before(on, former_employment_years())
    ties = ConflictTie.objects.filter(inspector_id__in=ids).exclude(kind=ConflictTie.Kind.FORMER_EMPLOYMENT, ended_on__lt=cutoff)
    for inspector_id, organisation_id in ties.values_list("inspector_id", "organisation_id"):
        out[inspector_id].add(organisation_id)
    return out


def _years_before(on: dt.date, years: int) -> dt.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def is_tied(inspector: Inspector, organisation_id: int, on: dt.date | None = None) -> bool:
    return organisation_id in excluded_targets([inspector.pk], on or timezone.localdate())[inspector.pk]


def eligible_inspectors(region, kind: str, on: dt.date) -> list[Inspector]:
    """Officers of the region's administration and of those below it (their region inside
    the draw's), active, with a valid 执法证 and qualified for the kind of target."""
    prefix = region.descendant_codes_prefix()
    rows = Inspector.objects.filter(active=True, certificate_valid_until__gte=on, region__code__startswith=prefix)
    return [i for i in rows.order_by("pk") if kind in (i.kinds or [])]


def population(region, kind: str):
    """The 检查对象名录库 rows of the kind whose organisation lies in the region."""
    prefix = region.descendant_codes_prefix()
    return Target.objects.filter(active=True, kind=kind, organisation__region__code__startswith=prefix)


@transaction.atomic
def sync_targets(who, region) -> dict[str, int]:
    """List the region's targets from the registry (检查对象名录库): enterprises using fuel
    dispensers as fuel stations, every organisation using instruments of the catalogue of
    mandatory verification as an instrument user. Returns the rows added per kind."""
    actor = as_actor(who)
    _refuse_unless(CAMPAIGNS.may_create(actor, region), "region", "not the region's administration", "inspection_not_supervisor")
    prefix = region.descendant_codes_prefix()
    in_use = Instrument.objects.filter(status="in_use", owner__region__code__startswith=prefix).order_by()
    owners = {
        TargetKind.FUEL_STATION: set(
            in_use.filter(owner__kind="enterprise", catalog_item__name__contains="加油")
            .values_list("owner_id", flat=True)
            .distinct()
        ),
        TargetKind.INSTRUMENT_USER: set(in_use.filter(catalog_item__isnull=False).values_list("owner_id", flat=True).distinct()),
    }
    added = {}
    with audit_context(actor=_actor_name(who), reason="检查对象名录库"):
        for kind, ids in owners.items():
            listed = set(Target.objects.filter(kind=kind, organisation_id__in=ids).values_list("organisation_id", flat=True))
            for organisation_id in sorted(ids - listed):
                Target.objects.create(organisation_id=organisation_id, kind=kind)
            added[kind.value] = len(ids - listed)
    return added


@transaction.atomic
def register_inspector(
    who, region, name: str, certificate_number: str, valid_until: dt.date, kinds: list[str], user=None, person=None
) -> Inspector:
    """Put an enforcement officer on the list (执法检查人员名录库): a valid 执法证 (行政处罚法
    第四十二条: enforcement by officers qualified for it), the kinds of target he or she may inspect."""
    actor = as_actor(who)
    _refuse_unless(actor.supervises_region(region.pk), "region", "not the region's administration", "inspection_not_supervisor")
    _refuse_unless(bool(name.strip()), "name", "is required", "required")
    _refuse_unless(bool(certificate_number.strip()), "certificate_number", "is required", "required")
    for kind in kinds:
        _refuse_unless(
            kind in TargetKind.values, "kinds", "unknown kind", "one_of", options=", ".join(TargetKind.values), got=kind
        )
    with audit_context(actor=_actor_name(who), reason="执法检查人员名录库"):
        return Inspector.objects.create(
            user=user,
            person=person,
            name=name.strip(),
            certificate_number=certificate_number.strip(),
            certificate_valid_until=valid_until,
            region=region,
            kinds=sorted(set(kinds)),
        )


@transaction.atomic
def declare_tie(
    who, inspector: Inspector, organisation, kind: str, ended_on: dt.date | None = None, note: str = ""
) -> ConflictTie:
    """Record an officer's tie to an organisation (回避, 行政处罚法 第四十三条); from then on the
    officer is excluded from the organisation in every plan."""
    actor = as_actor(who)
    _refuse_unless(
        actor.supervises_region(inspector.region_id), "inspector", "not the region's administration", "inspection_not_supervisor"
    )
    _refuse_unless(
        kind in ConflictTie.Kind.values, "kind", "unknown tie", "one_of", options=", ".join(ConflictTie.Kind.values), got=kind
    )
    _refuse_unless(kind != ConflictTie.Kind.FORMER_EMPLOYMENT or ended_on is not None, "ended_on", "is required", "required")
    with audit_context(actor=_actor_name(who), reason="回避关系申报"):
        return ConflictTie.objects.create(
            inspector=inspector, organisation=organisation, kind=kind, ended_on=ended_on, note=note[:200]
        )


# -- draws -----------------------------------------------------------------------------------


def _ledger_head() -> tuple[int, str]:
    head = LedgerHead.objects.filter(pk=1).values_list("sequence", "entry_hash").first()
    return head or (0, "0" * 64)


def build_plan(region, kind: str, title: str, sample: dict, per_target: int, on: dt.date) -> dict:
    organisation_ids = sorted(population(region, kind).values_list("organisation_id", flat=True))
    grades = current_grades(organisation_ids)
    inspectors = eligible_inspectors(region, kind, on)
    barred = excluded_targets([i.pk for i in inspectors], on)
    wanted = set(organisation_ids)
    plan = {
        "title": title,
        "region": region.code,
        "kind": kind,
        "population": [{"id": o, "grade": grades.get(o, "B")} for o in organisation_ids],
        "sample": sample,
        "inspectors": [{"id": i.pk, "excluded": sorted(barred[i.pk] & wanted)} for i in inspectors],
        "inspectors_per_target": per_target,
    }
    core.validate_plan(plan)
    return plan


@transaction.atomic
def publish_draw(
    who, region, kind: str, title: str, due_on: dt.date, sample: dict | None = None, per_target: int = SIGNERS_REQUIRED
) -> Draw:
    """Fix the plan (population with grades, inspectors with their exclusions) and publish
    its commitment; the seed is drawn now and kept until the draw."""
    actor = as_actor(who)
    _refuse_unless(DRAWS.may_publish(actor, region), "region", "not the region's administration", "inspection_not_supervisor")
    _refuse_unless(kind in TargetKind.values, "kind", "unknown kind", "one_of", options=", ".join(TargetKind.values), got=kind)
    today = timezone.localdate()
    _refuse_unless(due_on >= today, "due_on", "the draw cannot be due before today", "draw_due_past", today=today)
    plan = build_plan(region, kind, title.strip() or kind, sample or dict(DEFAULT_SAMPLE), per_target, today)
    _refuse_unless(bool(plan["population"]), "population", "no target matches", "draw_population_empty")
    draw = Draw(title=plan["title"], region=region, kind=kind, plan=plan, due_on=due_on, created_by=_user(who))
    draw.plan_hash = core.plan_hash(plan)
    draw.commitment = core.commitment(draw.plan_hash, draw.seed)
    with audit_context(actor=_actor_name(who), reason="双随机抽查方案公示"):
        draw.save()
    return draw


def _published_through(draw: Draw) -> int:
    """The last ledger entry written about the draw before it is performed: everything up to
    it was known when the commitment was published."""
    entries = AuditEntry.objects.filter(object_type=object_type_of(Draw), object_id=str(draw.pk))
    return entries.aggregate(last=Max("sequence"))["last"] or 0


@transaction.atomic
def perform_draw(who, draw: Draw, external_value: str = "") -> Draw:
    """Reveal the seed, fix the public value (the ledger's head now, and the external value
    typed), compute the result and open an inspection per drawn target in the draw's
    campaign."""
    actor = as_actor(who)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != Draw.Status.PUBLISHED:
        raise InspectionRefused("status", "already performed", code="draw_performed", date=draw.performed_at)
    _refuse_unless(DRAWS.may(actor, "perform", draw), "region", "not the region's administration", "inspection_not_supervisor")
    external_value = (external_value or "").strip()
    sequence, head = _ledger_head()
    # The public value must not have existed at the commitment: a ledger entry after the
    # publication's own, or an external value typed at the draw (docs/draws.md §2).
    _refuse_unless(
        sequence > _published_through(draw) or bool(external_value),
        "external_value",
        "no new public value",
        "draw_no_public_value",
    )
    draw.public_value = f"ledger:{sequence}:{head}" + (f";external:{external_value}" if external_value else "")
    draw.external_value = external_value
    draw.result = core.result_of(core.draw(draw.plan, draw.seed, draw.public_value))
    draw.status = Draw.Status.PERFORMED
    draw.performed_at = timezone.now()
    with audit_context(actor=_actor_name(who), reason="双随机抽取"):
        draw.save()
        campaign = Campaign.objects.filter(draw=draw).first()
        if campaign is not None:
            _open_inspections(campaign, draw)
    return draw


def _open_inspections(campaign: Campaign, draw: Draw) -> None:
    on = max(campaign.starts_on, timezone.localdate())
    for row in draw.result:
        inspection = Inspection.objects.create(
            campaign=campaign,
            organisation_id=row["target"],
            kind=draw.kind,
            grade=row["grade"],
            scheduled_on=on,
        )
        inspection.inspectors.set(row["inspectors"])


def verify_document(document: dict) -> list[str]:
    return core.verify(document)


# -- campaigns -------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    who, region, kind: str, title: str, starts_on: dt.date, ends_on: dt.date, draw: Draw | None = None
) -> Campaign:
    actor = as_actor(who)
    _refuse_unless(CAMPAIGNS.may_create(actor, region), "region", "not the region's administration", "inspection_not_supervisor")
    _refuse_unless(bool((title or "").strip()), "title", "is required", "required")
    _refuse_unless(starts_on <= ends_on, "ends_on", "ends before it starts", "campaign_dates")
    if draw is not None:
        _refuse_unless(draw.kind == kind, "draw", "the draw is of another kind of target", "campaign_draw_kind")
    with audit_context(actor=_actor_name(who), reason="专项检查"):
        campaign = Campaign.objects.create(
            title=title.strip(), region=region, kind=kind, starts_on=starts_on, ends_on=ends_on, draw=draw, created_by=_user(who)
        )
    return campaign


# -- inspections -----------------------------------------------------------------------------


def _number(raw, field: str):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InspectionRefused(field, "not a number", code="number_required", got=raw) from None
    if not math.isfinite(value):
        raise InspectionRefused(field, "not a finite number", code="number_finite", got=raw)
    return value


@transaction.atomic
def record_checklist(who, inspection: Inspection, answers: dict, *, summary: str = "", photos=()) -> Inspection:
    """The inspectors' answers (item code → {"verdict", "measurement", "note", "finding"}),
    the photos taken on site; a failed item is a finding of the item's severity."""
    actor = as_actor(who)
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=inspection.pk)
    if not INSPECTIONS.may(actor, "record", inspection):
        raise InspectionRefused(
            "inspection", "only the assigned inspectors record, before sign-off", code="inspection_not_assigned"
        )
    items = checklists.checklist(inspection.kind)
    codes = {i.code for i in items}
    for code in answers:
        _refuse_unless(code in codes, f"items.{code}", "not on this checklist", "inspection_unknown_item", got=code)
    rows = []
    for item in items:
        answer = answers.get(item.code)
        if not answer or not answer.get("verdict"):
            continue
        verdict = answer["verdict"]
        _refuse_unless(
            verdict in ItemResult.Verdict.values,
            f"items.{item.code}",
            "pass, fail or na",
            "one_of",
            options="pass, fail, na",
            got=verdict,
        )
        measurement = _number(answer.get("measurement"), f"items.{item.code}.measurement")
        rows.append((item, verdict, measurement, (answer.get("note") or "").strip()[:300], (answer.get("finding") or "").strip()))
    checked = []
    from jiliang.portal.services import check_photo, max_photos

    photos = list(photos or [])
    _refuse_unless(len(photos) <= max_photos(), "photos", "too many photos", "number_too_large", limit=max_photos())
    for i, upload in enumerate(photos):
        try:
            checked.append(check_photo(upload, i))
        except ValidationError as exc:
            raise InspectionRefused(
                "photos",
                "; ".join(exc.message_dict["photos"]),
                code="inspection_photo",
                detail="; ".join(exc.message_dict["photos"]),
            ) from None
    today = timezone.localdate()
    saved = []
    try:
        with audit_context(actor=_actor_name(who), reason="现场检查记录"):
            inspection.items.all().delete()
            inspection.findings.all().delete()
            for item, verdict, measurement, note, finding in rows:
                ItemResult.objects.create(
                    inspection=inspection, item=item.code, verdict=verdict, measurement=measurement, note=note
                )
                if verdict == ItemResult.Verdict.FAIL:
                    Finding.objects.create(
                        inspection=inspection,
                        organisation=inspection.organisation,
                        item=item.code,
                        description=finding or note or str(item.question),
                        severity=item.severity,
                        occurred_on=today,
                    )
            for photo in checked:
                row = InspectionPhoto(inspection=inspection, content_type=photo.content_type, size=len(photo.data))
                row.image.save(f"photo.{photo.extension}", ContentFile(photo.data), save=False)
                saved.append(row)
                row.save()
            if summary:
                inspection.summary = summary.strip()[:2000]
                inspection.save(update_fields=["summary"])
    except BaseException:
        for row in saved:  # the rows rolled back; their files go too
            row.image.storage.delete(row.image.name)
        raise
    return inspection


@transaction.atomic
def sign(who, inspection: Inspection) -> Inspection:
    """An assigned officer signs the record; with the second signature the inspection is
    complete (行政处罚法 第四十二条: at least two officers), its results due on the portal within
    20 working days (企业信息公示暂行条例 第六条), and each finding gets a rectification order."""
    actor = as_actor(who)
    inspection = Inspection.objects.select_for_update(of=("self",)).get(pk=inspection.pk)
    if not INSPECTIONS.may(actor, "sign", inspection):
        raise InspectionRefused("inspection", "only the assigned inspectors sign, once", code="inspection_not_assigned")
    answered = set(inspection.items.values_list("item", flat=True))
    missing = [i.code for i in checklists.checklist(inspection.kind) if i.code not in answered]
    _refuse_unless(not missing, "items", "every item needs a verdict", "inspection_items_missing", items=", ".join(missing))
    me = inspector_of(actor)
    _refuse_unless(
        not inspection.signoffs.filter(inspector=me).exists(),
        "inspector",
        "already signed",
        "inspection_signed_twice",
        name=me.name,
    )
    today = timezone.localdate()
    with audit_context(actor=_actor_name(who), reason="现场检查签署"):
        Signoff.objects.create(inspection=inspection, inspector=me)
        if inspection.signoffs.count() >= SIGNERS_REQUIRED:
            findings = list(inspection.findings.all())
            inspection.status = Inspection.Status.COMPLETED
            inspection.completed_on = today
            inspection.outcome = Inspection.Outcome.FINDINGS if findings else Inspection.Outcome.CLEAN
            inspection.publish_by = working_days_after(today, settings.JILIANG_INSPECTION_PUBLICATION_WORKING_DAYS)
            inspection.save(update_fields=["status", "completed_on", "outcome", "publish_by"])
            days = settings.JILIANG_INSPECTION_RECTIFICATION_WORKING_DAYS
            for finding in findings:
                RectificationOrder.objects.create(
                    finding=finding, issued_on=today, working_days=days, deadline=working_days_after(today, days)
                )
    return inspection


@transaction.atomic
def publish_results(who, inspection: Inspection) -> Inspection:
    actor = as_actor(who)
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=inspection.pk)
    if not INSPECTIONS.may(actor, "publish", inspection):
        raise InspectionRefused("status", "the administration publishes a signed inspection", code="inspection_not_publishable")
    with audit_context(actor=_actor_name(who), reason="抽查结果公示"):
        inspection.status = Inspection.Status.PUBLISHED
        inspection.published_on = timezone.localdate()
        inspection.save(update_fields=["status", "published_on"])
    return inspection


@transaction.atomic
def follow_up(who, order: RectificationOrder, rectified: bool, note: str) -> RectificationOrder:
    actor = as_actor(who)
    order = RectificationOrder.objects.select_for_update(of=("self",)).select_related("finding__organisation").get(pk=order.pk)
    if not ORDERS.may(actor, "follow_up", order):
        raise InspectionRefused("order", "the administration follows up an open order", code="inspection_not_supervisor")
    note = (note or "").strip()
    _refuse_unless(bool(note), "follow_up", "is required", "required")
    with audit_context(actor=_actor_name(who), reason="整改复查"):
        order.status = RectificationOrder.Status.RECTIFIED if rectified else RectificationOrder.Status.NOT_RECTIFIED
        order.followed_up_on = timezone.localdate()
        order.follow_up = note[:2000]
        order.save(update_fields=["status", "followed_up_on", "follow_up"])
    return order


def person_inspector(person: Person) -> Inspector | None:
    return Inspector.objects.filter(person=person).first()
