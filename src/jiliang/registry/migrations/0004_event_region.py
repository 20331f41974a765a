"""CalibrationEvent.region: the instrument's region, copied onto each event and indexed
with the id, so region-scoped event lists page through an index instead of joining every
event to its instrument.

Row digests of the audit ledger cover every column: on a database whose ledger already
records events, run ``rebaseline(CalibrationEvent, reason="registry 0004_event_region")``
after this migration (see ``jiliang.audit.services.rebaseline``).
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_regions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One hash join instead of a lookup per event.
        sql = (
            "UPDATE registry_calibrationevent e SET region_id = i.region_id "
            "FROM registry_instrument i WHERE i.id = e.instrument_id"
        )
    else:
        sql = (
            "UPDATE registry_calibrationevent SET region_id = "
            "(SELECT region_id FROM registry_instrument i WHERE i.id = registry_calibrationevent.instrument_id)"
        )
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_region_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="calibrationevent",
            name="region",
            # No constraint while filling: on PostgreSQL a deferred foreign-key check per
            # updated row would block the ALTER below; the constraint is added after, in one scan.
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="calibration_events",
                to="registry.region",
                verbose_name="所在地区",
            ),
        ),
        migrations.RunPython(fill_regions, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="calibrationevent",
            name="region",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="calibration_events",
                to="registry.region",
                verbose_name="所在地区",
            ),
        ),
        migrations.AddIndex(
            model_name="calibrationevent",
            index=models.Index(fields=["region", "id"], name="registry_ca_region__a65e8b_idx"),
        ),
    ]
