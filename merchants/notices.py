"""What the merchants app tells people, as notifications (notifications.kinds): a payment
received (the merchant's staff) and a refund received (the resident).

A payment's notices are written after its commit, by a Celery task queued on commit
(`payment_received_notify`): the payment at a counter keeps its statements
(merchants.services.payment_at_counter), and a payment that rolls back notifies nobody.
A refund's notice is written in the refund's transaction.
"""

from celery import shared_task
from django.db import transaction

from notifications.services import notify

from .models import Payment


# No one reads its result: queued with a result to wait for, each payment would also
# subscribe to (and later leave) the result's Redis channel, two more round trips.
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


def payment_received_queue(payment_id: int) -> None:
    """Queue `payment_received_notify` once the caller's transaction commits."""
    transaction.on_commit(lambda: payment_received_notify.delay(payment_id))


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
