# The counters live in the processes now (prometheus_client, core/metrics.py).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_event"),
    ]

    operations = [
        migrations.DeleteModel(name="StoredCount"),
    ]
