"""The array engine against the plain recursive reference (reference.py) on random graphs."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiliang.core.traceability import TraceabilityEngine

from .graphs import event_batch, standards_table
from .reference import Reference

DAYS = 24


@st.composite
def graphs(draw):
    n_items = draw(st.integers(1, 7))
    n_std = draw(st.integers(1, 4))
    standards = {}
    for s in range(n_std):
        spec = {
            "devices": draw(st.lists(st.integers(0, n_items - 1), max_size=2, unique=True)),
            "root": draw(st.booleans()),
        }
        if draw(st.booleans()):
            spec["approvals"] = [
                tuple(sorted(draw(st.tuples(st.integers(0, DAYS), st.integers(0, DAYS))))) for _ in range(draw(st.integers(0, 2)))
            ]
        spec["status"] = [
            (f, f + draw(st.integers(0, 10)), draw(st.integers(0, 2))) for f in draw(st.lists(st.integers(0, DAYS), max_size=2))
        ]
        spec["oot"] = [(f, f + draw(st.integers(0, 6))) for f in draw(st.lists(st.integers(0, DAYS), max_size=1))]
        standards[s] = spec
    events = []
    for _ in range(draw(st.integers(0, 12))):
        date = draw(st.integers(0, DAYS))
        events.append(
            {
                "item": draw(st.integers(0, n_items - 1)),
                "date": date,
                "until": date + draw(st.integers(0, 15)),
                "passed": draw(st.sampled_from([True, True, True, False])),
                "range_ok": draw(st.sampled_from([True, True, True, False])),
                "ratio": draw(st.sampled_from([float("nan"), 2.0, 4.0])),
                "revoked": draw(st.sampled_from([False, False, False, True])),
                "stds": draw(st.lists(st.integers(0, n_std - 1), max_size=2, unique=True)),
            }
        )
    return n_items, n_std, standards, events


def stored_by_id(engine):
    """{event id: (flags, (depth, kind, index) or None)} from the engine's stored verdicts."""
    from jiliang.core.traceability.reasons import split_location

    depth, kind, index = split_location(engine.best)
    out = {}
    for row in range(engine.n_events):
        where = None if kind[row] < 0 else (int(depth[row]), int(kind[row]), int(index[row]))
        out[int(engine.event_id[row])] = (int(engine.flags[row]), where)
    return out


def assert_same_as_reference(engine, ref, n_items):
    stored = stored_by_id(engine)
    for row in range(len(ref.events)):
        assert stored[row] == ref.verdict(row), f"event {row}"
    for day in (0, 7, 13, DAYS, DAYS + 9):
        v = engine.validity_at(day)
        some = np.arange(n_items)[::2]
        part = engine.validity_at(day, some)  # the per-item search path agrees with the full scan
        assert np.array_equal(part.flags, v.flags[some]) and np.array_equal(part.break_index, v.break_index[some])
        for item in range(n_items):
            valid, flags, where = ref.validity(item, day)
            got = (
                bool(v.valid[item]),
                int(v.flags[item]),
                None if v.break_kind[item] < 0 else (int(v.break_depth[item]), int(v.break_kind[item]), int(v.break_index[item])),
            )
            assert got == (valid, flags, where), f"item {item} at {day}"


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graphs())
def test_validity_and_stored_verdicts_match_reference(graph):
    n_items, n_std, standards, events = graph
    engine = TraceabilityEngine(n_items, standards_table(n_std, standards), event_batch(events))
    assert_same_as_reference(engine, Reference(n_items, standards, events), n_items)
    # Events already ordered by (item, date), as a loader would send them, take the
    # no-copy path and give the same verdicts.
    order = sorted(range(len(events)), key=lambda r: (events[r]["item"], events[r]["date"]))
    batch = event_batch([events[r] for r in order])
    batch = type(batch)(**{**batch.__dict__, "event_id": np.array(order, dtype=np.int64)})
    presorted = TraceabilityEngine(n_items, standards_table(n_std, standards), batch)
    assert stored_by_id(presorted) == stored_by_id(engine)


@SETTINGS
@given(graphs(), st.integers(0, 3), st.integers(0, DAYS), st.integers(0, 8))
def test_impact_matches_reference(graph, s, d1, width):
    n_items, n_std, standards, events = graph
    s = s % n_std
    engine = TraceabilityEngine(n_items, standards_table(n_std, standards), event_batch(events))
    impact = engine.impact(s, d1, d1 + width)
    got = {int(i): int(d) for i, d in zip(impact.event_ids, impact.depth)}
    assert got == Reference(n_items, standards, events).impact(s, d1, d1 + width)
    rows = {int(r): int(d) for r, d in zip(impact.events, impact.depth)}
    for row, parent in zip(impact.events, impact.parent):
        if parent >= 0:  # the parent is one level up and really is upstream of the event
            assert rows[int(parent)] == rows[int(row)] - 1
            assert int(row) in set(engine.dependents([parent])[0].tolist())


@SETTINGS
@given(graphs(), st.data())
def test_incremental_refresh_equals_rebuild(graph, data):
    n_items, n_std, standards, events = graph
    split = data.draw(st.integers(0, len(events)))
    engine = TraceabilityEngine(n_items, standards_table(n_std, standards), event_batch(events[:split]))
    if data.draw(st.booleans()):  # fold appends straight into the base arrays
        for index in (engine._by_item, engine._by_device, engine._by_standard):
            index.min_delta, index.merge_fraction = 0, 0.0
    engine.append_events(event_batch(events[split:], first_id=split))
    ref = Reference(n_items, standards, events)
    assert_same_as_reference(engine, ref, n_items)
    # Revoke some events and mark a standard out of tolerance: same answers as the reference.
    if events:
        revoke = data.draw(st.lists(st.integers(0, len(events) - 1), max_size=2, unique=True))
        engine.revoke_events(engine.rows_of_event_ids(revoke))
        for r in revoke:
            events[r]["revoked"] = True
    s = data.draw(st.integers(0, n_std - 1))
    d1 = data.draw(st.integers(0, DAYS))
    d2 = d1 + data.draw(st.integers(0, 5))
    engine.mark_out_of_tolerance(s, d1, d2)
    ref = Reference(n_items, standards, events, oot=[(s, d1, d2 + 1)])
    assert_same_as_reference(engine, ref, n_items)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_leaf_verdicts_by_search_match_reference(graph):
    """Events nothing depends on are solved from a (standard, day) table; when that table
    would be too wide the engine searches the timeline instead: same verdicts."""
    from jiliang.core.traceability import engine as engine_module

    n_items, n_std, standards, events = graph
    wide, engine_module._DENSE_TABLE = engine_module._DENSE_TABLE, 0
    try:
        engine = TraceabilityEngine(n_items, standards_table(n_std, standards), event_batch(events))
        assert_same_as_reference(engine, Reference(n_items, standards, events), n_items)
    finally:
        engine_module._DENSE_TABLE = wide
