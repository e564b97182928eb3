"""Paying merchants with points at the till, refunds, and monthly settlement statements.

The app sits above `points` (it imports points, accounts and core; nothing below
imports it): config -> stalls -> cadres -> merchants -> points -> accounts -> core.
Points move only through `points.ledger.post`; these rows say why they moved.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import RotatableCode, done_by
from points.models import MAX_POINTS, Entry, Merchant


class MerchantCode(RotatableCode):
    """The static code printed at a merchant's counter: the resident types the amount.

    A merchant without a row has version 1; rotating it voids the printed codes.
    """

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="till_code", verbose_name=_("merchant")
    )

    class Meta:
        verbose_name = _("merchant counter code")
        verbose_name_plural = _("merchant counter codes")

    def __str__(self):
        return f"{self.merchant} v{self.code_version}"


class PaymentRequest(models.Model):
    """A till's one-time request for an amount: paid once, within its validity."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment request", "pending")
        PAID = "paid", pgettext_lazy("payment request", "paid")
        EXPIRED = "expired", pgettext_lazy("payment request", "expired")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="payment_requests",
        verbose_name=_("merchant"),
    )
    amount_points = models.PositiveIntegerField(_("amount (points)"))
    created_by = done_by(_("created by"), optional=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_points__gte=1) & Q(amount_points__lte=MAX_POINTS),
                name="merchants_request_amount",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.merchant} {self.amount_points}"

    def status_at(self, now=None) -> str:
        if self.paid_payment is not None:
            return self.Status.PAID
        if (now or timezone.now()) >= self.expires_at:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def status_label(self) -> str | Promise:  # lazy: translated where it is shown
        return self.Status(self.status).label

    @property
    def paid_payment(self):
        try:
            return self.payment
        except Payment.DoesNotExist:
            return None


class Payment(models.Model):
    """Redeemable points a resident paid a merchant (ledger reason `payment`)."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="payments", verbose_name=_("merchant")
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="merchant_payments",
        verbose_name=_("resident"),
    )
    amount_points = models.PositiveIntegerField(_("amount (points)"))
    # The till's request it paid (UNIQUE: a request is paid once), or none for a payment
    # through the static counter code.
    request = models.OneToOneField(
        PaymentRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
        verbose_name=_("payment request"),
    )
    # Sum of the refunds; the CHECK keeps it within the payment whatever runs at once.
    refunded_points = models.PositiveIntegerField(_("refunded (points)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_points__gte=1) & Q(amount_points__lte=MAX_POINTS),
                name="merchants_payment_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_points__gte=0) & Q(refunded_points__lte=F("amount_points")),
                name="merchants_payment_refunds_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="merchants_payment_recent"),
            models.Index(fields=["resident", "-id"], name="merchants_payment_resident"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.merchant} {self.amount_points}"

    @property
    def refundable_points(self) -> int:
        return self.amount_points - self.refunded_points


class PaymentRefund(models.Model):
    """Part or all of a payment given back by the merchant (ledger reason `payment_refund`)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount_points = models.PositiveIntegerField(_("amount (points)"))
    created_by = done_by(_("refunded by"), optional=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment refund")
        verbose_name_plural = _("payment refunds")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_points__gte=1), name="merchants_refund_amount"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.payment} -{self.amount_points}"


class Statement(models.Model):
    """What the district owes a merchant for a month, from the merchant's ledger entries.

    open (rebuilt from the ledger) -> confirmed by finance -> paid with a reference. A
    paid statement never changes (on PostgreSQL a trigger refuses it); an entry posted
    after its month's statement was confirmed goes into the merchant's next statement.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("statement", "open")
        CONFIRMED = "confirmed", pgettext_lazy("statement", "confirmed")
        PAID = "paid", pgettext_lazy("statement", "paid")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="statements", verbose_name=_("merchant")
    )
    # The first day of the Asia/Shanghai month.
    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    payments_points = models.BigIntegerField(_("payments (points)"), default=0)
    refunds_points = models.BigIntegerField(_("refunds (points)"), default=0)
    vouchers_points = models.BigIntegerField(_("vouchers (points)"), default=0)
    other_points = models.BigIntegerField(_("other (points)"), default=0)
    points = models.BigIntegerField(_("total (points)"), default=0)
    entries_count = models.PositiveIntegerField(_("entries"), default=0)
    built_at = models.DateTimeField(_("built at"), default=timezone.now)
    confirmed_by = done_by(_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    paid_by = done_by(_("paid by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        ordering = ["-month", "merchant_id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="merchants_statement_month"),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(payment_reference=""),
                name="merchants_statement_paid_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(confirmed_at__isnull=False),
                name="merchants_statement_confirmed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.merchant} {self.month:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


class StatementEntry(models.Model):
    """A merchant ledger entry counted in a statement: each entry in one statement only."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("statement")
    )
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, related_name="statement_line", verbose_name=_("entry")
    )

    class Meta:
        verbose_name = _("statement entry")
        verbose_name_plural = _("statement entries")

    def __str__(self):
        return f"{self.statement} {self.entry}"
