"""Model constraints of the registry: what the domain forbids, the database refuses too."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models
from tests.catalog import FUEL_DISPENSER, PRICE_SCALE, WATER_METER

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(reference_data):
    region = models.Region.objects.get(code="330106")
    return models.Organisation.objects.create(
        name="西湖区计量检定所", kind="legal_institute", region=region, credit_code=make_credit_code("12330106000000001")
    )


@pytest.fixture
def admin_org(reference_data):
    return models.Organisation.objects.create(
        name="浙江省市场监督管理局",
        kind="administration",
        region=models.Region.objects.get(code="330000"),
        credit_code=make_credit_code("11330000000000001"),
    )


def _refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_bad_credit_code_is_rejected_with_reason(reference_data):
    org = models.Organisation(
        name="X", kind="enterprise", region=models.Region.objects.get(code="330106"), credit_code="914403001922038217"
    )
    with pytest.raises(ValidationError) as info:
        org.full_clean()
    assert "校验码" in str(info.value.message_dict["credit_code"])


def test_region_hierarchy_is_checked(reference_data):
    hangzhou = models.Region.objects.get(code="330100")
    assert models.Region.objects.get(code="330106").parent == hangzhou
    wrong = models.Region(code="330205", name="江北区", level="county", parent=hangzhou)
    with pytest.raises(ValidationError, match="330200"):
        wrong.full_clean()
    mislabelled = models.Region(code="330300", name="温州市", level="county", parent=models.Region.objects.get(code="330000"))
    with pytest.raises(ValidationError, match="代码 330300 是市级代码，不是县级"):
        mislabelled.full_clean()
    _refused(lambda: models.Region.objects.create(code="340000", name="安徽省", level="province", parent=hangzhou))


def test_public_standard_needs_level_and_others_none(org, admin_org):
    field = models.MetrologyField.objects.get(code="mechanics")
    base = dict(name="砝码标准装置", holder=org, field=field, issuing_department=admin_org, valid_from=dt.date(2024, 3, 1))
    _refused(lambda: models.MeasurementStandard.objects.create(tier="public", level="", certificate_number="A1", **base))
    _refused(
        lambda: models.MeasurementStandard.objects.create(tier="enterprise", level="county", certificate_number="A2", **base)
    )
    std = models.MeasurementStandard.objects.create(tier="public", level="county", certificate_number="A3", **base)
    # The assessment certificate runs five years (a setting, 计量标准考核办法 2020) unless told otherwise.
    assert std.valid_until == dt.date(2029, 2, 28)
    with pytest.raises(ValidationError, match="level"):
        models.MeasurementStandard(tier="public", certificate_number="A4", **base).full_clean()


def test_standard_certificate_validity_setting(org, admin_org, settings):
    settings.JILIANG_STANDARD_CERTIFICATE_YEARS = 4  # the term before the 2020 revision
    std = models.MeasurementStandard.objects.create(
        name="压力标准装置",
        tier="public",
        level="county",
        holder=org,
        field=models.MetrologyField.objects.get(code="mechanics"),
        issuing_department=admin_org,
        certificate_number="B1",
        valid_from=dt.date(2025, 1, 1),
    )
    assert std.valid_until == dt.date(2028, 12, 31)


def test_capability_must_state_uncertainty_or_accuracy(org, admin_org):
    std = models.MeasurementStandard.objects.create(
        name="压力标准装置",
        tier="public",
        level="county",
        holder=org,
        field=models.MetrologyField.objects.get(code="mechanics"),
        issuing_department=admin_org,
        certificate_number="C1",
        valid_from=dt.date(2025, 1, 1),
    )
    pressure = models.Quantity.objects.get(name="压力")
    _refused(lambda: models.Capability.objects.create(standard=std, quantity=pressure, range_min=0, range_max=60, unit="MPa"))
    _refused(
        lambda: models.Capability.objects.create(standard=std, quantity=pressure, range_min=10, range_max=1, unit="MPa", mpe=0.1)
    )
    models.Capability.objects.create(
        standard=std, quantity=pressure, range_min=0, range_max=60, unit="MPa", uncertainty=0.05, k=2
    )


def test_reference_material_number_matches_level(org):
    expiry = dt.date(2030, 1, 1)
    models.ReferenceMaterial.objects.create(
        number="GBW07101", name="岩石成分分析标准物质", level="primary", producer=org, expires_on=expiry
    )
    models.ReferenceMaterial.objects.create(
        number="GBW(E)081234", name="pH缓冲溶液", level="secondary", producer=org, expires_on=expiry
    )
    _refused(
        lambda: models.ReferenceMaterial.objects.create(
            number="GBW(E)081235", name="x", level="primary", producer=org, expires_on=expiry
        )
    )
    with pytest.raises(ValidationError, match="一级标准物质的编号为 GBW 加五位数字"):
        models.ReferenceMaterial(number="GBW0710", name="x", level="primary", producer=org, expires_on=expiry).full_clean()


def test_specification_supersession_and_kind(reference_data):
    new = models.Specification.objects.get(code="JJG 443-2023")
    assert new.supersedes.code == "JJG 443-2015"
    assert new.supersedes.superseded_by == new
    with pytest.raises(ValidationError, match="JJF 编号是计量技术规范"):
        models.Specification(code="JJF 1234-2020", title="x", kind="verification_regulation").full_clean()
    with pytest.raises(ValidationError, match="JJG 443-2023"):
        models.Specification(code="JJG443/2023", title="x", kind="verification_regulation").full_clean()


def test_catalog_mode_needs_period_or_life(reference_data):
    assert models.CatalogItem.objects.get(code=WATER_METER).management_mode == "first_only"
    assert models.CatalogItem.objects.get(code=FUEL_DISPENSER).period_months == 6
    field = models.MetrologyField.objects.get(code="mechanics")
    _refused(lambda: models.CatalogItem.objects.create(code="Z1", name="x", field=field, management_mode="periodic"))
    _refused(
        lambda: models.CatalogItem.objects.create(
            code="Z2", name="x", field=field, management_mode="first_only", period_months=12
        )
    )


def test_mandatory_instrument_needs_catalog_item_and_ordered_range(org):
    region = models.Region.objects.get(code="330106")
    scale = models.CatalogItem.objects.get(code=PRICE_SCALE)
    _refused(lambda: models.Instrument.objects.create(code="I1", name="秤", legal_purpose="trade", owner=org, region=region))
    _refused(
        lambda: models.Instrument.objects.create(
            code="I2", name="秤", catalog_item=scale, legal_purpose="trade", owner=org, region=region, range_min=30, range_max=1
        )
    )
    ok = models.Instrument.objects.create(
        code="I3", name="秤", catalog_item=scale, legal_purpose="trade", owner=org, region=region, range_min=0.02, range_max=30
    )
    assert ok.is_mandatory
    assert not models.Instrument(
        code="I4", name="秤", catalog_item=scale, legal_purpose="none", owner=org, region=region
    ).is_mandatory


def test_event_rules(org):
    region = models.Region.objects.get(code="330106")
    device = models.Instrument.objects.create(code="I9", name="秤", owner=org, region=region)
    day = dt.date(2025, 5, 1)
    base = dict(instrument=device, performer=org, performed_on=day)
    _refused(
        lambda: models.CalibrationEvent.objects.create(
            kind="verification", passed=None, valid_until=day, certificate_number="E1", **base
        )
    )
    _refused(
        lambda: models.CalibrationEvent.objects.create(
            kind="calibration", valid_until=day - dt.timedelta(days=1), certificate_number="E2", **base
        )
    )
    models.CalibrationEvent.objects.create(
        kind="verification", passed=True, valid_until=day.replace(year=2026), certificate_number="E3", **base
    )
    _refused(
        lambda: models.CalibrationEvent.objects.create(
            kind="verification", passed=True, valid_until=day, certificate_number="E3", **base
        )
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "代码 330300 是市级代码，不是县级"), ("en", "code 330300 is a city code, not county")],
)
def test_a_model_rule_in_the_users_language(reference_data, language, expected):
    from django.utils import translation

    mislabelled = models.Region(code="330300", name="温州市", level="county", parent=models.Region.objects.get(code="330000"))
    with translation.override(language), pytest.raises(ValidationError) as info:
        mislabelled.full_clean()
    assert info.value.message_dict["level"] == [expected]
