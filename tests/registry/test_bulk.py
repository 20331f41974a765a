"""Bulk writes (jiliang.registry.bulk.write_columns): what goes in comes back out, on both
databases; on PostgreSQL through the binary COPY encoder (jiliang.pgcopy), both its
fixed-width record path and its scattered path for rows of different widths."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection

from jiliang import pgcopy
from jiliang.registry import bulk

pytestmark = pytest.mark.django_db

COLUMNS = ["id", "code", "note", "on_day", "passed", "reading", "doc"]


@pytest.fixture
def scratch_table():
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bulk_scratch (id bigint, code varchar(20), note text, on_day date, passed boolean, "
            f"reading double precision, doc {json_type})"
        )
    yield "bulk_scratch"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bulk_scratch")


def _read_back(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY id")
        rows = cursor.fetchall()
    as_date = lambda v: v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(v)  # noqa: E731
    as_json = lambda v: v if v is None or not isinstance(v, str) else __import__("json").loads(v)  # noqa: E731
    return [(r[0], r[1], r[2], as_date(r[3]), None if r[4] is None else bool(r[4]), r[5], as_json(r[6])) for r in rows]


def test_rows_of_different_widths_with_nulls_unicode_and_control_characters(scratch_table):
    columns = [
        np.array([3, 1, 2]),
        ["JL-3", "JL-1", None],
        ["制表\t符", "line\nbreak", "back\\slash"],
        ["2026-11-23", None, dt.date(1999, 12, 31)],
        [True, None, False],
        [1.25, -0.5, None],
        ['{"k": [1, 2]}', "[]", None],
    ]
    assert bulk.write_columns(scratch_table, COLUMNS, columns) == 3
    assert _read_back(scratch_table) == [
        (1, "JL-1", "line\nbreak", None, None, -0.5, []),
        (2, None, "back\\slash", dt.date(1999, 12, 31), False, None, None),
        (3, "JL-3", "制表\t符", dt.date(2026, 11, 23), True, 1.25, {"k": [1, 2]}),
    ]


def test_constant_width_rows_from_arrays(scratch_table):
    n = 1000
    ids = np.arange(1, n + 1)
    days = np.datetime64("2020-01-01") + (ids % 400).astype("timedelta64[D]")
    columns = [ids, [f"JL{i:06d}" for i in ids.tolist()], [""] * n, days, ids % 3 == 0, ids / 8, ["[]"] * n]
    assert bulk.write_columns(scratch_table, COLUMNS, columns) == n
    rows = _read_back(scratch_table)
    assert len(rows) == n
    assert rows[0] == (1, "JL000001", "", dt.date(2020, 1, 2), False, 0.125, [])
    assert rows[-1] == (n, f"JL{n:06d}", "", dt.date(2020, 1, 1) + dt.timedelta(days=n % 400), n % 3 == 0, n / 8, [])


def test_the_encoder_writes_fixed_records_only_when_every_row_has_the_same_width():
    constant = pgcopy.encode_rows([np.array([1, 2]), ["ab", "cd"], [None, None]], ["bigint", "text", "bigint"])
    # per row: field count (2) + id (4 + 8) + text (4 + 2) + NULL (4)
    assert len(constant) == 2 * (2 + 12 + 6 + 4)
    assert constant[:2] == b"\x00\x03" and constant[2:6] == b"\x00\x00\x00\x08"
    assert constant[20:24] == b"\xff\xff\xff\xff"  # the NULL's length word
    varying = pgcopy.encode_rows([np.array([1, 2]), ["a", "bcd"], [None, 5]], ["bigint", "text", "bigint"])
    assert len(varying) == (2 + 12 + 5 + 4) + (2 + 12 + 7 + 12)


def test_an_unsupported_type_is_named():
    with pytest.raises(pgcopy.UnsupportedType, match="numeric"):
        pgcopy.encode_rows([[1]], ["numeric"])


def test_pipelined_writes_arrive_in_order_and_match_direct_writes(scratch_table):
    batches = [np.arange(start, start + 500) for start in range(1, 3001, 500)]
    with bulk.PipelinedWriter(in_flight=2) as pipeline:
        for ids in batches:
            n = ids.size
            assert (
                pipeline.write_columns(
                    scratch_table,
                    COLUMNS,
                    [ids, [f"P{i}" for i in ids.tolist()], ["x"] * n, [None] * n, ids % 2 == 0, ids * 0.5, [None] * n],
                )
                == n
            )
    rows = _read_back(scratch_table)
    assert [r[0] for r in rows] == list(range(1, 3001))
    assert rows[1] == (2, "P2", "x", None, True, 1.0, None)


@pytest.mark.django_db(transaction=True)
def test_a_failed_pipelined_copy_raises_and_its_transaction_writes_nothing():
    from django.db import transaction

    from jiliang.registry.models import Region

    before = Region.objects.count()
    with pytest.raises(Exception) as raised:
        with transaction.atomic():
            with bulk.PipelinedWriter() as pipeline:
                pipeline.write_columns(
                    "registry_region", ["id", "code", "name", "level"], [np.array([900001]), ["990000"], ["甲"], ["province"]]
                )
                # the same primary key again: refused by the server, reported here
                pipeline.write_columns(
                    "registry_region", ["id", "code", "name", "level"], [np.array([900001]), ["990001"], ["乙"], ["province"]]
                )
    assert "900001" in str(raised.value) or "UNIQUE" in str(raised.value).upper()
    assert Region.objects.count() == before


LOADED = ("registry_instrument", "registry_calibrationevent", "registry_eventstandard")


def _schema(tables):
    """Indexes, and on PostgreSQL constraints (with their validation state), of the tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [list(tables)],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2", [list(tables)]
            )
        else:
            constraints = []
            cursor.execute(
                f"SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({', '.join(['%s'] * len(tables))}) "
                "ORDER BY 1, 2",
                list(tables),
            )
        return constraints, cursor.fetchall()


def test_bulk_load_puts_back_every_index_and_constraint():
    from django.db import transaction

    before = _schema(LOADED)
    with transaction.atomic():
        with bulk.bulk_load(*LOADED):
            during = _schema(LOADED)
        after = _schema(LOADED)
    assert len(during[1]) < len(before[1])  # secondary indexes are gone while loading
    assert after == before


def test_a_duplicate_found_when_a_unique_constraint_returns_rolls_the_load_back():
    from django.db import IntegrityError, transaction

    from jiliang.core.identifiers import make_credit_code
    from jiliang.registry.models import Instrument, Organisation, Region

    region = Region.objects.create(code="990000", name="测试省", level="province")
    owner = Organisation.objects.create(
        name="测试企业", credit_code=make_credit_code("91990000000000001"), kind="enterprise", region=region
    )
    first = bulk.next_id(Instrument)
    columns = [
        "id",
        "code",
        "name",
        "legal_purpose",
        "manufacturer",
        "model",
        "serial_number",
        "type_approval_number",
        "accuracy",
        "unit",
        "status",
        "owner_id",
        "region_id",
    ]
    import sqlite3

    # SQLite keeps its unique indexes while loading, so there the write itself is refused.
    with pytest.raises((IntegrityError, sqlite3.IntegrityError), match="DUP-1|UNIQUE"):
        with transaction.atomic():
            with bulk.bulk_load(*LOADED):
                bulk.write_columns(
                    "registry_instrument",
                    columns,
                    [
                        np.array([first, first + 1]),
                        ["DUP-1", "DUP-1"],
                        ["表", "表"],
                        ["none", "none"],
                        ["", ""],
                        ["", ""],
                        ["", ""],
                        ["", ""],
                        ["", ""],
                        ["", ""],
                        ["in_use", "in_use"],
                        np.array([owner.id] * 2),
                        np.array([region.id] * 2),
                    ],
                )
    assert not Instrument.objects.filter(code="DUP-1").exists()
    assert _schema(LOADED)[1]  # the indexes are back with the rollback
