"""Working days: Monday to Friday, less the holidays the district admin lists (Holiday).

Make-up working days (a Saturday worked in exchange for a holiday) are not modelled: a
weekend day is never a working day here, which only ever gives more time.
"""

import datetime as dt

from core.timezones import LOCAL_TZ

from .models import Holiday

SATURDAY = 5


def is_working_day(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (the day of `start` itself not counted)."""
    # 5 working days span at most a week plus the holidays in it: read a generous window.
    horizon = start + dt.timedelta(days=days * 2 + 31)
    holidays = set(
        Holiday.objects.filter(date__gt=start, date__lte=horizon).values_list("date", flat=True)
    )
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day > horizon:  # a month of holidays: read on
            horizon = day + dt.timedelta(days=62)
            holidays |= set(
                Holiday.objects.filter(date__gte=day, date__lte=horizon).values_list(
                    "date", flat=True
                )
            )
        if is_working_day(day, holidays):
            counted += 1
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in Asia/Shanghai (23:59:59)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LOCAL_TZ)


def due_after(moment: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the Asia/Shanghai day of `moment`."""
    local_day = moment.astimezone(LOCAL_TZ).date()
    return end_of_day(add_working_days(local_day, days))
