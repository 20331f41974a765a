"""What inspections tell the credit record (loaded by the credit app; no import of it here).

Each entry is (evidence kind, queryset of (organisation_id, occurred_on, reference)):
a finding of a signed inspection, and an inspection signed without findings.
"""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from .models import Finding, Inspection


def evidence() -> list[tuple[str, object]]:
    signed = (Inspection.Status.COMPLETED, Inspection.Status.PUBLISHED)
    findings = (
        Finding.objects.filter(inspection__status__in=signed)
        .annotate(
            ref=Concat(
                Value("JC-"),
                Cast("inspection__campaign_id", CharField()),
                Value("-"),
                Cast("inspection_id", CharField()),
                Value("-"),
                Cast("id", CharField()),
                output_field=CharField(),
            )
        )
        .values_list("organisation_id", "occurred_on", "ref")
    )
    clean = (
        Inspection.objects.filter(status__in=signed, outcome=Inspection.Outcome.CLEAN)
        .annotate(
            ref=Concat(
                Value("JC-"), Cast("campaign_id", CharField()), Value("-"), Cast("id", CharField()), output_field=CharField()
            ),
            occurred=F("completed_on"),
        )
        .values_list("organisation_id", "occurred", "ref")
    )
    return [("inspection_finding", findings), ("inspection_clean", clean)]
