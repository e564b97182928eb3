"""Celery tasks of the stalls app: they take plain values and call the services."""

from celery import shared_task

from . import services


@shared_task(name="stalls.tasks.stalls_expiry_daily")
def stalls_expiry_daily() -> dict:
    """Daily (00:10 Asia/Shanghai): lapse the stalls whose registration expired yesterday
    or before (their slots go to the waiting lists), then record the renewal reminders
    due today. Safe to run twice: a lapsed stall is skipped and a reminder is recorded
    once (UNIQUE)."""
    lapsed = services.stalls_lapse_expired()
    reminders = services.renewal_reminders_record()
    return {"lapsed": lapsed, "reminders": len(reminders)}
