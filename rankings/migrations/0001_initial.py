"""The ranking months, entries, streaks and warnings, moved from cadres: state only, the
tables (`cadres_rankingmonth`...), constraints and indexes stay as they were."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cadres', '0019_rankings_and_moderation_moved_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='RankingMonth',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', verbose_name='month')),
                        ('version', models.PositiveSmallIntegerField(default=1, verbose_name='version')),
                        ('compiled_at', models.DateTimeField(verbose_name='compiled at')),
                        ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published at')),
                        ('digest', models.CharField(blank=True, max_length=64, verbose_name='digest')),
                        ('previous_digest', models.CharField(blank=True, max_length=64, verbose_name='previous digest')),
                        ('verified_only', models.BooleanField(default=False, verbose_name='verified reviews only')),
                        ('digest_covers_verified', models.BooleanField(default=True, verbose_name='digest covers the verified share')),
                        ('corrected_at', models.DateTimeField(blank=True, null=True, verbose_name='corrected at')),
                        ('excluded_total', models.PositiveIntegerField(default=0, verbose_name='reviews excluded in all')),
                        ('excluded_reviews', models.PositiveIntegerField(default=0, verbose_name='reviews excluded since the previous version')),
                    ],
                    options={
                        'verbose_name': 'monthly ranking',
                        'verbose_name_plural': 'monthly rankings',
                        'db_table': 'cadres_rankingmonth',
                        'ordering': ['-month', '-version'],
                        'constraints': [models.UniqueConstraint(fields=('month', 'version'), name='ranking_month_version'), models.CheckConstraint(condition=models.Q(('published_at__isnull', True), models.Q(('digest', ''), _negated=True), _connector='OR'), name='ranking_published_has_digest'), models.CheckConstraint(condition=models.Q(models.Q(('corrected_at__isnull', True), ('version', 1)), models.Q(('corrected_at__isnull', False), ('version__gt', 1)), _connector='OR'), name='ranking_correction_dated')],
                    },
                ),
                migrations.CreateModel(
                    name='RankingEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(choices=[('unit', 'units across the district'), ('cadre', 'cadres across the district'), ('unit_cadre', 'cadres of one unit')], max_length=16, verbose_name='scope')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('unit_name', models.CharField(max_length=100, verbose_name='unit name')),
                        ('position', models.PositiveIntegerField(verbose_name='position')),
                        ('rank', models.PositiveIntegerField(blank=True, null=True, verbose_name='rank')),
                        ('reviews', models.PositiveIntegerField(verbose_name='reviews')),
                        ('satisfied', models.PositiveIntegerField(verbose_name='rated 4 or 5')),
                        ('bad', models.PositiveIntegerField(verbose_name='bad reviews')),
                        ('bad_answered', models.PositiveIntegerField(verbose_name='bad reviews answered')),
                        ('verdicts', models.PositiveIntegerField(verbose_name='answers with a verdict')),
                        ('rejected', models.PositiveIntegerField(verbose_name='answers rejected')),
                        ('verified', models.PositiveIntegerField(default=0, verbose_name='verified reviews')),
                        ('satisfaction_rate', models.DecimalField(decimal_places=4, max_digits=5, verbose_name='satisfaction rate')),
                        ('response_rate', models.DecimalField(decimal_places=4, max_digits=5, verbose_name='response rate')),
                        ('rejection_rate', models.DecimalField(decimal_places=4, max_digits=5, verbose_name='rejection rate')),
                        ('score', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='score')),
                        ('bottom', models.BooleanField(default=False, verbose_name='bottom 10%')),
                        ('unit_position', models.PositiveIntegerField(blank=True, null=True, verbose_name='position in unit')),
                        ('unit_rank', models.PositiveIntegerField(blank=True, null=True, verbose_name='rank in unit')),
                        ('unit_bottom', models.BooleanField(default=False, verbose_name='bottom tenth of the unit')),
                        ('excluded_colleague', models.PositiveIntegerField(default=0, verbose_name='excluded: colleague')),
                        ('excluded_appeal', models.PositiveIntegerField(default=0, verbose_name='excluded: appeal')),
                        ('excluded_fraud', models.PositiveIntegerField(default=0, verbose_name='excluded: fraud')),
                        ('cadre', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cadres.cadre', verbose_name='cadre')),
                        ('unit', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cadres.unit', verbose_name='unit')),
                        ('ranking', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='rankings.rankingmonth', verbose_name='month')),
                    ],
                    options={
                        'verbose_name': 'ranking entry',
                        'verbose_name_plural': 'ranking entries',
                        'db_table': 'cadres_rankingentry',
                        'ordering': ['ranking', 'scope', 'position'],
                        'constraints': [models.UniqueConstraint(fields=('ranking', 'cadre'), name='ranking_entry_one_per_cadre'), models.UniqueConstraint(condition=models.Q(('cadre__isnull', True)), fields=('ranking', 'unit'), name='ranking_entry_one_per_unit')],
                    },
                ),
                migrations.CreateModel(
                    name='BottomWarning',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('talk', 'warning talk'), ('post_review', 'post review')], max_length=16, verbose_name='kind')),
                        ('scope', models.CharField(choices=[('unit', 'units across the district'), ('cadre', 'cadres across the district'), ('unit_cadre', 'cadres of one unit')], max_length=16, verbose_name='scope')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('streak', models.PositiveSmallIntegerField(verbose_name='months in a row')),
                        ('state', models.CharField(choices=[('open', 'open'), ('talk_held', 'talk held'), ('closed', 'closed')], default='open', max_length=16, verbose_name='state')),
                        ('note', models.CharField(blank=True, max_length=1000, verbose_name='note')),
                        ('created_at', models.DateTimeField(verbose_name='created at')),
                        ('changed_at', models.DateTimeField(blank=True, null=True, verbose_name='changed at')),
                        ('cadre', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bottom_warnings', to='cadres.cadre', verbose_name='cadre')),
                        ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bottom_warnings', to='cadres.unit', verbose_name='unit')),
                        ('ranking', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bottom_warnings', to='rankings.rankingmonth', verbose_name='month')),
                    ],
                    options={
                        'verbose_name': 'bottom warning',
                        'verbose_name_plural': 'bottom warnings',
                        'db_table': 'cadres_bottomwarning',
                        'ordering': ['-ranking__month', 'kind', 'name'],
                        'constraints': [models.UniqueConstraint(fields=('ranking', 'kind', 'scope', 'unit', 'cadre'), name='bottom_warning_one_per_cadre'), models.UniqueConstraint(condition=models.Q(('cadre__isnull', True)), fields=('ranking', 'kind', 'scope', 'unit'), name='bottom_warning_one_per_unit'), models.CheckConstraint(condition=models.Q(models.Q(('state', 'closed'), _negated=True), models.Q(('note', ''), _negated=True), _connector='OR'), name='bottom_warning_closed_has_note')],
                    },
                ),
                migrations.CreateModel(
                    name='BottomStreak',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(choices=[('unit', 'units across the district'), ('cadre', 'cadres across the district'), ('unit_cadre', 'cadres of one unit')], max_length=16, verbose_name='scope')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('months', models.PositiveSmallIntegerField(verbose_name='months in a row')),
                        ('cadre', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cadres.cadre', verbose_name='cadre')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cadres.unit', verbose_name='unit')),
                        ('ranking', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bottom_streaks', to='rankings.rankingmonth', verbose_name='month')),
                    ],
                    options={
                        'verbose_name': 'bottom streak',
                        'verbose_name_plural': 'bottom streaks',
                        'db_table': 'cadres_bottomstreak',
                        'ordering': ['-ranking__month', 'scope', '-months', 'name'],
                        'constraints': [models.UniqueConstraint(fields=('ranking', 'scope', 'unit', 'cadre'), name='bottom_streak_one_per_cadre'), models.UniqueConstraint(condition=models.Q(('cadre__isnull', True)), fields=('ranking', 'scope', 'unit'), name='bottom_streak_one_per_unit')],
                    },
                ),
            ],
        ),
    ]
