"""The real catalogue (实施强制管理的计量器具目录, 公告 2019-48 adjusted by 2020-42), its period
rule (a JJG period is a maximum) and the type approval register checked on registration."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from jiliang.registry import models as reg
from jiliang.registry import reference_data as shipped
from jiliang.registry import services
from jiliang.verification import services as verification
from jiliang.verification.errors import ImportRowError, VerificationError
from tests.catalog import (
    GAS_METER,
    GLASS_THERMOMETER,
    LOAD_CELL,
    PRESSURE_GAUGE,
    PRICE_SCALE,
    SPHYGMOMANOMETER,
    WATER_METER,
    WATER_METER_DN50,
    WATER_METER_LARGE,
)

pytestmark = pytest.mark.django_db
Mode = reg.CatalogItem.Mode


def test_the_catalogue_loads_with_every_items_mode_period_and_regulation(reference_data):
    rows = reference_data_rows()
    items = {i.code: i for i in reg.CatalogItem.objects.select_related("regulation")}
    assert set(items) == {r["code"] for r in rows} and len(rows) > 50
    for item in items.values():
        assert item.supervision in ("P", "V", "P+V"), item
        if item.supervision == "P":
            assert item.management_mode == Mode.NONE and not item.purposes, item
            continue
        assert item.purposes and item.requirement and item.regulation.code.startswith("JJG"), item
        if item.management_mode == Mode.PERIODIC:
            assert item.period_months and item.service_life_years is None, item
        elif item.management_mode == Mode.FIRST_ONLY:
            assert item.service_life_years and item.period_months is None, item
        else:
            assert item.management_mode == Mode.FIRST_ONLY_SCRAP, item
    assert items[GLASS_THERMOMETER].management_mode == Mode.FIRST_ONLY_SCRAP
    assert items[LOAD_CELL].supervision == "P"
    assert (items[PRESSURE_GAUGE].supervision, items[PRESSURE_GAUGE].period_months) == ("V", 6)
    assert items[PRICE_SCALE].regulation.code == "JJG 539-2016"


def reference_data_rows():
    return shipped.catalog_rows()


def test_water_and_gas_meters_for_trade_are_split_by_size(reference_data):
    items = {i.code: i for i in reg.CatalogItem.objects.all()}
    small, medium, large, gas = (items[c] for c in (WATER_METER, WATER_METER_DN50, WATER_METER_LARGE, GAS_METER))
    # DN15～DN50 for trade settlement: first verification only, limited life, replaced at the end.
    assert (small.split, small.management_mode, small.service_life_years, small.purposes) == (
        "DN15～DN25",
        Mode.FIRST_ONLY,
        6,
        ["trade"],
    )
    assert (medium.management_mode, medium.service_life_years) == (Mode.FIRST_ONLY, 4)
    assert "限期使用，到期轮换" in small.requirement and "贸易结算" in small.requirement
    assert (large.management_mode, large.period_months) == (Mode.PERIODIC, 24)
    assert (gas.split, gas.management_mode, gas.service_life_years) == ("G1.6～G16", Mode.FIRST_ONLY, 10)


def _instrument(item_code, **values):
    item = reg.CatalogItem.objects.get(code=item_code)
    region = reg.Region.objects.get(code="330102")
    owner = reg.Organisation.objects.create(
        name="上城超市", kind="enterprise", region=region, credit_code=_credit_code(reg.Organisation.objects.count())
    )
    return reg.Instrument(
        code=f"T-{item_code}", name=item.name, catalog_item=item, legal_purpose="trade", owner=owner, region=region, **values
    )


def _credit_code(n):
    from jiliang.core.identifiers import make_credit_code

    return make_credit_code(f"91330102MA2{n:06d}")


def test_a_longer_period_than_the_jjg_is_refused_a_shorter_one_accepted(reference_data):
    longer = _instrument(PRICE_SCALE, period_months=13)
    with pytest.raises(ValidationError) as info:
        longer.full_clean()
    message = str(info.value.message_dict["period_months"])
    assert services.PERIOD_RULE in message and "JJG 539-2016" in message and "最长 12 个月" in message
    shorter = _instrument(PRICE_SCALE, period_months=6)
    shorter.full_clean()
    shorter.save()
    # The verification's validity follows the instrument's own (shorter) period.
    assert verification._valid_until(shorter, dt.date(2026, 1, 10), True) == dt.date(2026, 7, 9)
    # A service life is a maximum too, and only for limited-life items.
    assert services.PERIOD_RULE in str(services.period_refusals(shorter.catalog_item, None, 5))
    water = reg.CatalogItem.objects.get(code=WATER_METER)
    assert services.period_refusals(water, None, 5) == []
    assert "使用年限最长 6 年" in str(services.period_refusals(water, None, 8))
    with translation.override("en"):  # the same refusal in English, the rule first
        assert f"{services.PERIOD_RULE}: " in str(services.period_refusals(water, None, 8))
        assert "at most 6 years" in str(services.period_refusals(water, None, 8))


def _approval(item_code, number="2020C00001-33", status="valid"):
    return reg.TypeApproval.objects.create(
        number=number,
        catalog_item=reg.CatalogItem.objects.get(code=item_code),
        manufacturer="杭州衡器有限公司",
        model="ACS-30",
        name="电子计价秤",
        authority="浙江省市场监督管理局",
        approved_on=dt.date(2020, 1, 1),
        status=status,
    )


def test_registration_of_a_p_item_needs_its_type_approval_in_the_register(reference_data):
    scale = _instrument(PRICE_SCALE)
    scale.save()
    with pytest.raises(VerificationError, match=r"type_approval_number: TYPE-APPROVAL \(计量法 第十三条.*在目录中标为 P\+V"):
        verification.register_instrument(scale.owner, scale)
    scale.type_approval_number = "2020C99999-33"
    with pytest.raises(VerificationError, match="不在型式批准登记中"):
        verification.register_instrument(scale.owner, scale)
    _approval(SPHYGMOMANOMETER, number="2020C00002-33")
    scale.type_approval_number = "2020C00002-33"
    with pytest.raises(VerificationError, match="批准的是 48-02.1 .*不是 48-05.1"):
        verification.register_instrument(scale.owner, scale)
    _approval(PRICE_SCALE, number="2020C00003-33", status="revoked")
    scale.type_approval_number = "2020C00003-33"
    with pytest.raises(VerificationError, match="的状态为“已撤销”"):
        verification.register_instrument(scale.owner, scale)
    _approval(PRICE_SCALE)
    scale.type_approval_number = "2020C00001-33"
    scale.save()
    assert verification.register_instrument(scale.owner, scale).status == "submitted"


def test_v_items_need_no_type_approval_and_p_items_are_not_registered(reference_data):
    gauge = _instrument(PRESSURE_GAUGE)
    gauge.save()
    assert verification.register_instrument(gauge.owner, gauge).status == "submitted"
    cell = _instrument(LOAD_CELL)
    cell.save()
    with pytest.raises(VerificationError, match="catalog_item: 48-07.1 .*在目录中标为 P.*不属于强制检定"):
        verification.register_instrument(cell.owner, cell)


def test_a_registration_file_is_checked_against_the_register(reference_data):
    _approval(PRICE_SCALE)
    owner = _instrument(PRICE_SCALE).owner
    content = (
        "code,name,catalog_item,legal_purpose,region,type_approval_number\n"
        f"F-1,电子计价秤,{PRICE_SCALE},trade,330102,2020C00001-33\n"
        f"F-2,电子计价秤,{PRICE_SCALE},trade,330102,\n"
    ).encode()
    with pytest.raises(ImportRowError) as info:
        verification.import_registrations(owner, content, "a.csv")
    assert [(row, field) for row, field, _why in info.value.errors] == [(3, "type_approval_number")]
    assert "TYPE-APPROVAL" in info.value.errors[0][2]
    assert not reg.Instrument.objects.filter(code__startswith="F-").exists()


def test_the_type_approval_register_has_a_page(reference_data, client):
    _approval(PRICE_SCALE)
    page = client.get(reverse("registry:type-approvals")).content.decode()
    assert "2020C00001-33" in page and "杭州衡器有限公司" in page
    item = client.get(reverse("registry:catalog-item", args=[WATER_METER])).content.decode()
    assert "DN15～DN25" in item and "贸易结算" in item and "只做首次强制检定，限期使用，到期轮换" in item
    assert "此项目的型式批准" in item  # P+V: a link to its approvals


def test_the_data_migration_maps_the_old_codes(reference_data, capsys):
    migration = importlib.import_module("jiliang.registry.migrations.0009_real_catalogue")
    reg.CatalogItem.objects.all().delete()
    mass = reg.Quantity.objects.get(name="质量")
    old = reg.CatalogItem.objects.create(
        code="A07", name="电子计价秤", field=mass.field, quantity=mass, management_mode="periodic", period_months=12
    )
    reg.CatalogItem.objects.create(
        code="A10", name="砝码", field=mass.field, quantity=mass, management_mode="periodic", period_months=12
    )
    scale = _instrument_on(old)
    migration.real_catalogue(django_apps, None)
    old.refresh_from_db()
    scale.refresh_from_db()
    assert (old.code, old.supervision, old.regulation.code) == (PRICE_SCALE, "P+V", "JJG 539-2016")
    assert scale.catalog_item_id == old.pk  # the instruments follow the item
    assert reg.CatalogItem.objects.filter(code="A10").exists()
    assert set(reg.CatalogItem.objects.values_list("code", flat=True)) == {r["code"] for r in reference_data_rows()} | {"A10"}
    printed = capsys.readouterr().out
    assert "A07 电子计价秤 → 48-05.1" in printed and "A10 砝码 is not an item of the catalogue" in printed


def _instrument_on(item):
    region = reg.Region.objects.get(code="330102")
    owner = reg.Organisation.objects.create(name="老店", kind="enterprise", region=region, credit_code=_credit_code(99))
    return reg.Instrument.objects.create(
        code="OLD-1", name="秤", catalog_item=item, legal_purpose="trade", owner=owner, region=region
    )
