"""Celery tasks of the cadres app: they take plain values and call one service each."""

import datetime as dt

from celery import shared_task

from . import rankings, services
from .models import RankingMonth


@shared_task(name="cadres.tasks.rankings_compile_month")
def rankings_compile_month(month: str | None = None) -> str:
    """Compile and publish a month's rankings (default: the month just ended, Asia/Shanghai).

    Beat runs it at 01:00 on the 1st: the district announces last month's results at the
    start of the month. Safe to run twice: a published month is left as it is, the
    month's row is locked while compiling, and a compile replaces the previous one whole.
    A month that has not ended is compiled but not published.
    """
    first_day = (
        rankings.parse_month(month)
        if month
        else rankings.previous_month(rankings.local_today().replace(day=1))
    )
    if first_day is None:
        raise ValueError(f"not a month: {month!r}")
    published = RankingMonth.objects.filter(
        month=first_day, version=1, published_at__isnull=False
    ).first()
    if published is not None:
        return published.label
    ranking = services.rankings_compile_and_publish(
        month=first_day, publish=rankings.month_has_ended(first_day)
    )
    return ranking.label


@shared_task(name="cadres.tasks.reviews_mark_overdue")
def reviews_mark_overdue() -> int:
    """Hourly: remind cadres of bad reviews with 24 hours left, and record (and tell
    them of) bad reviews unanswered after 72 hours."""
    services.reviews_notify_answer_due()
    return services.reviews_mark_overdue()


@shared_task(name="cadres.tasks.reviews_fraud_scan")
def reviews_fraud_scan(day: str | None = None) -> dict:
    """Nightly: the fraud rules over yesterday's reviews (or `day`, YYYY-MM-DD), and the
    colleague exclusions. Safe to run twice: a flag is unique per review and rule."""
    return services.reviews_fraud_scan(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="cadres.tasks.publish_correction")
def publish_correction(month: str) -> int | None:
    """Publish a correction of a published month whose reviews were excluded since its
    latest version (review_exclude schedules it). Safe to run twice, or once for several
    exclusions: with nothing new excluded it publishes nothing. Returns the new version."""
    first_day = rankings.parse_month(month)
    if first_day is None:
        raise ValueError(f"not a month: {month!r}")
    ranking = services.ranking_month_correct(month=first_day)
    return ranking.version if ranking else None
