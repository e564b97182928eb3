"""The merchants app's refusals, each with its code and status (API: 409 unless said)."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class PaymentRequestPaid(DomainError):
    code = "payment_request_paid"
    default_detail = _("This payment request has already been paid.")


class PaymentRequestExpired(DomainError):
    code = "payment_request_expired"
    default_detail = _("This payment request has expired. Ask the shop for a new one.")


class RefundExceedsPayment(DomainError):
    code = "refund_exceeds_payment"
    default_detail = _("The refunds would exceed what was paid.")


class RefundWindowClosed(DomainError):
    code = "refund_window_closed"
    default_detail = _("This payment is too old to be refunded.")


class StatementNotOpen(DomainError):
    code = "statement_not_open"
    default_detail = _("Only an open statement can be confirmed.")


class StatementNotConfirmed(DomainError):
    code = "statement_not_confirmed"
    default_detail = _("Only a confirmed statement can be marked paid.")


class StatementMonthNotEnded(DomainError):
    code = "statement_month_not_ended"
    default_detail = _("A month's statement can be confirmed only after the month ends.")
