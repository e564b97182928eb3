"""Celery tasks of the merchants app: safe to run twice."""

import datetime as dt

from celery import shared_task

from . import services
from .notices import payment_received_notify

# Registered with the worker through this module (Celery's autodiscovery reads tasks.py).
__all__ = ["payment_received_notify", "statements_build_month"]


@shared_task(name="merchants.tasks.statements_build_month")
def statements_build_month(month: str | None = None) -> str:
    """Every merchant's statement of `month` (YYYY-MM; default: the month just ended)."""
    first = dt.date.fromisoformat(f"{month}-01") if month else services.previous_month()
    services.statements_build_month(month=first)
    return f"{first:%Y-%m}"
