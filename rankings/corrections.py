"""A review excluded from a month that has ended (published, or about to be on the 4th)
schedules a correction of that month once the excluding transaction commits: the task
publishes a new version when the month's exclusions changed, and several exclusions in a
row make one version (tasks.publish_correction, docs/cadres-corrections.md). Connected to
cadres.hooks.review_excluded in RankingsConfig.ready()."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from core.months import month_has_ended

from . import tasks


def correct_after_exclusion(sender, *, local_date: dt.date, **kwargs) -> None:
    month = local_date.replace(day=1)
    if month_has_ended(month):
        label = month.strftime("%Y-%m")
        transaction.on_commit(lambda: schedule_correction(label))


def schedule_correction(label: str) -> None:
    tasks.publish_correction.apply_async(args=[label], countdown=settings.RANKINGS_CORRECTION_DELAY)
