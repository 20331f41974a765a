"""The demo's supply–demand matching: the institute and a few other holders of standards
publish their terms, the demo enterprise posts a need one of their capabilities fits (sent
to the best offer, waiting for the institute's answer) and one no capability in the
province can meet (an unmet need: a gap of the building plan). Through the services, so
every rule applies. Hooked into the demo by one call (``console.demo_activity``); the
browser tests take their starting facts from ``browser_facts``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiliang.core import matching as core
from jiliang.policies import STAFF, Actor, actor_for
from jiliang.registry import models as reg

from . import services
from .models import Need

OTHER_PROVIDERS = 4


def _capabilities(provider_ids=None):
    today = timezone.localdate()
    caps = reg.Capability.objects.filter(
        standard__status=reg.MeasurementStandard.Status.ACTIVE,
        standard__valid_from__lte=today,
        standard__valid_until__gte=today,
        standard__published=True,
        uncertainty__gt=0,
        k__gt=0,
        range_max__gt=0,
    ).select_related("quantity", "standard__holder")
    if provider_ids is not None:
        caps = caps.filter(standard__holder_id__in=list(provider_ids))
    return caps.order_by("id")


def _staff(provider_id: int) -> Actor:
    return Actor(STAFF, organisation_id=provider_id)


def publish_demo_terms(institution: reg.Organisation, quantity_id: int, *, include_institution: bool = True) -> list[int]:
    """General terms for the institution and for a few other holders of capabilities of the
    same quantity (the ranking has something to rank); their ids, the institution first."""
    others = (
        _capabilities()
        .filter(quantity_id=quantity_id)
        .exclude(standard__holder=institution)
        .values_list("standard__holder_id", flat=True)
        .distinct()
    )
    providers = [institution.pk] if include_institution else []
    providers += list(dict.fromkeys(others))[:OTHER_PROVIDERS]
    for n, provider_id in enumerate(providers):
        services.publish_terms(
            _staff(provider_id), provider_id, quantity_id=None, turnaround_days=5 + 3 * n, fee=180 + 40 * ((n * 7) % 5)
        )
    return providers


def fitting_need(institution: reg.Organisation) -> dict | None:
    """The fields of a need one of the institution's capabilities fits (3× its uncertainty,
    stated as it states its own: absolute or relative)."""
    cap = _capabilities([institution.pk]).order_by("relative", "id").first()
    if cap is None:
        return None
    u2 = cap.uncertainty * 2.0 / cap.k
    return {
        "quantity": cap.quantity_id,
        "quantity_name": cap.quantity.name,
        "unit": cap.unit,
        "range_min": cap.range_min,
        "range_max": cap.range_max,
        "requirement": core.U_RELATIVE if cap.relative else core.U_ABSOLUTE,
        "requirement_value": float(f"{3 * u2:.3g}"),
    }


def browser_facts(institution: reg.Organisation) -> dict:
    """What the matching browser test types (tests/web/test_matching_browser.py): a need the
    institution's capability fits, with other providers' terms published beside."""
    need = fitting_need(institution)
    if need is None:
        return {}
    publish_demo_terms(institution, need["quantity"], include_institution=False)  # the test's provider publishes its own
    return need


def plant_matching(cast) -> list[Need]:
    enterprise_user = cast.users.get("enterprise")
    need_fields = fitting_need(cast.institute)
    if enterprise_user is None or need_fields is None:
        return []
    publish_demo_terms(cast.institute, need_fields["quantity"])
    actor = actor_for(enterprise_user)
    deadline = (timezone.localdate() + dt.timedelta(days=45)).isoformat()
    fitting = services.post_need(
        actor,
        {
            **need_fields,
            "title": f"{need_fields['quantity_name']}标准器送校",
            "instrument_count": 3,
            "region": cast.enterprise.region.code,
            "deadline": deadline,
        },
    )
    planted = [fitting]
    offers = services.offers_for(fitting)
    if offers:
        services.pick(actor, fitting, offers[0]["provider_id"])
    # A need nothing in the province meets: a thousandth of the best uncertainty offered.
    best = min((c.uncertainty * 2.0 / c.k for c in _capabilities().filter(quantity_id=need_fields["quantity"])), default=1.0)
    planted.append(
        services.post_need(
            actor,
            {
                **need_fields,
                "title": f"{need_fields['quantity_name']}高准确度校准",
                "requirement_value": best / 1000,
                "region": cast.enterprise.region.code,
                "deadline": deadline,
            },
        )
    )
    services.match_open_needs()
    return planted
