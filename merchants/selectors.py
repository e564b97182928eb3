"""Reads of the merchants app."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from core.timezones import LOCAL_TZ
from points.models import Merchant, Redemption

from .models import Payment, PaymentRequest, Statement


def merchant_ids_of(*, user) -> list[int]:
    """The merchants the user works at (their staff), by id."""
    if not user.is_authenticated:
        return []
    return list(user.merchants.order_by("pk").values_list("pk", flat=True))


def merchant_of(*, user, merchant_id: int | None = None) -> Merchant | None:
    """The user's merchant: the one named, or their first; None if they work at none."""
    merchants = Merchant.objects.filter(users=user).order_by("pk")
    if merchant_id is not None:
        merchants = merchants.filter(pk=merchant_id)
    return merchants.first()


def local_today(*, now=None) -> dt.date:
    return (now or timezone.now()).astimezone(LOCAL_TZ).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=1)


def payment_request_of(*, pk: int, merchant_ids) -> PaymentRequest | None:
    return (
        PaymentRequest.objects.select_related("merchant", "payment")
        .filter(pk=pk, merchant_id__in=list(merchant_ids))
        .first()
    )


def payments_of(*, merchant_ids, day: dt.date | None = None):
    """The merchants' payments, newest first; those of one Asia/Shanghai day if given."""
    payments = Payment.objects.filter(merchant_id__in=list(merchant_ids)).select_related(
        "merchant", "resident"
    )
    if day is not None:
        start, end = day_bounds(day)
        payments = payments.filter(created_at__gte=start, created_at__lt=end)
    return payments.order_by("-created_at", "-pk")


def payments_by(*, resident):
    """The resident's own payments, newest first."""
    return Payment.objects.filter(resident=resident).select_related("merchant").order_by("-pk")


def vouchers_of(*, merchant_ids, day: dt.date | None = None, status: str | None = None):
    """Vouchers of the merchants' rewards, newest first: redeemed or used on `day`."""
    vouchers = Redemption.objects.filter(reward__merchant_id__in=list(merchant_ids)).select_related(
        "reward__merchant", "resident"
    )
    if day is not None:
        start, end = day_bounds(day)
        vouchers = vouchers.filter(
            Q(created_at__gte=start, created_at__lt=end) | Q(used_at__gte=start, used_at__lt=end)
        )
    if status:
        vouchers = vouchers.filter(status=status)
    return vouchers.order_by("-pk")


def statements_of(*, merchant_ids):
    return (
        Statement.objects.filter(merchant_id__in=list(merchant_ids))
        .select_related("merchant")
        .order_by("-month", "pk")
    )


def statement_of(*, pk: int, merchant_ids) -> Statement | None:
    return statements_of(merchant_ids=merchant_ids).filter(pk=pk).first()


def statement_payments(*, statement: Statement):
    """The statement's ledger entries with the payment or voucher each came from."""
    return (
        statement.lines.select_related("entry__transaction")
        .order_by("entry__created_at", "entry_id")
        .values_list(
            "entry__created_at",
            "entry__reason",
            "entry__transaction__reference",
            "entry__amount",
        )
    )
