"""Issue 17: who may perform a mandatory verification (强制检定), and who may sign it.

Each refusal names its rule: a laboratory (计量法 第二十条); an authorised institution
outside its items, range, dates or area (实施细则 第三十条, 计量授权管理办法 第四条); not
the institution the registration assigned (计量法 第九条); a signer not registered with the
institution (注册计量师职业资格制度规定 第十四条), without a 项目考核 for the item, on an
expired 检定员证, or an approver who is no authorised signatory (JJF 1069-2012)."""

import datetime as dt

import pytest
from django.utils import translation

from jiliang.registry import models as reg
from jiliang.registry import services as registry
from jiliang.verification import services as verification
from jiliang.verification.errors import RefusedRecording
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def p(province):
    p = province
    K = reg.Organisation.Kind
    p.station = p.org("杭州衡器专业计量站", K.PROFESSIONAL_STATION, "330100", "12")
    p.lab = p.org("上城校准检测有限公司", K.LABORATORY, "330102", "91")
    p.scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    return p


def _event(p, performer, instrument=None, on=None, person=None):
    return {
        "instrument": instrument or p.scale,
        "performer": performer,
        "person": person,
        "kind": "verification",
        "performed_on": on or p.today - DAY,
        "valid_until": p.today + dt.timedelta(days=300),
        "passed": True,
        "certificate_number": f"T-{performer.pk}-{(on or p.today).isoformat()}-{reg.CalibrationEvent.objects.count()}",
    }


def _refused(p, performer, **kwargs) -> str:
    before = reg.CalibrationEvent.objects.count()
    with pytest.raises(registry.Refused) as info:
        registry.record_event(None, _event(p, performer, **kwargs))
    assert reg.CalibrationEvent.objects.count() == before
    return str(info.value)


def test_a_laboratory_may_not_perform_mandatory_verification(p):
    assert "计量法 第二十条：上城校准检测有限公司 既不是法定计量检定机构" in _refused(p, p.lab)
    # A calibration of the same instrument is not mandatory verification: no authorisation needed.
    calibration = {**_event(p, p.lab), "kind": "calibration", "passed": None, "valid_until": None}
    assert registry.record_event(None, calibration).pk


def test_an_institution_without_authorisation_is_refused(p):
    assert "计量授权：杭州衡器专业计量站 未取得开展强制检定的计量授权证书" in _refused(p, p.station)


def test_authorised_institution_outside_its_items(p):
    p.authorise(p.station, [SPHYGMOMANOMETER], "330100")
    assert f"实施细则 第三十条 授权范围：杭州衡器专业计量站 在 {p.today - DAY} 未获 {PRICE_SCALE} 的授权" in _refused(
        p, p.station
    )


def test_the_refusal_speaks_the_active_language(p):
    """The same refusal in Chinese (the default) and in English, the rule named first in both."""
    assert "计量法 第二十条：上城校准检测有限公司 既不是法定计量检定机构，也未获授权开展强制检定" in _refused(p, p.lab)
    with translation.override("en"):
        english = _refused(p, p.lab)
    assert (
        "计量法 第二十条: 上城校准检测有限公司 is not a legal metrology institute nor authorised to perform mandatory verification"
        in english
    )


def test_authorised_institution_outside_its_range(p):
    p.authorise(p.station, [PRICE_SCALE], "330100", ranges={PRICE_SCALE: (1, 15000)})
    message = _refused(p, p.station)
    assert (
        f"实施细则 第三十条 授权范围：杭州衡器专业计量站 获授权的 {PRICE_SCALE} 测量范围为 1–15000 g，不含 20–30000 g" in message
    )
    light = p.instrument("330102", PRICE_SCALE, range_=(20, 6000), accuracy="Ⅲ级")
    assert registry.record_event(None, _event(p, p.station, instrument=light)).performer == p.station


def test_authorised_institution_outside_its_dates(p):
    auth = p.authorise(p.station, [PRICE_SCALE], "330100", valid_from=p.today - dt.timedelta(days=100))
    message = _refused(p, p.station, on=p.today - dt.timedelta(days=200))
    assert f"计量授权：杭州衡器专业计量站 的计量授权 {auth.number} 在 {p.today - dt.timedelta(days=200)} 不在有效期内" in message
    from jiliang.authorisation import services as authorisation

    authorisation.revoke(None, auth, "监督检查不合格", on=p.today - dt.timedelta(days=10))
    assert f"已于 {p.today - dt.timedelta(days=10)} 撤销" in _refused(p, p.station, on=p.today - dt.timedelta(days=5))
    # Work done before the revocation stays lawful.
    assert registry.record_event(None, _event(p, p.station, on=p.today - dt.timedelta(days=20))).pk


def test_authorised_institution_outside_its_area(p):
    # A Hangzhou station authorised for Xihu only: Shangcheng lies in its city but outside its area.
    p.authorise(p.station, [PRICE_SCALE], "330106")
    message = _refused(p, p.station)
    assert "计量授权管理办法 第四条 授权区域：330102 不在 杭州衡器专业计量站 的授权区域内" in message
    xihu = p.instrument("330106", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    assert registry.record_event(None, _event(p, p.station, instrument=xihu)).pk


def test_narrowing_is_judged_on_the_date_of_the_work(p):
    from jiliang.authorisation import services as authorisation
    from jiliang.authorisation.models import AuthorisationChange

    auth = p.authorise(p.station, [PRICE_SCALE, SPHYGMOMANOMETER], "330100")
    authorisation.narrow(None, auth, items=[p.items[PRICE_SCALE]], on=p.today - dt.timedelta(days=30), reason="标准器停用")
    assert f"未获 {PRICE_SCALE} 的授权" in _refused(p, p.station)
    assert registry.record_event(None, _event(p, p.station, on=p.today - dt.timedelta(days=40))).pk
    assert list(auth.history.values_list("action", flat=True)) == [AuthorisationChange.Action.GRANTED, "narrowed"]


def test_not_the_assigned_institution(p):
    registration = verification.review_registration(verification.register_instrument(p.scale.owner, p.scale), approve=True)
    assert registration.assigned_institution == p.county_institute
    # The city institute is authorised for the item in its city, which holds the county: still not assigned.
    message = _refused(p, p.city_institute)
    assert f"计量法 第九条 指定的计量检定机构：{p.scale.code} 的备案指定由 上城区计量检定所 检定" in message
    with translation.override("en"):
        english = _refused(p, p.city_institute)
    assert f"计量法 第九条 指定的计量检定机构: {p.scale.code} is assigned by its registration to 上城区计量检定所" in english
    assert registry.record_event(None, _event(p, p.county_institute)).pk


def _staff(p, org, name, **quals):
    """A person of ``org`` with the given qualifications: kind=(item code or None, valid_until)."""
    person = reg.Person.objects.create(name=name, organisation=org)
    for n, (kind, (code, until)) in enumerate(quals.items()):
        reg.Qualification.objects.create(
            person=person,
            kind=kind.rstrip("_"),
            catalog_item=p.items[code] if code else None,
            organisation=org if kind.rstrip("_") in ("metrologist_1", "metrologist_2", "signatory") else None,
            certificate_number=f"{name}-{n}",
            valid_from=p.today - dt.timedelta(days=1500),
            valid_until=until,
        )
    return person


def _record(p, people, on=None):
    return verification.record_verification(p.scale, p.county_institute, p.county_scale, on or p.today - DAY, True, *people)


def test_signers_are_registered_metrologists_of_the_institution_with_the_item_assessment(p):
    later = p.today + dt.timedelta(days=500)
    verifier = _staff(p, p.county_institute, "王伟", metrologist_2=(None, later), item_assessment=(PRICE_SCALE, later))
    checker = _staff(p, p.county_institute, "李芳", metrologist_1=(None, later), item_assessment=(PRICE_SCALE, later))
    approver = _staff(p, p.county_institute, "张敏", metrologist_1=(None, later), signatory=(None, later))
    record = _record(p, [verifier, checker, approver])
    assert record.event.person == verifier

    def refusal(people):
        with pytest.raises(RefusedRecording) as info:
            _record(p, people)
        return str(info.value)

    # Registered with another institution (注册单位): the city institute.
    elsewhere = _staff(p, p.county_institute, "赵强", item_assessment=(PRICE_SCALE, later))
    reg.Qualification.objects.create(
        person=elsewhere,
        kind="metrologist_2",
        organisation=p.city_institute,
        certificate_number="Z-1",
        valid_from=p.today - dt.timedelta(days=100),
        valid_until=later,
    )
    assert ("verifier: 注册计量师职业资格制度规定 第十四条：赵强 是注册在其他单位的注册计量师，不在 上城区计量检定所") in refusal(
        [elsewhere, checker, approver]
    )
    # Registered here, but no 项目考核 for the item.
    untested = _staff(p, p.county_institute, "孙丽", metrologist_2=(None, later), item_assessment=(SPHYGMOMANOMETER, later))
    assert f"checker: 注册计量师职业资格制度规定 第十四条(四) 计量专业项目考核：孙丽 未通过 {PRICE_SCALE}" in refusal(
        [verifier, untested, approver]
    )
    # The approver must be an authorised signatory (授权签字人) of the institution.
    assert "approver: JJF 1069-2012 授权签字人：李芳 不是 上城区计量检定所 对" in refusal([verifier, approver, checker])
    # An old 检定员证 for the item signs until its end date, not after.
    legacy = _staff(p, p.county_institute, "周杰", verifier=(PRICE_SCALE, p.today - dt.timedelta(days=10)))
    assert f"verifier: 计量检定人员管理办法 检定员证：周杰 的 {PRICE_SCALE} 检定员证已于" in refusal([legacy, checker, approver])
    legacy_valid = _staff(p, p.county_institute, "吴涛", verifier=(PRICE_SCALE, later))
    # (another day: one result per instrument and day, registry.event.unique)
    assert _record(p, [legacy_valid, checker, approver], on=p.today - 2 * DAY).event.person == legacy_valid
