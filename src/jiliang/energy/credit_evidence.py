"""Evidence for the credit record (jiliang.credit reads every app's ``credit_evidence``):
an energy or carbon metering review that failed, or passed only after rectification
(《能源计量监督管理办法》第十七条: the review's result is a record of the unit's
compliance). Nothing here imports the credit app."""

from __future__ import annotations

from django.db.models import F, Q

from .models import Review


def evidence():
    """[(kind, queryset of (organisation_id, occurred_on, reference))]."""
    reviews = (
        Review.objects.filter(status=Review.Status.CLOSED)
        .filter(Q(result=Review.Result.FAILED) | Q(result=Review.Result.RECTIFIED))
        .annotate(organisation_id=F("unit__organisation_id"), occurred_on=F("decided_on"), reference=F("number"))
        .values_list("organisation_id", "occurred_on", "reference")
    )
    return [("energy_review", reviews)]
