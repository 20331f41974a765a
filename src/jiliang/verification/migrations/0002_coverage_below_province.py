"""The 省级以下 figure (each city and county by its own standards) in the monthly snapshot.

Snapshots taken before this migration keep 0/0 for it: the figure cannot be inferred from
the stored province-wide counts (history computes it afresh for months without a snapshot
only); the migration prints how many snapshots are left without it.
"""

from django.db import migrations, models


def report(apps, schema_editor):
    n = apps.get_model("verification", "CoverageSnapshot").objects.count()
    if n:
        print(f"\n  verification 0002: {n} coverage snapshot(s) have no 省级以下 figure (0/0); take them again to fill it.")


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="coveragesnapshot",
            name="below_province_in_use",
            field=models.PositiveIntegerField(default=0, verbose_name="省级以下在用项目数"),
        ),
        migrations.AddField(
            model_name="coveragesnapshot",
            name="below_province_covered",
            field=models.PositiveIntegerField(default=0, verbose_name="省级以下自有标准覆盖项目数"),
        ),
        migrations.RunPython(report, migrations.RunPython.noop),
    ]
