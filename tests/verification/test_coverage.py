"""The coverage ledger on the hand-built province (numbers worked out by hand in the
comments), its movement with the data, the fallback setting, export, chart and history."""

import datetime as dt
import io

import numpy as np
import pytest
from django.test import override_settings
from openpyxl import load_workbook

from jiliang.audit.services import audit_context
from jiliang.core import coverage as core
from jiliang.registry import models as reg
from jiliang.verification import coverage
from jiliang.verification.models import CoverageSnapshot
from tests import catalog
from tests.catalog import LOAD_CELL, PRICE_SCALE, SPHYGMOMANOMETER, TAXIMETER

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(province):
    p = province
    for _ in range(3):
        p.instrument("330102", PRICE_SCALE)
    for _ in range(2):
        p.instrument("330102", SPHYGMOMANOMETER)
    p.instrument("330106", PRICE_SCALE)
    for _ in range(4):
        p.instrument("330106", TAXIMETER)
    for _ in range(2):
        p.instrument("330203", PRICE_SCALE)
    # Not counted: not mandatory, stopped.
    p.instrument("330102", LOAD_CELL, purpose="none")
    p.instrument("330102", LOAD_CELL, status="stopped")
    return p


def _rates(ledger):
    return {
        r.code: (r.items_covered, r.items_in_use, r.rollup_covered, r.rollup_in_use) for r in ledger.regions if r.rollup_in_use
    }


def test_ledger_numbers_on_the_hand_built_province(populated):
    ledger = coverage.build_ledger()
    # 省域 (a standard anywhere in the region, or above as the rule allows):
    # Shangcheng {PRICE_SCALE own, SPHYGMOMANOMETER via Hangzhou} 2/2; Xihu {PRICE_SCALE, TAXIMETER}: the county may fall back
    # to its city only, which holds neither: 0/2; Hangzhou {PRICE_SCALE in Shangcheng, SPHYGMOMANOMETER own, TAXIMETER
    # via the province}: 3/3, subtree 3+2+0 of 3+2+2 = 5/7; Haishu and Ningbo {PRICE_SCALE}: 0/1
    # each; the province {PRICE_SCALE, SPHYGMOMANOMETER below, TAXIMETER own} 3/3, subtree 3+5+0 of 3+7+2 = 8/12.
    assert _rates(ledger) == {
        "330000": (3, 3, 8, 12),
        "330100": (3, 3, 5, 7),
        "330102": (2, 2, 2, 2),
        "330106": (0, 2, 0, 2),
        "330200": (0, 1, 0, 2),
        "330203": (0, 1, 0, 1),
    }
    # 省级以下 (own standards of each city and county): Shangcheng PRICE_SCALE 1/2, Xihu 0/2,
    # Hangzhou SPHYGMOMANOMETER 1/3, Ningbo 0/1, Haishu 0/1: Hangzhou 2/7, the province 2/9.
    below = {r.code: (r.below_province_covered, r.below_province_in_use) for r in ledger.regions if r.rollup_in_use}
    assert below == {"330000": (2, 9), "330100": (2, 7), "330102": (1, 2), "330106": (0, 2), "330200": (0, 2), "330203": (0, 1)}
    assert ledger.region("330000").instruments == 12
    assert ledger.region("330000").rollup_rate == pytest.approx(8 / 12)
    assert ledger.region("330000").below_province_rate == pytest.approx(2 / 9)
    cells = {(c.region_code, c.item_code): c.served_by for c in ledger.cells}
    assert (
        cells[("330102", SPHYGMOMANOMETER)] == "city"
        and cells[("330102", PRICE_SCALE)] == "county"
        and cells[("330100", TAXIMETER)] == "province"
    )
    assert cells[("330100", PRICE_SCALE)] == "below"
    # Gaps ranked by the instruments affected (ties by region code).
    assert [(g.region_code, g.item_code, g.instruments) for g in ledger.gaps] == [
        ("330106", TAXIMETER, 4),
        ("330200", PRICE_SCALE, 2),
        ("330203", PRICE_SCALE, 2),
        ("330106", PRICE_SCALE, 1),
    ]
    nearest = {(g.region_code, g.item_code): (g.nearest_region, g.nearest_institution) for g in ledger.gaps}
    assert nearest[("330106", PRICE_SCALE)] == ("330102", "上城区计量检定所")  # same city
    assert nearest[("330106", TAXIMETER)] == ("330000", "浙江省计量科学研究院")


def test_a_standard_listing_no_item_covers_none(populated):
    """Issue 17 §5: a provincial quantity standard listing no item used to count for every
    item of its quantity (TAXIMETER taximeters by the length standard) and lift the province."""
    populated.province_length.catalog_items.clear()
    ledger = coverage.build_ledger()
    assert ledger.region("330000").items_covered == 2  # PRICE_SCALE, SPHYGMOMANOMETER below; TAXIMETER no longer
    assert ("330106", catalog.TAXIMETER) in {(g.region_code, g.item_code) for g in ledger.gaps}


def test_suspending_a_standard_drops_the_rate_at_once(populated):
    before = coverage.build_ledger()
    std = populated.county_scale
    with audit_context(reason="期间核查不合格"):
        std.status = "suspended"
        std.save(update_fields=["status"])
    after = coverage.build_ledger()
    assert (before.region("330102").items_covered, after.region("330102").items_covered) == (2, 1)
    assert (before.region("330000").rollup_covered, after.region("330000").rollup_covered) == (8, 5)
    # A lapsed certificate counts the same as a suspension.
    with audit_context(reason="恢复"):
        std.status = "active"
        std.save(update_fields=["status"])
    std.valid_until = populated.today - dt.timedelta(days=1)
    std.valid_from = std.valid_until - dt.timedelta(days=1000)
    std.save()
    assert coverage.build_ledger().region("330102").items_covered == 1


def test_fallback_rule_is_a_setting(populated):
    with override_settings(JILIANG_COVERAGE_FALLBACK={"county": ["city", "province"], "city": ["province"]}):
        ledger = coverage.build_ledger()
    assert ledger.region("330106").items_covered == 1  # TAXIMETER now served by the province
    with override_settings(JILIANG_COVERAGE_FALLBACK={}):
        ledger = coverage.build_ledger()
    assert ledger.region("330102").items_covered == 1  # SPHYGMOMANOMETER no longer served by Hangzhou
    with (
        override_settings(JILIANG_COVERAGE_FALLBACK={"county": ["town"]}),
        pytest.raises(ValueError, match="JILIANG_COVERAGE_FALLBACK"),
    ):
        coverage.build_ledger()


def test_region_filter_and_past_dates(populated):
    ledger = coverage.build_ledger(region_code="330100")
    assert {r.code for r in ledger.regions if r.rollup_in_use} == {"330100", "330102", "330106"}
    with pytest.raises(ValueError, match="region"):
        coverage.build_ledger(region_code="999999")
    # 500 days ago the standards (approved 400 days ago) and instruments (installed 10 days ago) did not exist.
    past = coverage.build_ledger(as_of=populated.today - dt.timedelta(days=500))
    assert past.region("330000").rollup_in_use == 0


def test_past_status_comes_from_the_history(populated):
    p = populated
    reg.StandardStatusChange.objects.create(
        standard=p.county_scale, status="suspended", effective_on=p.today - dt.timedelta(days=20), reason="期间核查不合格"
    )
    reg.StandardStatusChange.objects.create(
        standard=p.county_scale, status="active", effective_on=p.today - dt.timedelta(days=5), reason="恢复"
    )
    assert coverage.build_ledger(as_of=p.today - dt.timedelta(days=10)).region("330102").items_covered == 1
    assert coverage.build_ledger().region("330102").items_covered == 2


def test_xlsx_export_reads_back(populated, tmp_path):
    ledger = coverage.build_ledger()
    target = tmp_path / "ledger.xlsx"
    coverage.export_xlsx(ledger, target)
    book = load_workbook(target, read_only=True)
    regions = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert regions["330100"][4:7] == (3, 3, 1.0)
    assert regions["330100"][10:13] == (7, 2, pytest.approx(0.2857))
    header = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert "省域覆盖率" in header[6] and str(coverage.PROVINCEWIDE_DEFINITION) in header[6]
    assert "省级以下覆盖率" in header[12] and str(coverage.BELOW_PROVINCE_DEFINITION) in header[12]
    gaps = list(book.worksheets[2].iter_rows(min_row=2, values_only=True))
    assert gaps[0][:5] == ("330106", "西湖区", TAXIMETER, "出租汽车计价器", 4)
    data = coverage.export_xlsx(ledger)
    assert load_workbook(io.BytesIO(data)).sheetnames == book.sheetnames


def test_chart_svg_and_png(populated):
    ledger = coverage.build_ledger()
    svg = coverage.coverage_chart(ledger, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert coverage.coverage_chart(ledger, "png").startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="fmt"):
        coverage.coverage_chart(ledger, "gif")


def test_snapshot_and_history(populated):
    p = populated
    assert coverage.take_snapshot() > 0
    snap = CoverageSnapshot.objects.get(region__code="330000", month=p.today.replace(day=1))
    assert (snap.rollup_covered, snap.rollup_in_use) == (8, 12)
    assert (snap.below_province_covered, snap.below_province_in_use) == (2, 9)
    # A later suspension does not rewrite the stored month; past months are computed.
    with audit_context(reason="期间核查不合格"):
        p.county_scale.status = "suspended"
        p.county_scale.save(update_fields=["status"])
    months = coverage.history("330000", months=3)
    assert months[-1] == {
        "month": p.today.isoformat()[:7],
        "rollup_items_in_use": 12,
        "rollup_items_covered": 8,
        "rollup_rate": round(8 / 12, 4),
        "rate": 1.0,
        "below_province_rate": round(2 / 9, 4),
        "source": "snapshot",
    }
    assert months[0]["source"] == "computed"
    # Two months ago the instruments (installed 10 days ago) were not there yet.
    assert months[0]["rollup_items_in_use"] == 0


def test_core_rejects_bad_shapes():
    with pytest.raises(core.CoverageInputError, match="holds"):
        core.compute_coverage(np.array([-1]), np.array([0]), np.zeros((1, 2)), np.zeros((1, 3), bool), {})
    with pytest.raises(core.CoverageInputError, match="cycle"):
        core.compute_coverage(np.array([1, 0]), np.array([1, 1]), np.zeros((2, 1)), np.zeros((2, 1), bool), {})


def test_cli_with_the_flags_the_issue_names(populated, tmp_path, capsys, monkeypatch):
    from jiliang import cli

    target = tmp_path / "ledger.xlsx"
    assert cli.main(["coverage", "--region", "330100", "--xlsx", str(target)]) == 0
    printed = capsys.readouterr().out
    assert "coverage ledger" in printed and "330106" in printed and "330203" not in printed
    sheet = load_workbook(target, read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)][:3] == ["330100", "330102", "330105"]
    # In Hangzhou every instrument (installed 10 days ago, never verified) is overdue: 3 + 2 + 1 + 4.
    assert cli.main(["due", "--region", "330100", "--days", "30"]) == 0
    assert "10 overdue" in capsys.readouterr().out
    # The refusal in the operator's language, whichever command (jiliang.cli makes it active).
    for language, expected in (
        ("C.UTF-8", "region: no region with code 999999"),
        ("zh_CN.UTF-8", "region: 没有代码为 999999 的区划"),
    ):
        monkeypatch.setenv("LANG", language)
        assert cli.main(["due", "--region", "999999", "--days", "30"]) == 2
        assert capsys.readouterr().err.strip() == f"jiliang: error: {expected}"


def test_history_computes_each_ended_month_once_a_day(populated, monkeypatch):
    """Issue #23 item 5: a year of history is twelve ledgers; an ended month is computed once
    and read from the cache afterwards (the current month is always computed afresh)."""
    calls = []
    build = coverage.build_ledger
    monkeypatch.setattr(coverage, "build_ledger", lambda *a, **k: calls.append(a) or build(*a, **k))
    first = coverage.history("330000", months=4)
    assert len(calls) == 4
    again = coverage.history("330000", months=4)
    assert again == first and len(calls) == 5  # only the month in progress again
