"""A small hand-built province whose coverage numbers are known by hand.

Regions: Zhejiang 330000; Hangzhou 330100 with Shangcheng 330102 and Xihu 330106; Ningbo
330200 with Haishu 330203. Public standards, each with one calibrated standard device:

- Shangcheng county institute: PRICE_SCALE electronic price scales (mass 1–30000 g);
- Hangzhou city institute: SPHYGMOMANOMETER sphygmomanometers (pressure 0–40 kPa);
- the provincial institute: length 0–1e8 mm, relative U = 0.001, listing TAXIMETER taximeters.

Ningbo holds none.
"""

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg
from jiliang.traceability import services as trace
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER, TAXIMETER

_serial = itertools.count(1)


def signed_in(client, name: str, **membership):
    """`client` logged in as a new user `name` with one membership (none: a plain member of
    the public); works for Django's test Client and DRF's APIClient alike."""
    user = get_user_model().objects.create_user(name, password=None)
    if membership:
        Membership.objects.create(user=user, **membership)
    if hasattr(client, "force_authenticate"):  # DRF's client: no session needed
        client.force_authenticate(user)
    else:
        client.force_login(user)
    return client


class Province:
    def __init__(self):
        self.today = timezone.localdate()
        self.regions = {r.code: r for r in reg.Region.objects.filter(code__startswith="33")}
        self.items = {i.code: i for i in reg.CatalogItem.objects.all()}
        self.quantities = {q.name: q for q in reg.Quantity.objects.all()}
        K = reg.Organisation.Kind
        self.admin = {
            code: self.org(f"{self.regions[code].name}市场监督管理局", K.ADMINISTRATION, code, "11")
            for code in ("330000", "330100", "330102", "330200")
        }
        self.province_institute = self.org("浙江省计量科学研究院", K.LEGAL_INSTITUTE, "330000", "12")
        self.city_institute = self.org("杭州市计量检定测试院", K.LEGAL_INSTITUTE, "330100", "12")
        self.county_institute = self.org("上城区计量检定所", K.LEGAL_INSTITUTE, "330102", "12")
        self.enterprise = {
            code: self.org(f"{self.regions[code].name}超市有限公司", K.ENTERPRISE, code, "91")
            for code in ("330102", "330106", "330203")
        }
        self.county_scale = self.standard(
            self.county_institute, "county", "330102", "质量", 1, 30000, items=[PRICE_SCALE], u=0.0001
        )
        self.city_bp = self.standard(self.city_institute, "city", "330100", "压力", 0, 40, items=[SPHYGMOMANOMETER], u=0.001)
        self.province_length = self.standard(
            self.province_institute, "province", "330000", "长度", 0, 1e8, items=[TAXIMETER], u=0.001
        )
        # Each institute the government set up holds its designation for every item, in its
        # own region (计量法 第二十条): the narrower cases are built by the tests.
        for institute, code in (
            (self.province_institute, "330000"),
            (self.city_institute, "330100"),
            (self.county_institute, "330102"),
        ):
            self.authorise(institute, list(self.items), code, form="established")

    def authorise(self, institution, items, region_code, form="other_tasks", valid_from=None, valid_until=None, ranges=None):
        """An authorisation of ``institution`` for item codes (``ranges``: code → (lo, hi))
        in the region, issued by the administration of its region (or the province's)."""
        from jiliang.authorisation import services as authorisation

        authority = self.admin.get(institution.region.code) or self.admin["330000"]
        ranges = ranges or {}
        return authorisation.grant(
            None,
            number=f"（浙）法计（{next(_serial):05d}）号",
            institution=institution,
            issuing_authority=authority,
            form=form,
            valid_from=valid_from or self.today - dt.timedelta(days=2000),
            valid_until=valid_until or self.today + dt.timedelta(days=1000),
            items=[(self.items[c], *ranges.get(c, (None, None)), "") for c in items],
            regions=[self.regions[region_code]],
            reason="计量授权考核合格",
        )

    def org(self, name, kind, region_code, prefix):
        return reg.Organisation.objects.create(
            name=name,
            kind=kind,
            region=self.regions[region_code],
            credit_code=make_credit_code(f"{prefix}{region_code}{next(_serial):09d}"),
        )

    def standard(self, holder, level, admin_code, quantity, lo, hi, items, u, valid_from=None):
        valid_from = valid_from or self.today - dt.timedelta(days=400)
        q = self.quantities[quantity]
        std = reg.MeasurementStandard.objects.create(
            name=f"{quantity}检定装置",
            tier="public",
            level=level,
            holder=holder,
            field=q.field,
            certificate_number=f"[2025]浙量标证字第{next(_serial):05d}号",
            issuing_department=self.admin[admin_code],
            valid_from=valid_from,
        )
        std.catalog_items.set([self.items[c] for c in items])
        reg.Capability.objects.create(
            standard=std, quantity=q, range_min=lo, range_max=hi, unit=q.unit, uncertainty=u, k=2, relative=True
        )
        reg.StandardStatusChange.objects.create(standard=std, status="active", effective_on=valid_from, reason="建标考核合格")
        device = reg.Instrument.objects.create(
            code=f"BZQ{next(_serial):07d}",
            name=f"{std.name}主标准器",
            owner=holder,
            region=holder.region,
            accuracy="标准器",
            standard=std,
            installed_on=valid_from,
        )
        self.calibrate(device, self.today - dt.timedelta(days=100), days_valid=365)
        return std

    def calibrate(self, device, on, days_valid, standard=None):
        """A calibration of a standard device: with a standard of the registry, or (by
        default) traced to a source outside it (``external_source``, a root of the chain)."""
        event = reg.CalibrationEvent.objects.create(
            instrument=device,
            performer=self.province_institute,
            kind="calibration",
            performed_on=on,
            recalibration_due=on + dt.timedelta(days=days_valid),
            certificate_number=f"CAL{next(_serial):08d}",
            external_source="" if standard else "中国计量科学研究院",
        )
        if standard is not None:
            reg.EventStandard.objects.create(event=event, standard=standard)
        return event

    def type_approval(self, item_code):
        """The register's type approval of the item (型式批准, items marked P or P+V), made once."""
        item = self.items[item_code]
        return reg.TypeApproval.objects.get_or_create(
            number=f"2020C{item.pk:05d}-33",
            defaults={
                "catalog_item": item,
                "manufacturer": "杭州衡器有限公司",
                "model": f"T-{item.pk}",
                "name": item.name,
                "authority": "浙江省市场监督管理局",
                "approved_on": dt.date(2020, 1, 1),
            },
        )[0]

    def instrument(
        self, region_code, item_code, purpose="trade", status="in_use", range_=None, accuracy="", installed=None, owner=None
    ):
        item = self.items[item_code]
        row = reg.Instrument.objects.create(
            type_approval_number=self.type_approval(item_code).number if item.needs_type_approval else "",
            code=f"JL{next(_serial):010d}",
            name=item.name,
            catalog_item=item,
            legal_purpose=purpose,
            owner=owner or self.enterprise.get(region_code) or self.enterprise["330102"],
            region=self.regions[region_code],
            range_min=range_[0] if range_ else None,
            range_max=range_[1] if range_ else None,
            unit=item.quantity.unit if range_ else "",
            accuracy=accuracy,
            status=status,
            installed_on=installed or self.today - dt.timedelta(days=10),
        )
        return row

    def verify(self, instrument, on, valid_until, passed=True):
        return reg.CalibrationEvent.objects.create(
            instrument=instrument,
            performer=self.county_institute,
            kind="verification",
            performed_on=on,
            valid_until=valid_until,
            passed=passed,
            certificate_number=f"V{next(_serial):08d}",
        )

    def person(self, org, name, items=(), valid_until=None, valid_from=None, signs=True):
        """A person holding a legacy 检定员证 for each item and (``signs``) designated an
        authorised signatory of ``org`` for it."""
        person = reg.Person.objects.create(name=name, organisation=org)
        for code in items if signs else ():
            reg.Qualification.objects.create(
                person=person,
                kind="signatory",
                organisation=org,
                catalog_item=self.items[code],
                certificate_number=f"QZR{next(_serial):06d}",
                valid_from=self.today - dt.timedelta(days=1000),
                valid_until=self.today + dt.timedelta(days=1000),
            )
        for code in items:
            reg.Qualification.objects.create(
                person=person,
                kind="verifier",
                catalog_item=self.items[code],
                certificate_number=f"JDY{next(_serial):06d}",
                valid_from=valid_from or self.today - dt.timedelta(days=1000),
                valid_until=valid_until or self.today + dt.timedelta(days=1000),
            )
        return person


@pytest.fixture
def province(reference_data):
    # The traceability engine's snapshot is per process: start each test from the database.
    trace.forget_graph()
    yield Province()
    trace.forget_graph()
