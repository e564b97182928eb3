"""The stalls app's refusals: each has its code and status (core.errors renders them)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class SiteFull(DomainError):
    code = "site_full"
    default_detail = _("This site has no free slot. You can ask to join its waiting list.")


class RegistrationExists(DomainError):
    code = "registration_exists"
    default_detail = _("You already have an open registration at this site.")


class SlotTaken(DomainError):
    code = "slot_taken"
    default_detail = _("This slot is already held by another stall.")


class RegistrationAlreadyDecided(DomainError):
    code = "registration_already_decided"
    default_detail = _("This registration has already been decided.")


class StallNotSuspended(DomainError):
    code = "stall_not_suspended"
    default_detail = _("This stall is not suspended.")


class ReportAlreadyClosed(DomainError):
    code = "report_already_closed"
    default_detail = _("This report has already been closed.")


class RegistrationNotDecided(DomainError):
    code = "registration_not_decided"
    default_detail = _("This registration has not been decided yet, so there is no one to review.")


class OfficerNotReviewable(DomainError):
    status = status.HTTP_409_CONFLICT
    code = "officer_not_reviewable"
    default_detail = _("The officer who decided this registration has no cadre record to review.")


class StallNotActive(DomainError):
    code = "stall_not_active"
    default_detail = _("This stall is no longer registered: it was withdrawn or has lapsed.")


class RenewalNotOpen(DomainError):
    code = "renewal_not_open"
    default_detail = _(
        "This registration cannot be renewed now: renewal opens shortly before it expires "
        "and closes when it expires."
    )


class AppealExists(DomainError):
    code = "appeal_exists"
    default_detail = _("This suspension already has an appeal waiting for a decision.")


class AppealAlreadyDecided(DomainError):
    code = "appeal_already_decided"
    default_detail = _("This appeal has already been decided.")


class PledgeOutdated(DomainError):
    code = "pledge_outdated"
    default_detail = _("The pledge has changed: read the current one and accept it.")
