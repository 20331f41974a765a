"""The demo province: realistic shape, deterministic for a seed, and its planted defects."""

import datetime as dt
import hashlib

import pytest
from django.db.models import F, Max

from jiliang.registry import demo, models, validity

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield demo.generate(instruments=2000, seed=7, as_of=AS_OF)


@pytest.fixture
def province(generated, db):
    return generated


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for queryset in (
        models.Instrument.objects.order_by("code").values_list(
            "code", "catalog_item__code", "owner__credit_code", "installed_on", "legal_purpose"
        ),
        models.CalibrationEvent.objects.order_by("certificate_number").values_list(
            "certificate_number", "instrument__code", "performed_on", "valid_until", "passed"
        ),
        models.MeasurementStandard.objects.order_by("certificate_number").values_list(
            "certificate_number", "holder__credit_code", "valid_until", "status"
        ),
    ):
        for row in queryset:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_same_seed_same_province(province):
    first = _fingerprint()
    demo.clear_registry()
    demo.generate(instruments=2000, seed=7, as_of=AS_OF)
    assert _fingerprint() == first
    demo.clear_registry()
    demo.generate(instruments=2000, seed=8, as_of=AS_OF)
    assert _fingerprint() != first


def test_shape_of_the_province(province):
    assert province.instruments == 2000
    assert models.Instrument.objects.filter(standard__isnull=True).count() == 2000
    # Real GB/T 2260 codes: Hangzhou's Xihu district sits under Hangzhou under Zhejiang.
    xihu = models.Region.objects.get(code="330106")
    assert (xihu.name, xihu.parent.code, xihu.parent.parent.code) == ("西湖区", "330100", "330000")
    assert models.Region.objects.filter(code__startswith="33", level="city").count() == 11
    kinds = set(models.Organisation.objects.values_list("kind", flat=True))
    assert kinds == {k.value for k in models.Organisation.Kind}
    public = models.MeasurementStandard.objects.filter(tier="public")
    assert set(public.values_list("level", flat=True)) == {"province", "city", "county"}
    assert public.values("field").distinct().count() == 10  # all ten metrology fields
    # Five years of history, up to the as-of date.
    span = models.CalibrationEvent.objects.aggregate(last=Max("performed_on"))
    assert span["last"] <= AS_OF
    assert models.CalibrationEvent.objects.filter(performed_on__lt=AS_OF - dt.timedelta(days=4 * 365)).exists()


def test_every_working_event_names_its_standard_and_chains_reach_a_primary_standard(province):
    working = models.CalibrationEvent.objects.filter(instrument__standard__isnull=True)
    assert not working.filter(standard_links__isnull=True).exists()
    # Walk up from a county-verified instrument: county → city → province → primary standard.
    event = working.filter(standards_used__level="county").select_related("instrument").first()
    standard = event.standards_used.get()
    levels = [standard.level]
    for _ in range(6):
        upstream_event = models.CalibrationEvent.objects.filter(instrument__standard=standard).order_by("-performed_on").first()
        if upstream_event.primary_standard_id:
            levels.append("primary")
            break
        standard = upstream_event.standards_used.get()
        levels.append(standard.level)
    assert levels[-1] == "primary"
    assert levels[:2] in (["county", "city"], ["county", "province"])


def test_planted_defects_are_present(province):
    d = province.defects
    # Lapsed assessment certificates, still marked active.
    lapsed = models.MeasurementStandard.objects.filter(certificate_number__in=d.lapsed_standards)
    assert lapsed.count() == 3
    assert all(s.status == "active" and s.valid_until < AS_OF for s in lapsed)
    # A suspended standard, with the dated status change that says why.
    suspended = models.MeasurementStandard.objects.get(certificate_number=d.suspended_standard)
    assert suspended.status == "suspended"
    assert suspended.status_changes.filter(status="suspended", effective_on__lt=AS_OF).exists()
    # A broken chain: the standard's devices have no calibration valid today, yet it fed others.
    broken = models.MeasurementStandard.objects.get(certificate_number=d.broken_chain_standard)
    calibrations = models.CalibrationEvent.objects.filter(instrument__standard=broken).values_list("id", flat=True)
    assert max(validity.good_until(calibrations).values()) < AS_OF
    assert models.EventStandard.objects.filter(standard=broken).exists()
    # A standard found out of tolerance: its device's latest verification failed (检定不合格).
    faulty = models.MeasurementStandard.objects.get(certificate_number=d.out_of_tolerance_standard)
    latest = models.CalibrationEvent.objects.filter(instrument__standard=faulty).order_by("-performed_on").first()
    assert latest.passed is False and latest.performed_on.isoformat() == d.out_of_tolerance_found_on
    assert models.EventStandard.objects.filter(standard=faulty).exists()
    # Overdue instruments (超期未检): in use, periodic, latest verification expired.
    assert d.overdue_instruments > 0
    latest_valid = models.Instrument.objects.filter(
        standard__isnull=True, status="in_use", catalog_item__management_mode="periodic"
    ).annotate(until=Max("events__valid_until"))
    assert latest_valid.filter(until__lt=AS_OF).count() >= d.overdue_instruments * 0.8
    # Coverage gaps: county/catalog pairs no county or city public standard covers.
    assert d.coverage_gaps


def test_generate_refuses_a_non_empty_registry_and_bad_sizes(province):
    with pytest.raises(ValueError, match="not empty"):
        demo.generate(instruments=2000, seed=1, as_of=AS_OF)
    with pytest.raises(ValueError, match="instruments"):
        demo.generate(instruments=10, seed=1, as_of=AS_OF)


def test_cli_generate_errors_are_one_line(province, capsys):
    from jiliang.cli import main

    assert main(["generate", "--instruments", "2000", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jiliang: error:") and "--replace" in err and "Traceback" not in err


def test_standards_are_assessed_by_the_level_above_and_counties_have_gaps(province):
    """Issue 17 §6–7: no county bureau certifies its own county's highest standard (计量法实施细则
    第八条): every demo standard passes the rule; counties cover only some items themselves."""
    from jiliang.registry import services

    standards = models.MeasurementStandard.objects.select_related("holder__region", "issuing_department__region")
    assert all(not services.standard_refusals(s) for s in standards)
    county = standards.filter(level="county")
    assert county.exists() and not county.filter(issuing_department__region=F("holder__region")).exists()
    province_std = standards.filter(level="province").first()
    assert province_std.issuing_department.name == "国家市场监督管理总局" and province_std.catalog_items.exists()
