"""Celery tasks of the rankings: they take plain values and call one service each. Their
names are those they had in cadres (queued tasks and the beat schedule keep working)."""

from celery import shared_task

from core.months import local_today, parse_month, previous_month

from . import cutoff, services
from .models import RankingMonth


@shared_task(name="cadres.tasks.rankings_compile_month")
def rankings_compile_month(month: str | None = None) -> str:
    """Compile and publish a month's rankings (default: the month just ended, Asia/Shanghai).

    Beat runs it at 01:00 on the 4th, once the 72-hour answer window of every bad review
    of the month has closed (rankings/cutoff.py). Safe to run twice: a published month is
    left as it is, the month's row is locked while compiling, and a compile replaces the
    previous one whole. A month whose answer window is still open is compiled but not
    published.
    """
    first_day = parse_month(month) if month else previous_month(local_today().replace(day=1))
    if first_day is None:
        raise ValueError(f"not a month: {month!r}")
    published = RankingMonth.objects.filter(
        month=first_day, version=1, published_at__isnull=False
    ).first()
    if published is not None:
        return published.label
    ranking = services.rankings_compile_and_publish(
        month=first_day, publish=cutoff.answer_window_closed(first_day)
    )
    return ranking.label


@shared_task(name="cadres.tasks.publish_correction")
def publish_correction(month: str) -> int | None:
    """Publish a correction of a published month whose reviews were excluded since its
    latest version (review_exclude schedules it). Safe to run twice, or once for several
    exclusions: with nothing new excluded it publishes nothing. Returns the new version."""
    first_day = parse_month(month)
    if first_day is None:
        raise ValueError(f"not a month: {month!r}")
    ranking = services.ranking_month_correct(month=first_day)
    return ranking.version if ranking else None
