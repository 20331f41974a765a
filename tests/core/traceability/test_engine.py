"""Hand-built graphs whose answers are known by reading them."""

import numpy as np
import pytest

from jiliang.core.traceability import (
    DATE_MAX,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
    EventBatch,
    Reason,
    StandardsTable,
    TraceabilityEngine,
    TraceabilityInputError,
    describe,
)

from .graphs import event_batch, standards_table

R = Reason


def deep_chain(depth=5, middle_until=DATE_MAX):
    """Root standard 0 (device 0) -> standard k (device k) calibrated with k-1 ... ->
    instrument `depth + 1` verified with standard `depth` on day 100 + depth."""
    standards = {0: {"devices": [0], "root": True}}
    events = []
    for k in range(1, depth + 1):
        standards[k] = {"devices": [k]}
        until = middle_until if k == depth // 2 + 1 else DATE_MAX
        events.append({"item": k, "date": 100 + k - 1, "until": until, "stds": [k - 1], "uncertainty": 0.1 * k})
    events.append({"item": depth + 1, "date": 100 + depth, "until": 500, "stds": [depth], "ratio": 4.0})
    return TraceabilityEngine(depth + 2, standards_table(depth + 1, standards), event_batch(events))


def test_deep_chain_is_valid_and_ordered_up_to_the_primary_standard():
    engine = deep_chain(depth=6)
    v = engine.validity_at(200)
    assert bool(v.valid[7]) and v.flags[7] == 0
    chain = engine.chain(7, 200)
    assert chain.valid
    assert [link.item for link in chain.links] == [7, 6, 5, 4, 3, 2, 1]
    assert [link.depth for link in chain.links] == list(range(7))
    assert [link.standards for link in chain.links] == [(6,), (5,), (4,), (3,), (2,), (1,), (0,)]
    assert chain.links[-1].roots == (True,)
    assert [link.parent for link in chain.links] == [-1, 0, 1, 2, 3, 4, 5]
    assert chain.links[1].uncertainty == pytest.approx(0.6)
    assert not any(link.is_break for link in chain.links)
    # Before the instrument's verification it has no event; after 500 it expired.
    assert engine.validity_at(105).flags[7] == R.NO_EVENT
    assert engine.validity_at(500).flags[7] == R.EXPIRED


def test_expired_middle_link_breaks_only_events_after_it_expired():
    # Device 4 (standard 4, the middle of a 6-deep chain) was calibrated on day 103,
    # valid until 104: standard 5's device was calibrated with it on day 104, too late.
    engine = deep_chain(depth=6, middle_until=104)
    v = engine.validity_at(200)
    assert not v.valid[7]
    assert v.flags[7] == R.UPSTREAM_BREAK
    # The nearest break: instrument 7 <- device 6 <- device 5, whose event used standard 4
    # whose device 4 had expired: two links above the instrument's own event.
    assert (v.break_kind[7], v.break_index[7], v.break_depth[7]) == (0, 4, 2)
    assert v.flags[5] == R.UPSTREAM_BREAK and v.break_depth[5] == 0
    assert v.flags[4] == R.EXPIRED and v.break_index[4] == 4
    assert v.valid[3]
    chain = engine.chain(7, 200)
    broken = [link for link in chain.links if link.is_break]
    assert [link.item for link in broken] == [4]
    assert broken[0].flags & R.EXPIRED


def test_diamond_with_one_good_and_one_broken_branch():
    # Standard 1 has two devices, 1 and 2. Device 1 traces through standard 2 (device 3)
    # to root 0; device 2 goes to the same root through standard 3 (device 4), which
    # failed its calibration. Instrument 5 uses standard 1: the diamond is broken.
    standards = {0: {"devices": [0], "root": True}, 1: {"devices": [1, 2]}, 2: {"devices": [3]}, 3: {"devices": [4]}}
    events = [
        {"item": 3, "date": 10, "stds": [0]},
        {"item": 4, "date": 10, "stds": [0], "passed": False},
        {"item": 1, "date": 20, "stds": [2]},
        {"item": 2, "date": 20, "stds": [3]},
        {"item": 5, "date": 30, "until": 400, "stds": [1]},
        {"item": 6, "date": 30, "until": 400, "stds": [2]},  # the good half alone
    ]
    engine = TraceabilityEngine(7, standards_table(4, standards), event_batch(events))
    v = engine.validity_at(40)
    assert v.valid[6] and not v.valid[5]
    assert v.flags[5] == R.UPSTREAM_BREAK
    assert (v.break_kind[5], v.break_index[5], v.break_depth[5]) == (0, 4, 1)
    chain = engine.chain(5, 40)
    assert sorted(link.item for link in chain.links) == [1, 2, 3, 4, 5]
    assert [link.item for link in chain.links if link.is_break] == [4]


def test_both_branches_of_a_diamond_reach_the_same_device():
    # Standards 1 and 2 share device 3: the instrument's chain visits it twice, once per path.
    standards = {0: {"devices": [0], "root": True}, 1: {"devices": [1]}, 2: {"devices": [2]}, 3: {"devices": [3]}}
    events = [
        {"item": 3, "date": 1, "stds": [0]},
        {"item": 1, "date": 2, "stds": [3]},
        {"item": 2, "date": 2, "stds": [3]},
        {"item": 4, "date": 3, "until": 50, "stds": [1, 2]},
    ]
    engine = TraceabilityEngine(5, standards_table(4, standards), event_batch(events))
    assert engine.validity_at(10).valid[4]
    chain = engine.chain(4, 10)
    assert [link.item for link in chain.links] == [4, 1, 2, 3, 3]


def test_assessment_lapsed_between_two_events():
    # Standard 1's assessment certificate ran out on day 100 and was renewed on day 120.
    standards = {0: {"devices": [0], "root": True}, 1: {"devices": [1], "approvals": [(0, 100), (120, 1500)]}}
    events = [
        {"item": 1, "date": 5, "stds": [0]},
        {"item": 2, "date": 90, "until": 455, "stds": [1]},
        {"item": 3, "date": 110, "until": 475, "stds": [1]},
        {"item": 4, "date": 130, "until": 495, "stds": [1]},
    ]
    engine = TraceabilityEngine(5, standards_table(2, standards), event_batch(events))
    v = engine.validity_at(200)
    assert list(v.valid[2:]) == [True, False, True]
    assert v.flags[3] == R.STANDARD_NOT_APPROVED
    assert (v.break_kind[3], v.break_index[3]) == (1, 1)
    assert describe(v.flags[3]) == ["STANDARD_NOT_APPROVED"]


def test_suspended_and_cancelled_standard():
    standards = {
        0: {"devices": [0], "root": True},
        1: {"devices": [1], "status": [(50, 60, STATUS_SUSPENDED), (200, DATE_MAX, STATUS_CANCELLED)]},
    }
    events = [{"item": 1, "date": 5, "stds": [0]}] + [
        {"item": 2 + k, "date": d, "until": d + 365, "stds": [1]} for k, d in enumerate((55, 70, 210))
    ]
    engine = TraceabilityEngine(5, standards_table(2, standards), event_batch(events))
    v = engine.validity_at(300)
    assert list(v.flags[2:]) == [R.STANDARD_SUSPENDED, 0, R.STANDARD_CANCELLED]


def test_failed_range_warning_and_events_without_standard():
    standards = {0: {"devices": [0], "root": True}}
    events = [
        {"item": 1, "date": 5, "stds": [0], "passed": False},
        {"item": 2, "date": 5, "stds": [0], "range_ok": False},
        {"item": 3, "date": 5, "stds": [0], "ratio": 2.5},
        {"item": 4, "date": 5, "stds": [0], "ratio": 2.5, "required": 2.0},
        {"item": 5, "date": 5, "stds": []},
    ]
    batch = event_batch(events)
    batch = EventBatch(**{**batch.__dict__, "required_ratio": np.array([3, 3, 3, 2, 3.0])})
    engine = TraceabilityEngine(6, standards_table(1, standards), batch)
    v = engine.validity_at(10)
    assert list(v.flags[1:]) == [R.FAILED, R.RANGE_NOT_COVERED, R.WARN_UNCERTAINTY_RATIO, 0, R.NO_STANDARD]
    # A warning alone leaves the item traceable.
    assert list(v.valid[1:]) == [False, False, True, True, False]


def test_cycle_in_the_data():
    # Devices 1 and 2 calibrated each other on day 10 (standards 1 and 2): a cycle.
    standards = {1: {"devices": [1]}, 2: {"devices": [2]}, 0: {"devices": [0], "root": True}}
    events = [
        {"item": 1, "date": 10, "stds": [2]},
        {"item": 2, "date": 10, "stds": [1]},
        {"item": 3, "date": 20, "until": 300, "stds": [1]},
        {"item": 4, "date": 20, "until": 300, "stds": [0]},
    ]
    engine = TraceabilityEngine(5, standards_table(3, standards), event_batch(events))
    v = engine.validity_at(30)
    assert v.flags[3] == R.CYCLE | R.UPSTREAM_BREAK
    assert (v.break_kind[3], v.break_index[3], v.break_depth[3]) == (0, 1, 1)
    assert v.flags[1] == R.CYCLE | R.UPSTREAM_BREAK and v.break_depth[1] == 0
    assert v.valid[4]
    chain = engine.chain(3, 30)  # terminates, and says where the loop closes
    assert chain.links[-1].flags & R.CYCLE


def test_self_calibration_is_a_cycle():
    standards = {0: {"devices": [0]}}
    engine = TraceabilityEngine(1, standards_table(1, standards), event_batch([{"item": 0, "date": 1, "stds": [0]}]))
    assert engine.validity_at(5).flags[0] == R.CYCLE | R.UPSTREAM_BREAK


def chain_for_impact():
    """Root 0 -> standard 1 (device 1, calibrated days 0 and 100) -> standard 2 (device 2,
    calibrated with 1 on days 50 and 150) -> instruments 3..6 verified on 60, 120, 160, 200."""
    standards = {0: {"devices": [0], "root": True}, 1: {"devices": [1]}, 2: {"devices": [2]}}
    events = [
        {"item": 1, "date": 0, "stds": [0]},
        {"item": 1, "date": 100, "stds": [0]},
        {"item": 2, "date": 50, "stds": [1]},
        {"item": 2, "date": 150, "stds": [1]},
    ]
    events += [{"item": 3 + k, "date": d, "stds": [2]} for k, d in enumerate((60, 120, 160, 200))]
    return TraceabilityEngine(7, standards_table(3, standards), event_batch(events))


def test_impact_window_cuts_the_chain_in_the_middle():
    engine = chain_for_impact()
    owner = np.array([9, 9, 9, 7, 7, 8, 8])
    region = np.array(["110000"] * 3 + ["110101", "110102", "110101", "110101"])
    impact = engine.impact(1, 40, 120, item_owner=owner, item_region=region)
    # Only device 2's day-50 calibration falls in the window; it was standard 2's
    # current calibration from day 50 to 150, so the instruments of days 60 and 120 are
    # in doubt, not those of 160 and 200.
    got = sorted(zip(impact.event_ids.tolist(), impact.depth.tolist(), impact.items.tolist()))
    assert got == [(2, 0, 2), (4, 1, 3), (5, 1, 4)]
    parent_ids = engine.event_id[impact.parent[impact.depth == 1]]
    assert parent_ids.tolist() == [2, 2]
    assert impact.by_owner == {7: (2, 2), 9: (1, 1)}
    assert impact.by_region.as_dict() == {"110000": (1, 1), "110101": (1, 1), "110102": (1, 1)}
    assert impact.by_region["110102"] == (1, 1) and "120000" not in impact.by_region
    assert sorted(impact.by_owner) == [7, 9] and len(impact.by_owner) == 2
    # A window that starts after the second calibration reaches the later instruments.
    assert sorted(engine.impact(1, 140, 365).event_ids.tolist()) == [3, 6, 7]


def test_default_window_runs_from_the_last_good_calibration():
    engine = chain_for_impact()
    assert engine.default_window(2, 170) == (150, 170)


def test_out_of_tolerance_and_revocation_refresh_the_stored_verdicts():
    engine = chain_for_impact()
    assert engine.validity_at(210).valid[3:].all()
    refreshed = engine.mark_out_of_tolerance(1, 40, 120)
    assert sorted(engine.event_id[refreshed].tolist()) == [2, 4, 5]
    v = engine.validity_at(210)
    assert list(v.valid[3:]) == [False, False, True, True]
    assert v.flags[3] == R.UPSTREAM_BREAK and v.break_index[3] == 1 and v.break_kind[3] == 1
    engine.revoke_events(engine.rows_of_event_ids([3]))  # device 2's day-150 certificate
    v = engine.validity_at(210)
    assert list(v.valid[3:]) == [False, False, False, False]
    assert v.flags[2] == R.REVOKED and v.break_index[5] == 2


def test_appended_events_are_found_and_late_entries_refresh_later_events():
    engine = chain_for_impact()
    # A new instrument event, and a late-entered failed calibration of device 2 on day 155
    # that becomes standard 2's current calibration for the day-160 and day-200 events.
    rows = engine.append_events(
        event_batch([{"item": 0, "date": 300, "stds": [2]}, {"item": 2, "date": 155, "stds": [1], "passed": False}], first_id=8)
    )
    assert engine.event_id[rows].tolist() == [8, 9]
    v = engine.validity_at(310)
    assert list(v.valid[3:]) == [True, True, False, False]
    assert v.valid[0] is np.False_ and v.flags[0] == R.UPSTREAM_BREAK
    assert engine.current_events(np.array([2]), np.array([156])).tolist() == rows[1:].tolist()


def test_bad_input_names_the_field():
    standards = standards_table(1, {0: {"devices": [0], "root": True}})
    with pytest.raises(TraceabilityInputError, match="event_item"):
        TraceabilityEngine(2, standards, event_batch([{"item": 5, "date": 1, "stds": [0]}]))
    with pytest.raises(TraceabilityInputError, match="event_valid_until"):
        TraceabilityEngine(2, standards, event_batch([{"item": 1, "date": 10, "until": 5, "stds": [0]}]))
    with pytest.raises(TraceabilityInputError, match="event_standard_indices"):
        TraceabilityEngine(2, standards, event_batch([{"item": 1, "date": 1, "stds": [3]}]))
    with pytest.raises(TraceabilityInputError, match="device_indptr"):
        TraceabilityEngine(2, StandardsTable(1, [0, 2], [0], [True], [], [], []), event_batch([]))
    with pytest.raises(TraceabilityInputError, match="status_code"):
        TraceabilityEngine(2, StandardsTable(1, [0, 1], [0], [True], [], [], [], [0], [1], [5], [7]), event_batch([]))
    engine = TraceabilityEngine(2, standards, event_batch([]))
    with pytest.raises(TraceabilityInputError, match="standard"):
        engine.impact(3, 0, 10)
    with pytest.raises(TraceabilityInputError, match="item"):
        engine.chain(9, 0)
    assert engine.validity_at(0).flags.tolist() == [R.NO_EVENT, R.NO_EVENT]


def test_primary_standard_devices_need_nothing_above_them():
    standards = {0: {"devices": [0], "root": True}, 1: {"devices": [1]}}
    events = [{"item": 0, "date": 1, "until": 400, "stds": []}, {"item": 1, "date": 1, "until": 400, "stds": []}]
    engine = TraceabilityEngine(2, standards_table(2, standards), event_batch(events))
    v = engine.validity_at(10)
    assert list(v.flags) == [0, R.NO_STANDARD]


def test_event_ids_default_to_positions_in_the_batch():
    standards = standards_table(1, {0: {"devices": [0], "root": True}})
    batch = event_batch([{"item": 2, "date": 5, "stds": [0]}, {"item": 1, "date": 3, "stds": [0], "uncertainty": 0.5}])
    plain = EventBatch(**{**batch.__dict__, "event_id": None, "uncertainty": None})
    engine = TraceabilityEngine(3, standards, plain)
    assert engine.event_id[engine.current_events(np.array([1, 2]), np.array([9, 9]))].tolist() == [1, 0]
    rows = engine.append_events(EventBatch(**{**batch.__dict__, "event_id": None}))
    assert engine.event_id[rows].tolist() == [2, 3]
    assert engine.chain(1, 9).links[0].uncertainty == 0.5
    assert np.isnan(engine.chain(2, 9).links[0].uncertainty)


def test_region_summary_counts_shares_and_top_reasons():
    from jiliang.core.traceability import validity_summary

    engine = deep_chain(depth=6, middle_until=104)  # items 0..7; 4 expired, 5..7 broken above
    v = engine.validity_at(200)
    region = np.array(["A", "A", "A", "A", "B", "B", "B", "B"])
    summary = validity_summary(v, region)
    # Region A: item 0 has no event, 1-3 are traceable. Region B: 4 expired, 5-7 upstream break.
    assert summary["A"] == {"items": 4, "traceable": 3, "share": 0.75, "reasons": [("NO_EVENT", 1)]}
    assert summary["B"]["traceable"] == 0
    assert summary["B"]["reasons"] == [("UPSTREAM_BREAK", 3), ("EXPIRED", 1)]
    with pytest.raises(TraceabilityInputError, match="groups"):
        validity_summary(v, region[:3])


def test_impact_groups_count_events_and_distinct_items():
    engine = chain_for_impact()
    engine.append_events(event_batch([{"item": 3, "date": 130, "stds": [2]}], first_id=8))
    owner = np.array([9, 9, 9, 7, 7, 8, 8])
    impact = engine.impact(1, 40, 120, item_owner=owner)
    assert sorted(impact.event_ids.tolist()) == [2, 4, 5, 8]
    assert impact.by_owner.as_dict() == {7: (3, 2), 9: (1, 1)}
    assert impact.by_region is None
