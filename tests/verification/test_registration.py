"""Registration (备案): filing one by one and from files (all or nothing), review with
history, and assignment county → city → province with the coverage-gap flag."""

import io

import pytest
from openpyxl import Workbook

from jiliang.audit.services import audit_context
from jiliang.registry import models as reg
from jiliang.verification import services
from jiliang.verification.errors import ImportRowError, VerificationError
from jiliang.verification.models import Notice, Registration
from tests.catalog import FUEL_DISPENSER, PRESSURE_GAUGE, PRICE_SCALE, SPHYGMOMANOMETER, TAXIMETER

pytestmark = pytest.mark.django_db


def _file_and_approve(p, instrument):
    registration = services.register_instrument(instrument.owner, instrument)
    return services.review_registration(registration, approve=True)


def test_assignment_prefers_county_then_city_then_province(province):
    p = province
    # Shangcheng holds a scale standard: its own county institute.
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    assert _file_and_approve(p, scale).assigned_institution == p.county_institute
    # Xihu holds nothing; Hangzhou holds the sphygmomanometer standard.
    bp = p.instrument("330106", SPHYGMOMANOMETER, range_=(0, 40), accuracy="±0.5 kPa")
    assert _file_and_approve(p, bp).assigned_institution == p.city_institute
    # Neither Xihu nor Hangzhou verifies taximeters: the province's length standard does.
    taxi = p.instrument("330106", TAXIMETER, range_=(0, 1e6), accuracy="±1%")
    registration = _file_and_approve(p, taxi)
    assert (registration.assigned_institution, registration.assigned_standard) == (p.province_institute, p.province_length)
    assert list(registration.history.values_list("action", flat=True)) == ["submitted", "approved", "assigned"]


def test_no_covering_standard_is_flagged_as_a_gap_not_assigned(province):
    p = province
    # Ningbo and the province hold no mass standard.
    scale = p.instrument("330203", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    registration = _file_and_approve(p, scale)
    assert registration.status == "approved" and registration.coverage_gap and registration.assigned_institution is None
    assert registration.history.last().action == "gap_flagged"
    notice = Notice.objects.get(kind="coverage_gap", instrument=scale)
    assert notice.addressee == p.admin["330200"]  # Haishu has no bureau of its own: Ningbo's


def test_range_and_accuracy_decide_the_assignment(province):
    p = province
    # Beyond the county standard's 30 kg: nobody above covers mass either, so a gap.
    heavy = p.instrument("330102", PRICE_SCALE, range_=(20, 60000), accuracy="Ⅲ级")
    assert _file_and_approve(p, heavy).coverage_gap
    # A taximeter of ±0.2 %: the province's U = 0.1 % is more than a third of it (JJG ratio 1:3).
    fine = p.instrument("330106", TAXIMETER, range_=(0, 1e6), accuracy="±0.2%")
    assert _file_and_approve(p, fine).coverage_gap


def test_return_with_reason_and_resubmit(province):
    p = province
    scale = p.instrument("330102", PRICE_SCALE)
    registration = services.register_instrument(scale.owner, scale)
    with pytest.raises(VerificationError, match="reason"):
        services.review_registration(registration, approve=False, reason="  ")
    registration = services.review_registration(registration, approve=False, reason="缺少型式批准编号")
    assert (registration.status, registration.return_reason) == ("returned", "缺少型式批准编号")
    with pytest.raises(VerificationError, match="不在待审核状态"):
        services.review_registration(registration, approve=True)
    again = services.register_instrument(scale.owner, scale)
    assert again.pk == registration.pk and again.status == "submitted"
    with pytest.raises(VerificationError, match="已备案"):
        services.register_instrument(scale.owner, scale)
    assert list(again.history.values_list("action", flat=True)) == ["submitted", "returned", "resubmitted"]


def test_only_mandatory_instruments_of_the_owner_are_registered(province):
    p = province
    private = p.instrument("330102", PRICE_SCALE, purpose="none")
    with pytest.raises(VerificationError, match="legal_purpose: .*不属于强制检定"):
        services.register_instrument(private.owner, private)
    other = p.instrument("330102", PRICE_SCALE)
    with pytest.raises(VerificationError, match="owner"):
        services.register_instrument(p.enterprise["330106"], other)
    assert not Registration.objects.exists()


HEADER = "code,name,catalog_item,legal_purpose,region,accuracy,range_min,range_max,unit,installed_on,type_approval_number\n"


def test_csv_import_creates_and_files_every_row(province):
    p = province
    scale, bp = (p.type_approval(c).number for c in (PRICE_SCALE, SPHYGMOMANOMETER))
    content = (
        HEADER + f"IMP-001,电子计价秤,{PRICE_SCALE},trade,330102,Ⅲ级,20,30000,g,2026-01-05,{scale}\n"
        f"IMP-002,血压计,{SPHYGMOMANOMETER},医疗卫生,330106,±0.5 kPa,0,40,kPa,,{bp}\n"
    ).encode()
    created = services.import_registrations(p.enterprise["330102"], content, "batch.csv")
    assert len(created) == 2
    assert set(Registration.objects.values_list("instrument__code", "status")) == {
        ("IMP-001", "submitted"),
        ("IMP-002", "submitted"),
    }
    assert reg.Instrument.objects.get(code="IMP-002").legal_purpose == "health"


def test_import_with_bad_rows_names_them_and_writes_nothing(province):
    p = province
    p.instrument("330102", PRICE_SCALE)
    existing = reg.Instrument.objects.filter(standard__isnull=True).first().code
    scale = p.type_approval(PRICE_SCALE).number
    content = (
        HEADER + f"IMP-001,电子计价秤,{PRICE_SCALE},trade,330102,Ⅲ级,20,30000,g,2026-01-05,{scale}\n"
        "IMP-002,电子计价秤,A99,trade,330102,,,,,,\n"
        f"IMP-001,电子计价秤,{PRICE_SCALE},none,339999,,50,10,g,05/01/2026,{scale}\n"
        f"{existing},电子计价秤,{PRICE_SCALE},trade,330102,,abc,,,,{scale}\n"
    ).encode()
    before = reg.Instrument.objects.count()
    with pytest.raises(ImportRowError) as info:
        services.import_registrations(p.enterprise["330102"], content, "batch.csv")
    assert info.value.errors == [
        (3, "catalog_item", "目录中没有项目 A99"),
        (4, "code", "IMP-001 与第 2 行重复"),
        (4, "legal_purpose", "不属于强制检定：只有用于贸易结算、安全防护、医疗卫生、环境监测的器具办理备案"),
        (4, "region", "没有代码为 339999 的区划"),
        (4, "range_max", "低于 range_min"),
        (4, "installed_on", "'05/01/2026' 不是日期（YYYY-MM-DD）"),
        (5, "code", f"器具 {existing} 已在器具库中"),
        (5, "range_min", "'abc' 不是数字"),
    ]
    assert "第 3 行，catalog_item：目录中没有项目 A99" in str(info.value)
    assert reg.Instrument.objects.count() == before and not Registration.objects.exists()


def test_xlsx_import_with_chinese_headers(province):
    p = province
    book = Workbook()
    sheet = book.active
    sheet.append(["器具编号", "名称", "目录编号", "用途", "区划代码", "安装日期", "型式批准编号"])
    sheet.append(["X-1", "燃油加油机", FUEL_DISPENSER, "贸易结算", "330106", None, p.type_approval(FUEL_DISPENSER).number])
    sheet.append(["X-2", "一般压力表", PRESSURE_GAUGE, "safety", "330106", None, None])  # V only: no type approval
    buffer = io.BytesIO()
    book.save(buffer)
    created = services.import_registrations(p.enterprise["330106"], buffer.getvalue(), "机具.xlsx")
    assert {r.instrument.code for r in created} == {"X-1", "X-2"}
    with pytest.raises(VerificationError, match="file: a.txt：请使用 .csv 或 .xlsx 文件"):
        services.import_registrations(p.enterprise["330106"], b"x", "a.txt")
    with pytest.raises(VerificationError, match="a.csv 缺少列 catalog_item、legal_purpose、region"):
        services.import_registrations(p.enterprise["330106"], b"code,name\nA,B\n", "a.csv")


def test_legal_institute_is_preferred_and_a_laboratory_never_designated(province):
    p = province
    K = reg.Organisation.Kind
    station = p.org("上城区专业计量站", K.PROFESSIONAL_STATION, "330102", "12")
    lab = p.org("上城校准有限公司", K.LABORATORY, "330102", "91")
    p.standard(station, "county", "330102", "质量", 1, 30000, items=[PRICE_SCALE], u=0.0001)
    p.authorise(station, [PRICE_SCALE], "330102")  # a station verifies only as authorised
    scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    assert _file_and_approve(p, scale).assigned_institution == p.county_institute
    # With the institute's standard suspended: the station, never the laboratory.
    p.standard(lab, "county", "330102", "质量", 1, 30000, items=[PRICE_SCALE], u=0.0001)
    with audit_context(reason="期间核查不合格"):
        p.county_scale.status = "suspended"
        p.county_scale.save()
    other = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    assert _file_and_approve(p, other).assigned_institution == station


def test_import_errors_in_the_users_language(province):
    """The same bad rows read in Chinese and in English: file, row, field and reason."""
    from django.utils import translation

    content = (HEADER + "IMP-9,电子计价秤,A99,trade,330102,,abc,,,,\n").encode()
    owner = province.enterprise["330102"]
    for language, expected in (
        (
            "zh-hans",
            [
                "目录中没有项目 A99",
                "'abc' 不是数字",
                "第 2 行，catalog_item：目录中没有项目 A99；第 2 行，range_min：'abc' 不是数字",
            ],
        ),
        (
            "en",
            [
                "no catalog item A99",
                "'abc' is not a number",
                "row 2, catalog_item: no catalog item A99; row 2, range_min: 'abc' is not a number",
            ],
        ),
    ):
        with translation.override(language), pytest.raises(ImportRowError) as info:
            services.import_registrations(owner, content, "batch.csv")
        reasons = [reason for _row, _field, reason in info.value.errors]
        assert expected[0] in reasons and expected[1] in reasons and expected[2] in str(info.value)
        with translation.override(language), pytest.raises(VerificationError) as missing:
            services.import_registrations(owner, b"code,name\nA,B\n", "few.csv")
        assert str(missing.value).endswith(
            "few.csv 缺少列 catalog_item、legal_purpose、region"
            if language == "zh-hans"
            else "few.csv is missing column(s) catalog_item, legal_purpose, region"
        )
