"""Recording verification results: certificate or notice of non-conformity, three qualified
signatories, and every refusal (standard lapsed, suspended, untraceable, out of range;
signatory unqualified, expired, or signing twice)."""

import datetime as dt

import pytest
from django.utils import translation

from jiliang.audit.services import audit_context
from jiliang.registry import models as reg
from jiliang.verification import fitness, services
from jiliang.verification.errors import RefusedRecording
from jiliang.verification.models import VerificationRecord
from jiliang.verification.scheduling import with_due_dates
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER, WATER_METER

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(province):
    p = province
    p.staff = [p.person(p.county_institute, name, items=[PRICE_SCALE]) for name in ("王伟", "李芳", "张敏")]
    p.scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    return p


def _record(p, on=None, passed=True, standard=None, people=None, instrument=None):
    verifier, checker, approver = people or p.staff
    return services.record_verification(
        instrument or p.scale,
        p.county_institute,
        standard or p.county_scale,
        on or p.today - dt.timedelta(days=1),
        passed,
        verifier,
        checker,
        approver,
        fee="35.00",
    )


def _due(instrument):
    return with_due_dates().get(pk=instrument.pk).due_on


def test_pass_gives_a_certificate_and_moves_the_due_date(lab):
    p = lab
    assert _due(p.scale) == p.scale.installed_on  # never verified: due from installation
    on = p.today - dt.timedelta(days=40)
    record = _record(p, on=on)
    assert record.document == "certificate" and record.number.startswith(f"JDZS{on.year}-")
    event = record.event
    assert (event.kind, event.passed, event.certificate_number, event.person) == ("verification", True, record.number, p.staff[0])
    assert list(event.standards_used.all()) == [p.county_scale]
    # PRICE_SCALE is verified every 12 months: valid to the day before the anniversary.
    assert event.valid_until == services.add_months(on, 12) - dt.timedelta(days=1)
    assert _due(p.scale) == event.valid_until
    assert services.add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)


def test_fail_gives_a_notice_of_nonconformity_and_makes_it_due_at_once(lab):
    p = lab
    _record(p, on=p.today - dt.timedelta(days=100))
    failed = _record(p, passed=False)
    assert failed.document == "nonconformity" and failed.number.startswith("JDTZ")
    assert _due(p.scale) == p.today - dt.timedelta(days=1)


def test_first_only_item_is_valid_to_the_end_of_its_service_life(lab):
    p = lab
    meter = p.instrument("330102", WATER_METER, range_=(0, 99999), accuracy="2级")
    std = p.standard(p.county_institute, "county", "330102", "容量", 0, 1e6, items=[WATER_METER], u=0.001)
    people = [p.person(p.county_institute, n, items=[WATER_METER]) for n in ("赵一", "钱二", "孙三")]
    on = p.today - dt.timedelta(days=3)
    record = _record(p, on=on, standard=std, people=people, instrument=meter)
    assert record.event.valid_until == services.add_months(on, 12 * 6)  # water meters: 6 years, then replaced


def _refusal(p, **kwargs) -> str:
    before = reg.CalibrationEvent.objects.count()
    with pytest.raises(RefusedRecording) as info:
        _record(p, **kwargs)
    assert reg.CalibrationEvent.objects.count() == before and not VerificationRecord.objects.exists()
    return str(info.value)


def test_refused_when_one_person_signs_twice(lab):
    p = lab
    message = _refusal(p, people=[p.staff[0], p.staff[0], p.staff[2]])
    assert "checker: 王伟 已作为检定员签字：检定员、核验员和批准人须为三个不同的人" in message
    with translation.override("en"):  # the same refusal in English
        english = _refusal(p, people=[p.staff[0], p.staff[0], p.staff[2]])
    assert "checker: 王伟 already signs as Verifier: verifier, checker and approver must be three different people" in english


def test_refused_when_a_signatory_is_unqualified_or_expired(lab):
    p = lab
    unqualified = p.person(p.county_institute, "周杰", items=[SPHYGMOMANOMETER])
    assert f"approver: JJF 1069-2012 授权签字人：周杰 不是 上城区计量检定所 对 {PRICE_SCALE}" in _refusal(
        p, people=[*p.staff[:2], unqualified]
    )
    lapsed = p.person(
        p.county_institute,
        "吴涛",
        items=[PRICE_SCALE],
        valid_from=p.today - dt.timedelta(days=900),
        valid_until=p.today - dt.timedelta(days=10),
    )
    assert f"checker: 计量检定人员管理办法 检定员证：吴涛 的 {PRICE_SCALE} 检定员证已于" in _refusal(
        p, people=[p.staff[0], lapsed, p.staff[2]]
    )
    outsider = p.person(p.city_institute, "郑明", items=[PRICE_SCALE])
    assert "verifier: 郑明 不是 上城区计量检定所 的人员" in _refusal(p, people=[outsider, *p.staff[1:]])


def test_refused_when_the_standard_certificate_has_lapsed(lab):
    p = lab
    std = p.county_scale
    std.valid_from, std.valid_until = p.today - dt.timedelta(days=1500), p.today - dt.timedelta(days=30)
    std.save()
    assert f"计量标准考核证书 {std.certificate_number} 在 {p.today - dt.timedelta(days=1)} 不在有效期内" in _refusal(p)


def test_refused_when_the_standard_is_suspended_on_that_date(lab):
    p = lab
    reg.StandardStatusChange.objects.create(
        standard=p.county_scale, status="suspended", effective_on=p.today - dt.timedelta(days=10), reason="期间核查不合格"
    )
    with audit_context(reason="期间核查不合格"):
        p.county_scale.status = "suspended"
        p.county_scale.save()
    assert f"计量标准在 {p.today - dt.timedelta(days=2)} 的状态为“暂停”" in _refusal(p, on=p.today - dt.timedelta(days=2))
    # Before the suspension it was fit: a verification done then is still recorded.
    assert fitness.standard_fit_for(p.county_scale, p.scale, p.today - dt.timedelta(days=20)) == []


def test_refused_when_the_standard_is_not_traceable(lab):
    p = lab
    reg.CalibrationEvent.objects.filter(instrument__standard=p.county_scale).update(
        recalibration_due=p.today - dt.timedelta(days=5)
    )
    assert "没有有效的检定或校准，不能溯源" in _refusal(p)


def test_refused_when_a_break_above_the_standard_makes_it_untraceable(lab):
    p = lab
    # The county scale standard's device was recalibrated 50 days ago with a provincial mass
    # standard that had been suspended 60 days ago: the engine finds the break above it.
    upper = p.standard(p.province_institute, "province", "330000", "质量", 1, 50000, items=[], u=0.00001)
    reg.StandardStatusChange.objects.create(
        standard=upper, status="suspended", effective_on=p.today - dt.timedelta(days=60), reason="期间核查不合格"
    )
    device = p.county_scale.devices.get()
    p.calibrate(device, p.today - dt.timedelta(days=50), days_valid=365, standard=upper)
    assert f"标准器 {device.code} 在" in _refusal(p) and "不能溯源（standard suspended）" in _refusal(p)
    with translation.override("en"):  # the same refusal in English
        assert f"standard device {device.code} is not traceable on" in _refusal(p) and "(standard suspended)" in _refusal(p)
    # Before that calibration the device's chain was whole: a verification done then is fit.
    assert fitness.standard_fit_for(p.county_scale, p.scale, p.today - dt.timedelta(days=70)) == []


def test_refused_when_the_standard_was_not_yet_approved(lab):
    p = lab
    # A standard approved only 5 days ago (its first status change), used for a verification
    # dated before that: refused, whatever its certificate dates say.
    late = p.standard(
        p.county_institute,
        "county",
        "330102",
        "质量",
        1,
        30000,
        items=[PRICE_SCALE],
        u=0.0001,
        valid_from=p.today - dt.timedelta(days=5),
    )
    late.valid_from = p.today - dt.timedelta(days=30)
    late.save()
    assert "尚未考核合格" in _refusal(p, standard=late, on=p.today - dt.timedelta(days=10))
    assert fitness.standard_fit_for(late, p.scale, p.today - dt.timedelta(days=2)) == []


def test_refused_when_the_item_is_outside_the_standards_range(lab):
    p = lab
    heavy = p.instrument("330102", PRICE_SCALE, range_=(20, 60000), accuracy="Ⅲ级")
    assert "测量范围 1–30000 g 不能覆盖 20–60000" in _refusal(p, instrument=heavy)
    bp = p.instrument("330102", SPHYGMOMANOMETER, range_=(0, 40))
    assert f"计量标准考核批准的项目为 {PRICE_SCALE}，不含 {SPHYGMOMANOMETER}" in _refusal(p, instrument=bp)


def test_relative_mpe_parsing():
    assert fitness.relative_mpe("±0.3%") == pytest.approx(0.003)
    assert fitness.relative_mpe("1.5级") == pytest.approx(0.015)
    assert fitness.relative_mpe("0.01级") is None  # a pH meter's class is an absolute error
    assert fitness.relative_mpe("Ⅲ级") is None and fitness.relative_mpe("±0.5 kPa") is None


def test_refused_on_an_instrument_outside_the_institutions_area(lab):
    # 上城区's institute may not verify a scale in 宁波 (issue 16: the same reach as every event write).
    p = lab
    far = p.instrument("330203", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    assert "计量授权管理办法 第四条 授权区域：330203 不在 上城区计量检定所 的授权区域内" in _refusal(p, instrument=far)
