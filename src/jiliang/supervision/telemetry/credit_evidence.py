"""Credit evidence from telemetry (jiliang.credit's provider contract): an alert the
supervisor confirmed on site or took to a case (CreditSignal), against the instrument's user."""

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, TruncDate

from .models import CreditSignal


def evidence():
    confirmed = (
        CreditSignal.objects.filter(outcome__in=(CreditSignal.Outcome.CONFIRMED, CreditSignal.Outcome.CASE))
        .annotate(
            organisation_id=F("owner_id"),
            occurred_on=TruncDate("created_at"),
            reference=Concat(Value("ALERT-"), Cast("alert_id", CharField()), output_field=CharField()),
        )
        .values_list("organisation_id", "occurred_on", "reference")
    )
    return [("telemetry_confirmed", confirmed)]
