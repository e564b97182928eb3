"""The business refusals of the livestream duty."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class OutcomeRecorded(DomainError):
    code = "outcome_recorded"
    default_detail = _("The outcome of this session has already been recorded.")


class SessionNotHeld(DomainError):
    code = "session_not_held"
    default_detail = _("This session's outcome has not been recorded yet.")


class SessionNotStarted(DomainError):
    code = "session_not_started"
    default_detail = _("This session has not started yet.")


class NotAHost(DomainError):
    code = "not_a_host"
    default_detail = _("This cadre did not host this session.")


class AlreadyTransferred(DomainError):
    code = "already_transferred"
    default_detail = _("This income already has a transfer awaiting or past confirmation.")


class TransferDecided(DomainError):
    code = "transfer_decided"
    default_detail = _("This transfer has already been confirmed or rejected.")
