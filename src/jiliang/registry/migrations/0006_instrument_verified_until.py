from django.db import migrations, models
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    # Set-based, one correlated subquery over the (instrument, performed_on) index.
    Instrument = apps.get_model("registry", "Instrument")
    CalibrationEvent = apps.get_model("registry", "CalibrationEvent")
    latest = (
        CalibrationEvent.objects.filter(instrument=models.OuterRef("pk"), kind="verification")
        .order_by("-performed_on", "-id")
        # valid_until was required when this ran; since 0011 a failed verification has none
        # and ends validity on its own date (models.latest_verification_until): same result.
        .annotate(until=Coalesce("valid_until", "performed_on"))
        .values("until")[:1]
    )
    Instrument.objects.update(verified_until=models.Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_lean_event_indexes")]

    operations = [
        migrations.AddField(
            model_name="instrument",
            name="verified_until",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="检定有效期至"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
