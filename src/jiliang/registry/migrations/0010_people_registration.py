"""People as legal metrology practises it today: a 注册计量师 registration names the
institution registered with (注册单位), a passed 计量专业项目考核 per item, the old 检定员证
kept as a legacy qualification, authorised signatories (授权签字人) per institution.

The data migration fills the 注册单位 of existing registrations from the person's present
organisation and prints what it could not infer."""

import django.db.models.deletion
from django.db import migrations, models


def infer_registration_institutions(apps, schema_editor):
    Qualification = apps.get_model("registry", "Qualification")
    Organisation = apps.get_model("registry", "Organisation")
    registrations = Qualification.objects.filter(kind__in=["metrologist_1", "metrologist_2"], organisation__isnull=True)
    inferred = 0
    for qual in registrations.select_related("person").iterator(chunk_size=5000):
        qual.organisation_id = qual.person.organisation_id
        qual.save(update_fields=["organisation"])
        inferred += 1
    verifying = ["legal_institute", "authorised_institute", "professional_station"]
    lines = []
    if inferred:
        lines.append(
            f"  {inferred} 注册计量师 registrations: 注册单位 taken from the person's present organisation "
            "(the registration certificate was not on file; check it against the 注册证)"
        )
    legacy = Qualification.objects.filter(kind="verifier").count()
    if legacy:
        lines.append(
            f"  {legacy} 检定员证 kept as legacy qualifications until their end date; no 计量专业项目考核 was inferred "
            "from them (注册计量师职业资格制度规定 第十四条(四) counts their items as passed for registration only)"
        )
    without = Organisation.objects.filter(kind__in=verifying).exclude(
        id__in=Qualification.objects.filter(kind="signatory").values("organisation_id")
    )
    if without.exists():
        lines.append(
            f"  {without.count()} verifying institutions have no authorised signatory (授权签字人): none could be "
            "inferred; until one is designated their verification records cannot be approved"
        )
    if lines:
        print("\n0010_people_registration could not infer everything:\n" + "\n".join(lines))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_real_catalogue"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="qualification",
            name="verifier_qualification_names_item",
        ),
        migrations.AddField(
            model_name="qualification",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="registered_qualifications",
                to="registry.organisation",
                verbose_name="注册/授权单位",
            ),
        ),
        migrations.AlterField(
            model_name="qualification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("metrologist_1", "一级注册计量师"),
                    ("metrologist_2", "二级注册计量师"),
                    ("item_assessment", "计量专业项目考核合格"),
                    ("verifier", "检定员证（项目）"),
                    ("signatory", "授权签字人"),
                ],
                max_length=16,
                verbose_name="资格",
            ),
        ),
        migrations.RunPython(infer_registration_institutions, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="qualification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind__in", ["verifier", "item_assessment"]), _negated=True),
                    ("catalog_item__isnull", False),
                    _connector="OR",
                ),
                name="verifier_qualification_names_item",
            ),
        ),
        migrations.AddConstraint(
            model_name="qualification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind__in", ["metrologist_1", "metrologist_2", "signatory"]), _negated=True),
                    ("organisation__isnull", False),
                    _connector="OR",
                ),
                name="registration_names_organisation",
            ),
        ),
    ]
