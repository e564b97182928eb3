"""What the merchants app tells people, as notifications (notifications.kinds): a payment
received (the merchant's staff) and a refund received (the resident).

A payment's notices are written in its posting's own statement (`payment_received_cte`,
points.ledger.post's `also`): no statement of their own, no Celery message per payment,
and a payment that rolls back notifies nobody. A refund's notice is written in the
refund's transaction.
"""

from celery import shared_task
from django.db import connection

from notifications.delivery import notifications_same_cte
from notifications.services import notify, notify_params
from points.models import Merchant

from .models import Payment


# No longer queued (payment_received_cte): kept for the messages an earlier release
# queued. No one reads its result.
@shared_task(name="merchants.tasks.payment_received_notify", ignore_result=True)
def payment_received_notify(payment_id: int) -> int:
    """Each staff user of the payment's merchant is told of it, once (safe to run twice:
    the notification's event key is the payment). Returns how many were new."""
    payment = Payment.objects.select_related("merchant").filter(pk=payment_id).first()
    if payment is None:
        return 0
    made = 0
    for user_id in payment.merchant.users.order_by("pk").values_list("pk", flat=True):
        made += (
            notify(
                user_id=user_id,
                kind="payment_received",
                key=payment.pk,
                params={"merchant": payment.merchant.name, "points": payment.amount_points},
                link="/api/v1/merchant/payments",
                now=payment.created_at,
            )
            is not None
        )
    return made


_STAFF = Merchant.users.through
# The staff's notices of a payment, a CTE of its posting's statement (points.ledger.post's
# `also`): the merchant's users, the notification's values as `notice_` parameters.
PAYMENT_RECEIVED_CTE_SQL = notifications_same_cte(
    name="noticed",
    users_sql="SELECT {user} FROM {table} WHERE {merchant} = %(notice_merchant)s".format(  # noqa: S608
        user=connection.ops.quote_name(_STAFF._meta.get_field("user").column),
        table=connection.ops.quote_name(_STAFF._meta.db_table),
        merchant=connection.ops.quote_name(_STAFF._meta.get_field("merchant").column),
    ),
    prefix="notice_",
)


def payment_received_cte(*, payment: Payment, merchant: Merchant) -> tuple[str, dict]:
    """Each staff user of the payment's merchant is told of it, once (the event key is
    the payment, as `payment_received_notify`'s): PAYMENT_RECEIVED_CTE_SQL and its
    parameters, for the payment's posting statement."""
    params = notify_params(
        kind="payment_received",
        key=payment.pk,
        params={"merchant": merchant.name, "points": payment.amount_points},
        link="/api/v1/merchant/payments",
        now=payment.created_at,
        prefix="notice_",
    )
    return PAYMENT_RECEIVED_CTE_SQL, {**params, "notice_merchant": merchant.pk}


def refund_received_notify(*, payment: Payment, refund_id: int, points: int, now) -> None:
    """The resident is told of a refund, in the refund's transaction."""
    notify(
        user_id=payment.resident_id,
        kind="refund_received",
        key=refund_id,
        params={"merchant": payment.merchant.name, "points": points},
        link="/api/v1/points/payments",
        now=now,
    )
