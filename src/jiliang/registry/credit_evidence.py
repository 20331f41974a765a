"""Credit evidence from the registry (jiliang.credit's provider contract): an instrument in
use under mandatory verification (计量法 第九条) whose verification has lapsed, against its
owner from the day after the lapse. It lapses from the record once the instrument passes
verification again (the owner's fix needs no repair request)."""

import datetime as dt

from django.db.models import DateField, ExpressionWrapper, F

from .models import Instrument


def evidence():
    overdue = (
        Instrument.objects.filter(status=Instrument.Status.IN_USE, catalog_item__isnull=False, verified_until__isnull=False)
        .exclude(legal_purpose=Instrument.Purpose.NONE)
        .annotate(
            organisation_id=F("owner_id"),
            occurred_on=ExpressionWrapper(F("verified_until") + dt.timedelta(days=1), output_field=DateField()),
            reference=F("code"),
        )
        .values_list("organisation_id", "occurred_on", "reference")
    )
    return [("instrument_overdue", overdue)]
