"""Dates of lots of redeemable points: the month a credit belongs to, when a lot expires.

Points earned in month M (Asia/Shanghai) may be spent until the last day of month
M + POINTS_EXPIRY_MONTHS; the nightly sweep expires them the day after.
"""

import datetime as dt

from django.conf import settings

from core.timezones import LOCAL_TZ


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the Asia/Shanghai month of `moment`."""
    return moment.astimezone(LOCAL_TZ).date().replace(day=1)


def expires_on(month: dt.date, months: int | None = None) -> dt.date:
    """The last day on which points earned in `month` can be spent."""
    if months is None:
        months = settings.POINTS_EXPIRY_MONTHS
    index = month.year * 12 + month.month - 1 + months + 1
    first_after = dt.date(index // 12, index % 12 + 1, 1)
    return first_after - dt.timedelta(days=1)


def lot_dates(moment: dt.datetime) -> tuple[dt.date, dt.date]:
    """(month, expires_on) of a credit posted at `moment`."""
    month = month_of(moment)
    return month, expires_on(month)


def today() -> dt.date:
    """Today in Asia/Shanghai."""
    return dt.datetime.now(LOCAL_TZ).date()
