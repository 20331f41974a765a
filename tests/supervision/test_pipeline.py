"""The ingest pipeline on the database: signatures, rejections, deduplication, alerts,
routing to the region and the alert workflow."""

import json
import time

import pytest

from jiliang.supervision.telemetry import protocol, services
from jiliang.supervision.telemetry.models import Alert, CreditSignal, DeviceEvent, Reading, RejectedMessage
from jiliang.supervision.telemetry.pipeline import Pipeline, _check_fields

pytestmark = pytest.mark.django_db


def sale(device, seq, *, amount=None, ts=None):
    vol, price = 20.0, 7.94
    return protocol.encode(
        {
            "d": device.code,
            "seq": seq,
            "ts": ts or time.time(),
            "kind": "sale",
            "volume_l": vol,
            "unit_price": price,
            "amount": round(vol * price, 2) if amount is None else amount,
            "pulses": 20000,
        },
        device.key,
    )


def of_kind(fleet, kind):
    return [d for d in fleet if d.kind == kind]


def test_forged_altered_and_malformed_are_rejected_and_counted(fleet):
    dev = of_kind(fleet, "sale")[0]
    good = sale(dev, 1)
    altered = good.replace(b'"amount":158.8', b'"amount":150.8')
    assert altered != good
    forged = protocol.encode({"d": "NO-SUCH", "seq": 1, "ts": time.time(), "kind": "sale"}, "00" * 32)
    wrong_key = protocol.encode(json.loads(good.split(b"\n")[0]) | {"seq": 2}, "11" * 32)
    malformed = [
        b"not json\n" + b"0" * 64,
        b'{"d": "x"}',
        protocol.encode({"d": dev.code, "seq": 3, "ts": time.time(), "kind": "sale"}, dev.key),
    ]
    now = time.time()
    result = Pipeline().handle([(m, now) for m in [good, altered, forged, wrong_key, *malformed]])
    assert result.stored == 1
    assert result.rejected[("altered", dev.code)] == 2
    assert result.rejected[("forged", "NO-SUCH")] == 1
    assert sum(n for (reason, _), n in result.rejected.items() if reason == "malformed") == 3
    counts = {(r.reason, r.device_code): r.count for r in RejectedMessage.objects.all()}
    assert counts[("altered", dev.code)] == 2 and counts[("forged", "NO-SUCH")] == 1
    Pipeline().handle([(altered, now)])
    assert RejectedMessage.objects.get(reason="altered", device_code=dev.code).count == 3


def test_duplicates_are_stored_once(fleet):
    dev = of_kind(fleet, "sale")[1]
    ts = time.time()
    msgs = [sale(dev, s, ts=ts + s) for s in range(1, 51)]
    p = Pipeline()
    first = p.handle([(m, ts) for m in msgs + msgs[:10]])  # duplicates inside one batch
    assert (first.stored, first.duplicates) == (50, 10)
    again = Pipeline().handle([(m, ts) for m in msgs[20:]])  # redelivery after a restart
    assert (again.stored, again.duplicates) == (0, 30)
    seqs = sorted(Reading.objects.filter(device_id=dev.pk).values_list("seq", flat=True))
    assert seqs == list(range(1, 51))
    # Stored times compare with the ORM's own (raw bulk writes use its format on SQLite too).
    import datetime as dt

    since = dt.datetime.fromtimestamp(ts + 25, dt.UTC)
    assert Reading.objects.filter(device_id=dev.pk, ts__gte=since).count() == 26
    assert Reading.objects.filter(device_id=dev.pk, ts__lt=since).count() == 24


def test_non_finite_and_oversized_numbers_are_rejected_naming_the_field(fleet):
    # The fast JSON parser refuses NaN (the reference parser reads it, so the rejection
    # still names the field) and reads integers beyond 64 bits as floats.
    dev = of_kind(fleet, "sale")[0]
    ts = time.time()

    def signed(seq: bytes, amount: bytes) -> bytes:
        body = b'{"d":"%s","seq":%s,"ts":%r,"kind":"sale","volume_l":20.0,"unit_price":7.94,"amount":%s,"pulses":20000}' % (
            dev.code.encode(),
            seq,
            ts,
            amount,
        )
        return body + b"\n" + protocol.sign(body, dev.key)

    nan, huge = signed(b"1", b"NaN"), signed(str(2**70).encode(), b"158.8")
    with pytest.raises(protocol.Rejected, match="amount must be a finite number"):
        _check_fields(protocol.parse_unverified(nan))
    with pytest.raises(protocol.Rejected, match="seq must be a positive integer"):
        protocol.parse_unverified(huge)
    result = Pipeline().handle([(nan, ts), (huge, ts), (signed(b"2", b"158.8"), ts)])
    assert result.stored == 1 and result.rejected[("malformed", dev.code)] == 2
    # A counter beyond the bigint column is rejected alone instead of failing its batch.
    meter = dev  # any device reports its facts
    facts = {"d": meter.code, "ts": ts, "kind": "facts", "software_id": "V2.1", "checksum": "a1b2c3d4", "seal_intact": True}
    for make in (protocol.encode, protocol.encode_binary):
        with pytest.raises(protocol.Rejected, match="counter must fit in 64 bits"):
            _check_fields(protocol.parse_unverified(make(facts | {"seq": 3, "counter": 2**63}, meter.key)))
    result = Pipeline().handle(
        [
            (protocol.encode(facts | {"seq": 3, "counter": 2**63}, meter.key), ts),
            (protocol.encode(facts | {"seq": 4, "counter": 7}, meter.key), ts),
        ]
    )
    assert result.stored == 1 and sum(result.rejected.values()) == 1


def test_alert_evidence_keeps_the_first_messages_while_occurrences_grow(fleet):
    dev = of_kind(fleet, "sale")[3]
    now = time.time()
    p = Pipeline()
    for first, last in ((1, 15), (16, 25), (26, 28)):
        p.handle([(sale(dev, s, amount=170.00 + s, ts=now), now) for s in range(first, last + 1)])
    alert = Alert.objects.get(device=dev, rule="fuel.amount_mismatch")
    assert alert.occurrences == 28
    assert [m["seq"] for m in alert.evidence["messages"]] == list(range(1, 21))


def test_fraud_raises_one_alert_routed_to_the_region(fleet):
    dev = of_kind(fleet, "sale")[2]
    now = time.time()
    p = Pipeline()
    p.handle([(sale(dev, 1, amount=170.00, ts=now), now), (sale(dev, 2, amount=171.00, ts=now), now)])
    p.handle([(sale(dev, 3, amount=172.00, ts=now), now), (sale(dev, 4, ts=now), now)])
    alert = Alert.objects.get(device=dev, rule="fuel.amount_mismatch")
    assert alert.occurrences == 3 and [m["seq"] for m in alert.evidence["messages"]] == [1, 2, 3]
    instrument = dev.instrument
    assert (alert.region_id, alert.owner_id, alert.instrument_id) == (instrument.region_id, instrument.owner_id, instrument.pk)
    region_model = type(instrument.region)
    city = region_model.objects.get(code=instrument.region.code[:4] + "00")
    province = region_model.objects.get(code=instrument.region.code[:2] + "0000")
    other_city = region_model.objects.filter(level=city.level, code__startswith="33").exclude(pk=city.pk).first()
    for region, sees in ((instrument.region, True), (city, True), (province, True), (other_city, False)):
        assert (alert in services.alerts_in_region(region)) is sees, region.code
    assert CreditSignal.objects.get(alert=alert).outcome == "raised"


def test_stream_rules_for_each_kind(fleet):
    now = time.time()
    trip, session, reading, scale = (of_kind(fleet, k)[0] for k in ("trip", "session", "reading", "scale"))
    msgs = [
        protocol.encode(
            {
                "d": trip.code,
                "seq": 1,
                "ts": now,
                "kind": "trip",
                "metered_km": 11.5,
                "gps_km": 10.0,
                "fare": 34,
                "waiting_min": 0,
            },
            trip.key,
        ),
        protocol.encode(
            {"d": session.code, "seq": 1, "ts": now - 600, "kind": "session", "charger_kwh": 20.0, "billed_kwh": 21.0},
            session.key,
        ),
        protocol.encode({"d": reading.code, "seq": 1, "ts": now, "kind": "reading", "register": 100.0}, reading.key),
        protocol.encode({"d": reading.code, "seq": 2, "ts": now, "kind": "reading", "register": 99.0}, reading.key),
        protocol.encode({"d": scale.code, "seq": 1, "ts": now, "kind": "event", "code": "opened"}, scale.key),
        protocol.encode(
            {
                "d": scale.code,
                "seq": 2,
                "ts": now,
                "kind": "facts",
                "software_id": "V2.1",
                "checksum": "ffff0000",
                "counter": 5,
                "seal_intact": False,
            },
            scale.key,
        ),
        # The taximeter's configured K (990 pulses/km) against the verified 1000.
        protocol.encode(
            {
                "d": trip.code,
                "seq": 2,
                "ts": now,
                "kind": "facts",
                "software_id": "V2.1",
                "checksum": "a1b2c3d4",
                "counter": 1,
                "seal_intact": True,
                "k": 990.0,
            },
            trip.key,
        ),
    ]
    result = Pipeline().handle([(m, now) for m in msgs])
    rules = {(f.device, f.rule) for f in result.findings}
    assert {
        (trip.pk, "taxi.distance_ratio"),
        (session.pk, "charger.billed_energy"),
        (session.pk, "device.clock_error"),
        (reading.pk, "utility.reverse_flow"),
        (scale.pk, "scale.opened_without_unlock"),
        (scale.pk, "device.software_mismatch"),
        (scale.pk, "device.seal_broken"),
        (trip.pk, "taxi.k_value"),
    } <= rules
    assert (scale.pk, "taxi.k_value") not in rules  # no K reported
    assert (trip.pk, "taxi.fare_outlier") not in rules  # 13 + 8.5·2.5 = 34.25 → 34 yuan: the fare is right
    assert DeviceEvent.objects.filter(device_id=scale.pk, code="opened").count() == 1


def test_alert_workflow_feeds_credit(fleet, django_user_model):
    dev = of_kind(fleet, "sale")[3]
    now = time.time()
    Pipeline().handle([(sale(dev, 1, amount=1.0, ts=now), now)])
    alert = Alert.objects.get(device=dev, rule="fuel.amount_mismatch")
    inspector = django_user_model.objects.create_user("inspector", password="x" * 12)
    other = django_user_model.objects.create_user("other", password="x" * 12)
    with pytest.raises(services.WorkflowError, match="status"):
        services.close(alert.pk, inspector, findings="x", confirmed=True)
    services.take(alert.pk, inspector)
    with pytest.raises(services.WorkflowError, match="assignee"):
        services.open_case(alert.pk, other, findings="seen")
    with pytest.raises(services.WorkflowError, match="findings"):
        services.open_case(alert.pk, inspector, findings="  ")
    services.open_case(alert.pk, inspector, findings="main board replaced; amount formula altered")
    alert.refresh_from_db()
    assert alert.status == "case" and alert.closed_at is not None
    summary = services.credit_summary(alert.owner_id)
    assert summary["counts"]["case"] >= 1 and summary["score"] < 0


def test_alert_goes_to_the_nearest_administrator(fleet, django_user_model):
    Membership = pytest.importorskip("jiliang.accounts.models").Membership
    dev = of_kind(fleet, "sale")[4]
    now = time.time()
    Pipeline().handle([(sale(dev, 1, amount=1.0, ts=now), now)])
    alert = Alert.objects.get(device=dev, rule="fuel.amount_mismatch")
    region_model = type(alert.region)
    city = region_model.objects.get(code=alert.region.code[:4] + "00")
    province = region_model.objects.get(code=alert.region.code[:2] + "0000")
    prov_admin = django_user_model.objects.create_user("prov", password="x" * 12)
    Membership.objects.create(user=prov_admin, role="region_admin", region=province)
    assert services.administrators_for(alert) == [prov_admin]
    city_admin = django_user_model.objects.create_user("city", password="x" * 12)
    Membership.objects.create(user=city_admin, role="region_admin", region=city)
    assert services.administrators_for(alert) == [city_admin]


def test_binary_form_is_verified_and_stored_as_json(fleet):
    dev = of_kind(fleet, "sale")[5]
    now = time.time()
    message = {
        "d": dev.code,
        "seq": 1,
        "ts": now,
        "kind": "sale",
        "volume_l": 20.0,
        "unit_price": 7.94,
        "amount": 160.0,
        "pulses": 20000,
    }
    packed = protocol.encode_binary(message, dev.key)
    as_json = protocol.encode(message, dev.key)
    assert len(packed) * 2 < len(as_json)
    altered = packed[:-40] + bytes([packed[-40] ^ 1]) + packed[-39:]  # one bit of the pulse count
    truncated = packed[:20]
    result = Pipeline().handle([(packed, now), (altered, now), (truncated, now), (as_json, now)])
    assert result.stored == 1 and result.duplicates == 1  # the JSON form of the same (device, seq)
    assert result.rejected[("altered", dev.code)] == 1 and sum(result.rejected.values()) == 2
    stored = Reading.objects.get(device_id=dev.pk, seq=1)
    values = stored.values if isinstance(stored.values, dict) else json.loads(stored.values)
    assert values["amount"] == 160.0 and values["kind"] == "sale"
    assert {f.rule for f in result.findings} == {"fuel.amount_mismatch"}  # 20 L × 7.94 = 158.80, not 160


def test_parameter_change_must_match_a_verification_record(fleet):
    """A logged change near a verification record of the instrument is explained and
    explains one step of the event counter; a change with none is an alert, and so is a
    counter that rose further than the explained changes."""
    import datetime as dt

    from jiliang.registry.models import CalibrationEvent

    verified, unverified = of_kind(fleet, "scale")[1:3]
    now = time.time()
    today = dt.date.fromtimestamp(now)
    CalibrationEvent.objects.create(
        instrument=verified.instrument,
        performer=verified.instrument.owner,
        kind="verification",
        performed_on=today,
        valid_until=today + dt.timedelta(days=365),
        passed=True,
        certificate_number="JD-TEL-0001",
    )

    def msg(device, seq, **body):
        return protocol.encode({"d": device.code, "seq": seq, "ts": now, **body}, device.key), now

    def facts(device, seq, counter):
        return msg(device, seq, kind="facts", software_id="V2.1", checksum="a1b2c3d4", counter=counter, seal_intact=True)

    p = Pipeline()
    p.handle([facts(verified, 1, 10), facts(unverified, 1, 10)])  # the counters' starting points
    change = {"kind": "event", "code": "parameter_change", "parameter": "span", "old": 1.0, "new": 1.002}
    result = p.handle(
        [msg(verified, 2, **change), msg(unverified, 2, **change), facts(verified, 3, 11), facts(unverified, 3, 11)]
    )
    rules = {(f.device, f.rule) for f in result.findings}
    assert (unverified.pk, "device.change_without_verification") in rules
    assert (verified.pk, "device.change_without_verification") not in rules
    assert (verified.pk, "device.counter_unexplained") not in rules  # its one step is the verified change
    assert (unverified.pk, "device.counter_unexplained") in rules
    alert = Alert.objects.get(device=unverified, rule="device.change_without_verification")
    assert alert.evidence["messages"][0]["message"]["parameter"] == "span"
    # A restarted worker compares the next report with the stored counter (11), not with nothing.
    again = Pipeline().handle([facts(verified, 4, 13)])
    assert {(f.device, f.rule) for f in again.findings} == {(verified.pk, "device.counter_unexplained")}


def test_sweep_opens_silence_and_service_life_alerts_once(fleet):
    import datetime as dt

    from django.db.models import Max

    from jiliang.supervision.telemetry.models import Device

    now = Device.objects.aggregate(t=Max("registered_at"))["t"] + dt.timedelta(minutes=10)  # < 3 intervals of 300 s
    quiet, talking = of_kind(fleet, "session")[5:7]
    Device.objects.filter(pk=quiet.pk).update(last_seen=now - dt.timedelta(seconds=3 * 300 + 1))
    Device.objects.filter(pk=talking.pk).update(last_seen=now - dt.timedelta(seconds=3 * 300 - 1))
    old_meter, new_meter = of_kind(fleet, "reading")[5:7]  # water meters: 6-year service life in the catalog
    type(old_meter.instrument).objects.filter(pk=old_meter.instrument_id).update(
        installed_on=now.date() - dt.timedelta(days=round(6.1 * 365.25))
    )
    type(new_meter.instrument).objects.filter(pk=new_meter.instrument_id).update(
        installed_on=now.date() - dt.timedelta(days=round(5.9 * 365.25))
    )

    assert services.sweep(now) == {"any.silence": 1, "utility.past_service_life": 1}
    silence = Alert.objects.get(rule="any.silence")
    assert silence.device_id == quiet.pk and silence.evidence["expected_interval_s"] == 300
    assert Alert.objects.get(rule="utility.past_service_life").device_id == old_meter.pk
    assert services.sweep(now) == {}  # open alerts are not opened again
