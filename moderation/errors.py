"""Moderation's refusals (API.md's error codes)."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class FlagAlreadyDecided(DomainError):
    code = "flag_already_decided"
    default_detail = _("This flagged review has already been decided.")


class AppealExists(DomainError):
    code = "appeal_exists"
    default_detail = _("This review has already been appealed.")


class AppealWindowClosed(DomainError):
    code = "appeal_window_closed"
    default_detail = _("A review can be appealed only within 7 days of it.")


class AppealAlreadyDecided(DomainError):
    code = "appeal_already_decided"
    default_detail = _("This appeal has already been decided.")
