"""Credit evidence from prepackaged-goods inspections (jiliang.credit's provider contract):
an approved or published result, pass or fail, against the producer on its sampling date."""

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from .models import Inspection


def evidence():
    judged = Inspection.objects.filter(
        status__in=(Inspection.Status.APPROVED, Inspection.Status.PUBLISHED), passed__isnull=False
    ).annotate(
        organisation_id=F("producer_id"),
        occurred_on=F("sampling_date"),
        reference=Concat(Value("DLBZ-"), Cast("id", CharField()), output_field=CharField()),
    )
    columns = ("organisation_id", "occurred_on", "reference")
    return [
        ("prepack_pass", judged.filter(passed=True).values_list(*columns)),
        ("prepack_fail", judged.filter(passed=False).values_list(*columns)),
    ]
