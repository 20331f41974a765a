"""Instrument.verified_until: the valid_until of the instrument's latest verification, kept
on the instrument row so due lists scan one table. Every way an event is written or removed
keeps it right: the generator, save(), bulk_create (imports, the API), edits, deletes; the
audit ledger leaves the derived column out."""

import datetime as dt
import importlib

import pytest
from django.db.models import Q
from django.db.models.functions import Coalesce

from jiliang.audit import services as audit
from jiliang.audit.models import AuditEntry
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import demo, models

pytestmark = pytest.mark.django_db

D = dt.date


def _expected(instrument_id):
    return (
        models.CalibrationEvent.objects.filter(instrument_id=instrument_id, kind="verification")
        .order_by("-performed_on", "-id")
        .values_list(Coalesce("valid_until", "performed_on"), flat=True)  # a failed one: its own date
        .first()
    )


def _stale():
    """Instruments whose column disagrees with their history (computed the slow way)."""
    column = dict(models.Instrument.objects.values_list("id", "verified_until"))
    latest = dict(models.Instrument.objects.annotate(latest=models.latest_verification_until()).values_list("id", "latest"))
    return [pk for pk in column if column[pk] != latest[pk]]


@pytest.fixture
def instrument(reference_data):
    region = models.Region.objects.get(code="330106")
    owner = models.Organisation.objects.create(
        name="某加油站", credit_code=make_credit_code("91330106000000001"), kind="enterprise", region=region
    )
    institute = models.Organisation.objects.create(
        name="西湖区计量检定所", credit_code=make_credit_code("12330106000000001"), kind="legal_institute", region=region
    )
    item = models.CatalogItem.objects.order_by("id").first()
    inst = models.Instrument.objects.create(
        code="T-1",
        name="加油机",
        catalog_item=item,
        legal_purpose="trade",
        owner=owner,
        region=region,
        installed_on=D(2020, 1, 1),
    )
    inst.institute = institute
    return inst


def _event(inst, number, performed_on, valid_until, kind="verification", passed=True):
    return models.CalibrationEvent(
        instrument=inst,
        performer=inst.institute,
        kind=kind,
        performed_on=performed_on,
        valid_until=valid_until if kind == "verification" and passed else None,
        recalibration_due=valid_until if kind == "calibration" else None,
        passed=passed if kind == "verification" else None,
        certificate_number=number,
    )


def test_save_edit_and_delete_keep_the_latest_verification(instrument):
    assert instrument.verified_until is None
    first = _event(instrument, "V-1", D(2024, 3, 1), D(2025, 2, 28))
    first.save()
    instrument.refresh_from_db()
    assert instrument.verified_until == D(2025, 2, 28)

    # An older verification recorded later does not move the date; a calibration never does.
    _event(instrument, "V-0", D(2023, 3, 1), D(2024, 2, 28)).save()
    _event(instrument, "C-1", D(2024, 6, 1), D(2030, 1, 1), kind="calibration").save()
    instrument.refresh_from_db()
    assert instrument.verified_until == D(2025, 2, 28)

    newer = _event(instrument, "V-2", D(2025, 2, 20), D(2026, 2, 19))
    newer.save()
    instrument.refresh_from_db()
    assert instrument.verified_until == D(2026, 2, 19)

    newer.valid_until = D(2025, 3, 1)  # corrected certificate
    newer.save()
    instrument.refresh_from_db()
    assert instrument.verified_until == D(2025, 3, 1)

    newer.delete()
    instrument.refresh_from_db()
    assert instrument.verified_until == D(2025, 2, 28)

    models.CalibrationEvent.objects.filter(kind="verification").delete()  # a queryset delete too
    instrument.refresh_from_db()
    assert instrument.verified_until is None


def test_an_event_moved_to_another_instrument_updates_both(instrument):
    other = models.Instrument.objects.create(
        code="T-2",
        name="加油机",
        catalog_item=instrument.catalog_item,
        legal_purpose="trade",
        owner=instrument.owner,
        region=instrument.region,
    )
    event = _event(instrument, "V-1", D(2024, 3, 1), D(2025, 2, 28))
    event.save()
    event.instrument = other
    event.save()
    instrument.refresh_from_db()
    other.refresh_from_db()
    assert (instrument.verified_until, other.verified_until) == (None, D(2025, 2, 28))


def test_bulk_create_refreshes_its_instruments(instrument):
    models.CalibrationEvent.objects.bulk_create(
        [
            _event(instrument, "V-1", D(2022, 3, 1), D(2023, 2, 28)),
            _event(instrument, "V-2", D(2023, 3, 1), D(2024, 2, 29), passed=False),
        ]
    )
    instrument.refresh_from_db()
    # A failed verification states no validity: it ends the instrument's on its own date.
    assert instrument.verified_until == D(2023, 3, 1) == _expected(instrument.pk)


def test_saving_an_instrument_loaded_earlier_does_not_write_back_a_stale_date(instrument):
    loaded = models.Instrument.objects.get(pk=instrument.pk)  # before the verification
    _event(instrument, "V-1", D(2024, 3, 1), D(2025, 2, 28)).save()
    loaded.name = "税控加油机"
    loaded.save()
    loaded.refresh_from_db()
    assert (loaded.name, loaded.verified_until) == ("税控加油机", D(2025, 2, 28))


def test_the_audit_ledger_leaves_the_derived_column_out(instrument):
    assert "verified_until" not in audit.read_row(models.Instrument, instrument.pk)
    _event(instrument, "V-1", D(2024, 3, 1), D(2025, 2, 28)).save()
    # The instrument's change comes from an audited event: no entry of its own, and the
    # ledger still matches the live row.
    assert not AuditEntry.objects.filter(
        object_type="registry.instrument", object_id=str(instrument.pk), action="update"
    ).exists()
    assert audit.verify().intact


def test_generated_province_and_the_migration_agree_with_the_history():
    demo.generate(instruments=1000, seed=21, as_of=D(2026, 6, 30))
    assert _stale() == []
    assert models.Instrument.objects.filter(standard__isnull=True, verified_until__isnull=False).count() > 900
    # The migration's fill recomputes a damaged column the same way.
    models.Instrument.objects.filter(Q(id__lt=10**9)).update(verified_until=None)
    assert len(_stale()) > 900
    migration = importlib.import_module("jiliang.registry.migrations.0006_instrument_verified_until")
    from django.apps import apps

    migration.fill(apps, None)
    assert _stale() == []
