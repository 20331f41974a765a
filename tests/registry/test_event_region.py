"""CalibrationEvent.region: the instrument's region copied onto each event (indexed with
the id for region-scoped lists). The generator writes it, and migration 0004 fills it."""

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.models import F

from jiliang.registry import demo, models

pytestmark = pytest.mark.django_db


class _Editor:
    """What fill_regions uses of a schema editor (SQLite's cannot open inside a test's
    transaction)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _mismatched():
    return models.CalibrationEvent.objects.exclude(region_id=F("instrument__region_id")).count()


def test_generated_events_carry_their_instruments_region():
    report = demo.generate(instruments=1000, seed=11, as_of=dt.date(2026, 6, 30))
    assert report.events == models.CalibrationEvent.objects.count() > 1000
    assert _mismatched() == 0
    # Both kinds of history: standard devices' calibrations and working instruments' verifications.
    assert models.CalibrationEvent.objects.filter(kind="calibration").exists()
    assert models.CalibrationEvent.objects.filter(kind="verification").exists()
    assert models.CalibrationEvent.objects.values("region").distinct().count() > 10


def test_migration_fills_the_region_from_the_instrument():
    demo.generate(instruments=1000, seed=12, as_of=dt.date(2026, 6, 30))
    wrong = models.Region.objects.get(code="110105")  # a Beijing district: no instrument is there
    table = models.CalibrationEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET region_id = %s WHERE id %% 3 = 0", [wrong.pk])
    assert _mismatched() > 0
    migration = importlib.import_module("jiliang.registry.migrations.0004_event_region")
    migration.fill_regions(None, _Editor())
    assert _mismatched() == 0
