"""Credit evidence from standard assessment (jiliang.credit's provider contract): the
post-check of an approval given on a commitment (告知承诺, 国办发〔2019〕35号): conforming is a
commitment kept, rectify or revoke one broken, against the holder on the post-check date."""

from django.db.models import F

from .models import Application


def evidence():
    checked = Application.objects.filter(commitment=True, post_checked_on__isnull=False).annotate(
        organisation_id=F("holder_id"), occurred_on=F("post_checked_on"), reference=F("number")
    )
    columns = ("organisation_id", "occurred_on", "reference")
    return [
        ("commitment_kept", checked.filter(post_check=Application.PostCheck.CONFORMING).values_list(*columns)),
        (
            "commitment_broken",
            checked.filter(post_check__in=(Application.PostCheck.RECTIFY, Application.PostCheck.REVOKED)).values_list(*columns),
        ),
    ]
