"""Credit evidence from the registry (jiliang.credit's provider contract): an instrument in
use under mandatory verification (计量法 第九条) whose verification has lapsed by the day the
evidence is collected, against its owner, dated by the last day of its validity. It leaves the
record once the instrument passes verification again (the owner's fix needs no repair request)."""

from django.db.models import F
from django.utils import timezone

from .models import Instrument


def evidence():
    overdue = (
        Instrument.objects.filter(
            status=Instrument.Status.IN_USE, catalog_item__isnull=False, verified_until__lt=timezone.localdate()
        )
        .exclude(legal_purpose=Instrument.Purpose.NONE)
        .annotate(organisation_id=F("owner_id"), occurred_on=F("verified_until"), reference=F("code"))
        .values_list("organisation_id", "occurred_on", "reference")
    )
    return [("instrument_overdue", overdue)]
