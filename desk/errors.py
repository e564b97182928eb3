"""The refusals of the service desk (docs/assisted-desk.md)."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class SessionNotConfirmed(DomainError):
    code = "desk_session_not_confirmed"
    default_detail = _("The resident has not confirmed this session yet.")


class SessionExpired(DomainError):
    code = "desk_session_expired"
    default_detail = _("This desk session has expired or was closed. Start a new one.")


class SessionAlreadyConfirmed(DomainError):
    code = "desk_session_already_confirmed"
    default_detail = _("This desk session is already confirmed.")


class DailyLimit(DomainError):
    code = "desk_daily_limit"
    default_detail = _("You have reached today's limit of assisted acts. Come back tomorrow.")


class IdCheckUnbound(DomainError):
    code = "desk_id_check_refused"
    default_detail = _(
        "This account was never confirmed at a desk with this ID card: ask the resident "
        "for the SMS code instead."
    )
