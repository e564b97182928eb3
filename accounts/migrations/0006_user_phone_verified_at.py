from django.db import migrations, models
from django.db.models import F


def existing_users_verified(apps, schema_editor):
    """Every account so far counts as confirmed since it joined (SMS sign-in made
    almost all of them); desk.0002 then clears the ones a desk made from an ID check
    alone whose phone never signed in by SMS."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(phone_verified_at__isnull=True).update(phone_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_otp_sms_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="phone_verified_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="phone confirmed by SMS at"
            ),
        ),
        migrations.RunPython(existing_users_verified, migrations.RunPython.noop),
    ]
