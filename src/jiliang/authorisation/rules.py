"""Who may perform a mandatory verification (强制检定), asked by the one write service of
events (``registry.services.event_refusals``, ``stored_event_refusals``) on every path, and
by the assignment of registrations (``verification.services``).

The performer must be a legal metrology institute or an institution authorised by a
metrology administration (计量法 第二十条; 计量法实施细则 第三十条), holding on the day an
authorisation in force (计量授权证书: 计量授权管理办法 第二条、第四条) that covers the item
and the instrument's range (在规定的范围内: 实施细则 第三十条) and the area where the
instrument is (the area served). Each refusal names the rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext

from jiliang.registry import models as reg
from jiliang.registry.services import VERIFYING_KINDS

from .models import Authorisation

RULE_INSTITUTION = "计量法 第二十条"
RULE_AUTHORISATION = "计量法 第二十条、实施细则 第三十条 计量授权"
RULE_SCOPE = "实施细则 第三十条 授权范围"
RULE_AREA = "计量授权管理办法 第四条 授权区域"


def _authorisations(institution_ids) -> dict[int, list[Authorisation]]:
    found: dict[int, list[Authorisation]] = defaultdict(list)
    rows = (
        Authorisation.objects.filter(institution_id__in=list(institution_ids), form__in=Authorisation.VERIFYING_FORMS)
        .prefetch_related("items", "areas__region")
        .order_by("valid_from", "id")
    )
    for auth in rows:
        found[auth.institution_id].append(auth)
    return found


def _num(x) -> str:
    return "…" if x is None else f"{x:g}"


def _within(lo, hi, item) -> bool:
    """The instrument's range inside the authorised range (an open end is no limit; an
    instrument that states no range is judged by its item alone)."""
    if lo is not None and item.range_min is not None and lo < item.range_min:
        return False
    if hi is not None and item.range_max is not None and hi > item.range_max:
        return False
    return True


def _judge(auths, *, institution_name, institution_id, item_id, item_code, lo, hi, unit, region_code, owner_id, on) -> str | None:
    """The reason the authorisations do not cover the work, or None."""
    in_force = [a for a in auths if a.in_force_on(on)]
    if not in_force:
        if not auths:
            return gettext("%(rule)s：%(institution)s 未取得开展强制检定的计量授权证书") % {
                "rule": RULE_AUTHORISATION,
                "institution": institution_name,
            }
        last = max(auths, key=lambda a: a.valid_until)
        why = (
            gettext("已于 %(date)s 撤销") % {"date": last.revoked_on}
            if last.revoked_on and last.revoked_on <= on
            else gettext("有效期 %(start)s 至 %(end)s") % {"start": last.valid_from, "end": last.valid_until}
        )
        return gettext("%(rule)s：%(institution)s 的计量授权 %(number)s 在 %(on)s 不在有效期内（%(why)s）") % {
            "rule": RULE_AUTHORISATION,
            "institution": institution_name,
            "number": last.number,
            "on": on,
            "why": why,
        }
    for_item = [(a, i) for a in in_force for i in a.items.all() if i.catalog_item_id == item_id and i.on(on)]
    if not for_item:
        return gettext("%(rule)s：%(institution)s 在 %(on)s 未获 %(item)s 的授权") % {
            "rule": RULE_SCOPE,
            "institution": institution_name,
            "item": item_code,
            "on": on,
        }
    in_range = [(a, i) for a, i in for_item if _within(lo, hi, i)]
    if not in_range:
        spans = ", ".join(f"{_num(i.range_min)}–{_num(i.range_max)} {i.unit}".strip() for _, i in for_item)
        return gettext("%(rule)s：%(institution)s 获授权的 %(item)s 测量范围为 %(spans)s，不含 %(range)s") % {
            "rule": RULE_SCOPE,
            "institution": institution_name,
            "item": item_code,
            "spans": spans,
            "range": f"{_num(lo)}–{_num(hi)} {unit}".strip(),
        }
    for auth, _ in in_range:
        if auth.form == Authorisation.Form.INTERNAL and owner_id != institution_id:
            continue  # 实施细则 第三十条(三): its own instruments only
        if any(area.on(on) and region_code.startswith(area.region.descendant_codes_prefix()) for area in auth.areas.all()):
            return None
    return gettext("%(rule)s：%(region)s 不在 %(institution)s 的授权区域内") % {
        "rule": RULE_AREA,
        "region": region_code,
        "institution": institution_name,
    }


def _not_verifying(institution_name: str) -> str:
    return gettext("%(rule)s：%(institution)s 既不是法定计量检定机构，也未获授权开展强制检定") % {
        "rule": RULE_INSTITUTION,
        "institution": institution_name,
    }


def _judge_instrument(auths, institution, instrument, on: dt.date) -> str | None:
    """``_judge`` for the work on one registered instrument."""
    return _judge(
        auths,
        institution_name=institution.name,
        institution_id=institution.pk,
        item_id=instrument.catalog_item_id,
        item_code=instrument.catalog_item.code,
        lo=instrument.range_min,
        hi=instrument.range_max,
        unit=instrument.unit,
        region_code=instrument.region.code,
        owner_id=instrument.owner_id,
        on=on,
    )


def performer_refusals(instrument: reg.Instrument, performer: reg.Organisation, kind: str, performed_on: dt.date) -> list:
    """[(field, reason)] why ``performer`` may not perform this mandatory verification."""
    if performer.kind not in VERIFYING_KINDS:
        return [("performer", _not_verifying(performer.name))]
    reason = _judge_instrument(_authorisations([performer.pk]).get(performer.pk, []), performer, instrument, performed_on)
    return [("performer", reason)] if reason else []


def stored_refusals(events) -> list[tuple[int, str, str]]:
    """The same rule over stored mandatory verification events (bulk import paths)."""
    rows = list(
        events.values_list(
            "pk",
            "performer_id",
            "performer__name",
            "performer__kind",
            "performed_on",
            "instrument__catalog_item_id",
            "instrument__catalog_item__code",
            "instrument__range_min",
            "instrument__range_max",
            "instrument__unit",
            "instrument__region__code",
            "instrument__owner_id",
        )
    )
    auths = _authorisations({r[1] for r in rows})
    found = []
    for pk, performer_id, name, kind, on, item_id, item_code, lo, hi, unit, region_code, owner_id in rows:
        if kind not in VERIFYING_KINDS:
            reason = _not_verifying(name)
        else:
            reason = _judge(
                auths.get(performer_id, []),
                institution_name=name,
                institution_id=performer_id,
                item_id=item_id,
                item_code=item_code,
                lo=lo,
                hi=hi,
                unit=unit,
                region_code=region_code,
                owner_id=owner_id,
                on=on,
            )
        if reason:
            found.append((pk, "performer", reason))
    return found


def institutions_able(instrument: reg.Instrument, on: dt.date, candidates) -> set[int]:
    """Ids of the candidate institutions that could legally verify the instrument on the
    day (the assignment of a registration picks among these only)."""
    orgs = {o.pk: o for o in candidates}
    auths = _authorisations(orgs)
    return {
        pk
        for pk, org in orgs.items()
        if org.kind in VERIFYING_KINDS and _judge_instrument(auths.get(pk, []), org, instrument, on) is None
    }


def work_refusals(work: list[tuple], on: dt.date) -> list[str | None]:
    """The same rule for work not yet registered as an instrument (a need posted for
    matching, jiliang.matching): per (institution_id, institution_name, institution_kind,
    item_id, item_code, range_min, range_max, unit, region_code, owner_id), the reason the
    institution may not verify it on the day, or None."""
    auths = _authorisations({w[0] for w in work})
    found: list[str | None] = []
    for pk, name, kind, item_id, item_code, lo, hi, unit, region_code, owner_id in work:
        if kind not in VERIFYING_KINDS:
            found.append(_not_verifying(name))
            continue
        found.append(
            _judge(
                auths.get(pk, []),
                institution_name=name,
                institution_id=pk,
                item_id=item_id,
                item_code=item_code,
                lo=lo,
                hi=hi,
                unit=unit,
                region_code=region_code,
                owner_id=owner_id,
                on=on,
            )
        )
    return found


def work_scope(institution_ids, on: dt.date) -> dict:
    """The authorisations of the institutions in force on the day, as scope rows:
    (institution, item) → [(range_min, range_max, area code, its digits, internal)]."""
    import numpy as np

    scope: dict[tuple[int, int], list[tuple[float, float, int, int, bool]]] = defaultdict(list)
    for pk, auths in _authorisations(set(institution_ids)).items():
        for auth in auths:
            if not auth.in_force_on(on):
                continue
            areas = [a.region.descendant_codes_prefix() for a in auth.areas.all() if a.on(on)]
            internal = auth.form == Authorisation.Form.INTERNAL
            for i in auth.items.all():
                if not i.on(on):
                    continue
                rmin = -np.inf if i.range_min is None else i.range_min
                rmax = np.inf if i.range_max is None else i.range_max
                for prefix in areas:
                    scope[(pk, i.catalog_item_id)].append((rmin, rmax, int(prefix), len(prefix), internal))
    return scope


def work_allowed(institution_ids, kinds, item_ids, lo, hi, region_codes, owner_ids, on: dt.date, scope=None):
    """``work_refusals`` as yes/no over arrays, for bulk matching (10^5 needs): the same
    rule — the institution a verifying kind, an authorisation in force on the day with the
    item (``AuthorisedItem.on``) over a range holding the work's (``_within``), an area
    (``AuthorisedArea.on``) holding the region, an internal grant only for its own
    instruments — with the authorisations expanded once into scope rows (``work_scope``,
    which a caller asking many times passes in) and the work compared against them in
    NumPy. tests/matching check it agrees with ``work_refusals``."""
    import numpy as np

    inst = np.asarray(institution_ids, dtype=np.int64)
    item = np.asarray(item_ids, dtype=np.int64)
    low, high = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    region = np.asarray(region_codes, dtype=np.int64)
    own = np.asarray(owner_ids, dtype=np.int64) == inst
    allowed = np.zeros(len(inst), dtype=bool)
    verifying = np.isin(np.asarray(kinds, dtype=object), np.asarray(VERIFYING_KINDS, dtype=object))
    if scope is None:
        scope = work_scope(inst[verifying].tolist(), on)
    key = inst * 1_000_003 + item
    for code in np.unique(key[verifying]).tolist():
        rows = scope.get((code // 1_000_003, code % 1_000_003))
        if not rows:
            continue
        at = np.nonzero((key == code) & verifying)[0]
        rmin, rmax, prefix, digits, internal = (np.array(c) for c in zip(*rows))
        in_range = (low[at, None] >= rmin[None, :]) & (high[at, None] <= rmax[None, :])
        in_area = region[at, None] // 10 ** (6 - digits[None, :]) == prefix[None, :]
        for_owner = ~internal[None, :] | own[at, None]
        allowed[at] = (in_range & in_area & for_owner).any(axis=1)
    return allowed
