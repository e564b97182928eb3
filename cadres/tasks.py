"""Celery tasks of the cadres app: they take plain values and call one service each."""

from celery import shared_task

from . import services


@shared_task(name="cadres.tasks.reviews_mark_overdue")
def reviews_mark_overdue() -> int:
    """Hourly: remind cadres of bad reviews with 24 hours left, and record (and tell
    them of) bad reviews unanswered after 72 hours."""
    services.reviews_notify_answer_due()
    return services.reviews_mark_overdue()
