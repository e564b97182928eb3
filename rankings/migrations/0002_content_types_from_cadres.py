"""The moved models' content types follow them from cadres (their permissions, admin log
entries and anything else that points at a content type keep pointing at the same rows).
A fresh database has none yet: post_migrate creates them under the new label."""

from django.db import migrations

MODELS = ("rankingmonth", "rankingentry", "bottomstreak", "bottomwarning")


def to_rankings(apps, schema_editor):
    rename(apps, old="cadres", new="rankings")


def to_cadres(apps, schema_editor):
    rename(apps, old="rankings", new="cadres")


def rename(apps, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A row already under the new label (a migrate interrupted and run again) wins.
        if not content_types.objects.filter(app_label=new, model=model).exists():
            content_types.objects.filter(app_label=old, model=model).update(app_label=new)


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(to_rankings, to_cadres)]
