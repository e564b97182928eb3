"""The cadres' beat task: bad reviews left unanswered are marked overdue every hour."""

from django.conf import settings


def test_beat_marks_overdue_reviews_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["mark-overdue-bad-reviews"]
    assert entry["task"] == "cadres.tasks.reviews_mark_overdue"
    assert entry["schedule"].hour == set(range(24))
