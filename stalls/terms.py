"""How long a stall's registration lasts and when it may be renewed (models only).

A registration is valid through `Stall.expires_on` (an Asia/Shanghai day): the approval
day plus STALL_REGISTRATION_MONTHS. The vendor may renew in the last
STALL_RENEWAL_WINDOW_DAYS days up to and including that day; each renewal moves the
expiry on by the same number of months from the old expiry (not from the renewal day),
so renewing early loses nothing. The day after, the daily task lapses the stall.
"""

import calendar
import datetime

from django.conf import settings
from django.utils import timezone

from core.timezones import LOCAL_TZ


def local_today() -> datetime.date:
    return timezone.now().astimezone(LOCAL_TZ).date()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def first_expiry(start: datetime.date | None = None) -> datetime.date:
    """The expiry of a registration approved on `start` (today by default)."""
    return add_months(start or local_today(), settings.STALL_REGISTRATION_MONTHS)


def renewal_opens_on(expires_on: datetime.date) -> datetime.date:
    return expires_on - datetime.timedelta(days=settings.STALL_RENEWAL_WINDOW_DAYS)


def renewal_open(expires_on: datetime.date, today: datetime.date | None = None) -> bool:
    today = today or local_today()
    return renewal_opens_on(expires_on) <= today <= expires_on


def reminder_days() -> list[int]:
    """Days before the expiry a reminder is due, largest first (30 and 7 by default)."""
    return sorted(set(settings.STALL_RENEWAL_REMINDER_DAYS), reverse=True)
