"""Calibration (校准) and verification (检定) apart (issue 17): what each kind may state, the
rule named in every refusal, and how long a calibration counts as a link in a chain."""

import datetime as dt

import numpy as np
import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from jiliang.core.identifiers import make_credit_code
from jiliang.core.traceability import Reason
from jiliang.registry import graph, models, services, validity

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def rows(reference_data):
    region = models.Region.objects.get(code="330106")
    institute = models.Organisation.objects.create(
        name="西湖区计量检定所", kind="legal_institute", region=region, credit_code=make_credit_code("12330106000000001")
    )
    # Not under mandatory verification: only the rules of this issue apply to its events.
    gauge = models.Instrument.objects.create(code="G-1", name="压力表", owner=institute, region=region)
    return {"region": region, "institute": institute, "gauge": gauge}


def _event(rows, **values):
    base = dict(instrument=rows["gauge"], performer=rows["institute"], performed_on=D(2025, 5, 1), certificate_number="E-1")
    return models.CalibrationEvent(**{**base, **values})


def _refusals(rows, **values) -> list[tuple[str, str]]:
    with pytest.raises(services.Refused) as refused:
        services.check_event(None, _event(rows, **values), ())
    return refused.value.reasons


def test_a_calibration_with_a_verdict_is_refused_with_the_rule_named(rows):
    reasons = _refusals(rows, kind="calibration", passed=True)
    assert ("passed", f"{services.RULE_CALIBRATION_NO_VERDICT}：校准不给出合格或不合格的结论") in reasons


def test_the_reason_speaks_the_active_language(rows):
    """The same refusal in Chinese (the default) and English, the rule first in both."""
    with translation.override("en"):
        english = _refusals(rows, kind="calibration", passed=True)
    assert ("passed", f"{services.RULE_CALIBRATION_NO_VERDICT}: a calibration (校准) states no verdict (合格/不合格)") in english


def test_a_calibration_with_a_validity_is_refused_with_the_rule_named(rows):
    reasons = _refusals(rows, kind="calibration", valid_until=D(2026, 4, 30))
    assert [field for field, _ in reasons] == ["valid_until"]
    assert reasons[0][1].startswith(services.RULE_CALIBRATION_NO_VERDICT) and "建议复校日期" in reasons[0][1]


def test_a_failed_verification_with_a_validity_is_refused_with_the_rule_named(rows):
    reasons = _refusals(rows, kind="verification", passed=False, valid_until=D(2026, 4, 30))
    assert reasons == [
        (
            "valid_until",
            f"{services.RULE_VERIFICATION_VERDICT}：检定不合格出具检定结果通知书，不给有效期",
        )
    ]


def test_a_passed_verification_without_a_validity_is_refused_with_the_rule_named(rows):
    reasons = _refusals(rows, kind="verification", passed=True)
    assert reasons == [("valid_until", f"{services.RULE_VERIFICATION_VERDICT}：检定合格出具检定证书，须给出有效期至")]


def test_a_verification_carries_no_recalibration_date_and_a_calibration_none_before_its_day(rows):
    reasons = _refusals(rows, kind="verification", passed=True, valid_until=D(2026, 4, 30), recalibration_due=D(2026, 4, 30))
    assert [f for f, _ in reasons] == ["recalibration_due"] and reasons[0][1].startswith(services.RULE_CALIBRATION_NO_VERDICT)
    assert [f for f, _ in _refusals(rows, kind="calibration", recalibration_due=D(2025, 5, 1))] == ["recalibration_due"]


def test_what_each_kind_may_state_is_written(rows):
    services.record_event(None, dict(kind="calibration", performed_on=D(2025, 5, 1), certificate_number="C-1", **_who(rows)))
    services.record_event(
        None,
        dict(
            kind="calibration",
            performed_on=D(2025, 4, 30),  # another day: one result per instrument, kind and day
            recalibration_due=D(2026, 5, 1),
            certificate_number="C-2",
            **_who(rows),
        ),
    )
    services.record_event(
        None, dict(kind="verification", passed=False, performed_on=D(2025, 5, 2), certificate_number="V-1", **_who(rows))
    )
    stored = dict(models.CalibrationEvent.objects.values_list("certificate_number", "recalibration_due"))
    assert stored == {"C-1": None, "C-2": D(2026, 5, 1), "V-1": None}
    # A failed verification (检定结果通知书) ends the instrument's validity on its own date.
    rows["gauge"].refresh_from_db()
    assert rows["gauge"].verified_until == D(2025, 5, 2)


def _who(rows):
    return {"instrument": rows["gauge"], "performer": rows["institute"]}


@pytest.mark.parametrize(
    "values, constraint",
    [
        ({"kind": "calibration", "passed": False}, "calibration_has_no_verdict_nor_validity"),
        ({"kind": "calibration", "valid_until": D(2026, 4, 30)}, "calibration_has_no_verdict_nor_validity"),
        ({"kind": "verification", "passed": False, "valid_until": D(2026, 4, 30)}, "verification_validity_only_when_passed"),
        ({"kind": "verification", "passed": True}, "verification_validity_only_when_passed"),
    ],
)
def test_the_database_refuses_what_the_rule_refuses(rows, values, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _event(rows, **values).save()


def test_the_constraint_message_names_the_rule(rows):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        _event(rows, kind="calibration", valid_until=D(2026, 4, 30)).validate_constraints()
    assert "JJF 1071-2010" in str(raised.value)


# -- how long a calibration counts in a chain (registry.graph.good_until_days) ----------


def _days(*dates):
    return np.array([graph.to_day(d) if d else graph.NO_DAY for d in dates], np.int64)


def test_good_until_rule_by_kind():
    performed = _days(D(2024, 1, 31), D(2024, 1, 31), D(2024, 1, 31), D(2024, 3, 1), D(2024, 3, 1))
    until = graph.good_until_days(
        np.array([True, True, True, False, False]),
        performed,
        _days(None, None, None, D(2025, 2, 28), None),  # a passed verification's 有效期至; a failed one: none
        _days(D(2024, 6, 30), None, None, None, None),  # the customer's recalibration date
        np.array([12, 6, 0, 0, 0]),  # the standard's plan (0: not a standard's device)
        3,  # the deployment's default
    )
    last_good = [graph.from_day(d - 1) for d in until.tolist()]
    assert last_good == [
        D(2024, 6, 30),  # the recalibration date asked for, inclusive
        D(2024, 7, 30),  # the standard's plan: six months, the day before
        D(2024, 4, 29),  # neither: the default (three months here)
        D(2025, 2, 28),  # a verification: its validity
        D(2024, 3, 1),  # a failed verification: its own day
    ]


def test_a_chain_through_a_calibrated_standard_uses_the_standards_recalibration_plan(rows):
    region, institute = rows["region"], rows["institute"]
    field = models.MetrologyField.objects.order_by("id").first()
    standard = models.MeasurementStandard.objects.create(
        name="压力标准装置",
        tier="enterprise",
        holder=institute,
        field=field,
        certificate_number="[2023]浙量标杭证字第001号",
        issuing_department=institute,
        valid_from=D(2023, 1, 1),
        valid_until=D(2027, 12, 31),
        recalibration_months=6,
    )
    device = models.Instrument.objects.create(code="S-1", name="活塞式压力计", owner=institute, region=region, standard=standard)
    calibration = models.CalibrationEvent.objects.create(
        instrument=device,
        performer=institute,
        kind="calibration",
        performed_on=D(2024, 1, 10),
        external_source="中国计量科学研究院",
        certificate_number="NIM-2024-001",
    )
    verification = models.CalibrationEvent.objects.create(
        instrument=rows["gauge"],
        performer=institute,
        kind="verification",
        passed=True,
        performed_on=D(2024, 9, 15),  # eight months after the device's calibration
        valid_until=D(2025, 9, 14),
        certificate_number="V-2024-001",
    )
    models.EventStandard.objects.create(event=verification, standard=standard)
    validity.forget_graph()

    def verdict():
        return validity.item_verdicts([rows["gauge"].pk], D(2024, 10, 1))[rows["gauge"].pk]

    def reasons():
        return {r["code"] for r in verdict()["reasons"]}

    # Recalibrated every six months: the device's calibration had lapsed on 2024-07-09.
    assert not verdict()["valid"] and Reason.UPSTREAM_BREAK.name in reasons()
    assert validity.good_until([calibration.pk]) == {calibration.pk: D(2024, 7, 9)}
    # A twelve-month plan covers the day (the standard's change rebuilds the snapshot).
    standard.recalibration_months = 12
    standard.save()
    assert verdict()["valid"], reasons()
    # A recalibration date on the certificate (the customer asked for one) comes first.
    calibration.recalibration_due = D(2024, 8, 31)
    calibration.save()
    assert not verdict()["valid"] and Reason.UPSTREAM_BREAK.name in reasons()
    assert validity.good_until([calibration.pk]) == {calibration.pk: D(2024, 8, 31)}
