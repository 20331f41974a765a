"""The register's use cases, one transaction each: grant an authorisation, extend its
validity, narrow or widen its items and areas, revoke it. Each is an act of the issuing
administration (the policy), needs its reason, and leaves a row in the history and the
audit ledger (the tables are tracked). A refusal raises ``Refused`` naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jiliang.audit.services import audit_context, record_many
from jiliang.policies import Actor
from jiliang.registry import models as reg
from jiliang.registry.services import VERIFYING_KINDS, Refused

from .models import Authorisation, AuthorisationChange, AuthorisedArea, AuthorisedItem
from .policies import AuthorisationPolicy

POLICY = AuthorisationPolicy()
A = AuthorisationChange.Action


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise Refused([("reason", "an act on an authorisation needs its reason")])
    return reason.strip()[:300]


def _user(actor: Actor | None):
    if actor is None or actor.user_id is None:
        return None
    return get_user_model().objects.filter(pk=actor.user_id).first()


def _ledger(actor: Actor | None, reason: str):
    """The audit context of an act: the acting user (else the surrounding context's) and the reason."""
    user = _user(actor)
    return audit_context(actor=user, reason=reason) if user is not None else audit_context(reason=reason)


def _item_rows(authorisation, items, on) -> list[AuthorisedItem]:
    """items: [(catalog item, range_min, range_max, unit)] or catalog items alone."""
    rows = []
    for entry in items:
        item, lo, hi, unit = entry if isinstance(entry, tuple) else (entry, None, None, "")
        if lo is not None and hi is not None and lo > hi:
            raise Refused([("items", f"{item.code}: the range {lo}–{hi} is reversed")])
        rows.append(
            AuthorisedItem(
                authorisation=authorisation,
                catalog_item=item,
                range_min=lo,
                range_max=hi,
                unit=unit or (item.quantity.unit if item.quantity_id and (lo is not None or hi is not None) else ""),
                added_on=on,
            )
        )
    return rows


def _detail(items=(), regions=()) -> dict:
    out = {}
    if items:
        out["items"] = [(e[0] if isinstance(e, tuple) else e).code for e in items]
    if regions:
        out["regions"] = [r.code for r in regions]
    return out


@transaction.atomic
def grant(
    actor: Actor | None,
    *,
    number: str,
    institution: reg.Organisation,
    issuing_authority: reg.Organisation,
    form: str,
    valid_from: dt.date,
    valid_until: dt.date,
    items,
    regions,
    reason: str,
) -> Authorisation:
    """Record a new authorisation (计量授权证书) with its items and areas."""
    if actor is not None and not POLICY.may_grant(actor, issuing_authority):
        raise Refused([("issuing_authority", "only the issuing administration records its authorisations")], forbidden=True)
    reason = _reason(reason)
    problems = []
    if issuing_authority.kind != reg.Organisation.Kind.ADMINISTRATION:
        problems.append(("issuing_authority", f"{issuing_authority.name} is not a metrology administration (计量法 第二十条)"))
    if institution.kind not in VERIFYING_KINDS:
        problems.append(
            ("institution", f"{institution.name} is a {institution.get_kind_display()}, not a verification institution")
        )
    if form not in Authorisation.Form.values:
        problems.append(("form", f"{form!r} is not a form of authorisation (实施细则 第三十条)"))
    if valid_until <= valid_from:
        problems.append(("valid_until", "must be after valid_from"))
    if Authorisation.objects.filter(number=number).exists():
        problems.append(("number", f"an authorisation numbered {number} is on the register"))
    items, regions = list(items), list(regions)
    if not items:
        problems.append(("items", "an authorisation names the items it covers"))
    if not regions:
        problems.append(("regions", "an authorisation names the area it serves"))
    admin_prefix = issuing_authority.region.descendant_codes_prefix()
    outside = [r.code for r in regions if not r.code.startswith(admin_prefix)]
    if outside:
        problems.append(("regions", f"{', '.join(outside)} lie outside the area of {issuing_authority.name}"))
    if problems:
        raise Refused(problems)
    with _ledger(actor, reason):
        auth = Authorisation.objects.create(
            number=number,
            institution=institution,
            issuing_authority=issuing_authority,
            form=form,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        _add_scope(actor, auth, items, regions, valid_from, A.GRANTED, reason)
    return auth


def _add_scope(actor, auth: Authorisation, items, regions, on: dt.date, action: str, reason: str) -> None:
    """Items (with ranges) and areas added to ``auth`` from ``on``, with the change recorded."""
    # One INSERT and one batch of ledger entries for the items: an authorisation names
    # dozens of catalogue items, and a save (with its own ledger entry) each cost a second.
    rows = AuthorisedItem.objects.bulk_create(_item_rows(auth, items, on))
    record_many("create", AuthorisedItem, [{"id": row.pk} for row in rows])
    for region in regions:
        AuthorisedArea.objects.create(authorisation=auth, region=region, added_on=on)
    AuthorisationChange.objects.create(
        authorisation=auth, action=action, effective_on=on, reason=reason, detail=_detail(items, regions), actor=_user(actor)
    )


def _acting(actor, action, auth) -> Authorisation:
    auth = Authorisation.objects.select_for_update().select_related("issuing_authority__region").get(pk=auth.pk)
    if actor is not None and not POLICY.writable(actor, auth):
        raise Refused([("authorisation", "only the issuing administration acts on its authorisations")], forbidden=True)
    if not POLICY.in_state_for(action, auth):
        raise Refused([("status", f"authorisation {auth.number} is {auth.get_status_display()}")])
    return auth


@transaction.atomic
def extend(actor: Actor | None, auth: Authorisation, valid_until: dt.date, reason: str) -> Authorisation:
    """Extend the validity (延续), e.g. after the re-examination."""
    reason = _reason(reason)
    auth = _acting(actor, "extend", auth)
    if valid_until <= auth.valid_until:
        raise Refused([("valid_until", f"an extension ends after the present end {auth.valid_until}")])
    with _ledger(actor, reason):
        before = auth.valid_until
        auth.valid_until = valid_until
        auth.save(update_fields=["valid_until"])
        AuthorisationChange.objects.create(
            authorisation=auth,
            action=A.EXTENDED,
            effective_on=before + dt.timedelta(days=1),
            reason=reason,
            detail={"valid_until": [before.isoformat(), valid_until.isoformat()]},
            actor=_user(actor),
        )
    return auth


@transaction.atomic
def narrow(
    actor: Actor | None, auth: Authorisation, *, items=(), regions=(), on: dt.date | None = None, reason: str
) -> Authorisation:
    """Remove items or areas from ``on`` (缩小授权范围); the rows stay, dated, so past work is
    judged by what was authorised then."""
    reason = _reason(reason)
    auth = _acting(actor, "narrow", auth)
    on = on or timezone.localdate()
    items, regions = list(items), list(regions)
    if not items and not regions:
        raise Refused([("items", "name the items or areas to remove")])
    with _ledger(actor, reason):
        for item in items:
            rows = [r for r in auth.items.filter(catalog_item=item, removed_on__isnull=True) if r.added_on < on]
            if not rows:
                raise Refused([("items", f"{item.code} is not among the authorised items of {auth.number}")])
            for row in rows:
                row.removed_on = on
                row.save(update_fields=["removed_on"])
        for region in regions:
            rows = [r for r in auth.areas.filter(region=region, removed_on__isnull=True) if r.added_on < on]
            if not rows:
                raise Refused([("regions", f"{region.code} is not in the area of {auth.number}")])
            for row in rows:
                row.removed_on = on
                row.save(update_fields=["removed_on"])
        AuthorisationChange.objects.create(
            authorisation=auth,
            action=A.NARROWED,
            effective_on=on,
            reason=reason,
            detail=_detail(items, regions),
            actor=_user(actor),
        )
    return auth


@transaction.atomic
def widen(
    actor: Actor | None, auth: Authorisation, *, items=(), regions=(), on: dt.date | None = None, reason: str
) -> Authorisation:
    """Add items (with ranges) or areas from ``on`` (扩大授权范围)."""
    reason = _reason(reason)
    auth = _acting(actor, "widen", auth)
    on = on or timezone.localdate()
    items, regions = list(items), list(regions)
    if not items and not regions:
        raise Refused([("items", "name the items or areas to add")])
    with _ledger(actor, reason):
        _add_scope(actor, auth, items, regions, on, A.WIDENED, reason)
    return auth


@transaction.atomic
def revoke(actor: Actor | None, auth: Authorisation, reason: str, on: dt.date | None = None) -> Authorisation:
    """Revoke the authorisation from ``on`` (撤销): work dated on or after it is refused."""
    reason = _reason(reason)
    auth = _acting(actor, "revoke", auth)
    on = on or timezone.localdate()
    with _ledger(actor, reason):
        auth.status, auth.revoked_on = Authorisation.Status.REVOKED, on
        auth.save(update_fields=["status", "revoked_on"])
        AuthorisationChange.objects.create(
            authorisation=auth, action=A.REVOKED, effective_on=on, reason=reason, actor=_user(actor)
        )
    return auth
