"""The demo's federation: the demo province's outbox collected and signed with its
provincial institute's seal key, and the records applied as the national centre applies
them, so the national pages (coverage per province, the certificate index, lag and health)
and the national certificate check show the province's data. Bounded (the first records
only), so it stays cheap. Hooked into the demo by one call (``console.demo_activity``)."""

from __future__ import annotations

from django.test.utils import override_settings

from jiliang.registry import models as reg

from . import outbox
from .apply import apply_record
from .models import ProvinceStatus

DEMO_RECORDS = 60


def plant_federation(cast=None) -> int:
    """Publish and apply the demo province's first records; how many were applied."""
    province = reg.Region.objects.filter(level=reg.Region.Level.PROVINCE).order_by("code").values_list("code", flat=True).first()
    if province is None:
        return 0
    code = province[:2]
    with override_settings(JILIANG_NATIONAL=False, JILIANG_PROVINCE=code, JILIANG_FEDERATION_INSTITUTION=""):
        try:
            outbox.signing_institution()
        except outbox.FederationNotConfigured:
            return 0
        outbox.snapshot_coverage()
        raws = [raw for _seq, raw in outbox.pending_records(0, limit=DEMO_RECORDS)]
    with override_settings(JILIANG_NATIONAL=True):
        outcomes = [apply_record(raw) for raw in raws]
    ProvinceStatus.objects.filter(code=code).update(published_seq=outbox.head())
    return outcomes.count("applied")
