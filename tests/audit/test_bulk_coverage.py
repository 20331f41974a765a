"""Every row written in bulk is on the ledger: a tamper with raw SQL on a row the generator
or the import wrote — an update, a delete, an insert — is reported by `jiliang audit verify`
for every audited table, and so is a derived column set by hand (issue 16, item 8)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, transaction

from jiliang.audit import batches as audit_batches
from jiliang.audit import services
from jiliang.audit.models import AuditEntry, LedgerPage
from jiliang.cli import main
from jiliang.core import merkle
from jiliang.registry import demo, exchange
from jiliang.registry import models as m

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _quote(name):
    return connection.ops.quote_name(name)


def _text_column(model):
    """A column a raw UPDATE can change without breaking a constraint."""
    for f in model._meta.concrete_fields:
        if isinstance(f, m.models.CharField) and not f.unique and not f.choices and f.attname not in ("name",):
            return f.column, "tampered"
    for f in model._meta.concrete_fields:
        if isinstance(f, m.models.CharField) and not f.choices and not f.unique:
            return f.column, "tampered"
    for f in model._meta.concrete_fields:
        if f.is_relation and not f.primary_key:
            return f.column, None  # the row's reference is moved to another row below
    raise AssertionError(f"no column to tamper with in {model}")


def _tamper(model):
    """An update, a delete and an insert on rows of the model; the ids each should be reported under."""
    table = _quote(model._meta.db_table)
    # Foreign keys are checked at commit, which a test never reaches: a referenced row can go.
    gone = model._base_manager.order_by("-pk").first()
    changed = model._base_manager.order_by("pk").first()
    column, value = _text_column(model)
    if value is None:  # a link table: point the link at another row of the same kind
        field = next(f for f in model._meta.concrete_fields if f.column == column)
        other = field.related_model._base_manager.exclude(pk=getattr(changed, field.attname)).order_by("pk").first()
        _sql(f"UPDATE {table} SET {_quote(column)} = %s WHERE id = %s", [other.pk, changed.pk])
    else:
        _sql(f"UPDATE {table} SET {_quote(column)} = %s WHERE id = %s", [value, changed.pk])
    # The deleted row comes back under a new id: a row the ledger never saw.
    cols = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = list(
        model._base_manager.filter(pk=gone.pk)
        .values_list(*[f.attname for f in model._meta.concrete_fields if not f.primary_key])
        .get()
    )
    new_id = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() + 1000
    _sql(f"DELETE FROM {table} WHERE id = %s", [gone.pk])
    values = [json.dumps(v) if isinstance(v, (list, dict)) else v for v in values]
    _sql(
        f"INSERT INTO {table} (id, {', '.join(map(_quote, cols))}) VALUES (%s, {', '.join(['%s'] * len(cols))})",
        [new_id, *values],
    )
    return {"row_changed": str(changed.pk), "row_deleted": str(gone.pk), "row_unrecorded": str(new_id)}


def _found(report):
    return {(f.kind, f.object_type, f.object_id) for f in report.findings}


def _expect_every_tamper(models_):
    assert services.verify().intact
    expected = set()
    with transaction.atomic():  # rolled back: the dangling references never meet the commit-time checks
        for model in models_:
            for kind, object_id in _tamper(model).items():
                expected.add((kind, services.object_type_of(model), object_id))
        report = services.verify()
        transaction.set_rollback(True)
    missing = expected - _found(report)
    assert not missing, sorted(missing)


@pytest.fixture
def generated(db):
    demo.generate(instruments=1000, seed=7, as_of=AS_OF)


def test_generate_puts_every_row_on_the_ledger_in_batches(generated):
    batches = AuditEntry.objects.filter(object_id="", row_digest__isnull=False, action="create")
    covered: dict[str, int] = {}
    for e in batches:
        covered[e.object_type] = covered.get(e.object_type, 0) + e.new["batch"]["rows"]
    assert covered["registry.calibrationevent"] == m.CalibrationEvent.objects.count() > 1000
    assert covered["registry.instrument"] == m.Instrument.objects.count() >= 1000
    assert audit_batches.leaf_count() == sum(covered.values())
    # The entry's digest is the Merkle root of its rows' digests (the leaves), in id order.
    entry = batches.filter(object_type="registry.instrument").order_by("-sequence").first()
    ids, leaves = audit_batches.leaves(entry.sequence)
    assert ids.tolist() == sorted(ids.tolist()) and len(ids) == len(leaves) == entry.new["batch"]["rows"]
    assert merkle.root(leaves).hex() == entry.row_digest
    report = services.verify()
    assert report.intact, report.findings[:5]
    assert report.rows_checked >= sum(covered.values())


def test_every_tamper_of_every_generated_table_is_found(generated):
    _expect_every_tamper(demo.BULK_WRITTEN)


def test_a_flipped_verdict_and_a_derived_date_set_by_hand_are_found(generated):
    event = m.CalibrationEvent.objects.filter(kind="verification", passed=True).order_by("pk").first()
    # A failed verification states no validity (the constraint): the tamper flips both.
    _sql("UPDATE registry_calibrationevent SET passed = %s, valid_until = NULL WHERE id = %s", [False, event.pk])
    instrument = m.Instrument.objects.filter(standard__isnull=True).order_by("-pk").first()
    _sql("UPDATE registry_instrument SET verified_until = %s WHERE id = %s", [dt.date(2199, 1, 1), instrument.pk])
    found = _found(services.verify())
    assert ("row_changed", "registry.calibrationevent", str(event.pk)) in found
    assert ("derived_changed", "registry.instrument", str(instrument.pk)) in found


def test_a_changed_leaf_breaks_its_batch_root(generated):
    # One leaf's digest zeroed by hand (the first leaf of the first page of the first batch).
    batch, page, digests = LedgerPage.objects.order_by("batch", "page").values_list("batch", "page", "row_digests").first()
    changed = b"\x00" * 32 + bytes(digests)[32:]
    _sql("UPDATE audit_ledgerpage SET row_digests = %s WHERE batch = %s AND page = %s", [changed, batch, page])
    leaf = (batch, page)
    found = {(f.kind, f.sequence) for f in services.verify().findings}
    assert ("batch_changed", leaf[0]) in found


def test_replacing_the_province_ends_what_the_ledger_held_of_it(generated):
    demo.clear_registry()
    demo.generate(instruments=1000, seed=8, as_of=AS_OF)
    assert services.verify().intact


def test_the_cli_reports_a_tamper_of_a_generated_row_and_exits_1(generated, capsys):
    event = m.CalibrationEvent.objects.order_by("pk").first()
    _sql("DELETE FROM registry_eventstandard WHERE event_id = %s", [event.pk])
    _sql("DELETE FROM registry_calibrationevent WHERE id = %s", [event.pk])
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"row_deleted: registry.calibrationevent {event.pk}: row deleted outside the application" in out


@pytest.fixture
def imported(reference_data, tmp_path):
    from tests.registry.test_exchange import build_registry, empty_registry

    build_registry()
    exchange.export_registry(tmp_path, "csv")
    empty_registry()
    _sql("DELETE FROM audit_auditentry")  # a fresh ledger: the rows of the import are all there is
    _sql("DELETE FROM audit_ledgerhead")
    with services.audit_context(actor="cli:import"):
        exchange.import_paths([tmp_path])


def test_import_puts_every_row_on_the_ledger(imported):
    entries = AuditEntry.objects.filter(action="import", object_id="")
    assert {e.object_type for e in entries} >= {"registry.instrument", "registry.calibrationevent", "registry.person"}
    assert all(e.actor == "cli:import" and e.new["files"] for e in entries)
    assert services.verify().intact


def test_every_tamper_of_every_imported_table_is_found(imported):
    _expect_every_tamper(
        [
            m.Organisation,
            m.MeasurementStandard,
            m.StandardStatusChange,
            m.Capability,
            m.ReferenceMaterial,
            m.CertifiedValue,
            m.Person,
            m.Qualification,
            m.Instrument,
            m.CalibrationEvent,
            m.EventStandard,
        ]
    )


def test_rows_written_past_the_ledger_are_found_until_a_baseline_takes_them(reference_data):
    # bulk_create passes the signals by: rows of a database filled before bulk writes were recorded.
    region = m.Region.objects.get(code="330105")
    m.Organisation.objects.bulk_create(
        [
            m.Organisation(name=f"企业{k}", credit_code=f"91330105MA28K{k:04d}X"[:17] + "0", kind="enterprise", region=region)
            for k in range(3)
        ]
    )
    found = {(f.kind, f.object_type) for f in services.verify().findings}
    assert found == {("row_unrecorded", "registry.organisation")}
    with pytest.raises(services.ReasonRequired):
        services.baseline(reason=" ")
    assert main(["audit", "baseline", "--reason", "库内已有数据纳入审计台账"]) == 0
    assert services.verify().intact


def test_the_change_feed_tells_edits_from_new_rows(generated):
    from jiliang.audit import feed

    head = feed.head()
    assert head == AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    # The generator's batches bring rows into being: not edits of the traceability snapshot's records.
    assert not feed.edited_since(0, ["registry.calibrationevent", "registry.instrument"])
    event = m.CalibrationEvent.objects.order_by("pk").first()
    with services.audit_context(actor="test", reason="更正"):
        event.certificate_number += "-R"
        event.save()
    assert feed.edited_since(head, ["registry.calibrationevent"]) and not feed.edited_since(head, ["registry.person"])


def test_column_digests_are_the_row_digests_of_the_rows_read_back():
    """The bulk paths hash whole columns; verify hashes row by row (``ledger.row_digest``):
    both must give the same digest for every kind of value, including equal values written
    differently (0.0 and -0.0), NaN and infinity, and text the JSON encoder escapes."""
    from jiliang.audit.batches import digests_of_columns
    from jiliang.audit.rows import columns
    from jiliang.core import ledger

    cols = list(columns(m.Instrument))
    base = dict.fromkeys(cols) | {
        "id": 1, "code": "a", "name": "电能表", "legal_purpose": "trade", "owner_id": 3, "region_id": 4, "manufacturer": "x",
        "model": "m", "serial_number": "", "type_approval_number": "", "accuracy": "2级", "unit": "kWh", "status": "in_use",
    }  # fmt: skip
    variants = [
        {"code": 'a"b', "manufacturer": "x\\y", "model": "m\n1", "range_min": 0.0, "range_max": float("nan")},
        {"id": 2, "range_min": -0.0, "range_max": float("inf"), "catalog_item_id": 7, "installed_on": dt.date(2020, 5, 6)},
        {"id": 3, "name": "水表\t", "unit": "m³", "range_min": 1e-320, "range_max": 2.5, "installed_on": dt.date(2026, 1, 2)},
    ]
    rows = [base | v for v in variants]
    by_column = [[row[c] for row in rows] for c in cols]
    joined = digests_of_columns(m.Instrument, cols, by_column, read_back=True)
    assert [joined[i : i + 32].hex() for i in range(0, len(joined), 32)] == [ledger.row_digest(row) for row in rows]
