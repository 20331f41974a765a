# Indexes no query uses, each a sort of every row after a bulk load (the generator):
# - events by person or by specification: nothing selects events by them (a delete's
#   protection check scans instead, once per deleted person or specification);
# - instruments by owner and by region alone: (owner, status), (region, catalog_item) and
#   (region, id) lead with the same column and serve those lookups;
# - instrument codes with varchar_pattern_ops (PostgreSQL's copy for LIKE 'prefix%'): codes
#   are looked up exactly, by the unique index.

import django.db.models.deletion
from django.db import migrations, models


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS registry_instrument_code_fadbbfb1_like")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_instrument_verified_until"),
    ]

    operations = [
        migrations.AlterField(
            model_name="calibrationevent",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="registry.person",
                verbose_name="检定/校准员",
            ),
        ),
        migrations.AlterField(
            model_name="calibrationevent",
            name="specification",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="registry.specification",
                verbose_name="依据",
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="instruments",
                to="registry.organisation",
                verbose_name="使用单位",
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="instruments",
                to="registry.region",
                verbose_name="所在地区",
            ),
        ),
        migrations.RunPython(drop_pattern_index, migrations.RunPython.noop),
    ]
