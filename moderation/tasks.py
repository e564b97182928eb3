"""Celery tasks of moderation: they take plain values and call one service each. Their
names are those they had in cadres (queued tasks and the beat schedule keep working)."""

import datetime as dt

from celery import shared_task

from . import services


@shared_task(name="cadres.tasks.reviews_fraud_scan")
def reviews_fraud_scan(day: str | None = None) -> dict:
    """Nightly: the fraud rules over yesterday's reviews (or `day`, YYYY-MM-DD), and the
    colleague exclusions. Safe to run twice: a flag is unique per review and rule."""
    return services.reviews_fraud_scan(day=dt.date.fromisoformat(day) if day else None)
