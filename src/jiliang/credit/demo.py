"""The demo province's credit records: the evidence collected from what the other steps
planted (prepack results, a confirmed telemetry alert, overdue mandatory instruments,
post-checks of commitments), every organisation graded, and one objection from the demo
enterprise waiting for the county administrator."""

from __future__ import annotations

from django.utils import timezone

from . import services
from .models import Evidence


def plant_credit(cast) -> None:
    services.collect()
    services.grade_all(timezone.localdate())
    enterprise_user = cast.users.get("enterprise")
    piece = (
        Evidence.objects.filter(organisation=cast.enterprise, occurred_on__lte=timezone.localdate())
        .exclude(kind__in=("prepack_pass", "inspection_clean", "commitment_kept"))
        .order_by("-occurred_on")
        .first()
    )
    if enterprise_user is not None and piece is not None:
        services.file_objection(
            enterprise_user,
            cast.enterprise,
            piece.kind,
            piece.reference,
            "该器具已于到期前送检，检定证书见附件；登记的检定日期有误。",
        )
