"""The demo province, with an inspector, the producer's region administrator, two
inspectors (registry people) and the scales: one traceable on the day, and one verified
with the demo's suspended standard after its suspension (not traceable)."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.registry import demo
from jiliang.registry import models as reg
from jiliang.supervision.prepack import services
from jiliang.traceability import services as trace
from tests.catalog import PRICE_SCALE

from ..conftest import rolled_back


class World:
    def __init__(self, report):
        self.report = report
        self.today = timezone.localdate()
        K = reg.Organisation.Kind
        self.producer = reg.Organisation.objects.filter(kind=K.ENTERPRISE, region__level="county").order_by("id").first()
        self.retailer = reg.Organisation.objects.filter(kind=K.ENTERPRISE).exclude(pk=self.producer.pk).order_by("id").first()
        self.institute = (
            reg.Organisation.objects.filter(kind=K.LEGAL_INSTITUTE, region=self.producer.region).first()
            or reg.Organisation.objects.filter(kind=K.LEGAL_INSTITUTE).first()
        )
        self.inspectors = list(reg.Person.objects.filter(organisation=self.institute)[:2])
        assert len(self.inspectors) == 2
        self.scale = self._traceable_scale()
        User = get_user_model()
        self.inspector_user = User.objects.create_user("inspector", password="pw-inspector")
        Membership.objects.create(
            user=self.inspector_user, role="institution_staff", organisation=self.institute, is_verifier=True
        )
        self.admin_user = User.objects.create_user("county-admin", password="pw-admin")
        Membership.objects.create(user=self.admin_user, role="region_admin", region=self.producer.region)
        other = reg.Region.objects.filter(level="county").exclude(code__startswith=self.producer.region.code[:4]).first()
        self.other_admin = User.objects.create_user("other-admin", password="pw-other")
        Membership.objects.create(user=self.other_admin, role="region_admin", region=other)

    def _traceable_scale(self):
        for scale in reg.Instrument.objects.filter(
            catalog_item__code=PRICE_SCALE, standard__isnull=True, status="in_use"
        ).order_by("id")[:200]:
            if trace.item_chain(scale, self.today)["traceable"]:
                return scale
        raise AssertionError("the demo province has no traceable price scale today")

    def suspended_scale(self):
        """A working instrument whose latest verification used the suspended standard after
        its suspension (demo Defects.suspended_standard)."""
        standard = reg.MeasurementStandard.objects.get(certificate_number=self.report.defects.suspended_standard)
        since = standard.status_changes.get(status="suspended").effective_on
        events = (
            reg.CalibrationEvent.objects.filter(
                standard_links__standard=standard,
                performed_on__gt=since,
                instrument__standard__isnull=True,
            )
            .select_related("instrument")
            .order_by("instrument_id")
        )
        for event in events:
            chain = trace.item_chain(event.instrument, self.today)
            if not chain["traceable"]:
                return event.instrument, chain
        raise AssertionError("no instrument verified with the suspended standard")

    def task(self, user=None, **overrides):
        fields = dict(
            product_name="大米",
            brand="五常",
            specification="袋装",
            nominal="500",
            unit="g",
            batch_size=1000,
            producer={"credit_code": self.producer.credit_code.lower()},
            sampled_at="producer",
            sampling_date=self.today,
            inspector_ids=[p.pk for p in self.inspectors],
            scale_ids=[self.scale.pk],
        )
        fields.update(overrides)
        return services.create_inspection(user or self.inspector_user, **fields)


def sample(n: int, mean: float, sd: float, seed: int = 1) -> list[float]:
    """n values with exactly this mean and sample standard deviation (ddof=1)."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return list(mean + sd * z)


@pytest.fixture(scope="package")
def province(django_db_setup, django_db_blocker):
    """The 2,000-instrument demo province, generated once for the package's tests (tests.conftest.rolled_back)."""
    with rolled_back(django_db_blocker):
        trace.forget_graph()
        yield World(demo.generate(instruments=2000, seed=11, as_of=timezone.localdate()))
    trace.forget_graph()


@pytest.fixture
def world(province, db):
    # The traceability graph is cached per process: a test's writes (rolled back) must not
    # leak into the next test's verdicts.
    trace.forget_graph()
    yield province
    trace.forget_graph()
