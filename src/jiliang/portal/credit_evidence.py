"""Credit evidence from complaints (jiliang.credit's provider contract): a complaint handled
and found true (查实), against the instrument's user on the day it was handled."""

from django.db.models import F
from django.db.models.functions import TruncDate

from .models import Complaint


def evidence():
    substantiated = (
        Complaint.objects.filter(status=Complaint.Status.HANDLED, substantiated=True)
        .annotate(organisation_id=F("instrument__owner_id"), occurred_on=TruncDate("handled_at"), ref=F("reference"))
        .values_list("organisation_id", "occurred_on", "ref")
    )
    return [("complaint_substantiated", substantiated)]
