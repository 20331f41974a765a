"""The registry pages as each visitor sees them: the same rows and fields as the API
(issue 16, item 2), and validity as the traceability engine decides it (issue 24, item 2).
"""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from jiliang.accounts.models import Membership
from jiliang.registry import models
from jiliang.traceability import services as trace

from .test_pages import registry  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_snapshot():
    trace.forget_graph()
    yield
    trace.forget_graph()


def signed_in(client, django_user_model, name, **membership):
    user = django_user_model.objects.create_user(name, is_superuser=membership.pop("superuser", False))
    if membership:
        Membership.objects.create(user=user, **membership)
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------- one validity rule


def test_a_failed_device_verification_in_the_chain_shows_the_chain_invalid(client, django_user_model, registry):  # noqa: F811
    # The city standard's device failed its verification (检定不合格; a calibration states no
    # verdict): whatever it verified that day is not traceable. The page said "有效至
    # 2026-02-28" in green (its dates were in force).
    e2 = registry["events"][1]
    e2.kind, e2.passed, e2.recalibration_due = "verification", False, None
    e2.save()
    signed_in(client, django_user_model, "national", superuser=True)
    html = client.get(reverse("registry:instrument", args=[registry["dispenser"].pk])).content.decode()
    chain = html.split('class="chain"', 1)[1]
    assert "2026-02-28" not in chain
    assert 'data-reason="FAILED"' in chain  # the device's calibration, with the engine's reason
    assert "溯源链无效" in chain and 'data-reason="UPSTREAM_BREAK"' in chain  # the dispenser's verification
    # The event page of the dispenser's verification says the same.
    event_html = client.get(reverse("registry:event", args=[registry["events"][2].pk])).content.decode()
    assert "溯源链无效" in event_html and 'data-reason="FAILED"' in event_html


def test_a_failed_verification_is_not_shown_valid(client, django_user_model, registry):  # noqa: F811
    e3 = registry["events"][2]
    e3.passed = False
    e3.performed_on = dt.date.today() - dt.timedelta(days=10)
    e3.valid_until = None  # a 检定结果通知书 states no validity
    e3.save()
    signed_in(client, django_user_model, "national", superuser=True)
    html = client.get(reverse("registry:instrument", args=[registry["dispenser"].pk])).content.decode()
    top = html.split("<h1>", 1)[1].split("</p>", 1)[0]
    assert "有效至" not in top and "检定/校准不合格" in top


def test_a_suspended_standard_is_not_in_force_by_its_history(client, django_user_model, registry):  # noqa: F811
    standard = registry["province_standard"]
    models.StandardStatusChange.objects.create(
        standard=standard, status="active", effective_on=dt.date(2023, 1, 1), reason="考核合格"
    )
    models.StandardStatusChange.objects.create(
        standard=standard, status="suspended", effective_on=dt.date(2025, 2, 1), reason="期间核查不合格"
    )
    signed_in(client, django_user_model, "national", superuser=True)
    # On the date of the city device's calibration (2025-03-01) the provincial standard was
    # suspended, although its status today is still "active".
    html = client.get(reverse("registry:event", args=[registry["events"][1].pk])).content.decode()
    assert 'data-reason="STANDARD_SUSPENDED"' in html and "溯源链无效" in html


# ---------------------------------------------------------------------------- pages and API agree


def test_anonymous_visitors_do_not_read_private_records(client, registry):  # noqa: F811
    api = APIClient()
    dispenser, event = registry["dispenser"], registry["events"][2]
    for page, endpoint in (
        (reverse("registry:instrument", args=[dispenser.pk]), f"/api/instruments/{dispenser.pk}/"),
        (reverse("registry:event", args=[event.pk]), f"/api/events/{event.pk}/"),
        (reverse("registry:instruments"), "/api/instruments/"),
        (reverse("registry:events"), "/api/events/"),
    ):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), page
        assert api.get(endpoint).status_code == 401, endpoint


def test_an_organisation_page_shows_the_public_only_what_the_api_does(client, registry):  # noqa: F811
    station = registry["station"]
    html = client.get(reverse("registry:organisation", args=[station.pk])).content.decode()
    api = APIClient().get(f"/api/organisations/{station.pk}/").json()
    assert set(api) == {"id", "name", "kind", "region"}
    assert station.name in html and station.credit_code not in html
    # Nor its instruments (code, serial number), nor the institution's people and work.
    assert registry["dispenser"].code not in html and registry["dispenser"].serial_number not in html
    lab_html = client.get(reverse("registry:organisation", args=[registry["city_lab"].pk])).content.decode()
    assert registry["person"].name not in lab_html and "HZJL-2025-V-123456" not in lab_html


def test_a_public_standard_shows_capability_and_validity_but_not_the_devices(client, registry):  # noqa: F811
    standard = registry["city_standard"]
    html = client.get(reverse("registry:standard", args=[standard.pk])).content.decode()
    assert standard.certificate_number in html and "今日" in html  # the certificate and its verdict
    assert "0.025" in html  # the capability
    assert "DEV-C-001" not in html and "HZJL-2025-V-123456" not in html  # the device and the work done with it
    api = APIClient().get(f"/api/standards/{standard.pk}/").json()
    assert api["certificate_number"] == standard.certificate_number and api["capabilities"]


def test_an_unpublished_standard_is_hidden_from_pages_as_from_the_api(client, registry):  # noqa: F811
    standard = registry["city_standard"]
    standard.published = False
    standard.save()
    assert client.get(reverse("registry:standard", args=[standard.pk])).status_code == 404
    assert APIClient().get(f"/api/standards/{standard.pk}/").status_code == 404


def test_another_institution_gets_404_as_from_the_api(client, django_user_model, registry):  # noqa: F811
    # The province lab performed nothing on the dispenser and does not own it.
    user = django_user_model.objects.create_user("province-staff")
    Membership.objects.create(user=user, role="institution_staff", organisation=registry["province_lab"])
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    dispenser, event = registry["dispenser"], registry["events"][2]
    assert client.get(reverse("registry:instrument", args=[dispenser.pk])).status_code == 404
    assert api.get(f"/api/instruments/{dispenser.pk}/").status_code == 404
    assert client.get(reverse("registry:event", args=[event.pk])).status_code == 404
    assert api.get(f"/api/events/{event.pk}/").status_code == 404
    # Its own device and the calibration it performed are open to it.
    assert client.get(reverse("registry:event", args=[registry["events"][1].pk])).status_code == 200


def test_the_owner_reads_its_instrument_and_its_verification(client, django_user_model, registry):  # noqa: F811
    user = django_user_model.objects.create_user("station-user")
    Membership.objects.create(user=user, role="enterprise_user", organisation=registry["station"])
    client.force_login(user)
    html = client.get(reverse("registry:instrument", args=[registry["dispenser"].pk])).content.decode()
    assert registry["dispenser"].serial_number in html and "HZJL-2025-V-123456" in html
    # The chain above: the city device belongs to the city lab, so it is named without a link.
    chain = html.split('class="chain"', 1)[1]
    assert "DEV-C-001" not in chain and "标准器" in chain
