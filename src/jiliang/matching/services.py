"""Use cases of supply–demand matching (供需对接), one transaction each.

The plans ask for a platform that matches measurement supply with demand (法定计量技术机构
action plan §14; the text of the clause could not be retrieved here: cited from the issue,
confirmed: false). The ranking is the pure core's (jiliang.core.matching: the decision rule
and the factors are cited and explained there); this module loads its inputs in bulk,
asks the authorisation rule for mandatory verification (jiliang.authorisation.rules — the
one rule of who may verify, also asked by every event write), and keeps the answer:
requests, their answers and the certificate each ends in, and the inbox of both sides.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.authorisation import rules as authorisation_rules
from jiliang.core import matching as core
from jiliang.core.accuracy import relative_mpe
from jiliang.policies import PolicyRefusal, as_actor, clear_region_cache, region_tree
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from .models import Message, Need, Request, ServiceTerms
from .policies import NEEDS, REQUESTS, TERMS

TOP = 5
MAX_OPEN_NEEDS = 200  # per organisation: bounded work per posting organisation
RULE_FIT = "JJF 1094-2002 §7（测量能力比）"
RULE_MANDATORY = authorisation_rules.RULE_INSTITUTION
RULE_POLICY = "供需对接 权限"
# A capability stated only by an MPE: its standard uncertainty is MPE/√3 (rectangular,
# JJF 1059.1-2012 §4.3.3.2), so U(k=2) = 2·MPE/√3 — as jiliang.core.accuracy.standard_for.
RECTANGULAR_U = 2.0 / math.sqrt(3.0)


def weights() -> core.Weights:
    """The factor weights (settings JILIANG_MATCHING_WEIGHTS: a dict of the four factors),
    the project's choice, not a rule of law."""
    configured = getattr(settings, "JILIANG_MATCHING_WEIGHTS", None) or {}
    return core.Weights(**configured)


# ------------------------------------------------------------------ loading


class UnitCodes(dict):
    """Unit strings as the integers the core compares (the same string, the same code)."""

    def code(self, unit: str) -> int:
        return self.setdefault((unit or "").strip(), len(self))

    def codes(self, units) -> np.ndarray:
        return np.fromiter((self.code(u) for u in units), dtype=np.int64, count=len(units))


@dataclass
class OfferTable:
    """The offers as the core takes them, with what the explanation names per row."""

    offers: core.Offers
    capability_id: np.ndarray
    standard_id: np.ndarray
    provider_names: dict[int, str]
    provider_kinds: dict[int, str]


def load_offers(units: UnitCodes, quantity_ids=None, on: dt.date | None = None) -> OfferTable:
    """Every capability of a standard in service (active, certificate in force, published)
    whose holder published terms for its quantity (or general terms)."""
    on = on or timezone.localdate()
    terms = {}
    for provider_id, quantity_id, days, fee in ServiceTerms.objects.values_list(
        "provider_id", "quantity_id", "turnaround_days", "fee_per_instrument"
    ):
        terms[(provider_id, quantity_id)] = (days, float(fee))
    caps = reg.Capability.objects.filter(
        standard__status=reg.MeasurementStandard.Status.ACTIVE,
        standard__valid_from__lte=on,
        standard__valid_until__gte=on,
        standard__published=True,
        standard__holder_id__in={p for p, _ in terms},
    )
    if quantity_ids is not None:
        caps = caps.filter(quantity_id__in=list(quantity_ids))
    rows = list(
        caps.values_list(
            "id",
            "standard_id",
            "standard__holder_id",
            "quantity_id",
            "unit",
            "range_min",
            "range_max",
            "uncertainty",
            "k",
            "relative",
            "mpe",
            "accuracy_class",
            "standard__holder__region__code",
        )
    )
    kept, u, relative, days, fee = [], [], [], [], []
    for row in rows:
        _, _, holder, quantity, _, _, _, uncertainty, k, rel, mpe, accuracy_class, _ = row
        term = terms.get((holder, quantity)) or terms.get((holder, None))
        if uncertainty and k:
            value, is_relative = uncertainty * 2.0 / k, rel
        elif mpe:
            value, is_relative = mpe * RECTANGULAR_U, rel
        else:
            class_mpe = relative_mpe(accuracy_class)
            if class_mpe is None:
                continue  # a named class (M1, Ⅲ级) states no number to compare
            value, is_relative = class_mpe * RECTANGULAR_U, True
        kept.append(row)
        u.append(value)
        relative.append(is_relative)
        days.append(term[0])
        fee.append(term[1])
    columns = list(zip(*kept)) if kept else [[] for _ in range(13)]
    offers = core.Offers(
        provider=columns[2],
        quantity=columns[3],
        unit=units.codes(columns[4]),
        low=columns[5],
        high=columns[6],
        u=u,
        relative=relative,
        region=[int(code) for code in columns[12]],
        turnaround=days,
        fee=fee,
    )
    providers = dict.fromkeys(columns[2])
    names = dict(reg.Organisation.objects.filter(pk__in=list(providers)).values_list("id", "name"))
    kinds = dict(reg.Organisation.objects.filter(pk__in=list(providers)).values_list("id", "kind"))
    return OfferTable(offers, np.asarray(columns[0], np.int64), np.asarray(columns[1], np.int64), names, kinds)


NEED_COLUMNS = (
    "id",
    "quantity_id",
    "unit",
    "range_min",
    "range_max",
    "requirement",
    "requirement_value",
    "required_ratio",
    "mandatory",
    "region_id",
    "deadline",
    "instrument_count",
    "catalog_item_id",
    "poster_id",
)


@dataclass
class NeedTable:
    needs: core.Needs
    ids: np.ndarray
    item: np.ndarray  # catalogue item id, 0 when none (the authorisation rule's facts)
    poster: np.ndarray


def load_needs(queryset, units: UnitCodes, on: dt.date) -> NeedTable:
    """One query without joins (region codes from the cached region tree), columns to arrays."""
    rows = list(queryset.order_by("id").values_list(*NEED_COLUMNS))
    n = len(rows)
    c = list(zip(*rows)) if rows else [() for _ in NEED_COLUMNS]
    tree = region_tree()
    if not set(c[9]) <= tree.keys():  # a region made within the tree's cache minute
        clear_region_cache()
        tree = region_tree()
    epoch = on.toordinal()
    needs = core.Needs(
        quantity=np.fromiter(c[1], np.int64, n),
        unit=units.codes(c[2]),
        low=np.fromiter(c[3], np.float64, n),
        high=np.fromiter(c[4], np.float64, n),
        kind=np.fromiter(c[5], np.int64, n),
        value=np.fromiter(c[6], np.float64, n),
        ratio=np.fromiter(c[7], np.float64, n),
        mandatory=np.fromiter(c[8], bool, n),
        region=np.fromiter((int(tree[r][0]) for r in c[9]), np.int64, n),
        days=np.fromiter((d.toordinal() - epoch for d in c[10]), np.int64, n),
        count=np.fromiter(c[11], np.int64, n),
    )
    item = np.fromiter((i or 0 for i in c[12]), np.int64, n)
    return NeedTable(needs, np.fromiter(c[0], np.int64, n), item, np.fromiter(c[13], np.int64, n))


def authorisation_check(table: NeedTable, offers: OfferTable, on: dt.date):
    """The core's ``authorised`` for these needs: the authorisation rule of
    jiliang.authorisation.rules over arrays (``work_allowed``, the same rule as
    ``work_refusals``, which gives the reason in words)."""
    needs = table.needs
    scope: list[dict] = []  # the authorisations in force, loaded once at the first ask

    def authorised(need_rows: np.ndarray, providers: np.ndarray) -> np.ndarray:
        if not scope:
            scope.append(authorisation_rules.work_scope(list(offers.provider_names), on))
        kinds = [offers.provider_kinds.get(p, "") for p in providers.tolist()]
        return authorisation_rules.work_allowed(
            providers,
            kinds,
            table.item[need_rows],
            needs.low[need_rows],
            needs.high[need_rows],
            needs.region[need_rows],
            table.poster[need_rows],
            on,
            scope=scope[0],
        )

    return authorised


def rank_needs(queryset, *, on: dt.date | None = None, top: int = TOP) -> tuple[NeedTable, OfferTable, core.Ranking]:
    """Rank every need of the queryset (bulk: one load of each side, the core over arrays)."""
    on = on or timezone.localdate()
    units = UnitCodes()
    table = load_needs(queryset, units, on)
    quantities = set(table.needs.quantity.tolist())
    offers = load_offers(units, quantity_ids=quantities, on=on)
    ranking = core.rank(table.needs, offers.offers, top=top, weights=weights(), authorised=authorisation_check(table, offers, on))
    return table, offers, ranking


@transaction.atomic
def match_open_needs(queryset=None, *, on: dt.date | None = None) -> dict:
    """Rank every open need and keep, per need, how many providers are capable (zero: an
    unmet need, a gap of the building plan): on PostgreSQL one UPDATE joined to the arrays
    (unnest), elsewhere one UPDATE per distinct count — never one per need."""
    from django.db import connection

    queryset = Need.objects.filter(status=Need.Status.OPEN) if queryset is None else queryset
    table, _, ranking = rank_needs(queryset, on=on, top=1)
    now = timezone.now()
    counts = ranking.capable
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE matching_need AS n SET capable = v.c, matched_at = %s "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, c) WHERE n.id = v.id",
                [now, table.ids.tolist(), counts.tolist()],
            )
    else:
        for value in np.unique(counts).tolist():
            ids = table.ids[counts == value].tolist()
            for start in range(0, len(ids), 30_000):  # within every backend's parameter limit
                Need.objects.filter(pk__in=ids[start : start + 30_000]).update(capable=value, matched_at=now)
    return {"needs": len(table.ids), "unmet": int((counts == 0).sum()), "with_offers": int((ranking.candidates > 0).sum())}


# ------------------------------------------------------------------ one need's offers


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def offers_for(need: Need, *, on: dt.date | None = None, top: int = TOP) -> list[dict]:
    """The ranked offers for one need, each factor explained; also keeps the need's count of
    capable providers."""
    on = on or timezone.localdate()
    table, offers, ranking = rank_needs(Need.objects.filter(pk=need.pk), on=on, top=top)
    Need.objects.filter(pk=need.pk).update(capable=int(ranking.capable[0]), matched_at=timezone.now())
    need.capable = int(ranking.capable[0])
    w = ranking.weights
    caps = {
        c.pk: c
        for c in reg.Capability.objects.select_related("standard", "standard__holder__region").filter(
            pk__in=[int(offers.capability_id[i]) for i in ranking.offer[0] if i >= 0]
        )
    }
    threshold = float(ranking.threshold[0])
    tier_labels = {
        0: gettext("同一县（区）"),
        1: gettext("同一设区的市"),
        2: gettext("同一省"),
        3: gettext("省外"),
    }
    result = []
    for rank, i in enumerate(ranking.offer[0].tolist()):
        if i < 0:
            break
        cap = caps[int(offers.capability_id[i])]
        ratio = float(ranking.ratio[0, rank])
        f = ranking.factors[0, rank]
        if need.requirement >= core.MPE_ABSOLUTE:
            rule = gettext("测量能力比 TUR = MPE / U = %(ratio)s ≥ %(threshold)s（%(rule)s）") % {
                "ratio": _fmt(ratio),
                "threshold": _fmt(threshold),
                "rule": RULE_FIT,
            }
        else:
            rule = gettext("要求的 U / 提供的 U = %(ratio)s ≥ 1（提供的不确定度不大于要求）") % {"ratio": _fmt(ratio)}
        days_left = (need.deadline - on).days
        result.append(
            {
                "rank": rank + 1,
                "provider_id": int(ranking.provider[0, rank]),
                "provider": cap.standard.holder,
                "standard": cap.standard,
                "capability": cap,
                "score": round(100 * float(ranking.score[0, rank]), 1),
                "factors": [
                    {
                        "name": "capability",
                        "label": gettext("测量能力"),
                        "weight": round(100 * w[0]),
                        "score": round(100 * f[0]),
                        "why": rule,
                    },
                    {
                        "name": "distance",
                        "label": gettext("距离"),
                        "weight": round(100 * w[1]),
                        "score": round(100 * f[1]),
                        "why": tier_labels[int(ranking.tier[0, rank])] + f"（{cap.standard.holder.region.name}）",
                    },
                    {
                        "name": "turnaround",
                        "label": gettext("服务周期"),
                        "weight": round(100 * w[2]),
                        "score": round(100 * f[2]),
                        "why": gettext("%(days)s 天，距期望完成日期 %(left)s 天")
                        % {"days": int(ranking.turnaround[0, rank]), "left": days_left},
                    },
                    {
                        "name": "fee",
                        "label": gettext("收费"),
                        "weight": round(100 * w[3]),
                        "score": round(100 * f[3]),
                        "why": gettext("共 %(total)s 元（%(count)s 台件）")
                        % {"total": f"{float(ranking.total_fee[0, rank]):.2f}", "count": need.instrument_count},
                    },
                ],
                "authorised": need.mandatory,
            }
        )
    return result


# ------------------------------------------------------------------ needs


def _refuse(field: str, message: str):
    raise Refused([(field, message)])


def _float(data, name: str, label: str) -> float:
    raw = str(data.get(name, "")).strip()
    try:
        value = float(raw)
    except ValueError:
        _refuse(name, gettext("%(field)s 应为数值，收到“%(raw)s”") % {"field": label, "raw": raw})
    if not math.isfinite(value):
        _refuse(name, gettext("%(field)s 应为有限数值") % {"field": label})
    return value


@transaction.atomic
def post_need(who, data) -> Need:
    """Post a need for the actor's organisation. ``data``: title, quantity (id), range_min,
    range_max, unit (default: the quantity's), requirement (0–3), requirement_value,
    required_ratio, instrument_count, region (code), address, deadline, mandatory,
    catalog_item (code; required when mandatory)."""
    actor = as_actor(who)
    if not NEEDS.may_post(actor):
        raise PolicyRefusal(gettext("%(rule)s：只有企业或机构的用户可以发布计量服务需求") % {"rule": RULE_POLICY})
    if Need.objects.filter(poster_id=actor.organisation_id, status=Need.Status.OPEN).count() >= MAX_OPEN_NEEDS:
        _refuse("title", gettext("同时征集中的需求不能超过 %(n)s 条") % {"n": MAX_OPEN_NEEDS})
    title = str(data.get("title", "")).strip()
    if not title:
        _refuse("title", gettext("请填写需求名称"))
    raw_quantity = str(data.get("quantity", "")).strip()
    quantity = reg.Quantity.objects.filter(pk=int(raw_quantity)).first() if raw_quantity.isdigit() else None
    if quantity is None:
        _refuse("quantity", gettext("请选择登记的量"))
    low = _float(data, "range_min", gettext("测量范围下限"))
    high = _float(data, "range_max", gettext("测量范围上限"))
    if low > high:
        _refuse("range_max", gettext("测量范围上限不能小于下限"))
    try:
        requirement = Need.Requirement(int(str(data.get("requirement", "")).strip()))
    except ValueError:
        _refuse("requirement", gettext("请选择要求的表示（不确定度或最大允许误差）"))
    value = _float(data, "requirement_value", gettext("要求值"))
    if value <= 0:
        _refuse("requirement_value", gettext("要求值应大于 0"))
    ratio_raw = str(data.get("required_ratio", "")).strip()
    ratio = _float(data, "required_ratio", gettext("测量能力比要求")) if ratio_raw else core.DEFAULT_RATIO
    if ratio < 1:
        _refuse("required_ratio", gettext("测量能力比要求不能小于 1"))
    count_raw = str(data.get("instrument_count", "1")).strip() or "1"
    if not count_raw.isdigit() or int(count_raw) < 1:
        _refuse("instrument_count", gettext("台件数应为正整数"))
    region = reg.Region.objects.filter(code=str(data.get("region", "")).strip()).first()
    if region is None:
        _refuse("region", gettext("请填写 GB/T 2260 行政区划代码（6 位）"))
    raw_deadline = str(data.get("deadline", "")).strip()
    try:
        deadline = dt.date.fromisoformat(raw_deadline)
    except ValueError:
        _refuse("deadline", gettext("日期格式应为 YYYY-MM-DD"))
    today = timezone.localdate()
    if deadline <= today:
        _refuse("deadline", gettext("期望完成日期应晚于今天"))
    mandatory = str(data.get("mandatory", "")).lower() in ("1", "on", "true", "yes")
    item = None
    item_code = str(data.get("catalog_item", "")).strip()
    if item_code:
        item = reg.CatalogItem.objects.filter(code=item_code).first()
        if item is None:
            _refuse("catalog_item", gettext("目录中没有编号为 %(code)s 的项目") % {"code": item_code})
    if mandatory and item is None:
        _refuse(
            "catalog_item",
            gettext("%(rule)s：强制检定的需求须写明强检目录项（授权按目录项划定）") % {"rule": RULE_MANDATORY},
        )
    if item is not None and item.quantity_id and item.quantity_id != quantity.pk:
        _refuse("catalog_item", gettext("目录项 %(code)s 的量不是 %(quantity)s") % {"code": item.code, "quantity": quantity.name})
    if mandatory and item.regulation_id and not ratio_raw:
        ratio = item.regulation.required_ratio  # the regulation's own ratio (registry Specification)
    need = Need.objects.create(
        number=f"XQ{today:%Y%m%d}-{secrets.token_hex(3).upper()}",
        poster_id=actor.organisation_id,
        posted_by_id=actor.user_id,
        title=title[:200],
        quantity=quantity,
        catalog_item=item,
        range_min=low,
        range_max=high,
        unit=(str(data.get("unit", "")).strip() or quantity.unit)[:30],
        requirement=requirement,
        requirement_value=value,
        required_ratio=ratio,
        instrument_count=int(count_raw),
        region=region,
        address=str(data.get("address", "")).strip()[:300],
        deadline=deadline,
        mandatory=mandatory,
    )
    return need


def _notify(recipient_id: int, need: Need, request: Request | None, kind: str) -> None:
    Message.objects.create(recipient_id=recipient_id, need=need, request=request, kind=kind)


def _may(actor, policy, action: str, obj):
    if not policy.may(actor, action, obj):
        if not policy.may_view(actor, obj):
            raise PolicyRefusal(gettext("没有这条记录"), hidden=True)
        raise PolicyRefusal(gettext("%(rule)s：当前状态或身份不能执行“%(action)s”") % {"rule": RULE_POLICY, "action": action})


@transaction.atomic
def pick(who, need: Need, provider_id: int, *, on: dt.date | None = None) -> Request:
    """Send the need to a provider among its ranked offers; the provider is told."""
    actor = as_actor(who)
    need = Need.objects.select_for_update().get(pk=need.pk)
    _may(actor, NEEDS, "pick", need)
    offers = offers_for(need, on=on, top=50)
    chosen = next((o for o in offers if o["provider_id"] == provider_id), None)
    if chosen is None:
        _refuse(
            "provider",
            gettext("%(rule)s：该机构不在本需求的匹配结果中（能力、授权或服务周期不满足）") % {"rule": RULE_FIT},
        )
    fit = {
        "score": chosen["score"],
        "standard": chosen["standard"].certificate_number,
        "capability": chosen["capability"].pk,
        "factors": [{k: f[k] for k in ("name", "weight", "score", "why")} for f in chosen["factors"]],
    }
    request = Request.objects.create(need=need, provider_id=provider_id, fit=fit, sent_by_id=actor.user_id)
    need.status = Need.Status.REQUESTED
    need.save(update_fields=["status"])
    _notify(provider_id, need, request, Message.Kind.SENT)
    return request


@transaction.atomic
def withdraw_need(who, need: Need) -> Need:
    actor = as_actor(who)
    need = Need.objects.select_for_update().get(pk=need.pk)
    _may(actor, NEEDS, "withdraw", need)
    for request in need.requests.filter(status=Request.Status.SENT):
        request.status, request.answered_at = Request.Status.WITHDRAWN, timezone.now()
        request.save(update_fields=["status", "answered_at"])
        _notify(request.provider_id, need, request, Message.Kind.WITHDRAWN)
    need.status = Need.Status.WITHDRAWN
    need.save(update_fields=["status"])
    return need


@transaction.atomic
def answer(who, request: Request, action: str, *, note: str = "", certificate: str = "") -> Request:
    """The provider accepts, declines or completes (with the certificate issued); the poster
    withdraws a request not yet answered. The other side is told."""
    actor = as_actor(who)
    request = Request.objects.select_for_update().select_related("need").get(pk=request.pk)
    if action not in REQUESTS.transitions:
        _refuse("action", gettext("未知的操作 %(action)s") % {"action": action})
    _may(actor, REQUESTS, action, request)
    need = request.need
    now = timezone.now()
    if action == "complete":
        number = certificate.strip()
        event = reg.CalibrationEvent.objects.filter(certificate_number=number).first() if number else None
        if event is None:
            _refuse("certificate", gettext("没有编号为“%(number)s”的检定/校准证书") % {"number": number})
        if event.performer_id != request.provider_id:
            _refuse("certificate", gettext("证书 %(number)s 不是本机构出具的") % {"number": number})
        if event.performed_on < request.sent_at.date():
            _refuse("certificate", gettext("证书 %(number)s 出具在委托之前") % {"number": number})
        if need.mandatory and event.kind != reg.CalibrationEvent.Kind.VERIFICATION:
            _refuse("certificate", gettext("强制检定的需求须以检定证书（或检定结果通知书）完成"))
        request.event, request.completed_at = event, now
    request.status = REQUESTS.transitions[action][1]
    request.answered_at = request.answered_at or now
    if note:
        request.answer = note.strip()[:300]
    request.save()
    need.status = {
        "accept": Need.Status.ACCEPTED,
        "decline": Need.Status.OPEN,
        "complete": Need.Status.COMPLETED,
        "withdraw": Need.Status.OPEN,
    }[action]
    need.save(update_fields=["status"])
    kind = {"accept": Message.Kind.ACCEPTED, "decline": Message.Kind.DECLINED, "complete": Message.Kind.COMPLETED}
    if action in kind:
        _notify(need.poster_id, need, request, kind[action])
    else:
        _notify(request.provider_id, need, request, Message.Kind.WITHDRAWN)
    return request


# ------------------------------------------------------------------ terms, inbox


@transaction.atomic
def publish_terms(who, provider_id: int, *, quantity_id: int | None, turnaround_days, fee, note: str = "") -> ServiceTerms:
    actor = as_actor(who)
    if not TERMS.may_publish(actor, provider_id):
        raise PolicyRefusal(gettext("%(rule)s：服务承诺由机构本单位人员发布") % {"rule": RULE_POLICY})
    try:
        days = int(str(turnaround_days).strip())
    except ValueError:
        days = 0
    if days <= 0:
        _refuse("turnaround_days", gettext("服务周期应为正整数（天）"))
    try:
        amount = float(str(fee).strip())
    except ValueError:
        amount = -1.0
    if not math.isfinite(amount) or amount < 0 or amount >= 1e8:
        _refuse("fee_per_instrument", gettext("收费应为不小于 0 的金额（元）"))
    if quantity_id is not None and not reg.Quantity.objects.filter(pk=quantity_id).exists():
        _refuse("quantity", gettext("请选择登记的量"))
    terms, _ = ServiceTerms.objects.update_or_create(
        provider_id=provider_id,
        quantity_id=quantity_id,
        defaults={"turnaround_days": days, "fee_per_instrument": f"{amount:.2f}", "note": note.strip()[:300]},
    )
    return terms


def unread(actor, limit: int = 10):
    from .policies import MESSAGES

    return MESSAGES.visible(actor, Message.objects.select_related("need", "request")).filter(read_at__isnull=True)[:limit]


def mark_read(actor, ids) -> int:
    from .policies import MESSAGES

    return MESSAGES.visible(actor, Message.objects.filter(pk__in=list(ids), read_at__isnull=True)).update(read_at=timezone.now())


def open_needs_in_scope(actor, limit: int = 100):
    """The open needs a provider may answer (its province's), newest first."""
    return NEEDS.visible(actor, Need.objects.select_related("quantity", "region", "poster")).filter(
        Q(status=Need.Status.OPEN) & ~Q(poster_id=actor.organisation_id)
    )[:limit]
