"""One row a cadre: the rank within the unit moves from the unit_cadre rows onto the
cadre's own row (unit_position, unit_rank, unit_bottom), and the unit_cadre rows go.

Published months keep their digests: selectors.ranking_digest_entries rebuilds the unit_cadre
lines from these columns exactly as they were stored.
"""

from django.db import migrations, models


def move_unit_ranks(apps, schema_editor):
    RankingEntry = apps.get_model("cadres", "RankingEntry")
    within = RankingEntry.objects.filter(scope="unit_cadre")
    for row in within.values("ranking_id", "cadre_id", "position", "rank", "bottom").iterator():
        RankingEntry.objects.filter(
            ranking_id=row["ranking_id"], scope="cadre", cadre_id=row["cadre_id"]
        ).update(unit_position=row["position"], unit_rank=row["rank"], unit_bottom=row["bottom"])
    within.delete()


def restore_unit_ranks(apps, schema_editor):
    RankingEntry = apps.get_model("cadres", "RankingEntry")
    rows = []
    for e in RankingEntry.objects.filter(scope="cadre").iterator():
        e.pk = None
        e.scope = "unit_cadre"
        e.scope_unit_id = e.unit_id
        e.position, e.rank, e.bottom = e.unit_position, e.unit_rank, e.unit_bottom
        rows.append(e)
    RankingEntry.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0004_ranking_entry_lean"),
    ]

    operations = [
        migrations.AddField(
            model_name="rankingentry",
            name="unit_bottom",
            field=models.BooleanField(default=False, verbose_name="bottom 10% of unit"),
        ),
        migrations.AddField(
            model_name="rankingentry",
            name="unit_position",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="position in unit"
            ),
        ),
        migrations.AddField(
            model_name="rankingentry",
            name="unit_rank",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="rank in unit"),
        ),
        migrations.RunPython(move_unit_ranks, restore_unit_ranks),
        migrations.AlterModelOptions(
            name="rankingentry",
            options={
                "ordering": ["ranking", "scope", "position"],
                "verbose_name": "ranking entry",
                "verbose_name_plural": "ranking entries",
            },
        ),
        migrations.RemoveIndex(
            model_name="rankingentry",
            name="ranking_entry_list",
        ),
        migrations.RemoveField(
            model_name="rankingentry",
            name="scope_unit",
        ),
    ]
