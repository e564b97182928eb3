# The devices an address presented are counted from its reviews with a device only; a
# NAT's reviews without one were read and skipped at every review (docs/benchmarks.md,
# issue 25, eighth part). Built concurrently: a district's review table takes its
# reviews while the index is made.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cadres", "0019_rankings_and_moderation_moved_out"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="review",
            index=models.Index(
                condition=models.Q(("device_hash", ""), _negated=True),
                fields=["address_hash", "created_at"],
                name="review_address_device_recent",
            ),
        ),
    ]
