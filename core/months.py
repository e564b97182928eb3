"""Months of the district's calendar (Asia/Shanghai): `YYYY-MM`, the next and the
previous month, today, and whether a month has ended. Used by the reviews' summaries,
the moderation's monthly signals and the rankings."""

import datetime as dt
import re

from django.utils import timezone

from core.timezones import LOCAL_TZ

# ASCII digits only: `\d` would read "２０２６-０３" as a month.
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def parse_month(text: str) -> dt.date | None:
    """`YYYY-MM` to the month's first day; None for anything else (2026-13, abc)."""
    match = MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def local_today() -> dt.date:
    return timezone.localtime(timezone.now(), LOCAL_TZ).date()


def month_has_ended(month: dt.date) -> bool:
    return local_today() >= next_month(month)
