"""The desk agent who filed a moral claim or a stall registration, from the log of
assisted acts: a party to it, never its decider (core/parties.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    AssistedAct = apps.get_model("desk", "AssistedAct")
    models = {
        "moral_claim": apps.get_model("points", "MoralClaim"),
        "stall_registration": apps.get_model("stalls", "Registration"),
    }
    for kind, model in models.items():
        acts = AssistedAct.objects.filter(kind=kind).values_list("object_id", "agent_id")
        for object_id, agent_id in acts.iterator():
            model.objects.filter(pk=object_id, filed_by__isnull=True).update(filed_by_id=agent_id)


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0001_initial"),
        ("points", "0008_filed_at_desk_by"),
        ("stalls", "0005_filed_at_desk_by"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
