"""What supervision visits tell the credit record (loaded by jiliang.credit's providers; no
import of it here): each finding of a closed visit, against the institution on the day of
the visit (法定计量检定机构监督管理办法: the administration supervises the institutes; the
findings are supervision information that 国市监信发〔2022〕6号 counts)."""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from .models import SupervisionVisit, VisitFinding


def evidence() -> list[tuple[str, object]]:
    findings = (
        VisitFinding.objects.filter(visit__status=SupervisionVisit.Status.CLOSED)
        .annotate(
            organisation_id=F("visit__organisation_id"),
            occurred_on=F("visit__visited_on"),
            ref=Concat(
                Value("JD-"), Cast("visit_id", CharField()), Value("-"), Cast("id", CharField()), output_field=CharField()
            ),
        )
        .values_list("organisation_id", "occurred_on", "ref")
    )
    return [("institution_visit_finding", findings)]
