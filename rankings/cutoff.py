"""When a month may be published, and the moment its versions are counted at.

Month M is published at 01:00 on the 4th of M+1 (Asia/Shanghai), once the 72-hour answer
window of every bad review of M has closed: the last review of M is submitted before
00:00 on the 1st, so every window has closed by 00:00 on the 4th. The bound is the
calendar's, not the data's: it holds for a review still being written at the month's
end, and the operator can tell in advance when a month may be published.

The moment of publication of version 1 is the month's cutoff (RankingMonth.cutoff), and
every version is compiled from it (services._compile_into): the reviews submitted, the
answers and the verdicts given by the cutoff, less the reviews excluded by the version's
own moment (the cutoff for version 1, the correction's for a correction). Version 1
compiled again at any later time gives the entries it was published with.
"""

import datetime as dt

from django.utils import timezone

from cadres.services import OVERDUE_AFTER
from core.months import next_month
from core.timezones import LOCAL_TZ


def answer_window_closes(month: dt.date) -> dt.datetime:
    """When the answer window of the last possible bad review of `month` closes."""
    end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=LOCAL_TZ)
    return end + OVERDUE_AFTER


def answer_window_closed(month: dt.date, *, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= answer_window_closes(month)
