"""The pure hash chain (jiliang.core.ledger): canonical JSON, entry hashes, the walk."""

import datetime as dt
import decimal
import enum
import hashlib
import json

import pytest

from jiliang.core import ledger

T0 = dt.datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=dt.UTC)


def _entries(n):
    entries = [
        {
            "timestamp": T0 + dt.timedelta(seconds=i),
            "actor_id": 3 if i % 2 else None,
            "actor": "张三" if i % 2 else "cli:import",
            "action": "update",
            "object_type": "registry.instrument",
            "object_id": str(i % 4),
            "natural_key": f"I{i % 4:04d}",
            "old": ledger.canonical_json({"status": "in_use"}),
            "new": ledger.canonical_json({"status": "stopped", "range_max": 1.5}),
            "reason": "报废" if i % 3 == 0 else None,
            "row_digest": ledger.row_digest({"id": i % 4, "n": i}),
            "sequence": i + 1,
        }
        for i in range(n)
    ]
    return ledger.chain(entries)


def _rows(entries):
    return [tuple(e[c] for c in ledger.ENTRY_COLUMNS) for e in entries]


def test_canonical_json_is_sorted_compact_and_typed():
    value = {
        "b": dt.date(2026, 1, 2),
        "a": decimal.Decimal("1.50"),
        "c": [-0.0, float("nan"), 0.1],
        "名": "值",
        "t": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    }
    assert ledger.canonical_json(value) == (
        '{"a":"1.50","b":"2026-01-02","c":[0.0,"NaN",0.1],"t":"2026-01-01T19:04:05.000000Z","名":"值"}'
    )


def test_entry_hash_is_sha256_of_standard_json_of_the_content():
    # A third party needs only a JSON library: sorted keys, compact separators, UTF-8.
    entry = _entries(3)[2]
    content = {k: entry[k] for k in ledger.ENTRY_KEYS}
    content["old"], content["new"] = json.loads(content["old"]), json.loads(content["new"])
    content["timestamp"] = "2026-11-23T09:30:02.123456Z"
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry["entry_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert entry["previous_hash"] == _entries(2)[1]["entry_hash"]


def test_intact_chain_has_no_findings_and_tracks_latest_digests():
    entries = _entries(10)
    walker = ledger.walk(_rows(entries))
    assert walker.findings == [] and walker.count == 10
    assert walker.previous_hash == entries[-1]["entry_hash"]
    assert walker.latest["registry.instrument"]["1"] == entries[9]["row_digest"]


def test_changed_entry_is_reported_once_without_cascade():
    rows = _rows(_entries(10))
    row = list(rows[4])
    row[9] = ledger.canonical_json({"status": "in_use"})  # new values edited
    rows[4] = tuple(row)
    walker = ledger.walk(rows)
    assert [(f.kind, f.sequence) for f in walker.findings] == [("entry_changed", 5)]
    assert walker.first_broken == 5


def test_rehashed_entry_breaks_the_next_link():
    entries = _entries(10)
    entries[4]["reason"] = "forged"
    entries[4]["entry_hash"] = ledger.entry_hash(entries[4])
    walker = ledger.walk(_rows(entries))
    assert [(f.kind, f.sequence) for f in walker.findings] == [("link_broken", 6)]


def test_deleted_entries_are_a_gap():
    rows = _rows(_entries(10))
    del rows[3:5]
    walker = ledger.walk(rows)
    assert [(f.kind, f.sequence) for f in walker.findings] == [("entries_deleted", 4)]
    assert "entries 4–5" in walker.findings[0].message


def test_streaming_in_chunks_equals_one_pass():
    rows = _rows(_entries(25))
    rows[7] = rows[7][:3] + ("mallory",) + rows[7][4:]
    whole = ledger.walk(rows)
    chunked = ledger.ChainWalker()
    for start in range(0, 25, 4):
        chunked.feed(rows[start : start + 4])
    assert chunked.findings == whole.findings and chunked.previous_hash == whole.previous_hash


def test_head_comparison():
    entries = _entries(5)
    walker = ledger.walk(_rows(entries))
    walker.check_head(5, entries[-1]["entry_hash"])
    assert walker.findings == []
    walker.check_head(4, entries[3]["entry_hash"])
    assert walker.findings[-1].kind == "entries_after_head"
    walker.check_head(7, "x")
    assert walker.findings[-1].kind == "entries_missing_at_end"


def test_bad_input_names_the_field():
    with pytest.raises(ledger.LedgerError, match="timestamp"):
        ledger.iso_timestamp(dt.datetime(2026, 1, 1))
    with pytest.raises(ledger.LedgerError, match="sequence"):
        ledger.entry_hash({"sequence": 0, "timestamp": T0})
    with pytest.raises(ledger.LedgerError, match="value"):
        ledger.canonical_json({"x": object()})


def test_enum_members_are_written_as_their_value():
    # A model's status straight after assignment is a Django TextChoices member (a str enum),
    # not yet the str the database gives back: both must hash alike.
    class Status(enum.StrEnum):
        REVOKED = "revoked"

    class Level(enum.IntEnum):
        HIGH = 3

    class Plain(enum.Enum):
        A = "a"

    value = {"status": Status.REVOKED, "level": Level.HIGH, "plain": Plain.A}
    assert ledger.canonical_json(value) == '{"level":3,"plain":"a","status":"revoked"}'
    assert ledger.row_digest(value) == ledger.row_digest({"status": "revoked", "level": 3, "plain": "a"})


def test_row_values_and_digest_agree_with_the_two_definitions():
    row = {"id": 7, "code": "I0007", "range_max": 2.5, "installed_on": dt.date(2024, 5, 1), "results": [{"e": 0.1}], "ok": True}
    text, digest = ledger.row_values_and_digest(row)
    assert text == ledger.canonical_json(row) and digest == ledger.row_digest(row)
    odd = dict(row, range_min=-0.0, u=float("nan"))
    text, digest = ledger.row_values_and_digest(odd)
    assert text == ledger.canonical_json(odd) and '"range_min":0.0' in text and '"u":"NaN"' in text
    assert digest == ledger.row_digest(odd)


@pytest.mark.parametrize("damage", ["none", "edit", "delete_at_boundary", "rehash_before_boundary", "first_deleted"])
def test_ranges_walked_separately_merge_to_the_serial_walk(damage):
    entries = _entries(30)
    if damage == "rehash_before_boundary":
        entries[9]["actor"] = "mallory"
        entries[9]["entry_hash"] = ledger.entry_hash(entries[9])
    rows = _rows(entries)
    if damage == "edit":
        rows[17] = rows[17][:10] + ("forged",) + rows[17][11:]
    if damage == "delete_at_boundary":
        del rows[10:12]
    if damage == "first_deleted":
        del rows[0]
    serial = ledger.walk(rows)
    parts = []
    for start in range(0, len(rows), 10):
        part = ledger.ChainWalker(previous_hash=None, previous_sequence=None)
        part.feed(rows[start : start + 10])
        parts.append(part)
    parts.append(ledger.ChainWalker(previous_hash=None, previous_sequence=None))  # an empty range
    merged = ledger.merge_walks(parts)
    key = [(f.kind, f.sequence) for f in serial.findings]
    assert [(f.kind, f.sequence) for f in merged.findings] == key
    assert (merged.count, merged.previous_hash, merged.latest) == (serial.count, serial.previous_hash, serial.latest)
    assert bool(key) == (damage != "none")
