# An institution's event list is "performed by X OR of X's instruments, by id". With only
# a performer index PostgreSQL walked the whole id index filtering (~17k rows removed per
# page at 10^6 instruments); the API now pages the performer's part on a (performer, id)
# index, in id order, merged with the instrument part (EventViewSet). That index also
# serves every lookup of events by performer, so the single-column one is dropped.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_lean_instrument_event_indexes"),
    ]

    operations = [
        # The new index first, so performer lookups are never without one.
        migrations.AddIndex(
            model_name="calibrationevent",
            index=models.Index(fields=["performer", "id"], name="registry_ca_perform_106a12_idx"),
        ),
        migrations.AlterField(
            model_name="calibrationevent",
            name="performer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="performed_events",
                to="registry.organisation",
                verbose_name="检定/校准机构",
            ),
        ),
    ]
