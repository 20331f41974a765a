"""Issue 17: the register's acts (granted, extended, narrowed, revoked) on the audit ledger,
its API and pages, the administrator's reassignment of a registration, and the same
who-may-verify rule on the API, page and import paths."""

import datetime as dt
import html

import pytest
from rest_framework.test import APIClient

from jiliang.audit.models import AuditEntry
from jiliang.authorisation import services as authorisation
from jiliang.authorisation.models import Authorisation
from jiliang.registry import exchange
from jiliang.registry import models as reg
from jiliang.verification import services as verification
from jiliang.verification.errors import VerificationError
from jiliang.verification.models import Registration
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER

from .conftest import signed_in

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def p(province):
    p = province
    p.station = p.org("杭州衡器专业计量站", reg.Organisation.Kind.PROFESSIONAL_STATION, "330100", "12")
    p.scale = p.instrument("330102", PRICE_SCALE, range_=(20, 30000), accuracy="Ⅲ级")
    return p


def _api(name, **membership):
    return signed_in(APIClient(), name, **membership)


def test_the_register_through_the_api_with_its_history_on_the_ledger(p):
    city_admin = _api("hzadmin", role="region_admin", region=p.regions["330100"])
    body = {
        "number": "（杭）法计（2026）001号",
        "institution": p.station.pk,
        "issuing_authority": p.admin["330100"].pk,
        "form": "other_tasks",
        "valid_from": str(p.today - dt.timedelta(days=30)),
        "valid_until": str(p.today + dt.timedelta(days=1800)),
        "items": [{"catalog_item": p.items[PRICE_SCALE].pk, "range_min": 1, "range_max": 30000, "unit": "g"}],
        "regions": [p.regions["330102"].pk],
        "reason": "计量授权考核合格",
    }
    enterprise = _api("ent", role="enterprise_user", organisation=p.enterprise["330102"])
    assert enterprise.post("/api/authorisations/", body, format="json").status_code == 403
    ningbo = _api("nbadmin", role="region_admin", region=p.regions["330200"])
    assert ningbo.post("/api/authorisations/", body, format="json").status_code == 403  # not its administration
    created = city_admin.post("/api/authorisations/", body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    # Anyone reads the register.
    listed = APIClient().get("/api/authorisations/").json()["results"]
    assert [a["number"] for a in listed] == ["（杭）法计（2026）001号"] or "（杭）法计（2026）001号" in [
        a["number"] for a in listed
    ]
    extended = city_admin.post(
        f"/api/authorisations/{pk}/extend/",
        {"valid_until": str(p.today + dt.timedelta(days=3000)), "reason": "复查合格"},
        format="json",
    )
    assert extended.status_code == 200
    missing_reason = city_admin.post(f"/api/authorisations/{pk}/revoke/", {"reason": " "}, format="json")
    assert missing_reason.status_code == 400
    revoked = city_admin.post(f"/api/authorisations/{pk}/revoke/", {"reason": "超范围出具检定证书"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert [h["action"] for h in revoked.json()["history"]] == ["granted", "extended", "revoked"]
    entries = AuditEntry.objects.filter(object_type="authorisation.authorisation", object_id=str(pk))
    assert {e.action for e in entries} >= {"create", "update", "status_change"}
    changes = [str(i) for i in Authorisation.objects.get(pk=pk).history.values_list("id", flat=True)]
    assert AuditEntry.objects.filter(object_type="authorisation.authorisationchange", object_id__in=changes).count() == 3
    # Acts on a revoked authorisation are refused by its lifecycle.
    again = city_admin.post(f"/api/authorisations/{pk}/extend/", {"valid_until": "2099-01-01", "reason": "x"}, format="json")
    assert again.status_code in (400, 403)


def test_pages_list_and_show_the_register_and_the_administrator_acts(p, client):
    auth = p.authorise(p.station, [PRICE_SCALE], "330102")
    page = client.get("/authorisations/")
    assert page.status_code == 200 and auth.number in page.content.decode()
    detail = client.get(f"/authorisations/{auth.pk}/").content.decode()
    assert "计量授权考核合格" in detail and 'action="/authorisations/' not in detail  # no acts for the public
    signed_in(client, "hzadmin", role="region_admin", region=p.regions["330100"])
    assert 'action="/authorisations/' in client.get(f"/authorisations/{auth.pk}/").content.decode()
    response = client.post(f"/authorisations/{auth.pk}/revoke/", {"reason": "撤销授权"})
    assert response.status_code == 302
    assert Authorisation.objects.get(pk=auth.pk).status == "revoked"


def _approved(p, instrument=None):
    instrument = instrument or p.scale
    return verification.review_registration(verification.register_instrument(instrument.owner, instrument), approve=True)


def test_reassignment_is_an_audited_act_to_an_institution_that_could_legally_verify(p):
    registration = _approved(p)
    assert registration.assigned_institution == p.county_institute
    from django.contrib.auth import get_user_model

    from jiliang.policies import actor_for

    admin_user = signed_in(APIClient(), "admin", role="region_admin", region=p.regions["330102"])
    actor = actor_for(get_user_model().objects.get(username="admin"))
    with pytest.raises(VerificationError, match="reason: 改派须说明理由"):
        verification.reassign_registration(registration, p.station, "", actor)
    with pytest.raises(VerificationError, match="计量授权：杭州衡器专业计量站 未取得开展强制检定的计量授权证书"):
        verification.reassign_registration(registration, p.station, "所内标准器送检", actor)
    p.authorise(p.station, [PRICE_SCALE], "330102")
    enterprise = signed_in(APIClient(), "ent", role="enterprise_user", organisation=p.enterprise["330102"])
    url = f"/api/verification/registrations/{registration.pk}/reassign/"
    assert enterprise.post(url, {"institution": p.station.pk, "reason": "x"}, format="json").status_code == 403
    done = admin_user.post(url, {"institution": p.station.pk, "reason": "所内标准器送检"}, format="json")
    assert done.status_code == 200 and done.json()["assigned_institution"] == p.station.pk
    assert "由 上城区计量检定所 改派至 杭州衡器专业计量站：所内标准器送检" in done.json()["history"][-1]["note"]
    entry = AuditEntry.objects.filter(object_type="verification.registration", object_id=str(registration.pk)).latest("sequence")
    assert entry.reason == "所内标准器送检"
    # Now the county institute, no longer assigned, is refused.
    from jiliang.registry import services as registry

    with pytest.raises(registry.Refused, match="计量法 第九条 指定的计量检定机构"):
        registry.record_event(
            None,
            {
                "instrument": p.scale,
                "performer": p.county_institute,
                "kind": "verification",
                "performed_on": p.today - DAY,
                "valid_until": p.today + DAY * 300,
                "passed": True,
                "certificate_number": "T-REASSIGNED",
            },
        )
    assert Registration.objects.get(pk=registration.pk).assigned_institution == p.station


def test_assignment_picks_only_an_institution_authorised_for_the_item(p):
    # The county institute's designation no longer covers price scales: the city's standard can't either
    # (it holds none), so the registration is a gap rather than assigned to an unauthorised institute.
    auth = Authorisation.objects.get(institution=p.county_institute)
    authorisation.narrow(None, auth, items=[p.items[PRICE_SCALE]], on=p.today - dt.timedelta(days=5), reason="标准器停用")
    assert _approved(p).assigned_institution is None


def test_the_api_path_refuses_alike(p):
    _approved(p)
    staff = signed_in(APIClient(), "cityverifier", role="institution_staff", organisation=p.city_institute, is_verifier=True)
    body = {
        "instrument": p.scale.pk,
        "performer": p.city_institute.pk,
        "kind": "verification",
        "performed_on": str(p.today - DAY),
        "valid_until": str(p.today + DAY * 300),
        "passed": True,
        "certificate_number": "API-1",
    }
    response = staff.post("/api/events/", body, format="json")
    assert response.status_code == 400 and "计量法 第九条 指定的计量检定机构" in str(response.json()["performer"])
    assert not reg.CalibrationEvent.objects.filter(certificate_number="API-1").exists()


def test_the_page_path_refuses_alike(p, client):
    staff = [p.person(p.county_institute, n, items=[PRICE_SCALE]) for n in ("王伟", "李芳", "张敏")]
    auth = Authorisation.objects.get(institution=p.county_institute)
    authorisation.revoke(None, auth, "监督检查不合格", on=p.today - dt.timedelta(days=3))
    signed_in(client, "verifier", role="institution_staff", organisation=p.county_institute, is_verifier=True)
    form = {
        "instrument": p.scale.code,
        "standard": p.county_scale.pk,
        "performed_on": str(p.today - DAY),
        "passed": "1",
        "verifier": staff[0].pk,
        "checker": staff[1].pk,
        "approver": staff[2].pk,
        "fee": "35.00",
    }
    refused = client.post("/verification/institution/record/", form)
    assert refused.status_code == 400
    # The refusal in the page's language (zh-hans), naming the rule.
    page = html.unescape(refused.content.decode())
    assert f"计量授权：上城区计量检定所 的计量授权 {auth.number} 在 {p.today - DAY} 不在有效期内" in page


def test_the_import_path_refuses_alike(p, tmp_path):
    """An exchange file whose verification was performed outside the authorised items is
    refused as a whole, with the rule named (registry.services.stored_event_refusals)."""
    p.authorise(p.station, [SPHYGMOMANOMETER], "330100")
    reg.CalibrationEvent.objects.create(
        instrument=p.scale,
        performer=p.station,
        kind="verification",
        performed_on=p.today - DAY,
        valid_until=p.today + DAY * 300,
        passed=True,
        certificate_number="IMP-1",
    )
    exchange.export_registry(tmp_path / "a", "csv")
    from tests.registry.test_exchange import empty_registry

    empty_registry()
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths([tmp_path / "a"])
    reasons = [e.reason for e in caught.value.errors if e.table == "events"]
    assert any(
        f"实施细则 第三十条 授权范围：杭州衡器专业计量站 在 {p.today - DAY} 未获 {PRICE_SCALE} 的授权" in r for r in reasons
    ), reasons
    assert not Authorisation.objects.exists() and not reg.CalibrationEvent.objects.exists()  # all or nothing
