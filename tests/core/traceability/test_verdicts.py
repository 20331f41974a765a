"""The verdicts pages and services read (issue 24: one validity rule): an event as a
certificate on a date, and a measurement standard on a date."""

import numpy as np

from jiliang.core.traceability import STATUS_SUSPENDED, Reason, TraceabilityEngine

from .graphs import event_batch, standards_table

R = Reason


def small_chain(device_passed=True, device_until=1000, status=()):
    """Root standard 0 (device 0) → standard 1 (device 1, calibrated with 0 on day 10) →
    instrument 2 verified with standard 1 on day 20."""
    standards = standards_table(2, {0: {"devices": [0], "root": True}, 1: {"devices": [1], "status": list(status)}})
    events = event_batch(
        [
            {"item": 0, "date": 5, "until": 2000, "stds": []},
            {"item": 1, "date": 10, "until": device_until, "stds": [0], "passed": device_passed},
            {"item": 2, "date": 20, "until": 400, "stds": [1]},
        ]
    )
    return TraceabilityEngine(3, standards, events)


def test_event_flags_add_the_certificate_s_own_validity_on_the_date():
    engine = small_chain()
    rows = engine.rows_of_event_ids([1, 2])
    assert engine.event_flags(rows, 30).tolist() == [0, 0]
    assert engine.event_flags(rows, 400).tolist() == [0, int(R.EXPIRED)]  # valid_until is the last valid day - 1


def test_a_failed_device_calibration_is_flagged_and_breaks_what_it_verified():
    engine = small_chain(device_passed=False)
    device, verification = engine.rows_of_event_ids([1, 2])
    assert engine.event_flags([device], 30)[0] & R.FAILED
    assert engine.event_flags([verification], 30)[0] & R.UPSTREAM_BREAK


def test_standard_flags_read_status_history_and_devices_on_the_date():
    engine = small_chain(status=[(15, 25, STATUS_SUSPENDED)])
    assert engine.standard_flags(np.array([1]), 12).tolist() == [0]
    assert engine.standard_flags(np.array([1]), 20)[0] & R.STANDARD_SUSPENDED
    assert engine.standard_flags(np.array([1]), 30).tolist() == [0]  # restored on day 25
    expired = small_chain(device_until=18)
    assert expired.standard_flags(np.array([1]), 12).tolist() == [0]
    assert expired.standard_flags(np.array([1]), 20)[0] & R.UPSTREAM_BREAK  # its device's calibration had lapsed
    assert expired.standard_flags(np.array([0]), 20).tolist() == [0]  # a root stands on its own
