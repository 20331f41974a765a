"""Import and export of the registry: natural keys, all-or-nothing imports, round trips."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import exchange
from jiliang.registry import models as m
from tests.catalog import FUEL_DISPENSER, TAXIMETER

pytestmark = pytest.mark.django_db

BUREAU = make_credit_code("11330000MB0012345")
INSTITUTE = make_credit_code("12330100MB1234567")
ENTERPRISE = make_credit_code("91330102MA27Y1234")
NATIONAL = make_credit_code("12100000MB9876543")


def build_registry():
    """A small registry with a row in every table (on top of the reference data)."""
    region = {r.code: r for r in m.Region.objects.all()}
    field = {f.code: f for f in m.MetrologyField.objects.all()}
    quantity = {q.name: q for q in m.Quantity.objects.all()}
    spec = {s.code: s for s in m.Specification.objects.all()}
    catalog = {c.code: c for c in m.CatalogItem.objects.all()}
    bureau = m.Organisation.objects.create(
        name="浙江省市场监督管理局", credit_code=BUREAU, kind="administration", region=region["330000"]
    )
    institute = m.Organisation.objects.create(
        name="杭州市计量检定测试院",
        credit_code=INSTITUTE,
        kind="legal_institute",
        region=region["330100"],
        address="杭州市上城区",
    )
    enterprise = m.Organisation.objects.create(
        name="上城加油站", credit_code=ENTERPRISE, kind="enterprise", region=region["330102"]
    )
    national = m.Organisation.objects.create(
        name="中国计量科学研究院", credit_code=NATIONAL, kind="legal_institute", region=region["110105"]
    )
    primary = m.PrimaryStandard.objects.create(
        code="GJJZ-001",
        name="质量基准",
        quantity=quantity["质量"],
        range_min=1.0,
        range_max=1.0,
        unit="kg",
        uncertainty=2.3e-9,
        k=2.0,
        holder=national,
    )
    public = m.MeasurementStandard.objects.create(
        name="燃油加油机检定装置",
        tier="public",
        level="city",
        holder=institute,
        field=field["mechanics"],
        certificate_number="[2021]浙量标杭证字第001号",
        issuing_department=bureau,
        valid_from=dt.date(2021, 3, 1),
        status="suspended",
    )
    public.specifications.add(spec["JJG 443-2023"])
    public.catalog_items.add(catalog[TAXIMETER], catalog[FUEL_DISPENSER])
    own = m.MeasurementStandard.objects.create(
        name="=企业长度标准",
        tier="enterprise",
        holder=enterprise,
        field=field["geometry"],
        certificate_number="[2022]企标001",
        issuing_department=bureau,
        valid_from=dt.date(2022, 1, 10),
        valid_until=dt.date(2026, 1, 9),
        published=False,
    )
    m.StandardStatusChange.objects.create(standard=public, status="active", effective_on=dt.date(2021, 3, 1), reason="考核合格")
    m.StandardStatusChange.objects.create(
        standard=public, status="suspended", effective_on=dt.date(2024, 5, 2), reason='期间核查不合格, "待整改"'
    )
    m.Capability.objects.create(
        standard=public, quantity=quantity["容量"], range_min=0, range_max=200, unit="L", uncertainty=0.00025, k=2, relative=True
    )
    m.Capability.objects.create(
        standard=own, quantity=quantity["长度"], range_min=-5.5, range_max=1000, unit="mm", accuracy_class="1级"
    )
    rm1 = m.ReferenceMaterial.objects.create(
        number="GBW07101", name="岩石成分标准物质", level="primary", producer=national, expires_on=dt.date(2030, 12, 31)
    )
    rm2 = m.ReferenceMaterial.objects.create(
        number="GBW(E)130001", name="pH 缓冲溶液", level="secondary", producer=institute, expires_on=dt.date(2027, 6, 30)
    )
    m.CertifiedValue.objects.create(material=rm1, component="SiO2", value=58.31, unit="%", uncertainty=0.12)
    m.CertifiedValue.objects.create(material=rm2, component="pH", value=4.003, unit="1", uncertainty=0.01, k=2.0)
    wang = m.Person.objects.create(name="王芳", organisation=institute)
    li = m.Person.objects.create(name="李强", organisation=national)
    m.Qualification.objects.create(
        person=wang,
        kind="verifier",
        certificate_number="浙检字-0001",
        catalog_item=catalog[TAXIMETER],
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2025, 12, 31),
    )
    m.Qualification.objects.create(
        person=li,
        kind="metrologist_1",
        certificate_number="ZC-1",
        specialty="质量",
        organisation=national,
        valid_from=dt.date(2019, 7, 1),
        valid_until=dt.date(2029, 6, 30),
    )
    # The institute's designation for the items it verifies (the import judges events by it).
    from jiliang.authorisation import services as authorisation

    authorisation.grant(
        None,
        number="（浙）法计（2019）001号",
        institution=institute,
        issuing_authority=bureau,
        form="established",
        valid_from=dt.date(2019, 1, 1),
        valid_until=dt.date(2029, 12, 31),
        items=[catalog[TAXIMETER]],
        regions=[region["330100"]],
        reason="依法设置",
    )
    device = m.Instrument.objects.create(
        code="STD-0001",
        name="标准金属量器",
        owner=institute,
        region=region["330102"],
        standard=public,
        manufacturer="某厂",
        range_min=0,
        range_max=100,
        unit="L",
        accuracy="二等",
    )
    approval = m.TypeApproval.objects.create(
        number="2019C123-33",
        catalog_item=catalog[TAXIMETER],
        manufacturer="杭州计价器厂",
        model="JS-1",
        name="出租汽车计价器",
        authority="浙江省市场监督管理局",
        approved_on=dt.date(2019, 3, 1),
    )
    pump = m.Instrument.objects.create(
        code="INS-0001",
        name="燃油加油机",
        catalog_item=catalog[TAXIMETER],
        legal_purpose="trade",
        owner=enterprise,
        region=region["330102"],
        type_approval_number=approval.number,
        period_months=6,  # shorter than the JJG's 12
        model="JS-1",
        serial_number="0042",
        installed_on=dt.date(2020, 6, 1),
    )
    m.Instrument.objects.create(code="INS-0002", name="卷尺", owner=enterprise, region=region["330102"], status="scrapped")
    calibration = m.CalibrationEvent.objects.create(
        instrument=device,
        performer=national,
        person=li,
        primary_standard=primary,
        kind="calibration",
        performed_on=dt.date(2024, 1, 15),
        recalibration_due=dt.date(2025, 1, 14),
        results=[{"point": 20.0, "value": 20.003, "unit": "L"}],
        uncertainty=0.002,
        certificate_number="CAL-2024-0001",
    )
    verification = m.CalibrationEvent.objects.create(
        instrument=pump,
        performer=institute,
        person=wang,
        specification=spec["JJG 443-2023"],
        kind="verification",
        performed_on=dt.date(2024, 3, 2),
        valid_until=dt.date(2025, 3, 1),
        passed=True,
        certificate_number="VER-2024-0001",
    )
    m.CalibrationEvent.objects.create(
        instrument=pump,
        performer=institute,
        kind="verification",
        performed_on=dt.date(2023, 3, 2),
        passed=False,
        external_source="",
        certificate_number="VER-2023-0001",
    )
    m.EventStandard.objects.create(event=verification, standard=public)
    m.EventStandard.objects.create(event=calibration, standard=own)


def empty_registry():
    """Delete every registry row, dependents first, in SQL: the ORM's delete() would also
    visit other apps' tables that refer to the registry."""
    from django.db import connection

    def delete(model, where=""):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} {where}")

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(m.Specification._meta.db_table)} SET supersedes_id = NULL")
    for table in [exchange.TABLES[name] for name in reversed(exchange.TABLE_NAMES)]:
        if table.model is m.Region:
            for level in ("county", "city", "province"):
                delete(m.Region, f"WHERE level = '{level}'")
        else:
            delete(table.model)


def snapshot() -> dict[str, list[tuple]]:
    return {name: list(exchange.iter_rows(name)) for name in exchange.TABLE_NAMES}


def read_xlsx(path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.fixture
def registry(reference_data):
    build_registry()


def test_every_table_is_populated_and_exported(registry, tmp_path):
    counts = exchange.export_registry(tmp_path, "csv")
    assert set(counts) == set(exchange.TABLE_NAMES)
    assert all(n > 0 for n in counts.values()), counts
    head = (tmp_path / "qualifications.csv").read_bytes()
    assert head.startswith(b"\xef\xbb\xbfperson_organisation,person_name,kind,")
    # Foreign keys are natural keys, not ids.
    instruments = (tmp_path / "instruments.csv").read_text(encoding="utf-8-sig").splitlines()
    assert instruments[1].startswith(f"INS-0001,燃油加油机,{TAXIMETER},trade,{ENTERPRISE},330102,")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_round_trip_gives_identical_files(registry, tmp_path, fmt):
    before = snapshot()
    exchange.export_registry(tmp_path / "a", fmt)
    empty_registry()
    assert all(not rows for rows in snapshot().values())
    try:
        counts = exchange.import_paths([tmp_path / "a"])
    except exchange.ImportRejected as e:
        raise AssertionError(e.report()) from e
    assert counts == {name: len(rows) for name, rows in before.items()}
    exchange.export_registry(tmp_path / "b", fmt)
    for name in exchange.TABLE_NAMES:
        assert (tmp_path / "b" / f"{name}.{fmt}").read_bytes() == (tmp_path / "a" / f"{name}.{fmt}").read_bytes(), name
    assert snapshot() == before


def test_round_trip_xlsx(registry, tmp_path):
    before = snapshot()
    exchange.export_registry(tmp_path / "a.xlsx", "xlsx")
    empty_registry()
    exchange.import_paths([tmp_path / "a.xlsx"])
    exchange.export_registry(tmp_path / "b.xlsx", "xlsx")
    # The zip carries timestamps, so compare the sheets cell by cell.
    first, second = read_xlsx(tmp_path / "a.xlsx"), read_xlsx(tmp_path / "b.xlsx")
    assert list(first) == list(exchange.TABLE_NAMES)
    assert first == second
    assert snapshot() == before
    # A name starting with "=" is written as text, not as a formula Excel would evaluate.
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "b.xlsx")["standards"]
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "[2022]企标001")
    assert (cell.value, cell.data_type) == ("=企业长度标准", "s")


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def bad_credit_code(good: str) -> str:
    from jiliang.core.identifiers import CREDIT_CODE_ALPHABET

    wrong = CREDIT_CODE_ALPHABET[(CREDIT_CODE_ALPHABET.index(good[-1]) + 1) % 31]
    return good[:-1] + wrong


NEW_ORG = make_credit_code("91330105MA28K0001")
NOWHERE_ORG = make_credit_code("91330105MA28K0002")


def bad_import_files(folder):
    """One good row among bad ones, across tables, with references inside the import."""
    folder.mkdir()
    write(
        folder / "organisations.csv",
        "\n".join(
            [
                "credit_code,name,kind,region,address",
                f"{NEW_ORG},拱墅计量站,professional_station,330105,",  # 2 good
                f"{bad_credit_code(NEW_ORG)},坏代码公司,enterprise,330105,",  # 3 check character
                f"{make_credit_code('91330105MA28K0003')},无地区,enterprise,339999,",  # 4 unknown region
                f"{make_credit_code('91330105MA28K0004')},银行,bank,330105,",  # 5 unknown choice
                f"{NEW_ORG},重复,enterprise,330105,",  # 6 duplicate in the file
                f"{BUREAU},已存在,administration,330000,",  # 7 already in the database
            ]
        )
        + "\n",
    )
    write(
        folder / "standards.csv",
        "\n".join(
            [
                "certificate_number,name,tier,level,holder,field,issuing_department,valid_from",
                f"S-1,坏日期,enterprise,,{NEW_ORG},mechanics,{BUREAU},2024-02-30",  # 2 bad date
                f"S-2,无主,enterprise,,{NOWHERE_ORG},mechanics,{BUREAU},2024-01-01",  # 3 dangling holder
                f"S-3,好,public,county,{NEW_ORG},mechanics,{BUREAU},2024-01-01",  # 4 good, holder from this import
                f"S-4,规则,enterprise,city,{NEW_ORG},mechanics,{BUREAU},2024-01-01",  # 5 level only for public
            ]
        )
        + "\n",
    )
    write(
        folder / "capabilities.csv",
        "\n".join(
            [
                "standard,quantity,range_min,range_max,unit,uncertainty,k,relative,accuracy_class,mpe",
                "S-3,压力,0,10,MPa,0.01,2,false,,",  # 2 good
                "S-3,压力,10,0,MPa,0.01,2,false,,",  # 3 range reversed
                "S-3,压力,0,10,MPa,,,false,,",  # 4 neither uncertainty nor accuracy
            ]
        )
        + "\n",
    )
    write(
        folder / "instruments.jsonl",
        "\n".join(
            [
                json.dumps(
                    {"code": "N-1", "name": "压力表", "catalog_item": "Z99", "owner": NEW_ORG, "region": "330105"}
                ),  # 1 dangling item
                json.dumps(
                    {
                        "code": "N-2",
                        "name": "标准器",
                        "owner": NEW_ORG,
                        "region": "330105",
                        "standard": "S-3",
                        "installed_on": "2024-13-01",
                    }
                ),  # 2 bad date
                '{"code": "N-3", "name": ',  # 3 not JSON
                json.dumps({"code": "N-4", "name": "好", "owner": NEW_ORG, "region": "330105", "standard": "S-3"}),  # 4 good
            ]
        )
        + "\n",
    )
    return folder


EXPECTED_ERRORS = {
    ("organisations", 3, "credit_code"),
    ("organisations", 4, "region"),
    ("organisations", 5, "kind"),
    ("organisations", 6, "credit_code"),
    ("organisations", 7, "credit_code"),
    ("standards", 2, "valid_from"),
    ("standards", 3, "holder"),
    ("standards", 5, "tier+level"),
    ("capabilities", 3, "range_min+range_max"),
    ("capabilities", 4, "uncertainty+k+accuracy_class+mpe"),
    ("instruments", 1, "catalog_item"),
    ("instruments", 2, "installed_on"),
    ("instruments", 3, ""),
}


def test_bad_rows_are_all_listed_and_nothing_is_written(registry, tmp_path):
    before = snapshot()
    folder = bad_import_files(tmp_path / "bad")
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths([folder])
    errors = caught.value.errors
    assert {(e.table, e.row, e.field) for e in errors} == EXPECTED_ERRORS
    reasons = {(e.table, e.row): e.reason for e in errors}
    assert "校验码" in reasons["organisations", 3]
    assert reasons["organisations", 4] == "导入文件和数据库中都没有 regions 339999"
    assert reasons["organisations", 5].startswith("'bank' 不是以下取值之一：administration、authorised_institute")
    assert "第 2 行也是" in reasons["organisations", 6]
    assert "数据库中已有" in reasons["organisations", 7]
    assert "不是日期" in reasons["standards", 2]
    assert reasons["standards", 3] == f"导入文件和数据库中都没有 organisations {NOWHERE_ORG}"
    assert "standard_level_only_for_public" in reasons["standards", 5]
    assert reasons["instruments", 1] == "导入文件和数据库中都没有 catalog Z99"
    assert reasons["instruments", 3].startswith("不是有效的 JSON")
    # Nothing changed: row counts and values are the same.
    assert snapshot() == before


def test_fixed_file_imports_with_references_inside_the_import(registry, tmp_path):
    folder = tmp_path / "good"
    folder.mkdir()
    write(folder / "organisations.csv", f"credit_code,name,kind,region\n{NEW_ORG},拱墅计量站,professional_station,330105\n")
    write(
        folder / "standards.csv",
        "certificate_number,name,tier,level,holder,field,issuing_department,valid_from\n"
        f"S-3,好,public,county,{NEW_ORG},mechanics,{BUREAU},2024-02-29\n",
    )
    write(
        folder / "instruments.jsonl",
        json.dumps({"code": "N-4", "name": "好", "owner": NEW_ORG, "region": "330105", "standard": "S-3"}) + "\n",
    )
    counts = exchange.import_paths([folder])
    assert counts == {"organisations": 1, "standards": 1, "instruments": 1}
    standard = m.MeasurementStandard.objects.get(certificate_number="S-3")
    # An empty valid_until gets what save() would give: 5 years (计量标准考核办法 2020) less a day.
    assert (standard.valid_until, standard.status, standard.published) == (dt.date(2029, 2, 27), "active", True)
    assert m.Instrument.objects.get(code="N-4").standard == standard
    assert standard.holder.credit_code == NEW_ORG


def test_region_rules_from_the_model_and_cycles(reference_data, tmp_path):
    regions = write(tmp_path / "r.csv", "code,name,level,parent\n330199,某区,county,110000\n330198,某县,city,330100\n")
    specs = write(
        tmp_path / "s.csv",
        "code,title,kind,supersedes\nJJG 1-2020,甲,verification_regulation,JJG 2-2020\n"
        "JJG 2-2020,乙,verification_regulation,JJG 1-2020\nJJF 3-2020,丙,verification_regulation,\n",
    )
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_sources(
            exchange.open_sources([regions], table="regions") + exchange.open_sources([specs], table="specifications")
        )
    got = {(e.table, e.row, e.field): e.reason for e in caught.value.errors}
    assert got == {
        ("regions", 2, "parent"): "区划 330199 须隶属于 330100",  # Region.clean()
        ("regions", 3, "level"): "代码 330198 是县级代码，不是市级",
        ("specifications", 4, "kind"): "JJF 编号是计量技术规范，不是检定规程（JJG）",
        ("specifications", 2, "supersedes"): "引用构成循环（与第 3 行）",
    }


def test_every_check_constraint_is_understood():
    for table in exchange.TABLE_LIST:
        for constraint in exchange.check_constraints(table.model):
            # Raises NotImplementedError for a lookup the importer cannot evaluate.
            exchange._check_q(constraint.condition, {}, table.model)


def test_command_lists_the_first_fifty_errors(registry, tmp_path):
    rows = [f"{make_credit_code(f'91330105MA28K{i:04d}')},公司{i},enterprise,339999" for i in range(60)]
    path = write(tmp_path / "organisations.csv", "credit_code,name,kind,region\n" + "\n".join(rows) + "\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_registry", str(path))
    lines = str(caught.value).splitlines()
    assert lines[0] == "导入被拒绝，数据库未改动：60 处错误"
    assert lines[1] == "  organisations 第 2 行（organisations.csv），region：导入文件和数据库中都没有 regions 339999"
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "  ……另有 10 处"


def test_a_refused_import_reads_in_chinese_and_in_english():
    from django.utils import translation

    from jiliang.registry.exchange.errors import BadValue, RowError
    from jiliang.registry.exchange.values import _float

    for language, expected in (
        ("zh-hans", "导入被拒绝，数据库未改动：1 处错误\n  instruments 第 3 行（instruments.csv），range_min：'abc' 不是数字"),
        (
            "en",
            "import rejected, database unchanged: 1 error\n  instruments row 3 (instruments.csv), range_min: 'abc' is not a number",
        ),
    ):
        with translation.override(language):
            with pytest.raises(BadValue) as bad:
                _float("abc", False)
            rejected = exchange.ImportRejected([RowError("instruments", 3, "range_min", str(bad.value), "instruments.csv")])
            assert rejected.report() == expected


def test_cli_export_then_import(registry, tmp_path, capsys):
    from jiliang.cli import main

    before = snapshot()
    assert main(["export", str(tmp_path / "out")]) == 0
    assert main(["export", str(tmp_path / "out.xlsx"), "--tables", "regions", "organisations"]) == 0
    assert read_xlsx(tmp_path / "out.xlsx").keys() == {"regions", "organisations"}
    empty_registry()
    assert main(["import", str(tmp_path / "out")]) == 0
    assert snapshot() == before
    assert "imported" in capsys.readouterr().out


def test_cli_error_is_one_message_without_traceback(registry, tmp_path, capsys):
    from jiliang.cli import main

    before = snapshot()
    path = write(
        tmp_path / "orgs.csv",
        f"credit_code,name,kind,region\n{NEW_ORG},好,enterprise,330105\n{bad_credit_code(NEW_ORG)},坏,enterprise,330105\n",
    )
    assert main(["import", str(path), "--table", "organisations"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[0] == "jiliang: error: import rejected, database unchanged: 1 error"
    assert err.splitlines()[1].startswith("  organisations row 3 (orgs.csv), credit_code: check character is")
    assert snapshot() == before
    assert main(["import", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jiliang: error: ") and "missing.csv" in err


def test_xlsx_errors_name_sheet_rows(registry, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "orgs.xlsx"
    exchange.export_registry(path, "xlsx", tables=["organisations"])
    wb = load_workbook(path)
    sheet = wb["organisations"]
    assert [c.value for c in sheet[1]] == ["credit_code", "name", "kind", "region", "address"]
    sheet.append([NEW_ORG, "新站", "professional_station", 330105, None])  # a code typed as a number is fine
    sheet.append([make_credit_code("91330105MA28K0009"), "坏", "bank", "330105", None])
    wb.save(path)
    before = snapshot()
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths([path])
    assert sorted((e.table, e.row, e.field) for e in caught.value.errors) == [
        ("organisations", 2, "credit_code"),
        ("organisations", 3, "credit_code"),
        ("organisations", 4, "credit_code"),
        ("organisations", 5, "credit_code"),  # already in the database
        ("organisations", 7, "kind"),
    ]
    assert snapshot() == before


def test_csv_with_or_without_bom_and_not_utf8(reference_data, tmp_path):
    text = f"credit_code,name,kind,region\n{NEW_ORG},拱墅计量站,professional_station,330105\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "organisations.csv").write_bytes(text.encode("utf-8"))  # no BOM
    assert exchange.import_paths([tmp_path / "a"]) == {"organisations": 1}
    assert m.Organisation.objects.get(credit_code=NEW_ORG).name == "拱墅计量站"
    gbk = tmp_path / "organisations.csv"
    gbk.write_bytes(text.replace(NEW_ORG, ENTERPRISE).encode("gbk"))
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths([gbk])
    assert [(e.table, e.reason) for e in caught.value.errors] == [("organisations", exchange.NOT_UTF8)]
    assert not m.Organisation.objects.filter(credit_code=ENTERPRISE).exists()


def test_xlsx_long_tables_continue_on_more_sheets(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(exchange.export, "XLSX_ROWS_PER_SHEET", 2)  # Excel's limit is 1,048,575 data rows
    before = snapshot()
    exchange.export_registry(tmp_path / "a.xlsx", "xlsx")
    sheets = read_xlsx(tmp_path / "a.xlsx")
    assert [s for s in sheets if s.startswith("events")] == ["events", "events.2"]
    assert sheets["events.2"][0] == sheets["events"][0]  # each sheet has the header
    assert sum(len(rows) - 1 for rows in sheets.values()) == sum(len(rows) for rows in before.values())
    empty_registry()
    exchange.import_paths([tmp_path / "a.xlsx"])
    assert snapshot() == before
