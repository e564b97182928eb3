"""Each published month records its cutoff (the moment of publication of version 1, kept
by every later version). The months published before: their cutoff is version 1's
published_at; their versions keep the entries they were published with."""

import django.contrib.postgres.fields
from django.db import migrations, models

BACKFILL_SQL = """
UPDATE cadres_rankingmonth AS m SET cutoff = first.published_at
FROM cadres_rankingmonth AS first
WHERE first.month = m.month AND first.version = 1 AND first.published_at IS NOT NULL
      AND m.published_at IS NOT NULL AND m.cutoff IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [("rankings", "0004_bottom")]

    operations = [
        migrations.AddField(
            model_name="rankingmonth",
            name="cutoff",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cutoff"),
        ),
        migrations.AddField(
            model_name="rankingmonth",
            name="held_at_cutoff",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                default=list,
                size=None,
                verbose_name="reviews held at the cutoff",
            ),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
    ]
