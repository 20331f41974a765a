"""The ledger and the due list on the generated demo province, checked against a plain
per-instrument loop over the same rows, and the two CLI commands."""

import datetime as dt
import json
from collections import Counter

import pytest
from django.core.management import load_command_class
from django.utils import timezone
from openpyxl import load_workbook

from jiliang.audit.services import audit_context
from jiliang.registry import demo
from jiliang.registry import models as reg
from jiliang.verification import coverage, scheduling
from tests.command_line import run_command

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield demo.generate(instruments=2000, seed=11, as_of=timezone.localdate())


@pytest.fixture
def demo_province(generated, db):
    return generated


def _loop_ledger(today):
    """The definition, one instrument and one standard at a time."""
    holds = set()
    for std in reg.MeasurementStandard.objects.filter(tier="public").prefetch_related(
        "catalog_items", "capabilities", "status_changes"
    ):
        changes = sorted((c for c in std.status_changes.all() if c.effective_on <= today), key=lambda c: (c.effective_on, c.id))
        if (
            std.status != "active"
            or not (std.valid_from <= today <= std.valid_until)
            or (changes and changes[-1].status != "active")
        ):
            continue
        # A standard covers only the items it lists.
        for item in std.catalog_items.all():
            holds.add((std.holder.region_id, item.id))
    regions = {r.id: r for r in reg.Region.objects.all()}
    in_use = Counter()
    for inst in reg.Instrument.objects.filter(standard__isnull=True, status="in_use", catalog_item__isnull=False).exclude(
        legal_purpose="none"
    ):
        region = regions[inst.region_id]
        while region is not None:
            in_use[(region.id, inst.catalog_item_id)] += 1
            region = regions.get(region.parent_id)
    allowed = {"county": ["city"], "city": ["province"], "province": []}
    covered, own = set(), set()
    for region_id, item_id in in_use:
        region = regions[region_id]
        # 省域: the region, any region below it, or an ancestor the rule allows.
        below = [r for r in regions.values() if region in _ancestors(r, regions)]
        servers = [region, *below] + [a for a in _ancestors(region, regions) if a.level in allowed[region.level]]
        if any((s.id, item_id) in holds for s in servers):
            covered.add((region_id, item_id))
        # 省级以下: a city's or county's own standards only.
        if region.level != "province" and (region_id, item_id) in holds:
            own.add((region_id, item_id))
    return in_use, covered, own, regions


def _ancestors(region, regions):
    out = []
    while region.parent_id is not None:
        region = regions[region.parent_id]
        out.append(region)
    return out


def test_ledger_and_due_list_match_the_per_instrument_loop(demo_province):
    _check_due_list_against_the_loop(demo_province)
    today = timezone.localdate()
    ledger = coverage.build_ledger(today)
    in_use, covered, own, regions = _loop_ledger(today)
    by_code = {r.code: r for r in ledger.regions}
    for region in regions.values():
        pairs = [k for k in in_use if k[0] == region.id]
        row = by_code[region.code]
        assert (row.items_in_use, row.items_covered) == (len(pairs), sum(k in covered for k in pairs)), region.code
        assert row.instruments == sum(in_use[k] for k in pairs)
    below_pairs = [k for k in in_use if regions[k[0]].level != "province"]
    province_row = by_code["330000"]
    assert (province_row.below_province_in_use, province_row.below_province_covered) == (
        len(below_pairs),
        sum(k in own for k in below_pairs),
    )
    # Counties have real gaps: their own standards cover far less than the province as a whole.
    assert province_row.below_province_rate < 0.9 < province_row.rate
    # The demo plants gaps (counties whose city lacks an item) and stays near the plans' target.
    province = ledger.region("330000")
    assert ledger.gaps and 0.8 < province.rollup_rate < 1.0
    # Suspend the standard serving the largest gap-free city item: coverage falls at once.
    cell = max((c for c in ledger.cells if c.level == "city" and c.served_by == "city"), key=lambda c: c.instruments)
    std = reg.MeasurementStandard.objects.filter(
        holder__region__code=cell.region_code, catalog_items__code=cell.item_code, status="active"
    ).first()
    with audit_context(reason="期间核查不合格"):
        std.status = "suspended"
        std.save()
    after = coverage.build_ledger(today)
    assert after.region(cell.region_code).rollup_covered < ledger.region(cell.region_code).rollup_covered
    assert after.region("330000").rollup_rate < province.rollup_rate


def _check_due_list_against_the_loop(demo_province):
    today = timezone.localdate()
    summary = scheduling.due_list(today, days=30)
    overdue = due = 0
    for inst in reg.Instrument.objects.filter(standard__isnull=True, status="in_use", catalog_item__isnull=False).exclude(
        legal_purpose="none"
    ):
        last = inst.events.filter(kind="verification").order_by("-performed_on", "-id").first()
        # A failed verification (检定结果通知书) states no validity: due from its own date.
        until = (last.valid_until or last.performed_on) if last else inst.installed_on
        overdue += until < today
        due += today <= until <= today + dt.timedelta(days=30)
    assert summary.overdue == overdue and summary.due + summary.replacement == due
    assert summary.overdue >= demo_province.defects.overdue_instruments * 0.5  # the planted ones are among them


def test_cli_commands(demo_province, tmp_path, capsys):
    target = tmp_path / "ledger.xlsx"
    chart = tmp_path / "coverage.svg"
    assert run_command("coverage", "--region", "330100", "--xlsx", str(target), "--chart", str(chart), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["as_of", "target", "definitions", "regions", "gaps"]
    assert data["regions"][0]["code"] == "330100" and all(r["code"].startswith("3301") for r in data["regions"])
    assert load_workbook(target, read_only=True).worksheets[0]["A2"].value == "330100"
    assert chart.read_bytes().lstrip().startswith(b"<?xml")
    assert run_command("due", "--region", "330100", "--days", "14", "--json", "--limit", "5") == 0
    due = json.loads(capsys.readouterr().out)
    assert list(due) == ["as_of", "days", "region", "overdue", "due", "replacement", "by_region", "instruments"]
    assert len(due["instruments"]) == 5 and due["instruments"][0]["kind"] == "overdue"
    assert run_command("coverage", "--history", "2") == 0
    printed = capsys.readouterr().out
    assert "coverage ledger" in printed and "coverage of 330000 by month" in printed
    parser = load_command_class("jiliang.verification", "due").create_parser("jiliang", "due")
    assert parser.parse_args(["--days", "7"]).days == 7
