"""The ranking months, entries and the bottom moved to `rankings`, the flags, holidays and
appeals to `moderation`: removed from cadres' state only, their tables stay as they are
(each new app's 0001 takes them over by `Meta.db_table`)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cadres', '0018_flag_rules_account_devices_unconfirmed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='appeal',
                    name='appellant',
                ),
                migrations.RemoveField(
                    model_name='appeal',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='appeal',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='bottomstreak',
                    name='cadre',
                ),
                migrations.RemoveField(
                    model_name='bottomstreak',
                    name='ranking',
                ),
                migrations.RemoveField(
                    model_name='bottomstreak',
                    name='unit',
                ),
                migrations.RemoveField(
                    model_name='bottomwarning',
                    name='cadre',
                ),
                migrations.RemoveField(
                    model_name='bottomwarning',
                    name='changed_by',
                ),
                migrations.RemoveField(
                    model_name='bottomwarning',
                    name='ranking',
                ),
                migrations.RemoveField(
                    model_name='bottomwarning',
                    name='unit',
                ),
                migrations.DeleteModel(
                    name='Holiday',
                ),
                migrations.RemoveField(
                    model_name='rankingentry',
                    name='cadre',
                ),
                migrations.RemoveField(
                    model_name='rankingentry',
                    name='ranking',
                ),
                migrations.RemoveField(
                    model_name='rankingentry',
                    name='unit',
                ),
                migrations.RemoveField(
                    model_name='reviewflag',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='reviewflag',
                    name='review',
                ),
                migrations.DeleteModel(
                    name='Appeal',
                ),
                migrations.DeleteModel(
                    name='BottomStreak',
                ),
                migrations.DeleteModel(
                    name='BottomWarning',
                ),
                migrations.DeleteModel(
                    name='RankingMonth',
                ),
                migrations.DeleteModel(
                    name='RankingEntry',
                ),
                migrations.DeleteModel(
                    name='ReviewFlag',
                ),
            ],
        ),
    ]
