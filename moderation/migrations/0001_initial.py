"""The review flags, holidays and appeals, moved from cadres: state only, the tables
(`cadres_reviewflag`...), constraints and indexes stay as they were."""

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
                    name='Holiday',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='date')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                    ],
                    options={
                        'verbose_name': 'holiday',
                        'verbose_name_plural': 'holidays',
                        'db_table': 'cadres_holiday',
                        'ordering': ['date'],
                    },
                ),
                migrations.CreateModel(
                    name='Appeal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(max_length=500, verbose_name='reason')),
                        ('status', models.CharField(choices=[('pending', 'pending'), ('decided', 'decided')], default='pending', max_length=16, verbose_name='status')),
                        ('created_at', models.DateTimeField(verbose_name='appealed at')),
                        ('due_at', models.DateTimeField(verbose_name='decision due by')),
                        ('outcome', models.CharField(blank=True, choices=[('upheld', 'upheld'), ('dismissed', 'dismissed')], max_length=16, verbose_name='outcome')),
                        ('decision_reason', models.CharField(blank=True, max_length=500, verbose_name='reason of the decision')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('appellant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='appealed by')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('review', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='appeal', to='cadres.review', verbose_name='review')),
                    ],
                    options={
                        'verbose_name': 'appeal',
                        'verbose_name_plural': 'appeals',
                        'db_table': 'cadres_appeal',
                        'ordering': ['due_at', 'pk'],
                        'indexes': [models.Index(fields=['status', 'due_at'], name='appeal_queue')],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('outcome', ''), ('status', 'pending')), models.Q(('decided_at__isnull', False), ('decided_by__isnull', False), ('outcome__in', ['upheld', 'dismissed']), ('status', 'decided')), _connector='OR'), name='appeal_decision_complete')],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewFlag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule', models.CharField(choices=[('burst', 'burst of reviews from new accounts'), ('device', 'one device reviewing many cadres'), ('address', 'one address reviewing many cadres'), ('unit_sweep', 'every cadre of a unit rated 1 or 2 in a day'), ('few_accounts', 'most reviews from a few accounts'), ('colleague', 'review by a colleague'), ('appeals_most', 'the cadre appealed most of its bad reviews'), ('account', 'one account reviewing many cadres'), ('account_devices', 'one account presenting many devices'), ('address_devices', 'one address presenting many devices'), ('unconfirmed', "reviewer's phone not confirmed by SMS")], max_length=16, verbose_name='rule')),
                        ('detail', models.JSONField(blank=True, default=dict, verbose_name='signal')),
                        ('created_at', models.DateTimeField(verbose_name='flagged at')),
                        ('state', models.CharField(choices=[('open', 'open'), ('excluded', 'excluded'), ('cleared', 'cleared')], default='open', max_length=16, verbose_name='state')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('decision_reason', models.CharField(blank=True, max_length=500, verbose_name='reason for the decision')),
                        ('points_taken_back', models.PositiveIntegerField(default=0, verbose_name='points taken back')),
                        ('points_shortfall', models.PositiveIntegerField(default=0, verbose_name='points already spent')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='flags', to='cadres.review', verbose_name='review')),
                    ],
                    options={
                        'verbose_name': 'review flag',
                        'verbose_name_plural': 'review flags',
                        'db_table': 'cadres_reviewflag',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['state', 'created_at'], name='review_flag_queue')],
                        'constraints': [models.UniqueConstraint(fields=('review', 'rule'), name='review_flag_once_per_rule'), models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('state', 'open')), models.Q(models.Q(('state', 'open'), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='review_flag_decision_complete')],
                    },
                ),
            ],
        ),
    ]
