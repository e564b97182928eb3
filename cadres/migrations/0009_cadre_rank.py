from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0008_code_rotated_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadre",
            name="rank",
            field=models.CharField(
                choices=[("section", "section level"), ("division", "division level and above")],
                default="section",
                max_length=16,
                verbose_name="rank",
            ),
        ),
    ]
