"""The demo province's authorisations: every institution the generator assigns mandatory
verification to holds an authorisation for the items and counties it serves, issued by
the administration of its region (county, city or province), so the demo's verifications
are performed by the assigned, authorised institution (计量法 第二十条; 实施细则 第三十条)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from jiliang.audit.services import audit_context, record_batches
from jiliang.registry import bulk
from jiliang.registry import models as reg

from .models import Authorisation, AuthorisationChange, AuthorisedArea, AuthorisedItem

# Older than any event the generator writes (first-verification meters are verified once,
# at installation, up to a service life before the demo's day).
SINCE_YEARS = 25


def grant_demo_authorisations(builder) -> None:
    admins = {
        o.region_id: o
        for o in reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION).select_related("region")
    }
    parents = dict(reg.Region.objects.values_list("id", "parent_id"))
    orgs = {
        o.pk: o for o in reg.Organisation.objects.filter(pk__in=np.unique(builder.assign_org).tolist()).select_related("region")
    }
    valid_from = builder.as_of.replace(year=builder.as_of.year - SINCE_YEARS)
    valid_until = builder.as_of + dt.timedelta(days=365 * 3)
    models = (Authorisation, AuthorisedItem, AuthorisedArea, AuthorisationChange)
    first = {m: bulk.next_id(m) for m in models}
    auths, items, areas = [], [], []
    for n, (org_id, org) in enumerate(sorted(orgs.items())):
        rows, cols = np.nonzero(builder.assign_org == org_id)
        node = org.region_id
        while node is not None and node not in admins:
            node = parents.get(node)
        if node is None:
            continue
        form = (
            Authorisation.Form.ESTABLISHED
            if org.kind == reg.Organisation.Kind.LEGAL_INSTITUTE
            else Authorisation.Form.OTHER_TASKS
        )
        auth = Authorisation(
            number=f"（浙）法计（{valid_from.year}）{n + 1:04d}号",
            institution=org,
            issuing_authority=admins[node],
            form=form,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        auths.append(auth)
        items.append((auth, sorted(set(cols.tolist()))))
        areas.append((auth, sorted(set(rows.tolist()))))
    Authorisation.objects.bulk_create(auths)
    AuthorisedItem.objects.bulk_create(
        [
            AuthorisedItem(authorisation=auth, catalog_item=builder.items[j], added_on=valid_from)
            for auth, js in items
            for j in js
        ],
        batch_size=5000,
    )
    AuthorisedArea.objects.bulk_create(
        [AuthorisedArea(authorisation=auth, region=builder.counties[c], added_on=valid_from) for auth, cs in areas for c in cs],
        batch_size=5000,
    )
    AuthorisationChange.objects.bulk_create(
        [
            AuthorisationChange(
                authorisation=auth, action=AuthorisationChange.Action.GRANTED, effective_on=valid_from, reason="计量授权考核合格"
            )
            for auth in auths
        ]
    )
    with audit_context(actor="cli:generate", reason="demo province: authorisations"):
        for model in models:
            record_batches("create", model, first_pk=first[model])
