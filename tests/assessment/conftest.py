"""One small province per module (tests/verification/conftest.py's, built once and rolled
back), with what a standard's assessment needs: the platform CA, the holder's staff,
assessors on the register (one from the applicant's own institute) and a new standard's
devices, calibrated."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.assessment import rules
from jiliang.assessment.models import Assessor
from jiliang.registry import models as reg
from tests.catalog import SPHYGMOMANOMETER
from tests.conftest import rolled_back
from tests.verification.conftest import Province, signed_in  # noqa: F401  (helpers)

DAY = dt.timedelta(days=1)
REPORT = {k: "见技术报告" for k in rules.REPORT_FIELDS}
REEXAM_DOCS = rules.REQUIRED_DOCUMENTS["reexamination"]
NEW_DOCS = rules.REQUIRED_DOCUMENTS["new"]


class World:
    def __init__(self, p: Province):
        from jiliang.certificates import keys

        keys.init_authority()
        self.p = p
        self.today = p.today
        self.holder = p.city_institute  # a city's institute: its highest public standards go to the province
        self.people = [p.person(self.holder, name, items=[SPHYGMOMANOMETER]) for name in ("王检定", "李核验")]
        self.field = p.quantities["压力"].field
        self.spec = reg.Specification.objects.filter(status="current").order_by("code").first()
        self.devices = []
        for n in range(2):
            device = reg.Instrument.objects.create(
                code=f"NEWDEV{n}",
                name="精密压力表",
                owner=self.holder,
                region=self.holder.region,
                accuracy="0.05级",
                installed_on=self.today - 400 * DAY,
            )
            p.calibrate(device, self.today - 30 * DAY, days_valid=365)
            self.devices.append(device)
        self.untraced = reg.Instrument.objects.create(
            code="NEWDEV-X",
            name="未校准压力表",
            owner=self.holder,
            region=self.holder.region,
            accuracy="0.05级",
            installed_on=self.today - 400 * DAY,
        )
        # Assessors: two from other institutes, one from the applicant itself.
        self.assessors = [
            self.assessor(p.province_institute, "赵考评", "KP001"),
            self.assessor(p.county_institute, "钱考评", "KP002"),
        ]
        self.own_assessor = self.assessor(self.holder, "孙同单位", "KP003")

    def assessor(self, org, name, number):
        person = reg.Person.objects.create(name=name, organisation=org)
        row = Assessor.objects.create(
            person=person,
            certificate_number=number,
            registered_by=self.p.admin["330000"],
            valid_from=self.today - 1000 * DAY,
            valid_until=self.today + 1000 * DAY,
        )
        row.specialities.set([self.field])
        return row


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from jiliang.registry import reference_data
    from jiliang.traceability import services as trace

    with rolled_back(django_db_blocker):
        reference_data.install_reference_data()
        reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
        trace.forget_graph()
        yield World(Province())
    trace.forget_graph()


@pytest.fixture
def w(world, db):
    from jiliang.traceability import services as trace

    trace.forget_graph()
    yield world
    trace.forget_graph()
