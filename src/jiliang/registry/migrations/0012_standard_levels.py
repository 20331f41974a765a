"""Standards get their rank (最高/次级, JJF 1033-2023 §3.2) for the rule of who assesses them
(计量法实施细则 第八条; 计量标准考核办法 第五条).

Existing standards become "highest": a registry that kept one standard per item and region
held that region's highest. Whether a public standard was in fact subordinate cannot be
inferred; nor can an issuing department be corrected. The migration prints how many public
standards have an issuing department that the rule would refuse, so an administrator can
review them (the rule applies to the next write of each).
"""

from django.db import migrations, models


def report(apps, schema_editor):
    Standard = apps.get_model("registry", "MeasurementStandard")
    public = Standard.objects.filter(tier="public").select_related("holder__region", "issuing_department__region")
    own_region = 0
    for std in public.iterator(chunk_size=2000):
        holder_code, issuer_code = std.holder.region.code, std.issuing_department.region.code
        prefix = {"province": 2, "city": 4, "county": 6}[std.level]
        # A highest standard assessed by the administration of its own region breaks the rule.
        if issuer_code[:prefix] == holder_code[:prefix] and issuer_code[prefix:].strip("0") == "":
            own_region += 1
    print(
        f"\n  registry 0012: every standard is now ranked 最高 (highest); not inferred: which public standards are "
        f"subordinate (次级). {own_region} public standard(s) name their own region's administration as issuer, "
        "which 计量法实施细则 第八条 allows only for a subordinate standard: review them."
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_calibration_apart")]

    operations = [
        migrations.AddField(
            model_name="measurementstandard",
            name="rank",
            field=models.CharField(
                choices=[("highest", "最高计量标准"), ("subordinate", "次级计量标准")],
                default="highest",
                max_length=12,
                verbose_name="最高/次级",
            ),
        ),
        migrations.AddConstraint(
            model_name="measurementstandard",
            constraint=models.CheckConstraint(
                condition=models.Q(("tier", "public"), ("rank", "highest"), _connector="OR"),
                name="standard_subordinate_only_for_public",
            ),
        ),
        # Local, departmental and GB / GB/T codes (the code validator accepts them; no schema change)
        # and the kind of a GB / GB/T standard used as a method basis.
        migrations.AlterField(
            model_name="specification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("verification_regulation", "检定规程"),
                    ("calibration_specification", "校准规范"),
                    ("verification_scheme", "检定系统表"),
                    ("technical_specification", "技术规范"),
                    ("standard", "国家标准（方法依据）"),
                ],
                max_length=32,
                verbose_name="类别",
            ),
        ),
        migrations.RunPython(report, migrations.RunPython.noop),
    ]
