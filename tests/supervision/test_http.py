"""The HTTP upload path and the inspector's alert page."""

import html
import time

import pytest

from jiliang.supervision.telemetry import protocol
from jiliang.supervision.telemetry.models import Alert, Reading

pytestmark = [pytest.mark.django_db]


def test_upload_stores_signed_messages_and_rejects_altered(client, fleet):
    dev = next(d for d in fleet if d.kind == "session")
    now = time.time()
    good = protocol.encode(
        {"d": dev.code, "seq": 7, "ts": now, "kind": "session", "charger_kwh": 20.0, "billed_kwh": 23.0}, dev.key
    )
    bad = good.replace(b'"billed_kwh":23.0', b'"billed_kwh":20.0')
    resp = client.post("/telemetry/upload/", data=good + b"\n" + bad + b"\n" + good, content_type="text/plain")
    assert resp.status_code == 200
    body = resp.json()
    assert body["stored"] == 1 and body["duplicates"] == 1 and body["rejected"] == {f"altered:{dev.code}": 1}
    assert Reading.objects.filter(device_id=dev.pk, seq=7).count() == 1
    assert client.post("/telemetry/upload/", data=good.split(b"\n")[0], content_type="text/plain").status_code == 400


def test_inspector_takes_and_closes_an_alert_on_the_page(client, fleet, django_user_model):
    from jiliang.accounts.models import Membership

    dev = next(d for d in fleet if d.kind == "session")
    now = time.time()
    msg = protocol.encode(
        {"d": dev.code, "seq": 8, "ts": now, "kind": "session", "charger_kwh": 10.0, "billed_kwh": 12.0}, dev.key
    )
    client.post("/telemetry/upload/", data=msg, content_type="text/plain")
    alert = Alert.objects.get(device=dev, rule="charger.billed_energy")
    admin = django_user_model.objects.create_user("admin-county", password="x" * 12)
    Membership.objects.create(user=admin, role="region_admin", region=alert.region)
    outsider = django_user_model.objects.create_user("admin-elsewhere", password="x" * 12)
    elsewhere = type(alert.region).objects.filter(level="city").exclude(code__startswith=alert.region.code[:4]).first()
    Membership.objects.create(user=outsider, role="region_admin", region=elsewhere)

    client.force_login(outsider)
    assert client.get(f"/telemetry/alerts/{alert.pk}/").status_code == 404
    assert alert.pk not in [a["id"] for a in client.get("/telemetry/alerts/?format=json").json()["results"]]

    client.force_login(admin)
    assert alert.pk in [a["id"] for a in client.get("/telemetry/alerts/?status=new&format=json").json()["results"]]
    listing = client.get("/telemetry/alerts/?status=new").content.decode()
    assert f"/telemetry/alerts/{alert.pk}/" in listing and "充电桩计费电量大于计量电量" in listing
    page = client.get(f"/telemetry/alerts/{alert.pk}/")
    assert page.status_code == 200 and "charger.billed_energy" in page.content.decode()
    assert '"billed_kwh": 12.0' in html.unescape(page.content.decode())  # the evidence: the message itself
    assert client.post(f"/telemetry/alerts/{alert.pk}/", {"action": "take"}).status_code == 302
    assert client.post(f"/telemetry/alerts/{alert.pk}/", {"action": "close", "findings": ""}).status_code == 400
    client.post(f"/telemetry/alerts/{alert.pk}/", {"action": "close", "findings": "billing software fixed", "confirmed": "1"})
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.assignee == admin
    assert set(alert.credit_signals.values_list("outcome", flat=True)) == {"raised", "confirmed"}
    # The owner's credit from alert outcomes, on the page: raised −0.1, confirmed −1.
    assert '<span class="tl-score">-1.1</span>' in client.get(f"/telemetry/alerts/{alert.pk}/").content.decode()


def test_an_auditor_reads_alerts_but_cannot_work_them(client, fleet, django_user_model):
    from jiliang.accounts.models import Membership

    dev = next(d for d in fleet if d.kind == "session")
    msg = protocol.encode(
        {"d": dev.code, "seq": 9, "ts": time.time(), "kind": "session", "charger_kwh": 10.0, "billed_kwh": 12.0}, dev.key
    )
    client.post("/telemetry/upload/", data=msg, content_type="text/plain")
    alert = Alert.objects.get(device=dev, rule="charger.billed_energy")
    auditor = django_user_model.objects.create_user("auditor", password="x" * 12)
    Membership.objects.create(user=auditor, role="auditor", region=alert.region)
    client.force_login(auditor)
    page = client.get(f"/telemetry/alerts/{alert.pk}/").content.decode()
    assert 'value="take"' not in page
    assert client.post(f"/telemetry/alerts/{alert.pk}/", {"action": "take"}).status_code == 403
    alert.refresh_from_db()
    assert alert.status == "new"


def test_upload_takes_one_binary_message(client, fleet):
    dev = next(d for d in fleet if d.kind == "reading")
    msg = protocol.encode_binary({"d": dev.code, "seq": 11, "ts": time.time(), "kind": "reading", "register": 12.5}, dev.key)
    resp = client.post("/telemetry/upload/", data=msg, content_type="application/octet-stream")
    assert resp.json()["stored"] == 1
    assert Reading.objects.get(device_id=dev.pk, seq=11).values["register"] == 12.5
