"""What the credit grades (jiliang.credit) read of the cases, without either app importing
the other's models: the penalty decisions made against an organisation and the cases filed
against it, each as (organisation_id, occurred_on, reference) rows."""

from __future__ import annotations

from django.db.models import F, QuerySet

from .models import Case


def evidence() -> list[tuple[str, QuerySet]]:
    decided = Case.objects.filter(decided_on__isnull=False, party__isnull=False).annotate(
        organisation_id=F("party_id"), occurred_on=F("decided_on"), reference=F("decision_number")
    )
    filed = Case.objects.filter(filed_on__isnull=False, party__isnull=False).annotate(
        organisation_id=F("party_id"), occurred_on=F("filed_on"), reference=F("number")
    )
    return [
        ("penalty_decision", decided.values_list("organisation_id", "occurred_on", "reference")),
        ("case_filed", filed.values_list("organisation_id", "occurred_on", "reference")),
    ]
