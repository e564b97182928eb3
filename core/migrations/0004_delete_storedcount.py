# The counters live in the processes now (prometheus_client, core/metrics.py).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_form_submission"),
    ]

    operations = [
        migrations.DeleteModel(name="StoredCount"),
    ]
