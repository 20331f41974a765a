"""Who performs an instrument's mandatory verification: the institution its registration
(备案) was assigned to. 计量法 第九条: the user of an instrument under mandatory verification
applies for periodic verification to the institution the local metrology administration
designates (指定的计量检定机构). Asked by the one write service of events on every path;
reassignment is an audited act of the administration (``services.reassign_registration``).

An instrument without an approved, assigned registration is judged by the authorisation
alone (the registration workflow is where filing is required, not the event write)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils.translation import gettext

from jiliang.registry import models as reg

from .models import Registration

RULE_ASSIGNED = "计量法 第九条 指定的计量检定机构"


def _elsewhere(instrument_code: str, assigned: str, performer: str) -> str:
    return gettext("%(rule)s：%(instrument)s 的备案指定由 %(assigned)s 检定，不是 %(performer)s") % {
        "rule": RULE_ASSIGNED,
        "instrument": instrument_code,
        "assigned": assigned,
        "performer": performer,
    }


def assignment_refusals(instrument: reg.Instrument, performer: reg.Organisation, kind: str, performed_on: dt.date) -> list:
    assigned = (
        Registration.objects.filter(
            instrument_id=instrument.pk, status=Registration.Status.APPROVED, assigned_institution__isnull=False
        )
        .values_list("assigned_institution_id", "assigned_institution__name")
        .first()
    )
    if assigned is None or assigned[0] == performer.pk:
        return []
    return [("performer", _elsewhere(instrument.code, assigned[1], performer.name))]


def stored_assignment_refusals(events) -> list[tuple[int, str, str]]:
    rows = (
        events.filter(
            instrument__registration__status=Registration.Status.APPROVED,
            instrument__registration__assigned_institution__isnull=False,
        )
        .exclude(performer_id=F("instrument__registration__assigned_institution_id"))
        .values_list("pk", "instrument__code", "instrument__registration__assigned_institution__name", "performer__name")
    )
    return [(pk, "performer", _elsewhere(code, assigned, performer)) for pk, code, assigned, performer in rows]
