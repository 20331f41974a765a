# Calibration (校准) and verification (检定) apart (issue 17, part 3).
#
# A verification has a verdict and, when it passed, a validity (有效期至); a failed one
# yields a 检定结果通知书 with no validity (计量检定印、证管理办法 第五、六条). A calibration
# has no verdict and no validity; it may carry a recalibration date the customer asked
# for (建议复校日期, JJF 1071-2010 / JJF 1139). Measurement standards get their holder's
# recalibration plan (recalibration_months), which the traceability engine uses for
# calibrations of the standard's devices that state no date.
#
# Existing rows (the data migration below, which prints what it changed and what it could
# not infer):
# - calibrations: the verdict is dropped (a calibration states values, not conformity);
#   a stored valid_until later than the calibration date becomes recalibration_due (it is
#   the date the old certificate told the customer to come back, and it keeps every chain
#   verdict as it was); one not later than the date (the old code's "failed" marker)
#   cannot be read as a date to come back and is dropped;
# - failed verifications: valid_until is dropped (the old code stored the verification
#   date; Instrument.verified_until keeps that date, see latest_verification_until);
# - standards: recalibration_months is 12 (not inferred from the devices' history).
#
# The new columns change every row's audit digest: run `jiliang audit verify` before, and a
# rebaseline of CalibrationEvent and MeasurementStandard naming this migration after.

from django.db import migrations, models


def apart(apps, schema_editor):
    Event = apps.get_model("registry", "CalibrationEvent")
    Standard = apps.get_model("registry", "MeasurementStandard")
    calibrations = Event.objects.filter(kind="calibration")
    failed_calibrations = calibrations.filter(passed=False).count()
    failed_of_devices = calibrations.filter(passed=False, instrument__standard__isnull=False).count()
    unreadable = calibrations.filter(valid_until__isnull=False, valid_until__lte=models.F("performed_on")).count()
    moved = calibrations.filter(valid_until__gt=models.F("performed_on")).update(
        recalibration_due=models.F("valid_until"), valid_until=None, passed=None
    )
    cleared = calibrations.filter(models.Q(valid_until__isnull=False) | models.Q(passed__isnull=False)).update(
        valid_until=None, passed=None
    )
    # Instrument.verified_until is unchanged: a failed latest verification ends it on its own
    # date (registry.models.latest_verification_until), which is what the old valid_until said.
    failed_verifications = Event.objects.filter(kind="verification", passed=False, valid_until__isnull=False).update(
        valid_until=None
    )
    standards = Standard.objects.count()
    if not (moved or cleared or failed_verifications or standards):
        return
    print(
        f"\n  registry 0011 calibration apart: {moved} calibrations' valid_until moved to recalibration_due; "
        f"{cleared} calibrations' verdict/validity cleared, of which {unreadable} had a valid_until not after the "
        f"calibration date (could not be read as a recalibration date: dropped); {failed_calibrations} calibrations "
        f"carried a fail verdict, now dropped ({failed_of_devices} of standard devices: could not infer whether the "
        f"standard was out of tolerance — record it with `jiliang trace` impact/recall or a status change); "
        f"{failed_verifications} failed verifications lost the validity the old code gave them (their own date); "
        f"{standards} standards get a 12-month "
        f"recalibration plan (not inferred from their devices' history)."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_people_registration"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="calibrationevent",
            name="event_validity_ordered",
        ),
        migrations.AddField(
            model_name="calibrationevent",
            name="recalibration_due",
            field=models.DateField(blank=True, null=True, verbose_name="建议复校日期"),
        ),
        migrations.AddField(
            model_name="measurementstandard",
            name="recalibration_months",
            field=models.PositiveSmallIntegerField(default=12, verbose_name="复校间隔（月）"),
        ),
        migrations.AlterField(
            model_name="calibrationevent",
            name="valid_until",
            field=models.DateField(blank=True, null=True, verbose_name="有效期至"),
        ),
        migrations.AddConstraint(
            model_name="calibrationevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_until__isnull", True), ("performed_on__lte", models.F("valid_until")), _connector="OR"
                ),
                name="event_validity_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="calibrationevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("recalibration_due__isnull", True), ("performed_on__lt", models.F("recalibration_due")), _connector="OR"
                ),
                name="event_recalibration_after_event",
            ),
        ),
        migrations.RunPython(apart, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="calibrationevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "verification"), _negated=True),
                    models.Q(("passed", True), ("recalibration_due__isnull", True), ("valid_until__isnull", False)),
                    models.Q(("passed", False), ("recalibration_due__isnull", True), ("valid_until__isnull", True)),
                    _connector="OR",
                ),
                name="verification_validity_only_when_passed",
                violation_error_message="JJF 1001-2011 9.17/9.19、计量检定印、证管理办法 第五、六条：检定合格须给出有效期至，"
                "不合格出具检定结果通知书，不给有效期",
            ),
        ),
        migrations.AddConstraint(
            model_name="calibrationevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "calibration"), _negated=True),
                    models.Q(("passed__isnull", True), ("valid_until__isnull", True)),
                    _connector="OR",
                ),
                name="calibration_has_no_verdict_nor_validity",
                violation_error_message="JJF 1071-2010、JJF 1139：校准不判定合格与否、不给有效期，可给客户要求的建议复校日期",
            ),
        ),
        migrations.AddConstraint(
            model_name="measurementstandard",
            constraint=models.CheckConstraint(
                condition=models.Q(("recalibration_months__gt", 0)), name="standard_recalibration_months_positive"
            ),
        ),
    ]
