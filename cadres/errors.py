"""The business refusals of the cadres app, as API.md names them."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, Forbidden


class AlreadyReviewedToday(DomainError):
    code = "already_reviewed_today"
    default_detail = _("You have already reviewed this cadre today. Come back tomorrow.")


class CadreInactive(DomainError):
    code = "cadre_inactive"
    default_detail = _("This cadre no longer takes reviews.")


class SelfReview(Forbidden):
    default_detail = _("A cadre cannot review themselves.")


class ReviewByColleague(Forbidden):
    code = "review_by_colleague"
    default_detail = _(
        "You work in this cadre's unit: reviews by colleagues do not count, so yours "
        "cannot be submitted."
    )


class AlreadyResponded(DomainError):
    code = "already_responded"
    default_detail = _("This review has already been answered.")


class NotResponded(DomainError):
    code = "not_responded"
    default_detail = _("This review has not been answered yet.")


class VerdictAlreadyGiven(DomainError):
    code = "verdict_already_given"
    default_detail = _("You have already accepted or rejected this answer.")


class TicketUsed(DomainError):
    code = "ticket_used"
    default_detail = _("This service ticket has already been used for a review.")


class TicketExpired(DomainError):
    code = "ticket_expired"
    default_detail = _("This service ticket has expired. Ask for a new one.")


class TicketOtherCadre(DomainError):
    code = "ticket_other_cadre"
    default_detail = _("This service ticket was issued by another cadre.")
