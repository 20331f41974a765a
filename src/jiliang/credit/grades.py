"""The grade other apps ask for (the random draw weighs its targets by it)."""

from __future__ import annotations

from django.utils import timezone

CHUNK = 10_000


def current_grades(organisation_ids) -> dict[int, str]:
    """Organisation id → the code of its current class; an organisation never graded has the
    default class of the rule set in force today."""
    from .models import CreditGrade
    from .services import rule_set_on

    ids = list(dict.fromkeys(int(i) for i in organisation_ids))
    default = rule_set_on(timezone.localdate()).default_grade
    found: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(CreditGrade.objects.filter(current=True, organisation_id__in=chunk).values_list("organisation_id", "grade"))
    return {i: found.get(i, default) for i in ids}
