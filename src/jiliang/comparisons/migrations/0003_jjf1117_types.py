"""Comparison types per JJF 1117-2010 §3: the CIPM word 关键比对 ("key") is no domestic type.

A "key" comparison organised on this platform was a domestic one run by SAMR's
institutes, so it becomes a 国家计量比对 ("national"). Whether one of them was in fact a
CIPM or RMO key comparison cannot be inferred from the row: the migration prints the codes
it converted so an administrator can re-type those (to cipm_key or rmo_key) by hand.
"""

from django.db import migrations, models


def key_to_national(apps, schema_editor):
    Comparison = apps.get_model("comparisons", "Comparison")
    codes = list(Comparison.objects.filter(kind="key").values_list("code", flat=True))
    Comparison.objects.filter(kind="key").update(kind="national")
    if codes:
        print(
            f"\n  comparisons 0003: {len(codes)} comparison(s) typed 关键比对 became 国家计量比对 (national): "
            f"{', '.join(codes)}. Not inferred: whether any was an international CIPM/RMO key comparison; re-type those by hand."
        )


def national_to_key(apps, schema_editor):
    Comparison = apps.get_model("comparisons", "Comparison")
    Comparison.objects.filter(kind="national").update(kind="key")
    Comparison.objects.filter(kind__in=["cipm_key", "rmo_key", "supplementary"]).update(kind="key")


class Migration(migrations.Migration):
    dependencies = [("comparisons", "0002_sealed_submissions")]

    operations = [
        migrations.AlterField(
            model_name="comparison",
            name="kind",
            field=models.CharField(
                choices=[
                    ("national", "国家计量比对"),
                    ("regional", "大区计量比对"),
                    ("local", "地方计量比对"),
                    ("proficiency", "能力验证"),
                    ("cipm_key", "CIPM关键比对"),
                    ("rmo_key", "RMO关键比对"),
                    ("supplementary", "补充比对"),
                ],
                max_length=16,
                verbose_name="类型",
            ),
        ),
        migrations.RunPython(key_to_national, national_to_key),
    ]
