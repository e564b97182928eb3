"""The rankings' refusals (API.md's error codes)."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class MonthNotEnded(DomainError):
    code = "month_not_ended"
    default_detail = _("A month can be published only after it has ended.")


class AnswerWindowOpen(DomainError):
    code = "answer_window_open"
    default_detail = _(
        "A month can be published only once the 72-hour answer window of its last "
        "reviews has closed (from 00:00 on the 4th of the next month)."
    )


class MonthPublished(DomainError):
    code = "month_published"
    default_detail = _("This month is published and can no longer change.")


class MonthNotCompiled(DomainError):
    code = "month_not_compiled"
    default_detail = _("This month has not been compiled yet.")


class LaterMonthPublished(DomainError):
    code = "later_month_published"
    default_detail = _("A later month is already published: months are published in order.")


class WarningStateInvalid(DomainError):
    code = "warning_state_invalid"
    default_detail = _("This warning cannot change to that state.")
